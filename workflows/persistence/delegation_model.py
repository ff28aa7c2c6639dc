"""Windows in which someone acts for someone else: the minister's delegation of signing, an approver's absence.

A :class:`SigningDelegation` lets a deputy minister sign the minister's signature tasks of chosen award forms
(``award_forms`` null: every form) from ``starts_on`` to ``ends_on``, both days included, in Vietnam's calendar.
An :class:`Absence` lets a substitute of the same role (and unit, for a unit role) act on the absent user's
tasks of that role in its window. Nothing moves while a window is in force: who may act is computed from the
windows when the actor is loaded, so a window's end (or its revocation) hands the tasks back with no job.

Kept apart from :mod:`workflows.persistence.model` (which imports this module at its end).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflows.persistence.model import Base


class SigningDelegation(Base):
    __tablename__ = "signing_delegations"
    id: Mapped[int] = mapped_column(primary_key=True)
    minister_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    award_forms: Mapped[list[str] | None] = mapped_column(JSON)  # codes, sorted; null: every award form
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __table_args__ = (
        Index("ix_signing_delegations_deputy", "deputy_id", "ends_on"),
        Index("ix_signing_delegations_minister", "minister_id", "ends_on"),
    )


class Absence(Base):
    __tablename__ = "absences"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the absent's unit, for a unit role
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __table_args__ = (
        Index("ix_absences_substitute", "substitute_id", "ends_on"),
        Index("ix_absences_user", "user_id", "ends_on"),
    )
