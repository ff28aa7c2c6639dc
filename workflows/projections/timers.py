"""The timer table: every timer an instance waits on, kept in step with the engine.

Filled in the same transaction as each state change, so the database always knows what is due;
Redis only carries the work of firing. The rows are derived from the engine's waits before and
after the step, so keeping them costs no read: a wait that disappeared is closed (fired, or
cancelled with its task), a new wait is inserted.

A repeating timer (a working-day cycle, :mod:`workflows.engine.cycles`) is one engine wait for as
long as its host waits, so it keeps one row: when a period fires, the engine counts it and arms
the next, and the row moves to that next period in the same commit (``due_at`` the next time,
``created_at`` the start of the period, from which a calendar change recomputes it). A sweep then
no longer finds it due: each period fires once however many workers sweep. The row closes
(``cancelled``) when its host ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflows import engine
from workflows.persistence.batch import WriteBatch
from workflows.persistence.model import Timer

TIMERS = Timer.__table__


@dataclass(frozen=True)
class FiredTimer:
    name: str  # the BPMN event id
    kind: str  # reminder | escalation | window | timer, as the route declares it
    step: str | None
    due_at: datetime


def kind_of(route: engine.Route, event_id: str) -> str:
    timer = route.contract.timers.get(event_id)
    return (timer.kind if timer else None) or "timer"


def sync(batch: WriteBatch, nomination_id: int, route: engine.Route, before: list[engine.PendingTimer], workflow,
         now: datetime) -> list[FiredTimer]:
    """Close the rows of waits that ended, add rows for new waits (into ``batch``); returns the timers that fired.

    Whether a timer fired or was cancelled (its task ended first) is read from the engine itself:
    the library also fires due timers at the end of any engine step, so a user's action can fire
    one just as a sweep does, and either way it is reported once, here.
    """
    after = {t.task_uuid: t for t in engine.pending_timers(workflow, route)}
    ended = [t for t in before if t.task_uuid not in after]
    fired = [t for t in ended if engine.timer_fired(workflow, t.task_uuid)]
    cancelled = [t for t in ended if t not in fired]
    for state, timers in (("fired", fired), ("cancelled", cancelled)):
        for t in timers:
            batch.update(TIMERS, {"task_uuid": t.task_uuid, "state": "pending"}, {"state": state, "closed_at": now})
    periods = []  # repeating timers that fired a period and wait for the next one
    for t in before:
        nxt = after.get(t.task_uuid)
        if nxt is not None and (nxt.fired, nxt.due_at) != (t.fired, t.due_at):
            batch.update(TIMERS, {"task_uuid": t.task_uuid, "state": "pending"},
                         {"due_at": nxt.due_at, "created_at": now} if nxt.fired > t.fired else {"due_at": nxt.due_at})
            periods += [t] * max(nxt.fired - t.fired, 0)
    known = {t.task_uuid for t in before}
    new = [t for uuid, t in after.items() if uuid not in known]
    if new:
        batch.insert(TIMERS, [
            {"nomination_id": nomination_id, "task_uuid": t.task_uuid, "name": t.name, "kind": kind_of(route, t.name),
             "step": t.step, "due_at": t.due_at, "state": "pending", "created_at": now} for t in new])
    return [FiredTimer(t.name, kind_of(route, t.name), t.step, t.due_at) for t in fired + periods]
