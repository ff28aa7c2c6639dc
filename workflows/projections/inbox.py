"""Keeps the inbox projection (``task_items``) in step with the engine's ready tasks.

Like the timer rows, the rows to close are derived from the engine itself (its ready user tasks
before and after the step), so keeping the projection costs no read: a task that left READY has
its row closed (completed by the actor who acted on it, else cancelled), a new ready task gets a
new row.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows import engine
from workflows.domain.actor import UNIT_ROLES, Actor
from workflows.engine.scripting import RouteContext
from workflows.persistence.batch import WriteBatch
from workflows.persistence.model import Nomination, TaskItem

TASK_ITEMS = TaskItem.__table__


def ready_tasks(workflow) -> list[str]:
    """The ids of the ready user tasks (each has a ready row), in the engine's order."""
    return [str(t.id) for t in engine.ready_user_tasks(workflow)]


@dataclass(frozen=True)
class InboxChange:
    opened: list[TaskItem]  # new rows, without an id until the batch inserts them
    still_open: list[str]  # task ids of rows that stay open
    current_step: str | None  # the step of the first open row


def sync(batch: WriteBatch, nomination: Nomination, route: engine.Route, workflow, context: RouteContext,
         ready_before: list[str], acted: TaskItem | None = None, actor: Actor | None = None) -> InboxChange:
    """Close the rows of tasks that left READY and open rows for new ready tasks, into ``batch``.

    ``ready_before`` are the ready tasks when the nomination was locked. A new row's due time is
    the one the route's timers got from the same context.
    """
    now = context.now
    ready = {str(t.id): t for t in engine.ready_user_tasks(workflow)}
    for uuid in ready_before:
        if uuid in ready:
            continue
        if acted is not None and uuid == acted.task_uuid:
            batch.update(TASK_ITEMS, {"id": acted.id},
                         {"state": "completed", "completed_at": now, "completed_by_id": actor.id if actor else None})
        else:
            batch.update(TASK_ITEMS, {"task_uuid": uuid, "state": "ready"},
                         {"state": "cancelled", "completed_at": now, "completed_by_id": None})
    before = set(ready_before)
    still_open = [uuid for uuid in ready_before if uuid in ready]
    opened = []
    for uuid, task in ready.items():
        if uuid in before:
            continue
        step = route.steps[task.task_spec.bpmn_id]
        assignee = engine.assignee_of(task)
        opened.append(TaskItem(
            nomination_id=nomination.id,
            task_uuid=uuid,
            name=step.id,
            title=step.title,
            form=step.form,
            role=step.role,
            unit_id=nomination.unit_id if step.role in UNIT_ROLES else None,
            assignee_id=int(assignee) if assignee is not None else None,
            award_form=nomination.award_form,
            state="ready",
            created_at=now,
            due_at=context.due(step.id),
        ))
    first = still_open[0] if still_open else opened[0].task_uuid if opened else None
    current = route.steps[ready[first].task_spec.bpmn_id].id if first else None
    return InboxChange(opened, still_open, current)
