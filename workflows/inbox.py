"""Keeps the inbox projection (``task_items``) in step with the engine's ready tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import engine
from .calendar import DEFAULT_CALENDAR
from .model import Nomination, StepDeadline, TaskItem, User
from .policy import UNIT_ROLES


def working_days_for(session: Session, step: str, award_form: str) -> int | None:
    rows = session.execute(
        select(StepDeadline.award_form, StepDeadline.working_days).where(
            StepDeadline.step == step, (StepDeadline.award_form == award_form) | StepDeadline.award_form.is_(None)
        )
    ).all()
    specific = [days for form, days in rows if form == award_form]
    general = [days for form, days in rows if form is None]
    return (specific or general or [None])[0]


def sync(
    session: Session,
    nomination: Nomination,
    route: engine.Route,
    workflow,
    now: datetime,
    acted: TaskItem | None = None,
    actor: User | None = None,
) -> list[TaskItem]:
    """Close rows whose task left READY, open rows for new ready tasks; returns the open rows."""
    ready = {str(t.id): t for t in engine.ready_user_tasks(workflow)}
    open_rows = session.scalars(
        select(TaskItem).where(TaskItem.nomination_id == nomination.id, TaskItem.state == "ready")
    ).all()
    still_open = []
    for item in open_rows:
        if item.task_uuid in ready:
            still_open.append(item)
            continue
        item.state = "completed" if item is acted else "cancelled"
        item.completed_at = now
        item.completed_by_id = actor.id if (item is acted and actor) else None
    known = {item.task_uuid for item in open_rows}
    days_cache: dict[str, int | None] = {}
    for uuid, task in ready.items():
        if uuid in known:
            continue
        step = route.steps[task.task_spec.bpmn_id]
        if step.name not in days_cache:
            days_cache[step.name] = working_days_for(session, step.name, nomination.award_form)
        days = days_cache[step.name]
        assignee = engine.assignee_of(task)
        item = TaskItem(
            nomination_id=nomination.id,
            task_uuid=uuid,
            name=step.name,
            title=step.title,
            form=step.form,
            role=step.role,
            unit_id=nomination.unit_id if step.role in UNIT_ROLES else None,
            assignee_id=int(assignee) if assignee is not None else None,
            state="ready",
            created_at=now,
            due_at=DEFAULT_CALENDAR.deadline(now, days) if days else None,
        )
        session.add(item)
        still_open.append(item)
    return still_open
