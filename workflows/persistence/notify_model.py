"""Daily digests of notifications: one row per user and Vietnamese day, the digest's idempotency key.

Kept apart from :mod:`workflows.persistence.model` (which imports this module at its end, so that
``Base.metadata`` always holds this table).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.persistence.model import Base

NOTIFY_MODES = ("event", "digest", "none")


class NotificationDigest(Base):
    """A digest e-mail written for one user and one day: a second scheduler or a rerun finds it and sends nothing."""

    __tablename__ = "notification_digests"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # in Vietnam's time
    created_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_notification_digests_user_day"),)
