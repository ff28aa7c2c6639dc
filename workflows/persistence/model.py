"""SQLAlchemy 2 typed models: the database is the source of truth.

Times are stored in UTC; :class:`UTCDateTime` gives back aware datetimes on
SQLite too (which would otherwise return naive ones).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from workflows.domain.folding import fold

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON(none_as_null=True)}


# --- organisation and people -------------------------------------------------------------

class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    is_ministry_office: Mapped[bool] = mapped_column(Boolean, default=False)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("emulation_clusters.id"))  # reference_model
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Changing it logs the user out everywhere (flask-login identifies sessions by it).
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How notifications reach them by e-mail: event (one each), digest (once a day) or none (the web page only).
    notify_mode: Mapped[str] = mapped_column(String(20), default="event", server_default="event")
    version: Mapped[int] = mapped_column(Integer, default=1)  # admins' edits are optimistic
    # A temporary password an admin handed over (account created, password reset): changed before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    unit: Mapped[Unit] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Failed logins, counted per key (username and address) to rate-limit guessing."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


# --- reference data (admins change it; code never hard-codes it) ----------------------

class AwardForm(Base):
    __tablename__ = "award_forms"
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(20))  # individual | collective | both
    level: Mapped[str] = mapped_column(String(20))  # unit | ministry | above
    needs_vote: Mapped[bool] = mapped_column(Boolean)
    # Published for objections before the council votes (orders and state honours).
    needs_disclosure: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class CouncilRule(Base):
    """Quorum and pass threshold of the council vote for one award form, from a date."""

    __tablename__ = "council_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    award_form: Mapped[str] = mapped_column(ForeignKey("award_forms.code"), index=True)
    effective_from: Mapped[datetime]
    quorum_num: Mapped[int] = mapped_column(Integer)  # present * den >= members * num
    quorum_den: Mapped[int] = mapped_column(Integer)
    threshold_kind: Mapped[str] = mapped_column(String(30))  # pct_of_all | majority_of_present
    threshold_pct: Mapped[int | None] = mapped_column(Integer)
    chair_votes: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # chair called to the ballot


class EscalationRule(Base):
    """Whom to tell when a step of a role passes its deadline (same unit for unit roles)."""

    __tablename__ = "escalation_rules"
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    superior_role: Mapped[str] = mapped_column(String(40), primary_key=True)


class CalendarDay(Base):
    """An admin's correction to the statutory calendar: an extra day off or a make-up working day."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # off | working
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class StepDeadline(Base):
    """Working days allowed for a step; award_form NULL is the default for all forms."""

    __tablename__ = "step_deadlines"
    id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(String(60))
    award_form: Mapped[str | None] = mapped_column(ForeignKey("award_forms.code"))
    working_days: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("step", "award_form", name="uq_step_deadlines_step_form"),)


# --- routes and instances ------------------------------------------------------------------

class ProcessModel(Base):
    """One deployed version bundle: the BPMN route, its forms, its rule data and DMN tables, hashed together.

    Instances stay pinned to theirs: a nomination keeps the diagram, the forms and the thresholds,
    deadlines and routing flags it started with. Rows never change once deployed.
    """

    __tablename__ = "process_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the whole bundle
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)  # form name -> JSON Schema
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # RuleSet.as_dict(): with DMN, the catalogue and escalations only
    # DMN file name -> XML (the council rule sets by date); NULL for versions deployed before the rules moved to DMN.
    decisions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deployed_at: Mapped[datetime]  # who deployed it is in the route's audit chain
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_models_key_version"),
        UniqueConstraint("key", "sha256", name="uq_process_models_key_sha256"),
    )


class Nomination(Base):
    __tablename__ = "nominations"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20), index=True, default="in_progress")
    current_step: Mapped[str | None] = mapped_column(String(60))
    award_form: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    nominee_name: Mapped[str] = mapped_column(String(255))
    # nominee_name folded (no diacritics, no case): what the lists search; set with the name, below.
    search_text: Mapped[str | None] = mapped_column(String(255))
    nominee_kind: Mapped[str] = mapped_column(String(20))
    nominee_position: Mapped[str | None] = mapped_column(String(255))
    nominee_unit: Mapped[str | None] = mapped_column(String(255))
    movement: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    achievements: Mapped[str] = mapped_column(Text)
    # The registry's person or collective this dossier proposes (NULL: by name only, not checked against the registry).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("registry_persons.id"), index=True)
    collective_id: Mapped[int | None] = mapped_column(ForeignKey("registry_collectives.id"), index=True)
    # The last eligibility check (workflows.domain.eligibility), with the initiatives its met branch used.
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    # The running tally of the secret ballot: counts only, never who chose what.
    votes_agree: Mapped[int] = mapped_column(Integer, default=0)
    votes_disagree: Mapped[int] = mapped_column(Integer, default=0)
    council_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ballot_size: Mapped[int | None] = mapped_column(Integer)  # members called to the open ballot (snapshot)
    # The ministry's decision: shared by every dossier of one decision; unique only with its year (on the decision).
    decision_number: Mapped[str | None] = mapped_column(String(60))
    # When the unit head first approved it and it went to the secretariat: the date that picks its rule set.
    submitted_at: Mapped[datetime | None]
    # Submitted above (the Prime Minister, the President): since when it waits, and what came back,
    # {"result": "awarded", "decision_number", "decision_date", "issuer"} or {"result": "refused", "reason"}.
    submitted_above_at: Mapped[datetime | None]
    outside_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Head of the audit hash chain: a deleted newest event shows as a mismatch here.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The nominations list's keyset order (newest change first), for all and within a unit.
        Index("ix_nominations_updated", "updated_at", "id"),
        Index("ix_nominations_unit_updated", "unit_id", "updated_at", "id"),
        Index("ix_nominations_search_text", "search_text", "id"),  # sorting by name; a search scans it
        Index("ix_nominations_version_state", "process_model_id", "state"),  # the versions still running
    )

    unit: Mapped[Unit] = relationship(lazy="joined")
    process_model: Mapped[ProcessModel] = relationship(lazy="raise")

    @validates("nominee_name")
    def _fold_name(self, _key: str, value: str | None) -> str | None:
        self.search_text = fold(value) if value is not None else None
        return value


