"""The shape every state change shares: load under lock, run the engine, write everything it changed.

A command loads the actor and locks the nomination, builds the route context (deadlines on today's
calendar), restores the workflow, acts, and ends with :func:`after_step`, which writes the inbox
rows, the timer rows, the end reached and the state in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from workflows import engine
from workflows.domain import clock
from workflows.domain.errors import Forbidden, NotFound
from workflows.engine.scripting import RouteContext
from workflows.persistence import audit, calendars, numbering
from workflows.persistence.db import Settings
from workflows.persistence.model import AwardRecord, InstanceState, Nomination, TaskItem, Timer, User
from workflows.persistence.scope import visible_filter
from workflows.projections import inbox, timers
from workflows.services import notify

TERMINAL_STATES = {"awarded", "rejected", "withdrawn", "submitted"}


@dataclass
class Outcome:
    """What a completed step did, for the caller to report."""

    nomination_id: int
    version: int
    state: str
    next_tasks: list[int] = field(default_factory=list)
    timers_fired: int = 0


def load_actor(session: Session, actor_id: int) -> User:
    user = session.get(User, actor_id, options=[joinedload(User.role_rows)])  # one query, roles included
    if user is None or not user.active:
        raise Forbidden("Tài khoản không còn hiệu lực.")
    return user


def lock_nomination(session: Session, actor: User, *, nomination_id: int | None = None,
                    task_item_id: int | None = None) -> Nomination:
    """The nomination (given, or the one a task row belongs to), row-locked, if the actor may see it.

    Out of scope answers 404 like an unknown id, never 403.
    """
    query = select(Nomination).where(visible_filter(actor))
    if task_item_id is not None:
        query = query.join(TaskItem, TaskItem.nomination_id == Nomination.id).where(TaskItem.id == task_item_id)
    else:
        query = query.where(Nomination.id == nomination_id)
    nom = session.execute(
        query.with_for_update(of=Nomination).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if nom is None:
        raise NotFound("Không tìm thấy công việc." if task_item_id is not None else "Không tìm thấy hồ sơ.")
    return nom


def route_context(session: Session, nom: Nomination, now: datetime) -> RouteContext:
    """Deadlines for this nomination's award form on today's calendar (step days read once, lazily)."""
    days: dict[str, int] | None = None

    def days_for(step: str) -> int | None:
        nonlocal days
        if days is None:
            days = inbox.step_days(session, nom.award_form)
        return days.get(step)

    return RouteContext(now, calendars.load(session), days_for)


def load_workflow(session: Session, nom: Nomination, route: engine.Route, context: RouteContext):
    """The running workflow and its state row (kept, so saving does not read it again)."""
    state = session.get(InstanceState, nom.id)
    return engine.loads(route, state.state, context.script_engine()), state


def save(session: Session, nom: Nomination, workflow, now, state: InstanceState | None = None) -> None:
    payload = engine.dumps(workflow)
    if state is None:
        session.add(InstanceState(nomination_id=nom.id, serializer_version=engine.SERIALIZER_VERSION, state=payload))
    else:
        state.state = payload
        state.serializer_version = engine.SERIALIZER_VERSION
    nom.updated_at = now


def after_step(
    s: Session, nom: Nomination, route: engine.Route, workflow, state: InstanceState | None,
    context: RouteContext, actor: User | None, acted: TaskItem | None, settings: Settings,
) -> Outcome:
    """Write what the engine's move changed: inbox rows, timers, the end reached, the state."""
    now = context.now
    open_items = inbox.sync(s, nom, route, workflow, context, acted=acted, actor=actor)
    nom.current_step = open_items[0].name if open_items else None
    fired = timers.sync(s, nom, route, workflow, now)
    for timer in fired:
        react_to_timer(s, nom, route, timer, open_items, now, settings)
    end = engine.outcome(workflow)
    if end is not None:
        finish(s, nom, end, now, actor, settings.org_code)
    save(s, nom, workflow, now, state)
    s.flush()
    return Outcome(nom.id, nom.version, nom.state, [i.id for i in open_items], len(fired))


def react_to_timer(s: Session, nom: Nomination, route: engine.Route, timer: Timer, open_items: list[TaskItem],
                    now: datetime, settings: Settings) -> None:
    """A fired timer tells people: the assignees (reminder), their superiors (escalation), the secretariat."""
    title = route.titles.get(timer.step or "", timer.step or "")
    name = f"«{nom.nominee_name}» ({nom.unit.name})"
    due = next((i.due_at for i in open_items if i.name == timer.step and i.due_at), timer.due_at)
    if timer.kind == "reminder":
        users = notify.assignees(s, nom, [i for i in open_items if i.name == timer.step])
        message = f"Nhắc hạn: bước «{title}» của hồ sơ {name} đến hạn lúc {notify.local(due)}."
        action = "reminder_sent"
    elif timer.kind == "escalation":
        step = route.steps.get(timer.step)
        users = notify.superiors(s, nom, step.role) if step else []
        message = f"Quá hạn: bước «{title}» của hồ sơ {name} đã quá hạn từ {notify.local(timer.due_at)}."
        action = "escalated"
        for item in open_items:
            if item.name == timer.step:
                item.escalated_at = now
    elif timer.kind == "window":
        users = notify.with_roles(s, {"secretariat"}, nom.unit_id)
        message = f"Hết thời gian công khai hồ sơ {name} mà không có ý kiến phản ánh; chuyển Hội đồng bỏ phiếu."
        action = "disclosure_ended"
    else:
        users, message, action = [], "", "timer_fired"
    if users:
        notify.send(s, settings, users, nom, timer.kind, message, now)
    audit.record(s, nom, at=now, actor=None, role=None, task=timer.step or timer.name, action=action,
                 changes={"recipients": [None, sorted(u.username for u in users)]} if users else None)


def finish(s: Session, nom: Nomination, end: str, now: datetime, actor: User | None, org_code: str) -> None:
    if end not in TERMINAL_STATES:
        raise RuntimeError(f"route ended with unknown outcome {end!r}")
    old_state, nom.state = nom.state, end
    changes: dict[str, Any] = {"state": [old_state, end]}
    if end == "awarded":
        year = now.astimezone(clock.VN_TZ).year
        nom.decision_number = numbering.next_decision_number(s, year, org_code)
        s.add(AwardRecord(nomination_id=nom.id, award_form=nom.award_form, nominee_name=nom.nominee_name,
                          nominee_kind=nom.nominee_kind, unit_id=nom.unit_id, year=nom.year,
                          decision_number=nom.decision_number, decided_at=now,
                          signed_by_id=actor.id if actor else None))
        changes["decision_number"] = [None, nom.decision_number]
        audit.record(s, nom, at=now, actor=None, role=None, task="issue_decision",
                     action="decision_issued", changes=changes)
    elif end == "submitted":
        audit.record(s, nom, at=now, actor=None, role=None, task="set_submitted",
                     action="submitted_above", changes=changes)
