"""Who holds a shared task, for the inbox row and the task page (see :mod:`workflows.services.claims`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.domain.actor import Actor
from workflows.persistence.model import TaskItem, User, UserRole
from workflows.persistence.scope import actor_of


def name_holders(session: Session, rows: list[dict[str, Any]]) -> None:
    """Fill ``claimed_by_name`` of the rows someone holds: one read for the page, none when nobody holds any."""
    held = {r["claimed_by"] for r in rows if r.get("claimed_by") is not None}
    if not held:
        return
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(held))).all())
    for row in rows:
        if row.get("claimed_by") is not None:
            row["claimed_by_name"] = names.get(row["claimed_by"])


def actions(session: Session, user: Actor, item: TaskItem) -> dict[str, Any]:
    """What the task page offers on the claim: take it, give it back, (an admin) give it to whom."""
    shared = item.state == "ready" and item.assignee_id is None and item.nomination_id is not None
    holder = item.claimed_by_id
    out = {
        "claimable": shared,
        "held_by_other": shared and holder is not None and not user.stands_for(holder, item.role),
        "can_claim": shared and holder is None and user.can_act(item),
        "can_release": shared and holder is not None and (holder == user.id or user.can_administer()),
        "can_assign": shared and user.can_administer(),
        "assignable_users": [],
    }
    if out["can_assign"]:
        users = session.scalars(select(User).join(UserRole).where(UserRole.role == item.role, User.active.is_(True))
                                .order_by(User.full_name, User.id)).all()
        out["assignable_users"] = [{"id": u.id, "full_name": u.full_name, "username": u.username}
                                   for u in users if actor_of(u).can_act(item)]
    return out
