"""Firing timers: what the workers' sweep calls."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import clock, deploy, engine
from ..db import Database
from ..model import Nomination, Timer
from .transaction import after_step, load_workflow, route_context


def fire_timers_of(db: Database, nomination_id: int) -> int:
    """Fire every due timer of one nomination in one transaction; returns how many fired.

    Safe to run twice or from several workers at once: the nomination row is locked (workers
    skip one another's rows on PostgreSQL) and a timer leaves "pending" in the same commit as
    the engine state it produced, so a crash or a retry can never fire it twice.
    """
    now = clock.now()
    with db.write() as s, s.no_autoflush:
        nom = s.execute(
            select(Nomination).where(Nomination.id == nomination_id)
            .with_for_update(skip_locked=True, of=Nomination).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if nom is None:
            return 0  # gone, or another worker holds it right now
        due = s.scalar(select(func.count(Timer.id)).where(
            Timer.nomination_id == nom.id, Timer.state == "pending", Timer.due_at < now))
        if not due:
            return 0
        route = deploy.route_for(s, nom.process_model_id)
        context = route_context(s, nom, now)
        workflow, state = load_workflow(s, nom, route, context)
        engine.fire_due_timers(workflow)
        return after_step(s, nom, route, workflow, state, context, None, None, db.settings, timers_fired=True).timers_fired


def due_nominations(db: Database, limit: int = 500) -> list[int]:
    """Nominations with a timer past due, the most overdue first."""
    now = clock.now()
    with db.read() as s:
        return list(s.scalars(
            select(Timer.nomination_id).where(Timer.state == "pending", Timer.due_at < now)
            .group_by(Timer.nomination_id).order_by(func.min(Timer.due_at)).limit(limit)
        ))


def fire_due_timers(db: Database, limit: int = 500) -> int:
    """One sweep: fire what is due, nomination by nomination; returns the number of timers fired."""
    return sum(fire_timers_of(db, nomination_id) for nomination_id in due_nominations(db, limit))
