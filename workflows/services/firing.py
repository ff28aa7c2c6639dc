"""Firing timers: what the workers' sweep calls.

A sweep takes due nominations in small batches, each batch one unit of work that row-locks its
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

from workflows import engine
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, Timer
from workflows.services.unit_of_work import NominationStep

log = logging.getLogger(__name__)
BATCH = 20  # nominations per transaction


def _due(step: NominationStep, skip: frozenset[int] = frozenset(), only: int | None = None):
    """Nominations with a pending timer past due (and not in ``skip``)."""
    due = select(Timer.nomination_id).where(Timer.state == "pending", Timer.due_at < step.now)
    condition = Nomination.id.in_(due)
    if only is not None:
        condition &= Nomination.id == only
    if skip:
        condition &= Nomination.id.not_in(skip)
    return condition


def _fire(step: NominationStep, nomination_ids: list[int]) -> int:
    fired = 0
    for nomination_id in nomination_ids:
        try:
            with step.session.begin_nested():
                instance = step.instances[nomination_id]
                engine.fire_due_timers(instance.workflow)
                fired += step.write(instance).timers_fired
        except Exception:  # the savepoint is rolled back: this one stays due, the batch goes on
            log.exception("firing the timers of nomination %s failed", nomination_id)
            step.instances.pop(nomination_id, None)
    return fired


def fire_batch(db: Database, limit: int = BATCH, skip: frozenset[int] = frozenset()) -> tuple[int, list[int]]:
    """Lock up to ``limit`` due nominations nobody else holds and fire their timers.

    Returns (timers fired, ids of the nominations taken).
    """
    with NominationStep(db, skip_locked=True) as step:
        taken = [i.nom.id for i in step.lock_where(_due(step, skip), limit)]
        return _fire(step, taken), taken


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
    with NominationStep(db, skip_locked=True) as step:
        taken = [i.nom.id for i in step.lock_where(_due(step, only=nomination_id), 1)]
        return _fire(step, taken)
