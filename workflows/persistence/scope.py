"""Who may see a nomination and who may act on a task: one place for scope rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import aliased

from workflows.persistence.model import Nomination, TaskItem, User

# Ministry-level roles that read every nomination.
GLOBAL_READERS = frozenset({"secretariat", "reviewer", "minister", "deputy_minister", "council_chair", "admin", "auditor"})
# Roles whose tasks belong to the nomination's own unit.
UNIT_ROLES = frozenset({"unit_clerk", "unit_head"})


def visible_filter(user: User) -> ColumnElement[bool]:
    """SQL condition selecting the nominations ``user`` may see."""
    if user.roles & GLOBAL_READERS:
        return Nomination.id.is_not(None)
    clauses = []
    if user.roles & UNIT_ROLES:
        clauses.append(Nomination.unit_id == user.unit_id)
    # Anyone a task was ever assigned to (council members) sees that nomination. An alias keeps the
    # subquery correlated to the nomination even when the outer query also joins task_items.
    assigned = aliased(TaskItem)
    clauses.append(
        exists(select(assigned.id).where(assigned.nomination_id == Nomination.id, assigned.assignee_id == user.id))
    )
    return or_(*clauses)


def can_act(user: User, item: TaskItem) -> bool:
    if item.role not in user.roles:
        return False
    if item.assignee_id is not None and item.assignee_id != user.id:
        return False
    return not (item.unit_id is not None and item.unit_id != user.unit_id)


def inbox_filter(user: User) -> ColumnElement[bool]:
    """SQL condition for the ready task rows ``user`` may act on."""
    per_role = []
    for role in user.roles:
        if role in UNIT_ROLES:
            per_role.append((TaskItem.role == role) & (TaskItem.unit_id == user.unit_id) & TaskItem.assignee_id.is_(None))
        else:
            per_role.append((TaskItem.role == role) & TaskItem.assignee_id.is_(None))
    per_role.append(TaskItem.assignee_id == user.id)
    return (TaskItem.state == "ready") & or_(*per_role)


def can_attach(user: User, nom: Nomination) -> bool:
    """Files go into a running dossier, by the secretariat or by the proposing unit."""
    if nom.state != "in_progress":
        return False
    if "secretariat" in user.roles:
        return True
    return bool(user.roles & UNIT_ROLES) and user.unit_id == nom.unit_id
