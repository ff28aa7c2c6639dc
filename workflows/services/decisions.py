"""Batch decisions: one decision (quyết định) or submission (tờ trình) for the passed dossiers of one award form.

After appraisal a dossier waits at its route's decision step (hook ``decision``, in the secretariat's
lane). The secretariat drafts a decision from waiting dossiers of one award form (by default those of
one council round) and sends it: one task waits for the minister (role ``minister``; a deputy signing
under delegation signs "KT. BỘ TRƯỞNG"), due in the working days of the step's ``signatureDeadline``.
The signer either returns it with a reason (every dossier's wait completes with the step's return,
back to appraisal as the route says), or signs it. A submission (forms decided above the ministry)
is final at the signature: every dossier's wait completes with ``approve`` and the route ends it
"submitted". A decision takes effect when the clerical office registers its number and date (the
proposal is the next ``01/QĐ-{ORG}`` of the calendar year): only then does every dossier's wait
complete with ``approve``, the route ends it "awarded", and its registry row carries the decision's
number and date. A submission's number may be registered too; its dossiers have already ended.

Locks: the decision row first, then its nominations in id order (through the unit of work); a
registration takes the year's counter row before checking the number, so two registrations queue.
Every change is audited on the decision (subject ``decision``) and on each of its nominations.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.decision_forms import KIND_NAMES, REGISTER_TASK, SIGN_TASK, register_form, sign_form
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.forms import FormSet, text_problem
from workflows.persistence import audit, calendars, grants, numbering, versions
from workflows.persistence.db import Database
from workflows.persistence.decision_model import UNFINISHED, Decision, DecisionDossier
from workflows.persistence.model import CouncilRound, RoundDossier, TaskItem
from workflows.services import notify
from workflows.services.endings import Issued
from workflows.services.nominations import MAX_RETURNS
from workflows.services.unit_of_work import Instance, NominationStep

MAX_DOSSIERS = 200
FORMS = FormSet({SIGN_TASK: sign_form(), REGISTER_TASK: register_form()})
_NUMBER = re.compile(r"^0*(\d{1,6})(?:\s*/\s*(\S{1,50}))?$")


@dataclass(frozen=True)
class DecisionOutcome:
    """What a command on a decision did, for the caller to report."""

    decision_id: int
    state: str
    version: int
    nomination_ids: list[int]


# --- drafting ----------------------------------------------------------------------------------------

def draft(db: Database, actor: Actor | int, nomination_ids: Any, title: Any = None, reason: Any = None) -> int:
    """The secretariat drafts one decision (or submission) for dossiers of one award form waiting at the decision step."""
    ids = _ids(nomination_ids)
    title, reason = _text(title, "title", 500, required=False), _text(reason, "reason", 2000, required=False)
    with NominationStep(db, actor) as step:
        _require(step.actor, "secretariat", "Chỉ bộ phận TĐKT lập dự thảo quyết định.")
        instances = step.lock_many(ids)
        found = {i.nom.id: i for i in instances}
        if missing := [i for i in ids if i not in found]:
            raise Invalid("Có hồ sơ không tồn tại.", {"nomination_ids": f"Không tìm thấy hồ sơ {missing}."})
        for instance in instances:
            if _waiting_task(instance) is None:
                raise Invalid("Hồ sơ chưa ở bước chờ quyết định.",
                              {"nomination_ids": f"Hồ sơ {instance.nom.id} không ở bước chờ quyết định / tờ trình."})
        forms = {i.nom.award_form for i in instances}
        if len(forms) > 1:
            raise Invalid("Mỗi quyết định chỉ cho một hình thức khen thưởng.",
                          {"nomination_ids": "Các hồ sơ thuộc nhiều hình thức; hãy lập mỗi hình thức một quyết định."})
        kinds = {_kind(i, step.now) for i in instances}
        if len(kinds) > 1:
            raise Invalid("Các hồ sơ thuộc những phiên bản quy trình khác nhau về thẩm quyền quyết định; hãy lập riêng.")
        kind, award_form = kinds.pop(), forms.pop()
        taken = step.session.scalars(
            select(DecisionDossier.nomination_id).join(Decision)
            .where(DecisionDossier.nomination_id.in_(ids), Decision.state.in_(UNFINISHED))).all()
        if taken:
            raise Conflict(f"Hồ sơ {sorted(taken)} đã thuộc một quyết định khác chưa kết thúc.")
        award = instances[0].route.rules.award(award_form)
        now = step.now
        decision = Decision(kind=kind, award_form=award_form, round_id=_common_round(step.session, ids), state="draft",
                            title=title or _default_title(kind, award.name), reason=reason,
                            created_by_id=step.actor.id, created_at=now)
        step.session.add(decision)
        step.session.flush()
        step.session.add_all(DecisionDossier(decision_id=decision.id, nomination_id=nid, position=n)
                             for n, nid in enumerate(ids, 1))
        for nid in ids:
            _record(step, found[nid], "decision_drafted", changes={"decision_id": [None, decision.id]})
        _audit(step, decision, "decision_drafted", changes={"kind": [None, kind], "award_form": [None, award_form],
                                                            "title": [None, decision.title], "nomination_ids": [None, ids]})
        step.session.flush()
        return decision.id


def send(db: Database, actor: Actor | int, decision_id: int, expected_version: int | None = None) -> DecisionOutcome:
    """Send a draft for signature: one task for the minister, due in the signature's working days."""
    with NominationStep(db, actor) as step:
        _require(step.actor, "secretariat", "Chỉ bộ phận TĐKT trình ký quyết định.")
        decision = _lock(step.session, decision_id, expected_version)
        if decision.state != "draft":
            raise Conflict("Chỉ trình ký được dự thảo; quyết định này đã được trình hoặc đã kết thúc.")
        ids = _dossier_ids(step.session, decision.id)
        instances = [step.lock(nid, workflow=False) for nid in ids]
        now = step.now
        decision.due_at = _signature_due(step, instances)
        decision.state, decision.sent_at = "sent", now
        what = KIND_NAMES[decision.kind]
        step.session.add(TaskItem(decision_id=decision.id, task_uuid=secrets.token_hex(16), name=SIGN_TASK,
                                  title=f"Ký {what}: {decision.title}"[:255], form=SIGN_TASK, role="minister",
                                  award_form=decision.award_form, state="ready", created_at=now, due_at=decision.due_at))
        for instance in instances:
            _record(step, instance, "decision_sent", changes={"decision_id": [None, decision.id]})
        _audit(step, decision, "decision_sent", changes={"state": ["draft", "sent"],
                                                         "due_at": [None, _iso(decision.due_at)]})
        due = f", hạn ký {notify.local(decision.due_at)}" if decision.due_at else ""
        signers = notify.with_roles(step.session, {"minister"}, step.actor.unit_id)
        signers += [u for u in grants.deputies_for(step.session, decision.award_form) if u not in signers]
        notify.send(step.session, db.settings, signers, None,
                    "decision", f"Trình ký {what} «{decision.title}» kèm danh sách {len(ids)} hồ sơ{due}.", now)
        return _outcome(step, decision, ids)


