"""The read side of delegations and absences: the pages' lists and choices, and how "thay" reads in a history.

Who reads what: the minister their delegations, a deputy those made to them, an approver their absences and
those they substitute in; an admin and an auditor everything (the auditor changes nothing).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased

from workflows.domain.actor import ABSENCE_ROLES, UNIT_ROLES, Actor
from workflows.domain.errors import Forbidden
from workflows.domain.labels import ROLES
from workflows.persistence.db import Database
from workflows.persistence.delegation_model import Absence, SigningDelegation
from workflows.persistence.grants import today
from workflows.persistence.model import AwardForm, User, UserRole
from workflows.persistence.scope import load_actor

STATUS = {"active": "Đang hiệu lực", "upcoming": "Sắp có hiệu lực", "ended": "Đã hết hạn", "revoked": "Đã thu hồi",
          "cancelled": "Đã hủy"}


def behalf_labels(s: Session, ids: set[int]) -> dict[int, str]:
    """How a history names whose authority was used: "thay mặt Bộ trưởng X" for the minister, "thay X" otherwise."""
    ids = ids - {None}
    if not ids:
        return {}
    minister = exists(select(UserRole.user_id).where(UserRole.user_id == User.id, UserRole.role == "minister"))
    rows = s.execute(select(User.id, User.full_name, minister).where(User.id.in_(sorted(ids)))).all()
    return {uid: f"thay mặt Bộ trưởng {name}" if is_minister else f"thay {name}" for uid, name, is_minister in rows}


def _status(ended_at, starts_on: date, ends_on: date, on: date, ended: str) -> str:
    if ended_at is not None:
        return ended
    if ends_on < on:
        return "ended"
    return "upcoming" if starts_on > on else "active"


def _names(s: Session, ids: set[int]) -> dict[int, str]:
    ids = ids - {None}
    return dict(s.execute(select(User.id, User.full_name).where(User.id.in_(sorted(ids)))).all()) if ids else {}


def _users_with(s: Session, role: str, unit_id: int | None = None) -> list[dict[str, Any]]:
    query = (select(User.id, User.username, User.full_name).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == role, User.active.is_(True)).order_by(User.full_name, User.id))
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    return [{"id": i, "username": u, "full_name": n} for i, u, n in s.execute(query)]


# --- delegations ----------------------------------------------------------------------------------------

def delegation_rows(s: Session, user: Actor) -> list[dict[str, Any]]:
    query = select(SigningDelegation).order_by(SigningDelegation.starts_on.desc(), SigningDelegation.id.desc())
    if not (user.can_administer() or user.has("auditor")):
        if not user.has("minister", "deputy_minister"):
            raise Forbidden("Chỉ Bộ trưởng, Thứ trưởng, quản trị và thanh tra xem ủy quyền ký.")
        query = query.where(or_(SigningDelegation.minister_id == user.id, SigningDelegation.deputy_id == user.id))
    rows = list(s.scalars(query.limit(500)))
    names = _names(s, {x for r in rows for x in (r.minister_id, r.deputy_id, r.created_by_id, r.revoked_by_id)})
    forms = dict(s.execute(select(AwardForm.code, AwardForm.name)).all())
    on = today()
    out = []
    for r in rows:
        status = _status(r.revoked_at, r.starts_on, r.ends_on, on, "revoked")
        out.append({"id": r.id, "version": r.version, "minister_id": r.minister_id, "minister": names.get(r.minister_id),
                    "deputy_id": r.deputy_id, "deputy": names.get(r.deputy_id), "starts_on": r.starts_on,
                    "ends_on": r.ends_on, "award_forms": r.award_forms,
                    "award_form_names": [forms.get(c, c) for c in r.award_forms] if r.award_forms else None,
                    "note": r.note, "created_by": names.get(r.created_by_id), "created_at": r.created_at,
                    "revoked_by": names.get(r.revoked_by_id), "revoked_at": r.revoked_at,
                    "status": status, "status_label": STATUS[status],
                    "can_revoke": status in ("active", "upcoming")
                    and (user.can_administer() or r.minister_id == user.id)})
    return out


def delegations(db: Database, user_id: int) -> dict[str, Any]:
    """The delegation page: the rows the user reads, and what a new one may name (for the minister or an admin)."""
    with db.read() as s:
        user = load_actor(s, user_id)
        rows = delegation_rows(s, user)
        may_create = user.has("minister") or user.can_administer()
        return {"rows": rows, "can_create": may_create, "choose_minister": user.can_administer(),
                "ministers": _users_with(s, "minister") if may_create else [],
                "deputies": _users_with(s, "deputy_minister") if may_create else [],
                "award_forms": [{"code": c, "name": n} for c, n in s.execute(
                    select(AwardForm.code, AwardForm.name).where(AwardForm.level != "unit")
                    .order_by(AwardForm.sort_order, AwardForm.code))] if may_create else []}


# --- absences -------------------------------------------------------------------------------------------

def absence_rows(s: Session, user: Actor) -> list[dict[str, Any]]:
    query = select(Absence).order_by(Absence.starts_on.desc(), Absence.id.desc())
    if not (user.can_administer() or user.has("auditor")):
        query = query.where(or_(Absence.user_id == user.id, Absence.substitute_id == user.id))
    rows = list(s.scalars(query.limit(500)))
    names = _names(s, {x for r in rows for x in (r.user_id, r.substitute_id, r.created_by_id, r.cancelled_by_id)})
    on = today()
    out = []
    for r in rows:
        status = _status(r.cancelled_at, r.starts_on, r.ends_on, on, "cancelled")
        out.append({"id": r.id, "version": r.version, "user_id": r.user_id, "user": names.get(r.user_id),
                    "substitute_id": r.substitute_id, "substitute": names.get(r.substitute_id), "role": r.role,
                    "role_label": ROLES.get(r.role, r.role), "unit_id": r.unit_id, "starts_on": r.starts_on,
                    "ends_on": r.ends_on, "note": r.note, "created_by": names.get(r.created_by_id),
                    "created_at": r.created_at, "cancelled_by": names.get(r.cancelled_by_id),
                    "cancelled_at": r.cancelled_at, "status": status, "status_label": STATUS[status],
                    "can_cancel": status in ("active", "upcoming") and (user.can_administer() or r.user_id == user.id)})
    return out


def absences(db: Database, user_id: int) -> dict[str, Any]:
    """The absence page: the rows, the user's approver roles, and who may substitute in each (same role and unit)."""
    with db.read() as s:
        user = load_actor(s, user_id)
        rows = absence_rows(s, user)
        own = [r for r in ABSENCE_ROLES if r in user.roles]
        if not own and not user.can_administer() and not user.has("auditor") and not any(
                r["substitute_id"] == user.id for r in rows):
            raise Forbidden("Lịch vắng mặt dành cho người phê duyệt.")
        substitutes = {role: [u for u in _users_with(s, role, user.unit_id if role in UNIT_ROLES else None)
                              if u["id"] != user.id] for role in own}
        approvers = []
        if user.can_administer():
            holder = aliased(UserRole)
            approvers = [{"id": i, "username": u, "full_name": n} for i, u, n in s.execute(
                select(User.id, User.username, User.full_name).where(User.active.is_(True), exists(
                    select(holder.user_id).where(holder.user_id == User.id, holder.role.in_(ABSENCE_ROLES))))
                .order_by(User.full_name))]
        return {"rows": rows, "roles": [{"code": r, "label": ROLES[r]} for r in own], "substitutes": substitutes,
                "can_create": bool(own) or user.can_administer(), "approvers": approvers,
                "all_substitutes": sorted({u["username"]: u for role in ABSENCE_ROLES
                                           for u in _users_with(s, role)}.values(), key=lambda u: u["full_name"])
                if user.can_administer() else []}
