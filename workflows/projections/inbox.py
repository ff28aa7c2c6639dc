"""Keeps the inbox projection (``task_items``) in step with the engine's ready tasks."""

from __future__ import annotations

from workflows import engine
from workflows.domain.actor import UNIT_ROLES, Actor
from workflows.engine.scripting import RouteContext
from workflows.persistence.model import Nomination, TaskItem


def sync(nomination: Nomination, route: engine.Route, workflow, context: RouteContext,
         open_rows: list[TaskItem], acted: TaskItem | None = None, actor: Actor | None = None) -> list[TaskItem]:
    """Close rows whose task left READY, open rows for new ready tasks; returns the open rows.

    ``open_rows`` are the nomination's ready rows as loaded under its lock; closing one changes the
    loaded object. New rows are new objects without an id, for the caller to insert. A new row's
    due time is the one the route's timers got from the same context.
    """
    now = context.now
    ready = {str(t.id): t for t in engine.ready_user_tasks(workflow)}
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
            name=step.id,
            title=step.title,
            form=step.form,
            role=step.role,
            unit_id=nomination.unit_id if step.role in UNIT_ROLES else None,
            assignee_id=int(assignee) if assignee is not None else None,
            state="ready",
            created_at=now,
            due_at=context.due(step.id),
        )
        still_open.append(item)
    return still_open