def cancel(db: Database, actor: Actor | int, decision_id: int, reason: Any = None,
           expected_version: int | None = None) -> DecisionOutcome:
    """The secretariat withdraws a draft, or a decision sent but not yet signed: its dossiers wait again."""
    reason = _text(reason, "reason", 2000, required=False, multiline=True)
    with NominationStep(db, actor) as step:
        _require(step.actor, "secretariat", "Chỉ bộ phận TĐKT hủy dự thảo quyết định.")
        decision = _lock(step.session, decision_id, expected_version)
        if decision.state not in ("draft", "sent"):
            raise Conflict("Quyết định đã được ký hoặc đã kết thúc: không hủy được.")
        ids = _dossier_ids(step.session, decision.id)
        instances = [step.lock(nid, workflow=False) for nid in ids]
        old, now = decision.state, step.now
        decision.state, decision.closed_by_id, decision.closed_at, decision.close_reason = (
            "cancelled", step.actor.id, now, reason)
        _close_items(step.session, decision.id, "cancelled", now)
        for instance in instances:
            _record(step, instance, "decision_cancelled", comment=reason, changes={"decision_id": [decision.id, None]})
        _audit(step, decision, "decision_cancelled", comment=reason, changes={"state": [old, "cancelled"]})
        return _outcome(step, decision, ids)


