"""Firing timers: what the workers' sweep calls.

A sweep takes due nominations in small batches, each batch one transaction that row-locks its
nominations with ``SKIP LOCKED`` (PostgreSQL): concurrent sweeps in several workers take
different nominations instead of queueing on the same ones, a killed worker's batch unlocks when
its connection drops, and a timer leaves "pending" in the same commit as the engine state it
produced — so a timer fires exactly once however many workers race, crash or retry. A savepoint
per nomination keeps one faulty instance from holding back the rest of its batch.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock
from workflows.persistence import versions
from workflows.persistence.db import Database, Settings
from workflows.persistence.model import Nomination, Timer
from workflows.services.transaction import after_step, load_workflow, route_context

log = logging.getLogger(__name__)
BATCH = 20  # nominations per transaction


def _fire_locked(s: Session, nom: Nomination, settings: Settings) -> int:
    route = versions.route_for(s, nom.process_model_id)
    context = route_context(s, nom, clock.now())
    workflow, state = load_workflow(s, nom, route, context)
    engine.fire_due_timers(workflow)
    return after_step(s, nom, route, workflow, state, context, None, None, settings).timers_fired


def _due(now):
    return select(Timer.nomination_id).where(Timer.state == "pending", Timer.due_at < now)


def fire_batch(db: Database, limit: int = BATCH, skip: frozenset[int] = frozenset()) -> tuple[int, list[int]]:
    """Lock up to ``limit`` due nominations nobody else holds and fire their timers.

    Returns (timers fired, ids of the nominations taken).
    """
    now = clock.now()
    with db.write() as s, s.no_autoflush:
        query = select(Nomination).where(Nomination.id.in_(_due(now)))
        if skip:
            query = query.where(Nomination.id.not_in(skip))
        batch = s.scalars(
            query.order_by(Nomination.id).limit(limit)
            .with_for_update(skip_locked=True, of=Nomination).execution_options(populate_existing=True)
        ).all()
        fired = 0
        for nom in batch:
            try:
                with s.begin_nested():
                    fired += _fire_locked(s, nom, db.settings)
            except Exception:  # the savepoint is rolled back: this one stays due, the batch goes on
                log.exception("firing the timers of nomination %s failed", nom.id)
        return fired, [nom.id for nom in batch]


def fire_due_timers(db: Database, limit: int = 5000, seconds: float = 60.0) -> int:
    """One sweep: batches until nothing due is left unlocked (or ``limit``/``seconds`` is reached)."""
    started, fired, seen = time.monotonic(), 0, set()
    while len(seen) < limit and time.monotonic() - started < seconds:
        count, taken = fire_batch(db, min(BATCH, limit - len(seen)), frozenset(seen))
        if not taken:
            break
        fired += count
        seen.update(taken)  # a nomination whose timer the engine would not fire is not retried in this sweep
    return fired


def fire_timers_of(db: Database, nomination_id: int) -> int:
    """Fire the due timers of one nomination (what a job enqueued for its exact time runs)."""
    now = clock.now()
    with db.write() as s, s.no_autoflush:
        nom = s.scalar(
            select(Nomination).where(Nomination.id == nomination_id, Nomination.id.in_(_due(now)))
            .with_for_update(skip_locked=True, of=Nomination).execution_options(populate_existing=True)
        )
        return _fire_locked(s, nom, db.settings) if nom is not None else 0

