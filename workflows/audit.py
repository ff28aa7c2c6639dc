"""Audit events, chained per nomination by SHA-256 so any edit or deletion shows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .model import AuditEvent, User

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
    nomination_id: int,
    *,
    at: datetime,
    actor: User | None,
    role: str | None,
    action: str,
    task: str | None = None,
    comment: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; the caller holds the nomination's lock, so ``seq`` is safe."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.nomination_id == nomination_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = AuditEvent(
        nomination_id=nomination_id,
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
    session.add(event)
    return event


def verify_chain(events: list[AuditEvent]) -> int | None:
    """The ``seq`` of the first event that does not match its hash, or None if intact."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(prev, _fields(event)) != event.hash:
            return event.seq
        prev = event.hash
    return None
