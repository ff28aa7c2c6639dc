"""What a user does with their notifications: mark them read (audited, like every state change)."""

from __future__ import annotations

from sqlalchemy import update

from workflows.domain import clock
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import Notification
from workflows.persistence.scope import load_actor


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
