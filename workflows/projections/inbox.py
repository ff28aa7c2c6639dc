"""Keeps the inbox projection (``task_items``) in step with the engine's ready tasks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import engine
from workflows.engine.scripting import RouteContext
from workflows.persistence.model import Nomination, StepDeadline, TaskItem, User
from workflows.persistence.scope import UNIT_ROLES


def step_days(session: Session, award_form: str) -> dict[str, int]:
    """Working days per step for one award form: its own rows over the general ones."""
    rows = session.execute(
        select(StepDeadline.step, StepDeadline.award_form, StepDeadline.working_days).where(
            (StepDeadline.award_form == award_form) | StepDeadline.award_form.is_(None)
        )
    ).all()
    days = {step: d for step, form, d in rows if form is None}
    days.update({step: d for step, form, d in rows if form == award_form})
    return days


def sync(
    session: Session,
    nomination: Nomination,
    route: engine.Route,
    workflow,
    context: RouteContext,
    acted: TaskItem | None = None,
    actor: User | None = None,
) -> list[TaskItem]:
    """Close rows whose task left READY, open rows for new ready tasks; returns the open rows.

    A new row's due time is the one the route's timers got from the same context.
    """
    now = context.now
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
    for uuid, task in ready.items():
        if uuid in known:
            continue
        step = route.steps[task.task_spec.bpmn_id]
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
            due_at=context.due(step.name),
        )
        session.add(item)
        still_open.append(item)
    return still_open