class InstanceState(Base):
    """Serialized SpiffWorkflow state of one nomination, without the spec."""

    __tablename__ = "instance_states"
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    serializer_version: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(Text)


# Exactly one of a task row's subjects is set.
ONE_SUBJECT = ("(CASE WHEN nomination_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN round_id IS NULL THEN 0 ELSE 1 END)"
               " + (CASE WHEN decision_id IS NULL THEN 0 ELSE 1 END) = 1")


class TaskItem(Base):
    """Relational projection of a user task for the inbox; rows outlive the task."""

    __tablename__ = "task_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    # A nomination's task, or one that is no engine task: (round_id) a council member's one ballot of a round,
    # (decision_id) the signature or the registration of a decision covering many dossiers.
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("council_rounds.id", ondelete="CASCADE"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    task_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(255))
    form: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    award_form: Mapped[str | None] = mapped_column(String(60))  # the dossier's or decision's: what a delegation names
    state: Mapped[str] = mapped_column(String(20), default="ready")  # ready | completed | cancelled
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]  # when its superior was told it is overdue
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who took a shared task to work on it (the others still see it, and cannot complete it meanwhile).
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_task_items_inbox_role", "state", "role", "unit_id", "due_at"),
        Index("ix_task_items_inbox_assignee", "state", "assignee_id", "due_at"),
        # The inbox's keyset orders (earliest due, longest waiting) as index range scans.
        Index("ix_task_items_state_due", "state", "due_at", "id"),
        Index("ix_task_items_state_created", "state", "created_at", "id"),
        Index("ix_task_items_state_name", "state", "name", "created_at"),  # one step's open tasks, oldest first
        Index("ix_task_items_nomination", "nomination_id", "state"),
        # "Was this dossier ever assigned to me?" (what a council member may see), without a scan.
        Index("ix_task_items_assignee_nomination", "assignee_id", "nomination_id"),
        Index("ix_task_items_round", "round_id", "state"),
        Index("ix_task_items_decision", "decision_id", "state"),
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
    )

    nomination: Mapped[Nomination] = relationship(lazy="raise")


class AuditEvent(Base):
    """One action on a subject (a nomination, the route, the rules, the calendar, a user…), chained by hash.

    Each subject has its own chain; a nomination's head is kept on its row, every other subject's in
    :class:`AuditHead`, so a deleted newest event shows. ``encoding`` is the version of the hashed form.
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20), default="nomination", server_default="nomination")
    subject_id: Mapped[str] = mapped_column(String(64))
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(80))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(40))
    task: Mapped[str | None] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    encoding: Mapped[int] = mapped_column(Integer, default=2, server_default="1")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "seq", name="uq_audit_events_subject_seq"),
        Index("ix_audit_events_nomination", "nomination_id", "seq"),
    )


class AuditHead(Base):
    """The newest (seq, hash) of a subject's chain, for subjects that are not nominations."""

    __tablename__ = "audit_heads"
    subject_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    # What the file is to the dossier (workflows.domain.attachment_kinds): the documents an award form requires.
    kind: Mapped[str] = mapped_column(String(40), default="khac", server_default="khac")


