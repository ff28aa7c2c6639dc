"""A calendar change moves the deadlines already given, in the inbox, the timer table and the engine.

A deadline is computed once, when its step starts (``deadline_at``/``reminder_at`` in the route), and
then kept in three places: ``task_items.due_at`` (what people see), the ``timers`` row (what the
sweep looks for) and the timer task's ``event_value`` inside the serialized workflow (what the
engine compares with the clock). A day that becomes a holiday after a step started must move all
three, or the inbox, the sweep and the engine disagree about when the step is late.

Each deadline is recomputed as it was first computed: from the moment the step started (the row's
``created_at``, which is the transaction time the route context had), with the step's working days
for the nomination's award form under the rule set of its date then (its submission if it had been
submitted by that moment, else that moment), on the calendar as it is now. Only nominations with a deadline that
actually moves are locked (in id order) and loaded; each gets its own savepoint, so one instance
that cannot be restored keeps its old dates (and is reported) without holding back the others.

Nothing here runs the engine: a timer moved into the past fires at the next sweep, with the
notifications a sweep sends, instead of as a side effect of an admin's calendar edit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.calendar import WorkingCalendar
from workflows.domain.clock import VN_TZ
from workflows.engine.scripting import RouteContext
from workflows.persistence import audit, calendars, versions
from workflows.persistence.db import Database
from workflows.persistence.model import InstanceState, Nomination, TaskItem, Timer
from workflows.projections.timers import kind_of

log = logging.getLogger(__name__)


@dataclass
class Recomputed:
    """What a recomputation moved."""

    nominations: list[int] = field(default_factory=list)  # whose deadlines moved
    tasks: int = 0  # inbox rows given a new due time
    timers: int = 0  # timers given a new due time (table and engine)
    failed: list[int] = field(default_factory=list)  # nominations left on their old dates (see the log)


class _Deadlines:
    """The deadlines of one transaction's calendar, as each nomination's version would compute them at a start."""

    def __init__(self, session: Session, calendar: WorkingCalendar) -> None:
        self.session = session
        self.calendar = calendar
        self._routes: dict[int, engine.Route] = {}

    def route(self, process_model_id: int) -> engine.Route:
        if process_model_id not in self._routes:
            self._routes[process_model_id] = versions.route_for(self.session, process_model_id)
        return self._routes[process_model_id]

    def days_for(self, process_model_id: int, award_form: str, on: datetime) -> Callable[[str], int | None]:
        return self.route(process_model_id).rules.step_days(award_form, on).get

    def context(self, nom: Nomination | Row, started: datetime) -> RouteContext:
        """``nom`` is a nomination, or a row with its ``process_model_id``, ``award_form``, ``nominated_at``
        (its ``created_at``) and ``submitted_at``."""
        rules = self.route(nom.process_model_id).rules
        created = nom.created_at if isinstance(nom, Nomination) else nom.nominated_at
        on = rules.date_for(created, nom.submitted_at, started)
        return RouteContext(started, self.calendar, self.days_for(nom.process_model_id, nom.award_form, on))


def recompute_deadlines(session: Session, actor: Actor | None, now: datetime) -> Recomputed:
    """Move every running deadline the current calendar puts elsewhere; call it after changing the calendar.

    Runs in the caller's transaction, so a calendar change and the deadlines it moves commit
    together. Idempotent: a second call finds nothing to move.

    On PostgreSQL a user's step whose transaction read the calendar before this one committed still
    writes deadlines on the old calendar: :func:`after_change` waits for those steps and runs this again.
    """
    session.flush()
    calendars.forget(session)  # the calendar this session cached predates the change
    deadlines = _Deadlines(session, calendars.load(session))
    result = Recomputed()
    affected = _affected(session, deadlines)
    if not affected:
        return result
    noms = session.scalars(
        select(Nomination).where(Nomination.id.in_(affected)).order_by(Nomination.id)
        .with_for_update(of=Nomination).execution_options(populate_existing=True)
    ).all()
    for nom in noms:
        try:
            with session.begin_nested():
                tasks, timers = _recompute_locked(session, nom, deadlines, actor, now)
        except Exception:  # the savepoint is rolled back: this one keeps its dates, the others move
            log.exception("recomputing the deadlines of nomination %s failed", nom.id)
            result.failed.append(nom.id)
            continue
        if tasks or timers:
            result.nominations.append(nom.id)
            result.tasks += tasks
            result.timers += timers
    return result


def recompute(db: Database, actor: Actor | None = None) -> Recomputed:
    """One transaction of :func:`recompute_deadlines`: after a release changes the shipped announcements
    or the ``holidays`` package, and after every calendar change (see :func:`after_change`)."""
    with db.write() as s:
        return recompute_deadlines(s, actor, clock.now())


def after_change(db: Database, actor: Actor | None, first: Recomputed) -> Recomputed:
    """After a committed calendar change: wait until no step that may have read the old calendar is still
    running, then move what those steps wrote (:func:`~workflows.persistence.calendars.wait_for_readers`)."""
    calendars.wait_for_readers(db)
    late = recompute(db, actor)
    return Recomputed(sorted(set(first.nominations) | set(late.nominations)), first.tasks + late.tasks,
                      first.timers + late.timers, sorted(set(first.failed) | set(late.failed)))


_DOSSIER = (Nomination.award_form, Nomination.process_model_id, Nomination.created_at.label("nominated_at"),
            Nomination.submitted_at)


def _affected(session: Session, deadlines: _Deadlines) -> list[int]:
    """Nominations with an open task or a pending timer whose deadline moves (read from the rows alone)."""
    affected: set[int] = set()
    items = session.execute(
        select(TaskItem.nomination_id, TaskItem.name, TaskItem.created_at, TaskItem.due_at, *_DOSSIER)
        .join(Nomination, Nomination.id == TaskItem.nomination_id).where(TaskItem.state == "ready")
    )
    for row in items:
        if row.nomination_id not in affected and deadlines.context(row, row.created_at).due(row.name) != row.due_at:
            affected.add(row.nomination_id)
    timers = session.execute(
        select(Timer.nomination_id, Timer.name, Timer.created_at, Timer.due_at, *_DOSSIER)
        .join(Nomination, Nomination.id == Timer.nomination_id).where(Timer.state == "pending")
    )
    for row in timers:
        if row.nomination_id in affected:
            continue
        declared = deadlines.route(row.process_model_id).contract.timers.get(row.name)
        if declared is None or not declared.absolute:
            continue  # a duration or cycle: no calendar in it
        try:
            moved = engine.timer_due(deadlines.context(row, row.created_at).evaluate(declared.expression)) != row.due_at
        except Exception:  # the expression reads task data: only the engine can tell, under the lock
            moved = True
        if moved:
            affected.add(row.nomination_id)
    return sorted(affected)


def _recompute_locked(session: Session, nom: Nomination, deadlines: _Deadlines, actor: Actor | None,
                      now: datetime) -> tuple[int, int]:
    """New due times for one locked nomination's open tasks and pending timers; returns how many moved."""
    moves: dict[str, dict[str, list[str | None]]] = {}  # step -> audit changes
    items = session.scalars(
        select(TaskItem).where(TaskItem.nomination_id == nom.id, TaskItem.state == "ready").order_by(TaskItem.id)
    ).all()
    tasks = 0
    for item in items:
        due = deadlines.context(nom, item.created_at).due(item.name)
        if due != item.due_at:
            moves.setdefault(item.name, {})["due_at"] = [_iso(item.due_at), _iso(due)]
            item.due_at = due
            tasks += 1
    rows = session.scalars(
        select(Timer).where(Timer.nomination_id == nom.id, Timer.state == "pending").order_by(Timer.id)
    ).all()
    timers = 0
    if rows:
        route = deadlines.route(nom.process_model_id)
        state = session.get(InstanceState, nom.id)
        workflow = engine.loads(route, state.state, deadlines.context(nom, now).script_engine())
        for row in rows:
            # The engine evaluates the timer's own expression with the task's data, as the library did.
            script_engine = deadlines.context(nom, row.created_at).script_engine()
            change = engine.reevaluate_timer(workflow, row.task_uuid, script_engine)
            if change is None or change[0] == change[1]:
                continue
            due = engine.timer_due(change[1])
            if due != row.due_at:
                key = "reminder_at" if kind_of(route, row.name) == "reminder" else "due_at"
                moves.setdefault(row.step or row.name, {}).setdefault(key, [_iso(row.due_at), _iso(due)])
                row.due_at = due
            timers += 1
        if timers:
            state.state = engine.dumps(workflow)
            nom.updated_at = now
    for step, changes in moves.items():
        audit.record(session, nom, at=now, actor=actor, role="admin" if actor else None, task=step,
                     action="deadline_moved", changes=changes)
    session.flush()
    return tasks, timers


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(VN_TZ).isoformat() if value else None
