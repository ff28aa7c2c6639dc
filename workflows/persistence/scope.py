"""The actor's policy as SQL: which nominations they see and which ready task rows are theirs.

Built from :class:`~workflows.domain.actor.Actor` alone, so the queries and the services' checks
agree with ``Actor.can_act`` and ``Actor.reads_everything`` by construction.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from workflows.domain.actor import UNIT_ROLES, Actor
from workflows.domain.errors import Forbidden
from workflows.persistence.model import Nomination, TaskItem, User


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, full_name=user.full_name, unit_id=user.unit_id,
                 unit_name=user.unit.name, roles=user.roles, session_token=user.session_token)


def load_actor(session: Session, user_id: int) -> Actor:
    """The active user as an actor (one query: user, unit and roles), or Forbidden."""
    user = session.get(User, user_id, options=[joinedload(User.role_rows)])
    if user is None or not user.active:
        raise Forbidden("Tài khoản không còn hiệu lực.")
    return actor_of(user)


# An alias keeps the subquery correlated to the nomination even when the outer query also joins
# task_items; one alias for all queries (building a fresh one costs more than the query it filters).
_ASSIGNED = aliased(TaskItem, name="assigned_task")


def visible_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition selecting the nominations ``actor`` may see."""
    if actor.reads_everything:
        return Nomination.id.is_not(None)
    clauses = []
    if actor.roles & UNIT_ROLES:
        clauses.append(Nomination.unit_id.in_(sorted(actor.units)))
    # Anyone a task was ever assigned to (council members) sees that nomination.
    clauses.append(exists(select(_ASSIGNED.id).where(_ASSIGNED.nomination_id == Nomination.id,
                                                     _ASSIGNED.assignee_id == actor.id)))
    return or_(*clauses)


def inbox_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the ready task rows ``actor`` may act on (the SQL twin of ``Actor.can_act``)."""
    per_role = []
    for role in sorted(actor.roles):
        clause = (TaskItem.role == role) & TaskItem.assignee_id.is_(None)
        if role in UNIT_ROLES:
            clause &= TaskItem.unit_id.in_(sorted(actor.units))
        per_role.append(clause)
    per_role.append(TaskItem.assignee_id == actor.id)
    return (TaskItem.state == "ready") & or_(false(), *per_role)