class Counter(Base):
    """Sequences such as decision numbers: one locked row per (name, year)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AwardRecord(Base):
    """The award registry: one row per award decided, by the ministry or (``issuer``) above it.

    Every awardee of one ministry decision carries its number and registered date (the number is unique
    within its year, on the decision); a decision of the Prime Minister or the President lists many
    awardees under one number too.
    """

    __tablename__ = "award_registry"
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), unique=True)
    award_form: Mapped[str] = mapped_column(ForeignKey("award_forms.code"))
    nominee_name: Mapped[str] = mapped_column(String(255))
    nominee_kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    decision_number: Mapped[str] = mapped_column(String(60))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)  # None: signed per dossier
    decided_at: Mapped[datetime]  # when the registry row was made (the signature, or the outside result recorded)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issuer: Mapped[str | None] = mapped_column(String(255))  # NULL: the ministry; else e.g. "Thủ tướng Chính phủ"
    decision_date: Mapped[date | None] = mapped_column(Date)  # the decision's own (registered) date, Vietnam calendar
    __table_args__ = (Index("ix_award_registry_decision", "issuer", "decision_number"),)


class Timer(Base):
    """A timer the engine waits on: the database's record, so Redis may lose nothing that matters.

    A repeating timer keeps one row, moved to each next period as the last one fires (``created_at``
    then is the start of the current period; see :mod:`workflows.projections.timers`).
    """

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    task_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(80))  # the BPMN event id
    kind: Mapped[str] = mapped_column(String(20))  # reminder | escalation | window | timer
    step: Mapped[str | None] = mapped_column(String(60))  # the task it watches
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | fired | cancelled
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_timers_due", "state", "due_at"),
        Index("ix_timers_nomination", "nomination_id", "state"),
    )


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # set when its e-mail (its own, or a digest's) went to the outbox
    __table_args__ = (Index("ix_notifications_user", "user_id", "read_at", "created_at"),)


class OutboxMessage(Base):
    """E-mail written in the state change's transaction, delivered after commit by a worker."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)


class QuarterlyReport(Base):
    """A unit's quarterly emulation report, due on the 15th of the quarter's last month."""

    __tablename__ = "quarterly_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | submitted
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    __table_args__ = (UniqueConstraint("unit_id", "year", "quarter", name="uq_quarterly_reports_unit_period"),)


# --- the council's rounds and secret ballots ------------------------------------------------

class OfficerKey(Base):
    """A council officer's (chair, vice-chair) long-term key pair; the secret half sealed under their passphrase.

    A round's private key is sealed to these public keys, so only an officer who types their
    passphrase at close can open it: whoever reads the database (or opens the round) never can.
    """

    __tablename__ = "officer_keys"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class CouncilRound(Base):
    """One council meeting's vote (đợt xét) over several dossiers: draft, open, (tie at a quota's cut-off,) closed."""

    __tablename__ = "council_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    meeting_date: Mapped[date]
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft | open | counting (deadline passed) | tie | closed
    voting_days: Mapped[int] = mapped_column(Integer)  # working days from opening to the voting deadline
    deadline_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]  # members who have not voted are reminded then, once
    reminded_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # the round's Paillier public key, from opening
    members_called: Mapped[int | None] = mapped_column(Integer)
    ballots_cast: Mapped[int] = mapped_column(Integer, default=0)
    box_head: Mapped[str] = mapped_column(String(64), default="0" * 64)  # the ballot box's hash chain head
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_council_rounds_state_deadline", "state", "deadline_at"),)


class RoundSealedKey(Base):
    """The round's private key sealed to one officer's public key (opened only with that officer's passphrase)."""

    __tablename__ = "round_sealed_keys"
    round_id: Mapped[int] = mapped_column(ForeignKey("council_rounds.id", ondelete="CASCADE"), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class RoundMember(Base):
    """A voting member called to a round (snapshot at opening): whether they voted, never how."""

    __tablename__ = "round_members"
    round_id: Mapped[int] = mapped_column(ForeignKey("council_rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    voted: Mapped[bool] = mapped_column(Boolean, default=False)


class RoundDossier(Base):
    """A dossier on a round's agenda; after close, its encrypted total, decrypted count, proof and result."""

    __tablename__ = "round_dossiers"
    round_id: Mapped[int] = mapped_column(ForeignKey("council_rounds.id", ondelete="CASCADE"), primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    encrypted_total: Mapped[bytes | None] = mapped_column(LargeBinary)
    agree: Mapped[int | None] = mapped_column(Integer)
    proof: Mapped[str | None] = mapped_column(Text)  # the total's Paillier randomness, hex: checks the decryption
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_round_dossiers_nomination", "nomination_id"),)


class RoundBallot(Base):
    """One member's encrypted ballot in the round's box; nothing in it or beside it says whose.

    ``seq`` orders the box's hash chain; ``hash`` is the receipt the member was shown.
    """

    __tablename__ = "round_ballots"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random
    round_id: Mapped[int] = mapped_column(ForeignKey("council_rounds.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    ciphertexts: Mapped[dict[str, Any]] = mapped_column(JSON)  # nomination id -> ciphertext, hex
    __table_args__ = (UniqueConstraint("round_id", "seq", name="uq_round_ballots_round_seq"),)


# Their tables belong to Base.metadata.
from workflows.persistence import (  # noqa: E402, F401
    decision_model,
    delegation_model,
    notify_model,
    reference_model,
    registry_model,
    search_model,
)
