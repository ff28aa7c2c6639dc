"""Notifications: in the web UI always, by e-mail (through the outbox) when SMTP is configured."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflows.domain.clock import VN_TZ
from workflows.domain.forms import NOT_IN_HEADERS
from workflows.persistence.db import Settings
from workflows.persistence.model import EscalationRule, Nomination, Notification, OutboxMessage, TaskItem, User, UserRole
from workflows.persistence.scope import UNIT_ROLES, can_act


def with_roles(session: Session, roles: set[str], unit_id: int) -> list[User]:
    """Active users holding any of ``roles``; unit roles only within ``unit_id``."""
    users = session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True)).distinct()
    ).all()

    def in_scope(user: User) -> bool:
        held = user.roles & roles
        only_unit_roles = held <= UNIT_ROLES  # a unit head counts for their own unit only
        return not only_unit_roles or user.unit_id == unit_id

    return [u for u in users if in_scope(u)]


def assignees(session: Session, nomination: Nomination, open_items: list[TaskItem]) -> list[User]:
    """Who may act on these open tasks (each ballot's own member, or the role in scope)."""
    found: dict[int, User] = {}
    for item in open_items:
        if item.assignee_id is not None:
            user = session.get(User, item.assignee_id)
            if user is not None and user.active:
                found[user.id] = user
            continue
        for user in with_roles(session, {item.role}, nomination.unit_id):
            if can_act(user, item):
                found[user.id] = user
    return list(found.values())


def superiors(session: Session, nomination: Nomination, role: str) -> list[User]:
    roles = set(session.scalars(select(EscalationRule.superior_role).where(EscalationRule.role == role)))
    return with_roles(session, roles, nomination.unit_id) if roles else []


def send(session: Session, settings: Settings, users: list[User], nomination: Nomination | None, kind: str,
         message: str, now: datetime) -> None:
    for user in users:
        session.add(Notification(user_id=user.id, nomination_id=nomination.id if nomination else None, kind=kind,
                                 message=message, created_at=now))
        if settings.smtp_host and user.email:
            session.add(OutboxMessage(to_address=user.email, subject=f"[Vinh danh] {header_text(message, 180)}",
                                      body=f"Kính gửi {user.full_name},\n\n{message}\n\n— Hệ thống thi đua, khen thưởng",
                                      created_at=now, next_attempt_at=now, attempts=0))


def header_text(value: str, limit: int) -> str:
    """One line for a mail header: a nominee's name can carry breaks or bidi controls from before they were refused."""
    return " ".join(NOT_IN_HEADERS.sub(" ", value).split())[:limit]


def local(value: datetime) -> str:
    return value.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 … minutes, at most an hour, between delivery attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user_id,
                                                                    Notification.read_at.is_(None))) or 0


def recent(session: Session, user_id: int, limit: int = 100) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark all of one user's notifications read (only the user's own)."""
    return session.execute(update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
                           .values(read_at=now)).rowcount