# --- the signature -----------------------------------------------------------------------------------

def sign(db: Database, actor: Actor | int, decision_id: int, data: Any,
         expected_version: int | None = None) -> DecisionOutcome:
    """The minister (or a deputy under delegation) signs the decision or submission, or returns it with a reason."""
    form = FORMS.validate(SIGN_TASK, data)
    choice, comment = form["decision"], (form.get("comment") or "").strip() or None
    with NominationStep(db, actor) as step:
        decision = _lock(step.session, decision_id, expected_version)
        item = _open_item(step.session, decision.id, SIGN_TASK)
        if decision.state != "sent" or item is None:
            raise Conflict("Quyết định đã được ký hoặc trả lại, hoặc chưa được trình ký.")
        if not step.actor.can_act(item):
            raise Forbidden("Chỉ Lãnh đạo Bộ ký quyết định, tờ trình.")
        step.actor = step.actor.acting_on(item)
        ids = _dossier_ids(step.session, decision.id)
        instances = step.lock_many(ids)
        now, what = step.now, KIND_NAMES[decision.kind]
        item.state, item.completed_at, item.completed_by_id = "completed", now, step.actor.id
        if choice == "return":
            _return(step, decision, instances, comment)
            message = f"Lãnh đạo Bộ trả lại {what} «{decision.title}»: {comment}"
        else:
            behalf = step.actor.on_behalf_of
            decision.state, decision.signed_by_id, decision.signed_at = "signed", step.actor.id, now
            decision.on_behalf_of_id = behalf.id if behalf else None
            for instance in instances:
                _record(step, instance, "decision_signed", role="minister", comment=comment,
                        changes={"decision_id": [None, decision.id]})
                if decision.kind == "submission":  # final at the signature: the route sends it above
                    _complete(step, instance, "approve", expect="submitted", decision=decision)
            step.session.add(TaskItem(decision_id=decision.id, task_uuid=secrets.token_hex(16), name=REGISTER_TASK,
                                      title=f"Đăng ký số {what}: {decision.title}"[:255], form=REGISTER_TASK,
                                      role="secretariat", award_form=decision.award_form, state="ready", created_at=now))
            _audit(step, decision, "decision_signed", comment=comment,
                   changes={"state": ["sent", "signed"], "signed_by": [None, step.actor.username]}
                   | ({"on_behalf_of": [None, behalf.username]} if behalf else {}))
            message = f"Lãnh đạo Bộ đã ký {what} «{decision.title}»: mời Văn phòng đăng ký số, ngày ban hành."
        notify.send(step.session, db.settings, notify.with_roles(step.session, {"secretariat"}, step.actor.unit_id), None,
                    "decision", message, now)
        return _outcome(step, decision, ids)


def _return(step: NominationStep, decision: Decision, instances: list[Instance], comment: str | None) -> None:
    for instance in instances:
        nom = instance.nom
        if nom.return_count >= MAX_RETURNS:
            raise Invalid(f"Hồ sơ {nom.id} ({nom.nominee_name}) đã bị trả lại {MAX_RETURNS} lần; không thể trả lại thêm.",
                          {"decision": f"Hồ sơ {nom.id} đã đạt giới hạn {MAX_RETURNS} lần trả lại."})
    now = step.now
    decision.state, decision.closed_by_id, decision.closed_at, decision.close_reason = "returned", step.actor.id, now, comment
    for instance in instances:
        nom, declared = instance.nom, instance.route.contract.decision_step()
        changes = {"return_count": [nom.return_count, nom.return_count + 1], "decision_id": [decision.id, None]}
        nom.return_count += 1
        step.record(instance, declared.returns, role="minister", task=declared.id, comment=comment, changes=changes)
        _complete(step, instance, declared.returns, expect=None, decision=decision)
    _audit(step, decision, "decision_returned", comment=comment, changes={"state": ["sent", "returned"]})


