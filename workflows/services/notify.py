"""Notifications: in the web UI always, by e-mail (through the outbox) when SMTP is configured.

Used inside a command's transaction: the notification rows and the outbox messages commit (or
roll back) with the state change that caused them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from workflows.domain.actor import Actor
from workflows.domain.clock import VN_TZ
from workflows.domain.forms import NOT_IN_HEADERS
from workflows.persistence.db import Settings
from workflows.persistence.model import Nomination, Notification, OutboxMessage, TaskItem, User, UserRole
from workflows.persistence.scope import actor_of


def with_roles(session: Session, roles: set[str] | frozenset[str], unit_id: int) -> list[User]:
    """Active users holding any of ``roles`` where it counts for ``unit_id`` (a unit role in that unit only)."""
    users = session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True))
        .options(joinedload(User.role_rows)).distinct()
    ).unique().all()
    return [u for u in users if any(actor_of(u).holds_for_unit(role, unit_id) for role in roles)]


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
            if actor_of(user).can_act(item):
                found[user.id] = user
    return list(found.values())


def send(session: Session, settings: Settings, users: list[User] | list[Actor], nomination: Nomination | None, kind: str,
         message: str, now: datetime, *, exclude: int | None = None) -> int:
    """One notification per user (not to ``exclude``, the actor), in one insert; e-mail to those who want each event.

    Returns how many were written.
    """
    notes, mails = rows(settings, users, nomination.id if nomination else None, kind, message, now, exclude=exclude)
    if notes:
        session.execute(insert(Notification), notes)
    if mails:
        session.execute(insert(OutboxMessage), mails)
    return len(notes)


def rows(settings: Settings, users: list[User] | list[Actor], nomination_id: int | None, kind: str, message: str,
         now: datetime, *, exclude: int | None = None) -> tuple[list[dict], list[dict]]:
    """The notification rows and outbox rows for ``users``, each user once.

    E-mail goes only with SMTP configured, to a user with an address whose preference is one e-mail per
    event (an actor read without a preference counts as per event); a digest user's rows wait for the digest.
    """
    notes, mails, seen = [], [], set()
    for user in users:
        if user.id == exclude or user.id in seen:
            continue
        seen.add(user.id)
        email = getattr(user, "email", None)
        mailed = bool(settings.smtp_host and email and (getattr(user, "notify_mode", None) or "event") == "event")
        notes.append({"user_id": user.id, "nomination_id": nomination_id, "kind": kind, "message": message,
                      "created_at": now, "read_at": None, "emailed_at": now if mailed else None})
        if mailed:
            link = link_for(settings, nomination_id)
            mails.append({"to_address": email, "subject": f"[Vinh danh] {header_text(message, 180)}",
                          "body": f"Kính gửi {user.full_name},\n\n{message}\n\nXem tại: {link}\n\n"
                                  f"Thay đổi cách nhận thông báo: {settings.public_url}/notifications/settings\n\n"
                                  "— Hệ thống thi đua, khen thưởng",
                          "created_at": now, "next_attempt_at": now, "attempts": 0})
    return notes, mails


def link_for(settings: Settings, nomination_id: int | None) -> str:
    """The page a notification leads to: its dossier, else the notifications page."""
    if nomination_id is not None:
        return f"{settings.public_url}/nominations/{nomination_id}"
    return f"{settings.public_url}/notifications/"


def header_text(value: str, limit: int) -> str:
    """One line for a mail header: a nominee's name can carry breaks or bidi controls from before they were refused."""
    return " ".join(NOT_IN_HEADERS.sub(" ", value).split())[:limit]


def local(value: datetime) -> str:
    return value.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")


def local_date(value: datetime) -> str:
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y")


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 … minutes, at most an hour, between delivery attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
