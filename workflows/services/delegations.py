"""The minister's delegation of signing to a deputy, and an approver's absence with a substitute.

Both are windows of whole days in Vietnam's calendar, both ends included, that nothing moves: who may
act on a task is computed from the windows in force when the actor is loaded
(:mod:`workflows.persistence.grants`), so tasks "return" when a window ends, or is revoked, with no job.

Rules:
- A delegation is the minister's (created by them, or by an admin naming them) to one active deputy minister,
  for chosen award forms or all of them. For one minister, an award form has at most one deputy on any day:
  a new delegation whose days and forms overlap one not revoked is refused (409). A batch decision has one
  award form, so a delegation covers a decision wholly or not at all.
- An absence is an approver's (``ABSENCE_ROLES``; set by them, or by an admin for anyone) for one of their
  roles, with an active substitute who holds that role (for a unit role, in the same unit) and is not absent
  in that role then. One absence per user and role on any day. Council roles are refused: a ballot is its
  member's, personal and secret, and the chair's tie-break is the council's.
- Windows are not transitive: a substitute's own substitute does not inherit the absent's tasks.

Creation and its race: the principal's user row is locked first, so two overlapping creations at once queue
and the second sees the first. Each creation and revocation is audited on the principal's subject
(``delegation`` / ``absence``, subject id the minister's or absent user's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from workflows.domain.actor import ABSENCE_ROLES, UNIT_ROLES, Actor
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.forms import text_problem
from workflows.domain.labels import ROLES
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.delegation_model import Absence, SigningDelegation
from workflows.persistence.grants import today
from workflows.persistence.model import AwardForm, User
from workflows.services.unit_of_work import NominationStep

COUNCIL_ROLES = ("council_member", "council_chair")
MAX_DAYS = 366


# --- delegation of signing -----------------------------------------------------------------------------

def delegate(db: Database, actor: Actor | int, deputy: Any, starts_on: Any, ends_on: Any, award_forms: Any = None,
             note: Any = None, minister: Any = None) -> int:
    """The minister (or an admin for them) lets a deputy minister sign for them in [starts_on, ends_on]."""
    with NominationStep(db, actor) as step:
        s, who = step.session, step.actor
        if minister in (None, "") and who.has("minister"):
            principal = _user(s, who.id)
        elif who.can_administer():
            principal = _user(s, minister, "minister", "Chọn Bộ trưởng ủy quyền.")
        else:
            raise Forbidden("Chỉ Bộ trưởng (hoặc quản trị thay Bộ trưởng) ủy quyền ký.")
        if "minister" not in principal.roles:
            raise Invalid("Người ủy quyền phải là Bộ trưởng.", {"minister": "Người này không giữ vai trò Bộ trưởng."})
        _lock_user(s, principal.id)
        first, last = _window(starts_on, ends_on)
        target = _user(s, deputy, "deputy", "Chọn Thứ trưởng được ủy quyền.")
        if target.id == principal.id:
            raise Invalid("Không tự ủy quyền cho chính mình.", {"deputy": "Chọn một Thứ trưởng khác."})
        if "deputy_minister" not in target.roles:
            raise Invalid("Chỉ ủy quyền ký cho Thứ trưởng.", {"deputy": f"{target.full_name} không phải Thứ trưởng."})
        forms = _award_forms(s, award_forms)
        text = _note(note)
        for other in s.scalars(select(SigningDelegation).where(
                SigningDelegation.minister_id == principal.id, SigningDelegation.revoked_at.is_(None),
                SigningDelegation.starts_on <= last, SigningDelegation.ends_on >= first)):
            if other.award_forms is None or forms is None or set(other.award_forms) & set(forms):
                raise Conflict(f"Đã có ủy quyền ký từ {other.starts_on:%d/%m/%Y} đến {other.ends_on:%d/%m/%Y} "
                               "trùng thời gian và hình thức khen thưởng; hãy thu hồi ủy quyền đó trước.")
        row = SigningDelegation(minister_id=principal.id, deputy_id=target.id, starts_on=first, ends_on=last,
                                award_forms=forms, note=text, created_by_id=who.id, created_at=step.now)
        s.add(row)
        s.flush()
        audit.record_subject(s, "delegation", principal.id, at=step.now, actor=who, action="delegation_created",
                             comment=text, changes={"delegation_id": [None, row.id], "deputy": [None, target.username],
                                                    "starts_on": [None, first.isoformat()],
                                                    "ends_on": [None, last.isoformat()], "award_forms": [None, forms]})
        return row.id


def revoke(db: Database, actor: Actor | int, delegation_id: int, expected_version: int | None = None) -> None:
    """End a delegation early (or before it starts): from now on its deputy no longer signs for the minister."""
    _end(db, actor, _DELEGATION, delegation_id, expected_version)


# --- absence --------------------------------------------------------------------------------------------

def set_absence(db: Database, actor: Actor | int, substitute: Any, starts_on: Any, ends_on: Any, role: Any = None,
                note: Any = None, user: Any = None) -> int:
    """An approver (or an admin for them) is absent in [starts_on, ends_on]; a substitute acts on their tasks."""
    with NominationStep(db, actor) as step:
        s, who = step.session, step.actor
        if user in (None, "") or _same(user, who):
            absent = _user(s, who.id)
        elif who.can_administer():
            absent = _user(s, user, "user", "Chọn người vắng mặt.")
        else:
            raise Forbidden("Chỉ quản trị đặt lịch vắng mặt cho người khác.")
        _lock_user(s, absent.id)
        held = [r for r in ABSENCE_ROLES if r in absent.roles]
        if role in (None, ""):
            if len(held) != 1:
                if not held and absent.roles & set(COUNCIL_ROLES):
                    raise Invalid(_COUNCIL, {"role": _COUNCIL})
                raise Invalid("Chọn vai trò vắng mặt.", {"role": "Chọn một vai trò phê duyệt của người vắng mặt."})
            role = held[0]
        if role in COUNCIL_ROLES:
            raise Invalid(_COUNCIL, {"role": _COUNCIL})
        if role not in held:
            raise Invalid("Vai trò không được giao thay khi vắng mặt.",
                          {"role": f"{absent.full_name} không giữ vai trò phê duyệt «{ROLES.get(str(role), role)}»."})
        first, last = _window(starts_on, ends_on)
        other = _user(s, substitute, "substitute", "Chọn người thay.")
        if other.id == absent.id:
            raise Invalid("Người thay không được là chính người vắng mặt.", {"substitute": "Chọn một người khác."})
        if role not in other.roles:
            raise Invalid("Người thay phải cùng vai trò.",
                          {"substitute": f"{other.full_name} không giữ vai trò «{ROLES[role]}»."})
        unit_id = absent.unit_id if role in UNIT_ROLES else None
        if unit_id is not None and other.unit_id != unit_id:
            raise Invalid("Người thay phải cùng đơn vị.", {"substitute": f"{other.full_name} không thuộc {absent.unit.name}."})
        text = _note(note)
        overlapping = (Absence.role == role) & Absence.cancelled_at.is_(None) & (Absence.starts_on <= last) & (
            Absence.ends_on >= first)
        if clash := s.scalars(select(Absence).where(overlapping, Absence.user_id == absent.id)).first():
            raise Conflict(f"Đã có lịch vắng mặt từ {clash.starts_on:%d/%m/%Y} đến {clash.ends_on:%d/%m/%Y} "
                           "trùng thời gian; hãy hủy lịch đó trước.")
        if s.scalars(select(Absence.id).where(overlapping, Absence.user_id == other.id)).first():
            raise Invalid("Người thay cũng vắng mặt trong thời gian này.",
                          {"substitute": f"{other.full_name} có lịch vắng mặt trùng thời gian."})
        row = Absence(user_id=absent.id, substitute_id=other.id, role=role, unit_id=unit_id, starts_on=first,
                      ends_on=last, note=text, created_by_id=who.id, created_at=step.now)
        s.add(row)
        s.flush()
        audit.record_subject(s, "absence", absent.id, at=step.now, actor=who, action="absence_created", comment=text,
                             changes={"absence_id": [None, row.id], "substitute": [None, other.username],
                                      "role": [None, role], "starts_on": [None, first.isoformat()],
                                      "ends_on": [None, last.isoformat()]})
        return row.id


def cancel_absence(db: Database, actor: Actor | int, absence_id: int, expected_version: int | None = None) -> None:
    """End an absence early (the user is back): their tasks are theirs alone again, at once."""
    _end(db, actor, _ABSENCE, absence_id, expected_version)


# --- ending a window -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Kind:
    model: type[SigningDelegation] | type[Absence]
    principal: str  # the column naming whose window it is (the audit subject's id)
    ended_at: str
    ended_by: str
    subject: str
    action: str
    what: str  # its name in messages


_DELEGATION = _Kind(SigningDelegation, "minister_id", "revoked_at", "revoked_by_id", "delegation", "delegation_revoked",
                    "Ủy quyền")
_ABSENCE = _Kind(Absence, "user_id", "cancelled_at", "cancelled_by_id", "absence", "absence_cancelled", "Lịch vắng mặt")


def _end(db: Database, actor: Actor | int, kind: _Kind, row_id: int, expected_version: int | None) -> None:
    """Its principal (or an admin) ends a window still open, version-checked under the row's lock; audited."""
    with NominationStep(db, actor) as step:
        s, who = step.session, step.actor
        row = s.get(kind.model, row_id, with_for_update=True)
        principal = getattr(row, kind.principal, None)
        if row is None or not (who.can_administer() or principal == who.id):
            raise NotFound(f"Không tìm thấy {kind.what.lower()}.")
        _still_open(getattr(row, kind.ended_at), row.ends_on, row.version, expected_version, kind.what)
        setattr(row, kind.ended_at, step.now)
        setattr(row, kind.ended_by, who.id)
        row.version += 1
        audit.record_subject(s, kind.subject, principal, at=step.now, actor=who, action=kind.action,
                             changes={f"{kind.subject}_id": [row.id, row.id], kind.ended_at: [None, step.now.isoformat()]})