# --- the registration --------------------------------------------------------------------------------

def register(db: Database, actor: Actor | int, decision_id: int, number: Any = None, registered: Any = None,
             expected_version: int | None = None) -> DecisionOutcome:
    """The clerical office registers the signed document's number and date; a decision's dossiers are then awarded."""
    with NominationStep(db, actor) as step:
        s = step.session
        _require(step.actor, "secretariat", "Chỉ Văn phòng (bộ phận TĐKT) đăng ký số, ngày ban hành.")
        decision = _lock(s, decision_id, expected_version)
        if decision.state == "registered":
            raise Conflict(f"Văn bản đã được đăng ký số {decision.number}.")
        item = _open_item(s, decision.id, REGISTER_TASK)
        if decision.state != "signed" or item is None:
            raise Conflict("Chỉ đăng ký số cho văn bản đã được Lãnh đạo Bộ ký.")
        signed_on = decision.signed_at.astimezone(clock.VN_TZ).date()
        today = step.now.astimezone(clock.VN_TZ).date()
        day = _date(registered, today, signed_on)
        numbering.lock(s, decision.kind, day.year)  # registrations of the year queue here, then see each other
        if number in (None, ""):
            value, text = numbering.next_free(s, decision.kind, day.year, db.settings.org_code)
        else:
            value, text = _number(number, decision.kind, db.settings.org_code)
            if numbering.taken(s, day.year, text):
                raise Invalid(f"Số {text} đã được dùng trong năm {day.year}.",
                              {"number": f"Số {text} đã được dùng trong năm {day.year}."})
        numbering.advance_to(s, decision.kind, day.year, value)  # later proposals start after it
        now = step.now
        decision.number, decision.year, decision.registered_date = text, day.year, day
        decision.registered_at, decision.registered_by_id, decision.state = now, step.actor.id, "registered"
        item.state, item.completed_at, item.completed_by_id = "completed", now, step.actor.id
        try:
            s.flush()  # the (year, number) constraint is the last guard
        except IntegrityError as exc:
            raise Invalid(f"Số {text} đã được dùng trong năm {day.year}.", {"number": "Số đã được dùng."}) from exc
        ids = _dossier_ids(s, decision.id)
        changes = {"decision_number": [None, text], "decision_date": [None, day.isoformat()]}
        if decision.kind == "decision":
            issued = Issued(decision.id, text, day, decision.signed_at, decision.signed_by_id)
            for instance in step.lock_many(ids):
                _record(step, instance, "decision_registered", changes=changes)
                instance.issued = issued
                _complete(step, instance, "approve", expect="awarded", decision=decision)
        else:
            for nid in ids:
                _record(step, step.lock(nid, workflow=False), "decision_registered", changes=changes)
        _audit(step, decision, "decision_registered", changes={"state": ["signed", "registered"]} | changes)
        return _outcome(step, decision, ids)


# --- the inbox rows: POST /tasks/{id}/complete on a decision's task -----------------------------------

def owns_item(db: Database, item_id: int) -> int | None:
    """The decision a task row belongs to, if it is a decision's (the nomination path answers 404 for it)."""
    with db.read() as s:
        return s.scalar(select(TaskItem.decision_id).where(TaskItem.id == item_id))


def complete_item(db: Database, actor: Actor | int, item_id: int, data: Any, if_match: int | None = None) -> DecisionOutcome:
    """A decision's inbox row completed like any task: the signature (approve/return) or the registration."""
    with db.read() as s:
        item = s.get(TaskItem, item_id)
        if item is None or item.decision_id is None:
            raise NotFound("Không tìm thấy công việc.")
        name, decision_id = item.name, item.decision_id
    if name == SIGN_TASK:
        return sign(db, actor, decision_id, data, if_match)
    form = FORMS.validate(REGISTER_TASK, data)
    return register(db, actor, decision_id, form.get("number"), form.get("date"), if_match)


# --- helpers -----------------------------------------------------------------------------------------

def _require(actor: Actor, role: str, message: str) -> None:
    if role not in actor.roles:
        raise Forbidden(message)


