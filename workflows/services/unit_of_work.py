"""The unit of work every nomination command runs in.

A :class:`NominationStep` is one transaction. It holds the actor, locks the nominations it changes
(several in id order, so two commands locking the same set cannot deadlock), and for each keeps an
:class:`Instance`: the route version it is pinned to, the restored workflow, the inbox rows and the
timers it waited on when locked, and its audit stream. A command acts through the engine, records
what happened, and :meth:`NominationStep.write` writes the rest once: the inbox rows, the timer
rows, the end reached and the serialized state. Leaving the ``with`` block commits everything,
or, on any error, nothing.

The hot path is one locking read (the nomination and its state, by the task row or its id), a
read of the task row acted on (after the lock), the engine, then one batch of writes
(:class:`~workflows.persistence.batch.WriteBatch`: a single statement on PostgreSQL) and one
commit: this module is where that batching lives, so commands stay short and cannot forget a
projection. The nomination row, its state, its inbox rows, timers and audit events go in the
batch (which inbox rows and timers to close is derived from the engine's ready tasks and waits
before and after the step, not read); rows a command adds through the session (registry rows,
notifications) are flushed with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from workflows import caches, engine
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, NotFound
from workflows.engine.contract import Step
from workflows.engine.scripting import RouteContext
from workflows.persistence import audit, calendars, versions
from workflows.persistence.batch import WriteBatch, changed_columns, mark_written, new_rows, primary_key
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, InstanceState, Nomination, Notification, OutboxMessage, ProcessModel, TaskItem
from workflows.persistence.scope import load_actor, visible_clause, visible_filter, visible_params, visible_shape
from workflows.projections import inbox, timers
from workflows.services import alerts, endings

NOMINATIONS, STATES, TASK_ITEMS = Nomination.__table__, InstanceState.__table__, TaskItem.__table__
NOTIFICATIONS, OUTBOX = Notification.__table__, OutboxMessage.__table__


@dataclass
class Outcome:
    """What a completed step did, for the caller to report."""

    nomination_id: int
    version: int
    state: str
    next_tasks: list[int] = field(default_factory=list)  # the inbox rows this step opened
    timers_fired: int = 0


@dataclass
class Instance:
    """One locked nomination inside a unit of work."""

    nom: Nomination
    route: engine.Route | None
    context: RouteContext | None
    workflow: Any
    stored: bool  # whether a state row exists (a new nomination's is inserted)
    ready_before: list[str]  # the ready user tasks when locked (each has a ready inbox row)
    timers_before: list[engine.PendingTimer]
    acted: TaskItem | None = None
    delivered: dict[str, Any] | None = None  # message name -> payload a service delivered in this step
    events: list[AuditEvent] = field(default_factory=list)  # appended to the chain, written with the batch
    outcome: Outcome | None = None
    issued: endings.Issued | None = None  # the registered decision an award at this step's end comes from
    told_what_next: set[int] = field(default_factory=set)  # users a fired timer's message told of the work it opens

    def rules_on(self, now: datetime) -> datetime:
        """The moment whose rule set this dossier follows: its submission; before it, ``now``
        (versions without DMN: its creation, as they always had it)."""
        return self.route.rules.date_for(self.nom.created_at, self.nom.submitted_at, now)


@dataclass(frozen=True)
class Acting:
    """A user's task being completed: its instance, inbox row, engine task and declared step."""

    instance: Instance
    item: TaskItem
    task: Any
    step: Step


