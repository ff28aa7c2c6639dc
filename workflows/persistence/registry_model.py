"""The award registry's people: persons and collectives, their awards, yearly ratings, initiatives and holds.

What eligibility reads (:mod:`workflows.domain.eligibility`). Rows come from a CSV import of past
years (``source = "imported"``) or from the product itself when a nomination linked to a person or a
collective is awarded (``source = "issued"``, with its ``award_registry`` row). Every row of an
imported kind has a ``natural_key`` (unique): re-importing a file updates the same rows instead of
adding new ones, so an import is idempotent.

Each row belongs to exactly one subject, a person or a collective (initiatives: a person).

Kept apart from :mod:`workflows.persistence.model` (which imports this module at its end, so that
``Base.metadata`` always holds these tables).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.persistence.model import AwardRecord, Base

ONE_OF = ("(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN collective_id IS NULL THEN 0 ELSE 1 END) = 1")


class Person(Base):
    """A person of a unit. Unique by staff id when given, else by name, date of birth and unit (``natural_key``)."""

    __tablename__ = "registry_persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)  # folded: no diacritics, lower case
    birth_date: Mapped[date | None] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    staff_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    natural_key: Mapped[str] = mapped_column(String(400), unique=True)
    created_at: Mapped[datetime]


class Collective(Base):
    __tablename__ = "registry_collectives"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    natural_key: Mapped[str] = mapped_column(String(400), unique=True)
    created_at: Mapped[datetime]


class HeldAward(Base):
    """An award a person or collective holds: a catalogue form (``award_form``) or a free name (outside, unit-level)."""

    __tablename__ = "registry_awards"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_persons.id"), index=True)
    collective_id: Mapped[int | None] = mapped_column(ForeignKey("registry_collectives.id"), index=True)
    award_form: Mapped[str | None] = mapped_column(ForeignKey("award_forms.code"))
    award_name: Mapped[str | None] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # unit | ministry | state
    kind: Mapped[str] = mapped_column(String(20))  # merit | movement | ad_hoc | thematic | contribution
    decision_number: Mapped[str | None] = mapped_column(String(60))
    decision_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))  # imported | issued
    # The product's own registry row, for awards it issued.
    award_record_id: Mapped[int | None] = mapped_column(ForeignKey("award_registry.id"), unique=True)
    natural_key: Mapped[str] = mapped_column(String(400), unique=True)
    __table_args__ = (CheckConstraint(ONE_OF, name="one_subject"),)

    # Set with the registry row in the step that awards, before either has an id.
    award_record: Mapped[AwardRecord | None] = relationship(lazy="raise")


class Rating(Base):
    """The yearly rating of a person or collective (đánh giá, xếp loại)."""

    __tablename__ = "registry_ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_persons.id"), index=True)
    collective_id: Mapped[int | None] = mapped_column(ForeignKey("registry_collectives.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(30))  # xuat_sac | tot | hoan_thanh | khong_hoan_thanh
    natural_key: Mapped[str] = mapped_column(String(400), unique=True)
    __table_args__ = (CheckConstraint(ONE_OF, name="one_subject"),)


class Initiative(Base):
    """A recognised initiative (sáng kiến) of a person, with the scope of its recognition."""

    __tablename__ = "registry_initiatives"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("registry_persons.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(20))  # co_so | bo | toan_quoc
    natural_key: Mapped[str] = mapped_column(String(600), unique=True)


class Hold(Base):
    """Nobody is proposed while one is in force: discipline, investigation, inspection, a pending complaint."""

    __tablename__ = "registry_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_persons.id"), index=True)
    collective_id: Mapped[int | None] = mapped_column(ForeignKey("registry_collectives.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # discipline | investigation | inspection | complaint
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)  # NULL: until lifted
    note: Mapped[str | None] = mapped_column(Text)
    natural_key: Mapped[str] = mapped_column(String(400), unique=True)
    __table_args__ = (CheckConstraint(ONE_OF, name="one_subject"),)


class RegistryImport(Base):
    """One CSV upload: checked into a preview, then imported all or nothing, its progress polled by the page."""

    __tablename__ = "registry_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # persons | collectives | awards | ratings | initiatives | holds
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # the decoded CSV, for the job that imports it
    state: Mapped[str] = mapped_column(String(20), default="preview")  # preview | queued | running | done | failed
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any] | None] = mapped_column(JSON)  # [{"line", "message"}] of the preview
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # rows added, updated, unchanged; or the failure
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]  # last sign of life: queued, claimed, a batch of rows checked
    __table_args__ = (Index("ix_registry_imports_created", "created_at"),)