def _lock(s: Session, decision_id: int, expected_version: int | None) -> Decision:
    decision = s.scalar(select(Decision).where(Decision.id == decision_id).with_for_update()
                        .execution_options(populate_existing=True))
    if decision is None:
        raise NotFound("Không tìm thấy quyết định.")
    if expected_version is not None and expected_version != decision.version:
        raise Conflict("Quyết định đã thay đổi, vui lòng tải lại.")
    return decision


def _open_item(s: Session, decision_id: int, name: str) -> TaskItem | None:
    return s.scalar(select(TaskItem).where(TaskItem.decision_id == decision_id, TaskItem.name == name,
                                           TaskItem.state == "ready").execution_options(populate_existing=True))


def _close_items(s: Session, decision_id: int, state: str, now: datetime) -> None:
    s.execute(update(TaskItem).where(TaskItem.decision_id == decision_id, TaskItem.state == "ready")
              .values(state=state, completed_at=now))


def _dossier_ids(s: Session, decision_id: int) -> list[int]:
    return list(s.scalars(select(DecisionDossier.nomination_id).where(DecisionDossier.decision_id == decision_id)
                          .order_by(DecisionDossier.position)))


def _waiting_task(instance: Instance):
    """The ready engine task of the route's decision step, or None (not there, or a route without one)."""
    declared = instance.route.contract.decision_step()
    if declared is None:
        return None
    return next((t for t in engine.ready_user_tasks(instance.workflow) if t.task_spec.bpmn_id == declared.id), None)


def _kind(instance: Instance, now: datetime) -> str:
    rules = instance.route.rules
    level = rules.level(instance.nom.award_form, rules.date_for(instance.nom.created_at, instance.nom.submitted_at, now))
    if level not in ("ministry", "above"):
        raise Invalid("Hình thức khen thưởng này không do Bộ quyết định hay đề nghị.")
    return "decision" if level == "ministry" else "submission"


def _complete(step: NominationStep, instance: Instance, choice: str, *, expect: str | None, decision: Decision) -> None:
    """Complete the dossier's wait with ``choice`` (what the route's gateway reads) and check where it went."""
    task = _waiting_task(instance)
    if task is None:
        raise Conflict(f"Hồ sơ {instance.nom.id} không còn ở bước chờ quyết định.")
    item = step.session.scalar(select(TaskItem).where(TaskItem.task_uuid == str(task.id)))
    step.run(instance, task, {"decision": choice, "decision_id": decision.id}, acted=item)
    end = engine.outcome(instance.workflow)
    if end is not None and end != expect:
        raise Invalid(f"Theo quy trình, hồ sơ {instance.nom.id} kết thúc «{end}» thay vì «{expect}»: "
                      "hình thức khen thưởng không khớp loại văn bản; không có gì được thay đổi.")


def _record(step: NominationStep, instance: Instance, action: str, *, role: str | None = "secretariat",
            comment: str | None = None, changes: dict[str, Any] | None = None) -> None:
    route = instance.route or versions.route_for(step.session, instance.nom.process_model_id)
    declared = route.contract.decision_step()
    step.record(instance, action, role=role, task=declared.id if declared else None, comment=comment, changes=changes)


def _audit(step: NominationStep, decision: Decision, action: str, *, comment: str | None = None,
           changes: dict[str, Any] | None = None) -> None:
    audit.record_subject(step.session, "decision", decision.id, at=step.now, actor=step.actor, action=action,
                         comment=comment, changes=changes)


def _outcome(step: NominationStep, decision: Decision, ids: list[int]) -> DecisionOutcome:
    step.session.flush()
    return DecisionOutcome(decision.id, decision.state, decision.version, ids)


def _signature_due(step: NominationStep, instances: list[Instance]) -> datetime | None:
    """The signature's deadline: the strictest of the dossiers' routes (their ``signatureDeadline`` days)."""
    days = []
    for instance in instances:
        nom = instance.nom
        route = instance.route or versions.route_for(step.session, nom.process_model_id)
        declared = route.contract.decision_step()
        if declared is not None and declared.signature_deadline:
            on = route.rules.date_for(nom.created_at, nom.submitted_at, step.now)
            found = route.rules.step_days(nom.award_form, on).get(declared.signature_deadline)
            if found:
                days.append(found)
    return calendars.load(step.session).deadline(step.now, min(days)) if days else None


