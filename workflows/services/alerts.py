"""Who a nomination step tells: work that arrives, a dossier returned, awarded or rejected.

Called by :meth:`~workflows.services.unit_of_work.NominationStep.write` inside the step's
transaction: the rows go into the step's batch (one insert of notifications, one of e-mails), so
they commit with the state change or not at all. Nobody is told of their own action. The drafting
task a return reopens is told to the unit as the return (with its reason), not as new work, and a new
draft is its creator's own; a return to a step inside the ministry tells that step's holders, with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from workflows.engine.contract import OUTSIDE_RESULT
from workflows.persistence.model import Nomination, TaskItem, User, UserRole
from workflows.persistence.scope import actor_of
from workflows.services import notify

if TYPE_CHECKING:
    from workflows.services.unit_of_work import Instance, NominationStep

Rows = tuple[list[dict], list[dict]]


def for_step(step: NominationStep, instance: Instance, opened: list[TaskItem], end: str | None) -> Rows:
    """The notification and outbox rows this step's end brings."""
    s, nom, route = step.session, instance.nom, instance.route
    actor_id = step.actor.id if step.actor else None
    settings, now = step.db.settings, step.now
    work = [item for item in opened if route.steps[item.name].hook != "dossier"]
    reason = returned_reason(instance)
    if not work and reason is None and end not in ("awarded", "rejected"):
        return [], []  # most steps of a sweep: nothing to read
    name = f"«{nom.nominee_name}» ({nom.unit.name})"
    notes: list[dict] = []
    mails: list[dict] = []
    told: set[int] = set(instance.told_what_next)  # one message a step: a timer's says what comes next

    def tell(users: list[User], kind: str, message: str) -> None:
        fresh = [u for u in users if u.id not in told]
        told.update(u.id for u in fresh)
        more_notes, more_mails = notify.rows(settings, fresh, nom.id, kind, message, now, exclude=actor_id)
        notes.extend(more_notes)
        mails.extend(more_mails)

    returned_why = f"Lý do: {reason or 'không ghi lý do'}."
    # Only a return that reopens the unit's drafting asks the unit to supplement; one that goes back to a step
    # inside the ministry (the minister returning a decision to appraisal) is news for that step's holders.
    to_unit = reason is not None and any(route.steps[item.name].hook == "dossier" for item in opened)
    if to_unit:
        tell(unit_people(s, nom, {"unit_clerk"}), "returned", f"Hồ sơ {name} bị trả lại để bổ sung. {returned_why}")
    outside_told = bool(instance.delivered and OUTSIDE_RESULT in instance.delivered)  # services.outside told the unit
    if end == "awarded" and not outside_told:
        number = f" theo Quyết định số {nom.decision_number}" if nom.decision_number else ""
        tell(unit_people(s, nom, {"unit_clerk", "unit_head"}), "awarded", f"Hồ sơ {name} đã được khen thưởng{number}.")
    elif end == "rejected" and not outside_told:
        why = rejected_reason(instance)
        tell(unit_people(s, nom, {"unit_clerk", "unit_head"}), "rejected",
             f"Hồ sơ {name} không được đề nghị khen thưởng. Lý do: {why}.")
    if work:
        holders = _holders(s, work)
        for item in work:
            who = [u for u in holders if actor_of(u).can_act(item)]
            if reason is not None and not to_unit:
                tell(who, "task", f"Hồ sơ {name} được trả lại bước «{item.title}». {returned_why}")
            else:
                tell(who, "task", f"Công việc mới: «{item.title}» — hồ sơ {name}.")
    return notes, mails


def returned_reason(instance: Instance) -> str | None:
    """The reason given when this step returned the dossier for supplementation ('' without one), else None."""
    acted = instance.acted
    if acted is None:
        return None
    returns = instance.route.steps[acted.name].returns
    for event in instance.events:
        if returns and event.action == returns:
            return event.comment or ""
    return None


def rejected_reason(instance: Instance) -> str:
    """Why the route ended rejected: the comment of the step that ended it, else the council's vote."""
    comments = [e.comment for e in instance.events if e.comment]
    if comments:
        return comments[-1]
    if instance.nom.council_result:
        return "Hội đồng Thi đua - Khen thưởng không thông qua"
    return "không đạt yêu cầu xét khen thưởng"


def unit_people(session: Session, nom: Nomination, roles: set[str]) -> list[User]:
    """The proposing unit's holders of ``roles`` and the dossier's creator."""
    users = notify.with_roles(session, roles, nom.unit_id)
    if nom.created_by_id is not None and all(u.id != nom.created_by_id for u in users):
        creator = session.get(User, nom.created_by_id)
        if creator is not None and creator.active:
            users.append(creator)
    return users


def _holders(session: Session, items: list[TaskItem]) -> list[User]:
    """Every active user who may hold one of these tasks (its assignee, or its role), in one read."""
    assigned = {i.assignee_id for i in items if i.assignee_id is not None}
    roles = {i.role for i in items if i.assignee_id is None and i.role}
    found = []
    if assigned:
        found.append(User.id.in_(assigned))
    if roles:
        found.append(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    if not found:
        return []
    return list(session.scalars(select(User).where(or_(*found), User.active.is_(True))
                                .options(selectinload(User.role_rows)).order_by(User.id)).unique())
