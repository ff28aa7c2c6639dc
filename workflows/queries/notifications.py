"""A user's notifications, newest first, and how many are unread."""

from __future__ import annotations

from sqlalchemy import func, select

from workflows.persistence.db import Database
from workflows.persistence.model import Notification, User


def unread_count(db: Database, user_id: int) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Notification.id)).where(Notification.user_id == user_id,
                                                                  Notification.read_at.is_(None))) or 0


def recent(db: Database, user_id: int, limit: int = 100) -> list[Notification]:
    with db.read() as s:
        return list(s.scalars(select(Notification).where(Notification.user_id == user_id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mode_of(db: Database, user_id: int) -> str:
    """How e-mail brings the user's notifications: event, digest or none."""
    with db.read() as s:
        return s.scalar(select(User.notify_mode).where(User.id == user_id)) or "event"


def email_of(db: Database, user_id: int) -> str | None:
    with db.read() as s:
        return s.scalar(select(User.email).where(User.id == user_id))