def _common_round(s: Session, ids: list[int]) -> int | None:
    """The council round every dossier last passed, when it is the same one (None: several, or none)."""
    rows = s.execute(select(RoundDossier.nomination_id, RoundDossier.round_id).join(CouncilRound)
                     .where(RoundDossier.nomination_id.in_(ids), CouncilRound.state == "closed")
                     .order_by(CouncilRound.closed_at, CouncilRound.id)).all()
    last = dict(rows)  # the latest closed round of each dossier
    rounds = {last.get(nid) for nid in ids}
    return rounds.pop() if len(rounds) == 1 else None


def _default_title(kind: str, award_name: str) -> str:
    return f"Về việc tặng {award_name}" if kind == "decision" else f"Về việc đề nghị tặng {award_name}"


def _number(raw: Any, kind: str, org_code: str) -> tuple[int, str]:
    """``12``, ``012`` or ``12/QĐ-BKHCN`` as ``(12, "12/QĐ-BKHCN")``; the code must be the kind's."""
    expected = numbering.code(kind, org_code)
    example = numbering.formatted(1, kind, org_code)
    if not isinstance(raw, str) or text_problem(raw, multiline=False) or len(raw) > 60:
        raise Invalid("Số văn bản không hợp lệ.", {"number": f"Số theo dạng {example}."})
    match = _NUMBER.match(raw.strip())
    if match is None or int(match.group(1)) == 0:
        raise Invalid("Số văn bản không hợp lệ.", {"number": f"Số theo dạng {example}."})
    suffix = (match.group(2) or expected).upper()
    if suffix != expected.upper():
        raise Invalid("Ký hiệu văn bản không đúng.", {"number": f"Ký hiệu phải là {expected} (ví dụ {example})."})
    value = int(match.group(1))
    return value, numbering.formatted(value, kind, org_code)


def _date(raw: Any, today: date, signed_on: date) -> date:
    if raw in (None, ""):
        day = today
    else:
        day = None
        if isinstance(raw, date) and not isinstance(raw, datetime):
            day = raw
        elif isinstance(raw, str) and len(raw) == 10:
            with contextlib.suppress(ValueError):
                day = date.fromisoformat(raw)
        if day is None:
            raise Invalid("Ngày ban hành không hợp lệ.", {"date": "Ngày theo dạng YYYY-MM-DD."})
    if day < signed_on:
        raise Invalid("Ngày ban hành không được trước ngày ký.", {"date": f"Không trước ngày ký {signed_on:%d/%m/%Y}."})
    if day > today:
        raise Invalid("Ngày ban hành không được sau hôm nay.", {"date": f"Không sau ngày {today:%d/%m/%Y}."})
    return day


def _ids(raw: Any) -> list[int]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_DOSSIERS or \
            not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in raw):
        raise Invalid("Danh sách hồ sơ không hợp lệ.", {"nomination_ids": f"Danh sách mã hồ sơ (1 đến {MAX_DOSSIERS})."})
    if len(set(raw)) != len(raw):
        raise Invalid("Danh sách hồ sơ không hợp lệ.", {"nomination_ids": "Mỗi hồ sơ chỉ một lần."})
    return list(raw)


def _text(raw: Any, name: str, limit: int, *, required: bool, multiline: bool = False) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise Invalid("Thông tin chưa hợp lệ.", {name: "Bắt buộc."})
        return None
    if not isinstance(raw, str):
        raise Invalid("Thông tin chưa hợp lệ.", {name: "Phải là chuỗi ký tự."})
    problem = text_problem(raw, multiline=multiline) or (f"Tối đa {limit} ký tự." if len(raw) > limit else None)
    if problem:
        raise Invalid("Thông tin chưa hợp lệ.", {name: problem})
    return raw.strip()


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(clock.VN_TZ).isoformat() if value else None