class NominationStep:
    """``with NominationStep(db, actor) as step:`` lock, act, record, write; commit on leaving."""

    def __init__(self, db: Database, actor: Actor | int | None = None, *, skip_locked: bool = False) -> None:
        self.db = db
        self._actor_arg = actor
        self.skip_locked = skip_locked
        self.actor: Actor | None = None
        self.session: Session
        self.now: datetime
        self.instances: dict[int, Instance] = {}
        self.calendar_revision: int | None = None  # as the locking read saw it; None: read the calendar

    # --- the transaction ----------------------------------------------------------------------

    def __enter__(self) -> NominationStep:
        self._transaction = self.db.write()
        self.session = self._transaction.__enter__()
        # Every row is written once, at the end, instead of at each intermediate query.
        self.session.autoflush = False
        try:
            self.now = clock.now()
            actor = self._actor_arg
            self.actor = load_actor(self.session, actor) if isinstance(actor, int) else actor
        except BaseException as exc:
            self._transaction.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool | None:
        if exc_type is None:
            try:
                for instance in self.instances.values():
                    self.write(instance)
                self.session.flush()
            except BaseException as error:
                return self._transaction.__exit__(type(error), error, error.__traceback__)
        return self._transaction.__exit__(exc_type, exc, tb)

    # --- locking ------------------------------------------------------------------------------

    def _locked(self, query, not_found: str, of=(Nomination, InstanceState)):
        """Run a locking query scoped to the actor (out of scope answers 404 like an unknown id).

        Every row it returns is locked: on PostgreSQL a row read by the same statement without a
        lock would come from the snapshot taken before waiting for the lock (a competitor's state,
        lost). Nominations are always locked first, so lockers of the same rows cannot deadlock.
        """
        if self.actor is not None:
            query = query.where(visible_filter(self.actor))
        query = query.with_for_update(of=list(of), skip_locked=self.skip_locked)
        rows = self.session.execute(query).all()
        if not rows and not_found:
            raise NotFound(not_found)
        return rows

    def _locked_one(self, by: str, key: int, not_found: str):
        """The nomination by id (``by="nomination"``) or by one of its task rows (``by="task"``), locked.

        The hot path's locking read: a statement built once per kind of actor, values bound.
        """
        scope = visible_shape(self.actor) if self.actor is not None else None
        params = {"key": key, **(visible_params(self.actor) if self.actor is not None else {})}
        rows = self.session.execute(_locking_read(by, scope, self.skip_locked), params).all()
        if not rows:
            raise NotFound(not_found)
        return rows[0]

    def lock(self, nomination_id: int, *, workflow: bool = True) -> Instance:
        """The nomination, row-locked, with its workflow restored (``workflow=False``: the row only, for
        changes that leave the route where it is, such as an attachment)."""
        if nomination_id in self.instances:
            return self.instances[nomination_id]
        if not workflow:
            nom = self._locked(select(Nomination).where(Nomination.id == nomination_id), "Không tìm thấy hồ sơ.",
                               of=(Nomination,))[0][0]
            instance = self.instances[nom.id] = Instance(nom, None, None, None, True, [], [])
            return instance
        return self._load(*self._locked_one("nomination", nomination_id, "Không tìm thấy hồ sơ."))

    def lock_task(self, item_id: int) -> tuple[Instance, TaskItem]:
        """The nomination a task row belongs to, row-locked, and the row itself (read under the lock)."""
        instance = self._load(*self._locked_one("task", item_id, "Không tìm thấy công việc."))
        # Read after the lock, not with it: an unlocked row of the locking read would be the one before the wait.
        return instance, self.session.get(TaskItem, item_id)

    def lock_many(self, nomination_ids: Iterable[int]) -> list[Instance]:
        """Several nominations locked in id order (every command that locks many takes them in this order)."""
        ids = sorted(set(nomination_ids) - set(self.instances))
        return self.lock_where(Nomination.id.in_(ids)) if ids else []

    def lock_where(self, condition, limit: int | None = None) -> list[Instance]:
        """The nominations matching ``condition``, locked in id order, at most ``limit``.

        With ``skip_locked`` the limit counts only rows nobody else holds, so concurrent sweeps take
        different nominations instead of each giving up on the first one's batch.
        """
        query = _with_state().where(condition).order_by(Nomination.id)
        if limit is not None:
            query = query.limit(limit)
        return [self._load(*row) for row in self._locked(query, "")]

    def _load(self, nom: Nomination, state: str, sha256: str, calendar_revision: int | None) -> Instance:
        """Restore the workflow; what is open is read from it, not from the inbox rows."""
        self.calendar_revision = calendar_revision
        route = versions.route_for(self.session, nom.process_model_id, sha256)
        context = self.route_context(nom, route)
        workflow = engine.loads(route, state, context.script_engine())
        instance = Instance(nom, route, context, workflow, True, inbox.ready_tasks(workflow),
                            engine.pending_timers(workflow, route))
        self.instances[nom.id] = instance
        return instance

    def start(self, nom: Nomination, route: engine.Route, data: dict[str, Any]) -> Instance:
        """A new nomination's instance: the row is inserted (it needs an id) and the route started."""
        self.session.add(nom)
        self.session.flush()
        context = self.route_context(nom, route)
        workflow = engine.start(route, data, context.script_engine())
        instance = Instance(nom, route, context, workflow, False, [], [])
        self.instances[nom.id] = instance
        return instance

    def route_context(self, nom: Nomination, route: engine.Route) -> RouteContext:
        """Deadlines for this nomination's award form, from its version's rules on the dossier's date, on today's
        calendar. Read when a step starts, so a submission or a changed award form in this step already counts."""
        rules, now = route.rules, self.now

        def days_for(step: str) -> int | None:
            on = rules.date_for(nom.created_at, nom.submitted_at, now)
            return rules.step_days(nom.award_form, on).get(step)

        return RouteContext(now, lambda: calendars.load(self.session, self.calendar_revision), days_for)

    # --- acting -------------------------------------------------------------------------------

    def run(self, instance: Instance, task, data: dict[str, Any], acted: TaskItem | None = None) -> None:
        engine.run_task(instance.workflow, task, data)
        instance.acted = acted

    def deliver(self, instance: Instance, wait_id: str, payload: dict[str, Any]) -> None:
        """Deliver the message a wait catches (the caller checked it waits there) and run what follows."""
        wait = instance.route.contract.waits[wait_id]
        engine.deliver(instance.workflow, wait_id, payload)
        instance.delivered = {**(instance.delivered or {}), wait.message: payload}

    def record(self, instance: Instance, action: str, *, actor: Actor | bool | None = True, **fields: Any) -> None:
        """Append to the nomination's audit chain; ``actor=None`` records the system, the default the actor."""
        if instance.outcome is not None:
            raise RuntimeError("the step's rows are already written: record before write()")
        who = self.actor if actor is True else actor or None
        instance.events.append(audit.append(instance.nom, at=self.now, actor=who, action=action,
                                            role=fields.pop("role", None), **fields))

    # --- writing ------------------------------------------------------------------------------

    def write(self, instance: Instance) -> Outcome:
        """Write what the engine's move changed, once: inbox rows, timers and their reactions, the end, the state."""
        if instance.outcome is not None:
            return instance.outcome
        nom, now = instance.nom, self.now
        if instance.workflow is None:  # locked without its route: only the row changed
            nom.updated_at = now
            self.session.add_all(instance.events)
            self.session.flush()
            instance.outcome = Outcome(nom.id, nom.version, nom.state)
            return instance.outcome
        batch = WriteBatch()
        change = inbox.sync(batch, nom, instance.route, instance.workflow, instance.context, instance.ready_before,
                            acted=instance.acted, actor=self.actor)
        nom.current_step = change.current_step
        fired = timers.sync(batch, nom.id, instance.route, instance.timers_before, instance.workflow, now)
        if fired:  # a rare path (sweeps, mostly): the reactions need the open rows themselves
            still_open = list(self.session.scalars(select(TaskItem).where(TaskItem.task_uuid.in_(change.still_open))))
            open_items = [*still_open, *change.opened]
            for timer in fired:
                endings.react_to_timer(self, instance, timer, open_items)
            for item in still_open:
                if changes := changed_columns(item):
                    batch.update(TASK_ITEMS, primary_key(item), changes)
                    mark_written(item, changes)
        end = engine.outcome(instance.workflow)
        if end is not None:
            endings.finish(self, instance, end)
        elif wait := engine.waiting_at(instance.workflow, instance.route.contract.waits.keys()):
            endings.waiting(self, instance, wait)
        notes, mails = alerts.for_step(self, instance, change.opened, end)
        state = {"state": engine.dumps(instance.workflow), "serializer_version": engine.SERIALIZER_VERSION}
        if instance.stored:
            batch.update(STATES, {"nomination_id": nom.id}, state)
        else:
            batch.insert(STATES, [{"nomination_id": nom.id, **state}])
            instance.stored = True
        new_items = change.opened
        inserted = batch.insert(*new_rows(new_items), returning=("task_uuid", "id")) if new_items else None
        if instance.events:
            batch.insert(*new_rows(instance.events))
        if notes:
            batch.insert(NOTIFICATIONS, notes)
        if mails:
            batch.insert(OUTBOX, mails)
        nom.updated_at = now
        row = changed_columns(nom) | {"version": nom.version + 1}
        written = batch.update(NOMINATIONS, {"id": nom.id, "version": nom.version}, row, returning=("version",))
        mark_written(nom, row)
        # The batch writes the row: the session must not flush it again, nor spend a flush finding it unchanged.
        self.session.expunge(nom)
        self.session.flush()  # rows the command added through the session, before the batch that may refer to them
        rows = batch.run(self.session)
        if not rows[written]:  # the row lock makes this unreachable; the version check stays as the last guard
            raise Conflict("Hồ sơ đã thay đổi, vui lòng tải lại.")
        ids = dict(rows[inserted]) if inserted is not None else {}
        for item in new_items:
            item.id = ids[item.task_uuid]
        instance.outcome = Outcome(nom.id, nom.version, nom.state, [i.id for i in new_items], len(fired))
        return instance.outcome


def _with_state():
    """A nomination with its state and its version's hash (which names the parsed route), in one read."""
    return (select(Nomination, InstanceState.state, ProcessModel.sha256, calendars.revision_column()).join(InstanceState)
            .join(ProcessModel, ProcessModel.id == Nomination.process_model_id)
            .options(lazyload(Nomination.unit)))  # only a fired timer's message needs the unit's name


@lru_cache(maxsize=64)
def _locking_read(by: str, scope: tuple[bool, int] | None, skip_locked: bool):
    """The locking read of one nomination, as a statement built once: building one costs more than running it."""
    query = _with_state()
    if by == "task":
        query = query.join(TaskItem, TaskItem.nomination_id == Nomination.id).where(TaskItem.id == bindparam("key"))
    else:
        query = query.where(Nomination.id == bindparam("key"))
    if scope is not None:
        query = query.where(visible_clause(scope))
    return query.with_for_update(of=[Nomination, InstanceState], skip_locked=skip_locked)


@caches.register
def _clear_statements() -> None:
    _locking_read.cache_clear()
