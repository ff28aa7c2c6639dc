"""Notifications: in the web UI always, by e-mail (through the outbox) when SMTP is configured.

Used inside a command's transaction: the notification rows and the outbox messages commit (or
roll back) with the state change that caused them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
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
         message: str, now: datetime) -> None:
    for user in users:
        session.add(Notification(user_id=user.id, nomination_id=nomination.id if nomination else None, kind=kind,
                                 message=message, created_at=now))
        email = getattr(user, "email", None)
        if settings.smtp_host and email:
            session.add(OutboxMessage(to_address=email, subject=f"[Vinh danh] {header_text(message, 180)}",
                                      body=f"Kính gửi {user.full_name},\n\n{message}\n\n— Hệ thống thi đua, khen thưởng",
                                      created_at=now, next_attempt_at=now, attempts=0))


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
