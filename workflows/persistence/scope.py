"""The actor's policy as SQL: which nominations they see and which ready task rows are theirs.

Built from :class:`~workflows.domain.actor.Actor` alone, so the queries and the services' checks
agree with ``Actor.can_act`` and ``Actor.reads_everything`` by construction.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, exists, false, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from workflows import caches
from workflows.domain.actor import UNIT_ROLES, Actor, Grant
from workflows.domain.errors import Forbidden, NotFound
from workflows.persistence import grants
from workflows.persistence.model import Nomination, RoundDossier, RoundMember, TaskItem, User

COUNCIL_ROLES = frozenset({"council_member", "council_chair"})


def actor_of(user: User, windows: tuple[Grant, ...] = ()) -> Actor:
    return Actor(id=user.id, username=user.username, full_name=user.full_name, unit_id=user.unit_id,
                 unit_name=user.unit.name, roles=user.roles, session_token=user.session_token, grants=windows,
                 must_change_password=user.must_change_password)


def load_actor(session: Session, user: Actor | int) -> Actor:
    """The active user as an actor (one query: user, unit and roles; one more: the windows in force), or Forbidden.

    An actor already loaded for this request (the web's logged-in user, read once by its session token) is
    taken as it is: a page that asks several queries need not read the same user and windows for each."""
    if isinstance(user, Actor):
        return user
    found = session.get(User, user, options=[joinedload(User.role_rows)])
    if found is None or not found.active:
        raise Forbidden("Tài khoản không còn hiệu lực.")
    return actor_of(found, grants.load_grants(session, found.id))


# An alias keeps the subquery correlated to the nomination even when the outer query also joins
# task_items; one alias for all queries (building a fresh one costs more than the query it filters).
_ASSIGNED = aliased(TaskItem, name="assigned_task")


def visible_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition selecting the nominations ``actor`` may see."""
    return or_(*visible_clauses(actor))


def visible_nomination(session: Session, actor: Actor, nomination_id: int) -> Nomination:
    """The nomination if ``actor`` may see it; unknown and out of scope are both "not found"."""
    nom = session.scalar(select(Nomination).where(Nomination.id == nomination_id, visible_filter(actor)))
    if nom is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return nom


def visible_clauses(actor: Actor) -> list[ColumnElement[bool]]:
    """The ways a nomination is visible to the actor, each on its own (they may overlap): a list reads each
    one's page as an index range scan and merges them, where one OR of them all would scan every nomination."""
    if actor.reads_everything:
        return [Nomination.id.is_not(None)]
    clauses = []
    if actor.roles & UNIT_ROLES:
        clauses.append(Nomination.unit_id.in_(sorted(actor.units)))
    # Anyone a task was ever assigned to (council members, before rounds) sees that nomination.
    clauses.append(exists(select(_ASSIGNED.id).where(_ASSIGNED.nomination_id == Nomination.id,
                                                     _ASSIGNED.assignee_id == actor.id)))
    if actor.roles & COUNCIL_ROLES:
        clauses.append(_called_to_a_round_on(actor.id))
    return clauses


def _called_to_a_round_on(user_id) -> ColumnElement[bool]:
    """A member called to a round reads its dossiers (their ballot lists them, attachments included)."""
    return exists(select(RoundDossier.round_id).join(RoundMember, RoundMember.round_id == RoundDossier.round_id)
                  .where(RoundDossier.nomination_id == Nomination.id, RoundMember.user_id == user_id))


def visible_shape(actor: Actor) -> tuple[bool, int, bool]:
    """What :func:`visible_clause` needs to know of an actor: whether they read everything, how many units they
    see, whether they may be called to a council round."""
    return actor.reads_everything, len(actor.units) if actor.roles & UNIT_ROLES else 0, bool(actor.roles & COUNCIL_ROLES)


def visible_params(actor: Actor) -> dict[str, int]:
    """The values :func:`visible_clause`'s parameters take for ``actor``."""
    return {"scope_actor": actor.id, **{f"scope_unit_{i}": unit for i, unit in enumerate(sorted(actor.units))}}


@lru_cache(maxsize=64)
def visible_clause(shape: tuple[bool, int, bool]) -> ColumnElement[bool]:
    """:func:`visible_filter` with bind parameters, built once per shape, for statements built once (the hot path)."""
    reads_everything, units, council = shape
    if reads_everything:
        return Nomination.id.is_not(None)
    clauses = []
    if units:
        clauses.append(Nomination.unit_id.in_([bindparam(f"scope_unit_{i}") for i in range(units)]))
    clauses.append(exists(select(_ASSIGNED.id).where(_ASSIGNED.nomination_id == Nomination.id,
                                                     _ASSIGNED.assignee_id == bindparam("scope_actor"))))
    if council:
        clauses.append(_called_to_a_round_on(bindparam("scope_actor")))
    return or_(*clauses)


caches.register(visible_clause.cache_clear)


def inbox_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the ready task rows ``actor`` may act on (the SQL twin of ``Actor.can_act``)."""
    return (TaskItem.state == "ready") & or_(false(), *inbox_clauses(actor))


def inbox_clauses(actor: Actor) -> list[ColumnElement[bool]]:
    """The ways a task row is the actor's, each on its own (rows of one never meet another's): the inbox reads each
    one's page as an index range scan and merges them, where one OR of them all would scan every ready row."""
    per_role = []
    for role in sorted(actor.roles):
        clause = (TaskItem.role == role) & TaskItem.assignee_id.is_(None)
        if role in UNIT_ROLES:
            clause &= TaskItem.unit_id.in_(sorted(actor.units))
        per_role.append(clause)
    per_role.append(TaskItem.assignee_id == actor.id)
    per_role.extend(grants.grant_clauses(actor))
    return per_role