# --- checks ---------------------------------------------------------------------------------------------

_COUNCIL = "Phiếu bầu của Hội đồng là của riêng từng thành viên và bí mật: không giao thay khi vắng mặt."


def _same(ref: Any, who: Actor) -> bool:
    return ref == who.id or ref == who.username or (isinstance(ref, str) and ref.isdigit() and int(ref) == who.id)


def _user(s: Session, ref: Any, field: str = "user", missing: str = "Chọn người dùng.") -> User:
    """An active user by id or username."""
    if ref in (None, ""):
        raise Invalid(missing, {field: missing})
    query = select(User).options(joinedload(User.role_rows), joinedload(User.unit))
    if isinstance(ref, int) and not isinstance(ref, bool):
        query = query.where(User.id == ref)
    elif isinstance(ref, str) and ref.isdigit() and len(ref) < 12:
        query = query.where(User.id == int(ref))
    elif isinstance(ref, str) and 0 < len(ref) <= 80:
        query = query.where(User.username == ref)
    else:
        raise Invalid("Người dùng không hợp lệ.", {field: "Người dùng không hợp lệ."})
    user = s.execute(query).unique().scalar_one_or_none()
    if user is None or not user.active:
        raise Invalid("Không tìm thấy người dùng đang hoạt động.", {field: "Không tìm thấy người dùng đang hoạt động."})
    return user


