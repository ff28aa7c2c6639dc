"""The timer table: every timer an instance waits on, kept in step with the engine.

Filled in the same transaction as each state change, so the database always knows what is due;
Redis only carries the work of firing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.persistence.model import Nomination, Timer

KINDS = ("reminder", "escalation", "window")


def kind_of(event_id: str) -> str:
    """The route names its timers ``<step>_reminder``, ``<step>_escalation``, ``<step>_window``."""
    return next((kind for kind in KINDS if event_id.endswith(f"_{kind}")), "timer")


def sync(session: Session, nomination: Nomination, route: engine.Route, workflow, now: datetime) -> list[Timer]:
    """Close rows the engine no longer waits on, add rows for new waits; returns the rows just fired.

    Whether a timer fired or was cancelled (its task ended first) is read from the engine itself:
    the library also fires due timers at the end of any engine step, so a user's action can fire
    one just as a sweep does, and either way it is reported once, here.
    """
    waiting = {t.task_uuid: t for t in engine.pending_timers(workflow, route)}
    rows = session.scalars(
        select(Timer).where(Timer.nomination_id == nomination.id, Timer.state == "pending")
    ).all()
    just_fired = []
    for row in rows:
        if row.task_uuid in waiting:
            continue
        row.state = "fired" if engine.timer_fired(workflow, row.task_uuid) else "cancelled"
        row.closed_at = now
        if row.state == "fired":
            just_fired.append(row)
    known = {row.task_uuid for row in rows}
    for uuid, pending in waiting.items():
        if uuid not in known:
            session.add(Timer(nomination_id=nomination.id, task_uuid=uuid, name=pending.name,
                              kind=kind_of(pending.name), step=pending.step, due_at=pending.due_at,
                              state="pending", created_at=now))
    return just_fired
