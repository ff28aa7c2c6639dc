"""What a user does with their notifications: read them, choose how e-mail brings them (audited, like every state change)."""

from __future__ import annotations

from sqlalchemy import select, update

from workflows.domain import clock
from workflows.domain.errors import Invalid, NotFound
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import Notification, User
from workflows.persistence.notify_model import NOTIFY_MODES
from workflows.persistence.scope import load_actor

MODE_NAMES = {"event": "Gửi e-mail từng sự kiện", "digest": "Tóm tắt hằng ngày (07:00)", "none": "Không gửi e-mail"}


def mark_all_read(db: Database, user_id: int) -> int:
    """Mark all of one user's notifications read (only the user's own); returns how many."""
    now = clock.now()
    with db.write() as s:
        actor = load_actor(s, user_id)
        count = s.execute(update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
                          .values(read_at=now)).rowcount
        if count:
            audit.record_subject(s, "notifications", actor.id, at=now, actor=actor, action="notifications_read",
                                 changes={"read": [None, count]})
        return count


def mark_read(db: Database, user_id: int, notification_id: int) -> int | None:
    """Mark one of the user's own notifications read; returns the dossier it leads to (another's answers 404).

    Read twice, it changes nothing the second time (and records nothing).
    """
    now = clock.now()
    with db.write() as s:
        actor = load_actor(s, user_id)
        row = s.execute(select(Notification.id, Notification.nomination_id, Notification.read_at)
                        .where(Notification.id == notification_id, Notification.user_id == actor.id)).first()
        if row is None:
            raise NotFound("Không tìm thấy thông báo.")
        changed = s.execute(update(Notification).where(Notification.id == row.id, Notification.read_at.is_(None))
                            .values(read_at=now)).rowcount
        if changed:
            audit.record_subject(s, "notifications", actor.id, at=now, actor=actor, action="notification_read",
                                 changes={"notification_id": [None, row.id]})
        return row.nomination_id


def set_mode(db: Database, user_id: int, mode: object) -> bool:
    """The user's choice of e-mail: one per event, a daily digest, or none. Returns whether it changed."""
    if mode not in NOTIFY_MODES:
        raise Invalid("Cách nhận thông báo không hợp lệ.", {"notify_mode": "Chọn một trong các cách nhận thông báo."})
    now = clock.now()
    with db.write() as s:
        actor = load_actor(s, user_id)
        old = s.scalar(select(User.notify_mode).where(User.id == actor.id).with_for_update())
        if old == mode:
            return False
        s.execute(update(User).where(User.id == actor.id).values(notify_mode=mode))
        audit.record_subject(s, "user", actor.id, at=now, actor=actor, action="notify_mode_changed",
                             changes={"notify_mode": [old, mode]})
        return True