def _lock_user(s: Session, user_id: int) -> None:
    """Creations for one principal queue here (PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE)."""
    s.execute(select(User.id).where(User.id == user_id).with_for_update())


def _day(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if value in (None, ""):
        raise Invalid("Thiếu ngày.", {field: "Nhập ngày (dd/mm/yyyy)."})
    raise Invalid("Ngày không hợp lệ.", {field: "Ngày không hợp lệ."})


def _window(starts_on: Any, ends_on: Any) -> tuple[date, date]:
    first, last = _day(starts_on, "starts_on"), _day(ends_on, "ends_on")
    if last < first:
        raise Invalid("Ngày kết thúc trước ngày bắt đầu.", {"ends_on": "Ngày kết thúc phải từ ngày bắt đầu trở đi."})
    if first < today():
        raise Invalid("Không đặt thời hạn bắt đầu trong quá khứ.", {"starts_on": "Ngày bắt đầu phải từ hôm nay trở đi."})
    if last - first >= timedelta(days=MAX_DAYS):
        raise Invalid(f"Thời hạn tối đa {MAX_DAYS} ngày.", {"ends_on": f"Thời hạn tối đa {MAX_DAYS} ngày."})
    return first, last


def _award_forms(s: Session, value: Any) -> list[str] | None:
    """Chosen award forms, sorted, or None for every form (an empty choice means every form too)."""
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and 0 < len(v) <= 60 for v in value):
        raise Invalid("Hình thức khen thưởng không hợp lệ.", {"award_forms": "Danh sách hình thức không hợp lệ."})
    codes = sorted(set(value))
    known = set(s.scalars(select(AwardForm.code).where(AwardForm.code.in_(codes))))
    if unknown := [c for c in codes if c not in known]:
        raise Invalid("Hình thức khen thưởng không tồn tại.", {"award_forms": f"Không có hình thức {', '.join(unknown)}."})
    return codes


def _note(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise Invalid("Ghi chú không hợp lệ (tối đa 500 ký tự).", {"note": "Tối đa 500 ký tự."})
    if problem := text_problem(value, multiline=False):
        raise Invalid(f"Ghi chú: {problem}", {"note": problem})
    return value.strip() or None


def _still_open(ended_at, ends_on: date, version: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != version:
        raise Conflict(f"{what} đã thay đổi, vui lòng tải lại.")
    if ended_at is not None:
        raise Conflict(f"{what} đã được thu hồi / hủy trước đó.")
    if ends_on < today():
        raise Conflict(f"{what} đã hết hạn.")
