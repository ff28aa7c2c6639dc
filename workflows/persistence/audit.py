"""Audit events, chained per subject by SHA-256 so any edit or deletion shows.

A subject is a nomination (its chain's head is kept on the nomination row, which every command on
it already locks) or anything else an admin or a user changes: the route, the rules, the calendar,
a user, a unit, a quarterly report, notifications (their heads live in ``audit_heads``, locked for
each append). Each event records who acted and, under delegation, on whose behalf. ``encoding``
versions the hashed form so the chain's format can grow without breaking old links.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows.domain.actor import Actor
from workflows.persistence.model import AuditEvent, AuditHead, Nomination

GENESIS = "0" * 64
ENCODING = 2


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    """What the hash covers, in the event's own encoding (1: nomination events before subjects existed)."""
    fields = {
        "nomination_id": event.nomination_id,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "role": event.role,
        "task": event.task,
        "action": event.action,
        "comment": event.comment,
        "changes": event.changes,
    }
    if event.encoding >= 2:
        fields |= {"encoding": event.encoding, "subject_type": event.subject_type, "subject_id": event.subject_id,
                   "on_behalf_of_id": event.on_behalf_of_id, "on_behalf_of": event.on_behalf_of}
    return fields


def _event(subject_type: str, subject_id: str, seq: int, prev_hash: str, *, at: datetime, actor: Actor | None,
           action: str, nomination_id: int | None = None, role: str | None = None, task: str | None = None,
           comment: str | None = None, changes: dict[str, Any] | None = None) -> AuditEvent:
    behalf = actor.on_behalf_of if actor else None
    event = AuditEvent(
        subject_type=subject_type, subject_id=subject_id, nomination_id=nomination_id, seq=seq, at=at,
        actor_id=actor.id if actor else None, actor=actor.username if actor else "system",
        on_behalf_of_id=behalf.id if behalf else None, on_behalf_of=behalf.username if behalf else None,
        role=role, task=task, action=action, comment=comment, changes=changes or None,
        encoding=ENCODING, prev_hash=prev_hash, hash="",
    )
    event.hash = _digest(prev_hash, _fields(event))
    return event


def append(nomination: Nomination, *, at: datetime, actor: Actor | None, role: str | None, action: str,
           task: str | None = None, comment: str | None = None, changes: dict[str, Any] | None = None) -> AuditEvent:
    """The next event of a nomination's chain, its head moved to it; the caller holds the lock and writes the event."""
    seq, prev_hash = (nomination.audit_seq or 0) + 1, nomination.audit_hash or GENESIS
    event = _event("nomination", str(nomination.id), seq, prev_hash, at=at, actor=actor, action=action,
                   nomination_id=nomination.id, role=role, task=task, comment=comment, changes=changes)
    nomination.audit_seq, nomination.audit_hash = seq, event.hash
    return event


def record(session: Session, nomination: Nomination, *, at: datetime, actor: Actor | None, role: str | None,
           action: str, task: str | None = None, comment: str | None = None,
           changes: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to a nomination's chain through the session; the caller holds the nomination's lock."""
    event = append(nomination, at=at, actor=actor, role=role, action=action, task=task, comment=comment, changes=changes)
    session.add(event)
    return event


def record_subject(session: Session, subject_type: str, subject_id: str | int, *, at: datetime, actor: Actor | None,
                   action: str, comment: str | None = None, changes: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to a non-nomination subject's chain, its head row locked for the append."""
    key = str(subject_id)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(AuditHead).values(subject_type=subject_type, subject_id=key, seq=0, hash=GENESIS)
                    .on_conflict_do_nothing())
    head = session.execute(
        select(AuditHead).where(AuditHead.subject_type == subject_type, AuditHead.subject_id == key)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    event = _event(subject_type, key, head.seq + 1, head.hash, at=at, actor=actor, action=action,
                   comment=comment, changes=changes)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def verify_chain(events: list[AuditEvent], head: tuple[int, str] | None = None) -> int | None:
    """The ``seq`` of the first event that does not match its hash, or None if intact.

    With ``head`` (the subject's recorded newest seq and hash), a chain cut short at its end is
    reported too, at the first missing ``seq``.
    """
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(prev, _fields(event)) != event.hash:
            return event.seq
        prev = event.hash
    if head is not None and (len(events), prev) != tuple(head):
        return len(events) + 1
    return None


def verify_nomination(session: Session, nomination_id: int) -> int | None:
    """Check one nomination's whole chain against its recorded head."""
    nomination = session.get(Nomination, nomination_id)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "nomination", AuditEvent.subject_id == str(nomination_id))
        .order_by(AuditEvent.seq)
    ).all()
    return verify_chain(list(events), (nomination.audit_seq, nomination.audit_hash))


def verify_subject(session: Session, subject_type: str, subject_id: str | int) -> int | None:
    head = session.get(AuditHead, (subject_type, str(subject_id)))
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
        .order_by(AuditEvent.seq)
    ).all()
    return verify_chain(list(events), (head.seq, head.hash) if head else (0, GENESIS))
