"""Audit events, chained per nomination by SHA-256 so any edit or deletion shows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.persistence.model import AuditEvent, Nomination, User

GENESIS = "0" * 64


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
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


def record(
    session: Session,
    nomination: Nomination,
    *,
    at: datetime,
    actor: User | None,
    role: str | None,
    action: str,
    task: str | None = None,
    comment: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event and move the chain's head; the caller holds the nomination's lock."""
    seq, prev_hash = (nomination.audit_seq or 0) + 1, nomination.audit_hash or GENESIS
    event = AuditEvent(
        nomination_id=nomination.id,
        seq=seq,
        at=at,
        actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system",
        role=role,
        task=task,
        action=action,
        comment=comment,
        changes=changes or None,
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = _digest(prev_hash, _fields(event))
    nomination.audit_seq, nomination.audit_hash = seq, event.hash
    session.add(event)
    return event


def verify_chain(events: list[AuditEvent], head: tuple[int, str] | None = None) -> int | None:
    """The ``seq`` of the first event that does not match its hash, or None if intact.

    With ``head`` (the nomination's ``audit_seq``, ``audit_hash``), a chain cut short
    at its end is reported too, at the first missing ``seq``.
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
        select(AuditEvent).where(AuditEvent.nomination_id == nomination_id).order_by(AuditEvent.seq)
    ).all()
    return verify_chain(list(events), (nomination.audit_seq, nomination.audit_hash))
