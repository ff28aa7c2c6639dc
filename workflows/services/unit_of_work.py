"""The unit of work every nomination command runs in.

A :class:`NominationStep` is one transaction. It holds the actor, locks the nominations it changes
(several in id order, so two commands locking the same set cannot deadlock), and for each keeps an
:class:`Instance`: the route version it is pinned to, the restored workflow, the inbox rows and the
timers it waited on when locked, and its audit stream. A command acts through the engine, records
what happened, and :meth:`NominationStep.write` writes the rest once: the inbox rows, the timer
rows, the end reached and the serialized state. Leaving the ``with`` block commits everything,
or, on any error, nothing.

The hot path is one locking read (nomination, its state and the task row together), one read of
the open inbox rows, the engine, then one batch of writes (:class:`~workflows.persistence.batch.WriteBatch`:
a single statement on PostgreSQL) and one commit: this module is where that batching lives, so
commands stay short and cannot forget a projection. The nomination row, its state, its inbox rows,
timers and audit events go in the batch; rows a command adds through the session (ballot
snapshots, registry rows, notifications) are flushed with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, lazyload

from workflows import engine
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, NotFound
from workflows.engine.contract import Step
from workflows.engine.scripting import RouteContext
from workflows.persistence import audit, calendars, versions
from workflows.persistence.batch import WriteBatch, changed_columns, mark_written, new_rows, row_update
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, InstanceState, Nomination, ProcessModel, TaskItem
from workflows.persistence.scope import load_actor, visible_filter
from workflows.projections import inbox, timers
from workflows.services import endings


@dataclass
class Outcome:
    """What a completed step did, for the caller to report."""

    nomination_id: int
    version: int
    state: str
    next_tasks: list[int] = field(default_factory=list)
    timers_fired: int = 0


@dataclass
class Instance:
    """One locked nomination inside a unit of work."""

    nom: Nomination
    route: engine.Route | None
    context: RouteContext | None
    workflow: Any
    stored: bool  # whether a state row exists (a new nomination's is inserted)
    open_items: list[TaskItem]
    timers_before: list[engine.PendingTimer]
    acted: TaskItem | None = None
    events: list[AuditEvent] = field(default_factory=list)  # appended to the chain, written with the batch
    outcome: Outcome | None = None


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
        rows = self._locked(self._with_state().where(Nomination.id == nomination_id), "Không tìm thấy hồ sơ.")
        return self._load(*rows[0])

    def lock_task(self, item_id: int) -> tuple[Instance, TaskItem]:
        """The nomination a task row belongs to, row-locked, and the row itself (read under the lock)."""
        rows = self._locked(
            self._with_state().join(TaskItem, TaskItem.nomination_id == Nomination.id).where(TaskItem.id == item_id),
            "Không tìm thấy công việc.",
        )
        instance = self._load(*rows[0], item_id=item_id)
        return instance, self.session.get(TaskItem, item_id)  # read with the open rows: no query here

    def lock_many(self, nomination_ids: Iterable[int]) -> list[Instance]:
        """Several nominations locked in id order (every command that locks many takes them in this order)."""
        ids = sorted(set(nomination_ids) - set(self.instances))
        return self.lock_where(Nomination.id.in_(ids)) if ids else []

    def lock_where(self, condition, limit: int | None = None) -> list[Instance]:
        """The nominations matching ``condition``, locked in id order, at most ``limit``.

        With ``skip_locked`` the limit counts only rows nobody else holds, so concurrent sweeps take
        different nominations instead of each giving up on the first one's batch.
        """
        query = self._with_state().where(condition).order_by(Nomination.id)
        if limit is not None:
            query = query.limit(limit)
        return [self._load(*row) for row in self._locked(query, "")]

    @staticmethod
    def _with_state():
        """A nomination with its state and its version's hash (which names the parsed route), in one read."""
        return (select(Nomination, InstanceState.state, ProcessModel.sha256, calendars.revision_column()).join(InstanceState)
                .join(ProcessModel, ProcessModel.id == Nomination.process_model_id)
                .options(lazyload(Nomination.unit)))  # only a fired timer's message needs the unit's name

    def _load(self, nom: Nomination, state: str, sha256: str, calendar_revision: int | None,
              item_id: int | None = None) -> Instance:
        """Restore the workflow and read the open inbox rows (and the row being acted on, whatever its state)."""
        self.calendar_revision = calendar_revision
        route = versions.route_for(self.session, nom.process_model_id, sha256)
        context = self.route_context(nom, route)
        workflow = engine.loads(route, state, context.script_engine())
        wanted = TaskItem.state == "ready"
        if item_id is not None:
            wanted |= TaskItem.id == item_id
        rows = list(self.session.scalars(select(TaskItem).where(TaskItem.nomination_id == nom.id, wanted)))
        open_items = [i for i in rows if i.state == "ready"]
        instance = Instance(nom, route, context, workflow, True, open_items, engine.pending_timers(workflow, route))
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
        """Deadlines for this nomination's award form, from its version's rules, on today's calendar."""
        days = route.rules.step_days(nom.award_form)
        return RouteContext(self.now, lambda: calendars.load(self.session, self.calendar_revision), days.get)

    # --- acting -------------------------------------------------------------------------------

    def run(self, instance: Instance, task, data: dict[str, Any], acted: TaskItem | None = None) -> None:
        engine.run_task(instance.workflow, task, data)
        instance.acted = acted

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
        loaded = list({id(i): i for i in [*instance.open_items, *([instance.acted] if instance.acted else [])]}.values())
        open_items = inbox.sync(nom, instance.route, instance.workflow, instance.context, instance.open_items,
                                acted=instance.acted, actor=self.actor)
        nom.current_step = open_items[0].name if open_items else None
        fired = timers.sync(batch, nom.id, instance.route, instance.timers_before, instance.workflow, now)
        for timer in fired:
            endings.react_to_timer(self, instance, timer, open_items)
        end = engine.outcome(instance.workflow)
        if end is not None:
            endings.finish(self, instance, end)
        state = {"state": engine.dumps(instance.workflow), "serializer_version": engine.SERIALIZER_VERSION}
        states = InstanceState.__table__
        if instance.stored:
            batch.add(update(states).where(states.c.nomination_id == nom.id).values(state))
        else:
            batch.add(insert(states).values(nomination_id=nom.id, **state))
            instance.stored = True
        for item in loaded:
            if changes := changed_columns(item):
                batch.add(row_update(item, changes))
                mark_written(item, changes)
        new_items = [i for i in open_items if i.id is None]
        inserted = batch.insert(*new_rows(new_items), returning=("task_uuid", "id")) if new_items else None
        if instance.events:
            batch.insert(*new_rows(instance.events))
        nom.updated_at = now
        row = changed_columns(nom) | {"version": nom.version + 1}
        version = Nomination.__table__.c.version
        written = batch.add(row_update(nom, row).where(version == nom.version).returning(version))
        mark_written(nom, row)
        self.session.flush()  # rows the command added through the session, before the batch that may refer to them
        rows = batch.run(self.session)
        if not rows[written]:  # the row lock makes this unreachable; the version check stays as the last guard
            raise Conflict("Hồ sơ đã thay đổi, vui lòng tải lại.")
        ids = dict(rows[inserted]) if inserted is not None else {}
        for item in new_items:
            item.id = ids[item.task_uuid]
        instance.outcome = Outcome(nom.id, nom.version, nom.state, [i.id for i in open_items], len(fired))
        return instance.outcome
