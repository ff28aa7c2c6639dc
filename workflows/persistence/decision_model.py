"""Decisions and submissions: one document the minister signs for many dossiers of one award form.

A :class:`Decision` (quyết định, for forms the minister decides) or submission (tờ trình, for forms
decided above the ministry) lists its dossiers in :class:`DecisionDossier` rows, in the order of the
attached list. It moves ``draft`` → ``sent`` (awaiting the signature) → ``signed`` → ``registered``
(the clerical office's number and date), or ends ``returned`` by the signer or ``cancelled`` by the
secretariat. A number is unique within its calendar year.

Kept apart from :mod:`workflows.persistence.model` (which imports this module at its end, so that
``Base.metadata`` always holds these tables).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflows.persistence.model import Base

KINDS = ("decision", "submission")
STATES = ("draft", "sent", "signed", "registered", "returned", "cancelled")
UNFINISHED = ("draft", "sent", "signed")  # a dossier belongs to at most one decision in these states


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # decision | submission
    award_form: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    # The council round its dossiers passed together, when they all passed the same one.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("council_rounds.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(500))  # "Về việc tặng Bằng khen của Bộ trưởng"
    reason: Mapped[str | None] = mapped_column(Text)  # Điều 1: "đã có thành tích xuất sắc trong ..."
    number: Mapped[str | None] = mapped_column(String(60))  # "01/QĐ-BKHCN", from the registration
    year: Mapped[int | None] = mapped_column(Integer)  # the number's calendar year
    registered_date: Mapped[date | None] = mapped_column(Date)
    registered_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # the signature's deadline
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # KT. BỘ TRƯỞNG: whose authority
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who returned or cancelled it
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_decisions_year_number"),
        Index("ix_decisions_state", "state", "award_form"),
    )


class DecisionDossier(Base):
    """A dossier on a decision's attached list, at its position."""

    __tablename__ = "decision_dossiers"
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_decision_dossiers_nomination", "nomination_id"),)
