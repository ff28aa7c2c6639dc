"""The windows in force for an actor, as :class:`~workflows.domain.actor.Grant` values and as SQL.

Loaded with the actor (one query for both kinds) for today's date in Vietnam; revoked or cancelled
windows and those of inactive principals give nothing. :func:`grant_clauses` is the SQL twin of
``Grant.covers``: :func:`workflows.persistence.scope.inbox_filter` ORs them in.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache

from sqlalchemy import ColumnElement, Date, Select, bindparam, literal, null, select, union_all
from sqlalchemy.orm import Session

from workflows import caches
from workflows.domain import clock
from workflows.domain.actor import UNIT_ROLES, Actor, Grant, OnBehalfOf
from workflows.persistence.delegation_model import Absence, SigningDelegation
from workflows.persistence.model import TaskItem, User


def today() -> date:
    return clock.now().astimezone(clock.VN_TZ).date()


def in_force(model, on: date | ColumnElement[date]) -> ColumnElement[bool]:
    """A window holds ``on`` (both ends included) and was not ended early."""
    ended = model.revoked_at if model is SigningDelegation else model.cancelled_at
    return (model.starts_on <= on) & (model.ends_on >= on) & ended.is_(None)


def load_grants(session: Session, user_id: int, on: date | None = None) -> tuple[Grant, ...]:
    rows = session.execute(_windows_of(), {"grantee": user_id, "on": on or today()}).all()
    return tuple(Grant(kind=r.kind, principal=OnBehalfOf(r.principal, r.username, r.full_name), role=r.role,
                       unit_id=r.unit_id, award_forms=_forms(r.forms)) for r in rows)


@lru_cache(maxsize=1)
def _windows_of() -> Select:
    """The windows a grantee holds on a day, with bind parameters: built once, since building this union costs
    more than running it (every request loads its user's windows)."""
    grantee, on = bindparam("grantee"), bindparam("on", type_=Date)
    delegations = (select(literal("delegation").label("kind"), SigningDelegation.minister_id.label("principal"),
                          literal("minister").label("role"), null().label("unit_id"),
                          SigningDelegation.award_forms.label("forms"), SigningDelegation.id.label("id"))
                   .where(SigningDelegation.deputy_id == grantee, in_force(SigningDelegation, on)))
    absences = (select(literal("absence"), Absence.user_id, Absence.role, Absence.unit_id, null(), Absence.id)
                .where(Absence.substitute_id == grantee, in_force(Absence, on)))
    windows = union_all(delegations, absences).subquery()
    return (select(windows, User.username, User.full_name).join(User, User.id == windows.c.principal)
            .where(User.active.is_(True)).order_by(windows.c.kind, windows.c.id))


caches.register(_windows_of.cache_clear)


def _forms(value) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):  # a JSON column read through a union comes back as its text on some drivers
        value = json.loads(value)
    return None if value is None else frozenset(value)


def grant_clauses(actor: Actor) -> list[ColumnElement[bool]]:
    """The task rows ``actor`` may act on through a window, one clause per grant (``Grant.covers`` in SQL)."""
    clauses = []
    for grant in actor.grants:
        own = (TaskItem.role == grant.role) & TaskItem.round_id.is_(None)
        if grant.kind == "absence":
            pool = TaskItem.assignee_id.is_(None)
            if grant.role in UNIT_ROLES:
                pool &= TaskItem.unit_id == grant.unit_id
            clauses.append(own & ((TaskItem.assignee_id == grant.principal.id) | pool))
        else:
            pool = TaskItem.assignee_id.is_(None)
            if grant.award_forms is not None:
                pool &= TaskItem.award_form.in_(sorted(grant.award_forms))
            clauses.append(own & pool)
    return clauses


def deputies_for(session: Session, award_form: str, on: date | None = None) -> list[User]:
    """The active deputies who sign ``award_form`` for a minister today (whom a decision sent for signature tells)."""
    rows = session.execute(select(SigningDelegation.award_forms, User)
                           .join(User, User.id == SigningDelegation.deputy_id)
                           .where(in_force(SigningDelegation, on or today()), User.active.is_(True))).all()
    found = {user.id: user for forms, user in rows if forms is None or award_form in forms}
    return list(found.values())
