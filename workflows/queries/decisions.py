"""Decisions and submissions, read: the list, one decision with its attached list and history, the dossiers
waiting for one (grouped by award form and round), a decision's inbox rows, and the document to print.

The ministry's readers (secretariat, reviewers, the minister and deputies, the council chair, admins,
auditors) see every decision. A unit's people see the decisions that list one of their unit's dossiers,
with only those dossiers, and the document once it is registered (issued, it goes to every listed unit).
Anyone else, and any other unit, finds nothing.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session

from workflows.documents import Awardee, Decision, Signer, Submission, vn_date
from workflows.domain import clock
from workflows.domain.actor import UNIT_ROLES, Actor
from workflows.domain.decision_forms import KIND_NAMES, REGISTER_TASK, SIGN_TASK, register_form, sign_form
from workflows.domain.errors import NotFound
from workflows.domain.labels import ACTIONS, NOMINEE_KINDS, STATES
from workflows.engine import decisions as rule_tables
from workflows.persistence import numbering, versions
from workflows.persistence.db import Settings
from workflows.persistence.decision_model import UNFINISHED, DecisionDossier
from workflows.persistence.decision_model import Decision as DecisionRow
from workflows.persistence.model import AuditEvent, AwardForm, CouncilRound, Nomination, RoundDossier, TaskItem, Unit, User
from workflows.persistence.scope import inbox_filter, load_actor
from workflows.queries.delegations import behalf_labels
from workflows.queries.task_rows import subjectless_row

KIND_LABELS = {"decision": "Quyết định", "submission": "Tờ trình"}
STATE_LABELS = {"draft": "Dự thảo", "sent": "Chờ Lãnh đạo Bộ ký", "signed": "Đã ký, chờ đăng ký số",
                "registered": "Đã ban hành", "returned": "Bị trả lại", "cancelled": "Đã hủy"}
DECISION_ACTIONS = {"decision_drafted": "Lập dự thảo", "decision_sent": "Trình ký", "decision_signed": "Ký",
                    "decision_returned": "Trả lại", "decision_registered": "Đăng ký số, ngày ban hành",
                    "decision_cancelled": "Hủy"}
LAW = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;"
PROPOSER = "Theo đề nghị của Vụ trưởng Vụ Tổ chức cán bộ."
ASKS = {"president": "xem xét, trình Chủ tịch nước quyết định", "government": "xem xét, trình Chính phủ quyết định"}


# --- who sees what -----------------------------------------------------------------------------------

def _units(user: Actor) -> list[int] | None:
    """None: the user reads every decision; else the units whose dossiers they may see (possibly none)."""
    if user.reads_everything:
        return None
    return sorted(user.units) if user.roles & UNIT_ROLES else []


def _visible(user: Actor):
    units = _units(user)
    if units is None:
        return DecisionRow.id.is_not(None)
    if not units:
        return false()
    return exists(select(DecisionDossier.nomination_id).join(Nomination, Nomination.id == DecisionDossier.nomination_id)
                  .where(DecisionDossier.decision_id == DecisionRow.id, Nomination.unit_id.in_(units)))


def _get(s: Session, user: Actor, decision_id: int) -> DecisionRow:
    row = s.scalar(select(DecisionRow).where(DecisionRow.id == decision_id, _visible(user)))
    if row is None:
        raise NotFound("Không tìm thấy quyết định.")
    return row


# --- the list and one decision -----------------------------------------------------------------------

def decision_list(s: Session, user: Actor, state: str | None = None) -> list[dict[str, Any]]:
    query = (select(DecisionRow, AwardForm.name).join(AwardForm, AwardForm.code == DecisionRow.award_form)
             .where(_visible(user)).order_by(DecisionRow.id.desc()).limit(200))
    if state:
        query = query.where(DecisionRow.state == state)
    rows = s.execute(query).all()
    counts = _counts(s, [d.id for d, _ in rows])
    return [_summary(d, award, counts.get(d.id, 0)) for d, award in rows]


def _counts(s: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    found: dict[int, int] = {}
    for decision_id in s.scalars(select(DecisionDossier.decision_id).where(DecisionDossier.decision_id.in_(ids))):
        found[decision_id] = found.get(decision_id, 0) + 1
    return found


def _summary(d: DecisionRow, award_name: str, count: int) -> dict[str, Any]:
    return {"id": d.id, "kind": d.kind, "kind_label": KIND_LABELS[d.kind], "award_form": d.award_form,
            "award_form_name": award_name, "round_id": d.round_id, "state": d.state, "state_label": _state_label(d),
            "title": d.title, "number": d.number, "registered_date": d.registered_date.isoformat() if d.registered_date
            else None, "dossier_count": count, "due_at": d.due_at, "created_at": d.created_at, "version": d.version}


def _state_label(d: DecisionRow) -> str:
    if d.kind == "submission" and d.state == "registered":
        return "Đã trình cấp trên"
    if d.kind == "submission" and d.state == "signed":
        return "Đã ký, đã trình; chờ đăng ký số"
    return STATE_LABELS[d.state]


def decision_view(s: Session, user: Actor, decision_id: int, settings: Settings) -> dict[str, Any]:
    """One decision as its readers see it: its state, attached list, number, signer, history and what the user may do."""
    d = _get(s, user, decision_id)
    award_name = s.scalar(select(AwardForm.name).where(AwardForm.code == d.award_form))
    units = _units(user)
    names = _names(s, d)
    view = _summary(d, award_name, 0) | {
        "reason": d.reason, "year": d.year, "registered_at": d.registered_at, "registered_by": names.get(d.registered_by_id),
        "created_by": names.get(d.created_by_id), "sent_at": d.sent_at, "signed_by": names.get(d.signed_by_id),
        "signed_at": d.signed_at, "on_behalf_of": names.get(d.on_behalf_of_id), "closed_by": names.get(d.closed_by_id),
        "closed_at": d.closed_at, "close_reason": d.close_reason, "what": KIND_NAMES[d.kind],
        "overdue": bool(d.state == "sent" and d.due_at and d.due_at < clock.now()),
    }
    view["round_title"] = s.scalar(select(CouncilRound.title).where(CouncilRound.id == d.round_id)) if d.round_id else None
    dossiers = _dossiers(s, d.id)
    view["dossier_count"] = len(dossiers)
    view["dossiers"] = dossiers if units is None else [x for x in dossiers if x["unit_id"] in units]
    view["pdf"] = units is None or d.state == "registered"
    items = {i.name: i for i in s.scalars(select(TaskItem).where(TaskItem.decision_id == d.id, TaskItem.state == "ready"))}
    sign, register = items.get(SIGN_TASK), items.get(REGISTER_TASK)
    view["sign_task_id"] = sign.id if sign else None
    view["register_task_id"] = register.id if register else None
    secretariat = "secretariat" in user.roles
    view["can"] = {"send": secretariat and d.state == "draft", "cancel": secretariat and d.state in ("draft", "sent"),
                   "sign": sign is not None and user.can_act(sign),
                   "register": register is not None and user.can_act(register)}
    view["proposal"] = None
    if view["can"]["register"]:
        view["proposal"] = numbering.next_free(s, d.kind, clock.now().astimezone(clock.VN_TZ).year, settings.org_code)[1]
    view["history"] = _history(s, d.id) if units is None else []
    return view


def _names(s: Session, d: DecisionRow) -> dict[int, str]:
    ids = {d.created_by_id, d.signed_by_id, d.on_behalf_of_id, d.registered_by_id, d.closed_by_id} - {None}
    return dict(s.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}


def _dossiers(s: Session, decision_id: int) -> list[dict[str, Any]]:
    rows = s.execute(select(DecisionDossier.position, Nomination, Unit.name)
                     .join(Nomination, Nomination.id == DecisionDossier.nomination_id)
                     .join(Unit, Unit.id == Nomination.unit_id)
                     .where(DecisionDossier.decision_id == decision_id).order_by(DecisionDossier.position)).all()
    return [{"nomination_id": nom.id, "position": position, "nominee_name": nom.nominee_name,
             "nominee_kind": nom.nominee_kind, "nominee_kind_label": NOMINEE_KINDS.get(nom.nominee_kind, nom.nominee_kind),
             "nominee_position": nom.nominee_position, "nominee_unit": nom.nominee_unit, "unit_id": nom.unit_id,
             "unit_name": unit, "achievements": nom.achievements, "state": nom.state,
             "state_label": STATES.get(nom.state, nom.state), "decision_number": nom.decision_number}
            for position, nom, unit in rows]


def _history(s: Session, decision_id: int) -> list[dict[str, Any]]:
    rows = s.execute(select(AuditEvent, User.full_name).outerjoin(User, AuditEvent.actor_id == User.id)
                     .where(AuditEvent.subject_type == "decision", AuditEvent.subject_id == str(decision_id))
                     .order_by(AuditEvent.seq)).all()
    behalf = behalf_labels(s, {e.on_behalf_of_id for e, _ in rows})
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "actor_name": name or "Hệ thống",
             "action": e.action, "action_label": DECISION_ACTIONS.get(e.action, ACTIONS.get(e.action, e.action)),
             "comment": e.comment, "changes": e.changes, "on_behalf_of": e.on_behalf_of,
             "on_behalf_of_label": behalf.get(e.on_behalf_of_id)} for e, name in rows]


def for_nomination(s: Session, user: Actor, nomination_id: int) -> list[dict[str, Any]]:
    """The decisions that list a dossier the user sees (a dossier returned by the minister may be in several)."""
    if _units(user) == []:
        return []
    rows = s.execute(select(DecisionRow, AwardForm.name).join(AwardForm, AwardForm.code == DecisionRow.award_form)
                     .join(DecisionDossier, DecisionDossier.decision_id == DecisionRow.id)
                     .where(DecisionDossier.nomination_id == nomination_id).order_by(DecisionRow.id)).all()
    return [_summary(d, award, 0) for d, award in rows]


# --- dossiers waiting for a decision -----------------------------------------------------------------

def waiting_groups(s: Session, user: Actor) -> list[dict[str, Any]]:
    """Dossiers at their route's decision step and in no unfinished decision, by award form and council round:
    each group is one decision (or submission) the secretariat may draft."""
    if "secretariat" not in user.roles:
        return []
    ready = (TaskItem.state == "ready", TaskItem.nomination_id.is_not(None))
    steps = [(pm, step.id) for pm in versions.running(s)
             if (step := versions.route_for(s, pm).contract.decision_step()) is not None]
    if not steps:
        return []
    taken = select(DecisionDossier.nomination_id).join(DecisionRow).where(DecisionRow.state.in_(UNFINISHED))
    rows = s.execute(
        select(TaskItem.created_at, Nomination, Unit.name, AwardForm.name, AwardForm.sort_order)
        .join(Nomination, Nomination.id == TaskItem.nomination_id)
        .join(Unit, Unit.id == Nomination.unit_id).join(AwardForm, AwardForm.code == Nomination.award_form)
        .where(*ready, Nomination.id.not_in(taken),
               or_(*(and_(Nomination.process_model_id == pm, TaskItem.name == name) for pm, name in steps)))
        .order_by(AwardForm.sort_order, TaskItem.created_at, Nomination.id)).all()
    last_round = _last_rounds(s, [nom.id for _, nom, *_ in rows])
    titles = dict(s.execute(select(CouncilRound.id, CouncilRound.title)
                            .where(CouncilRound.id.in_(set(last_round.values()) - {None}))).all())
    groups: dict[tuple[str, int | None], dict[str, Any]] = {}
    now = clock.now()
    for since, nom, unit, award, order in rows:
        round_id = last_round.get(nom.id)
        rules = versions.route_for(s, nom.process_model_id).rules  # who decides: the dossier's own rule set, as drafting reads it
        level = rules.level(nom.award_form, rules.date_for(nom.created_at, nom.submitted_at, now))
        group = groups.setdefault((nom.award_form, round_id), {
            "award_form": nom.award_form, "award_form_name": award, "round_id": round_id,
            "round_title": titles.get(round_id), "kind": "decision" if level == "ministry" else "submission",
            "kind_label": KIND_LABELS["decision" if level == "ministry" else "submission"], "order": order, "dossiers": []})
        group["dossiers"].append({"nomination_id": nom.id, "nominee_name": nom.nominee_name,
                                  "nominee_kind": nom.nominee_kind, "unit_name": unit, "waiting_since": since})
    return sorted(groups.values(), key=lambda g: (g["order"], g["round_id"] is None, g["round_id"] or 0))


def _last_rounds(s: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = s.execute(select(RoundDossier.nomination_id, RoundDossier.round_id).join(CouncilRound)
                     .where(RoundDossier.nomination_id.in_(ids), CouncilRound.state == "closed")
                     .order_by(CouncilRound.closed_at, CouncilRound.id)).all()
    return dict(rows)


# --- a decision's inbox rows ---------------------------------------------------------------------------

def task_row(s: Session, item: TaskItem, now: datetime) -> dict[str, Any]:
    """A decision's signature or registration row, shaped like a nomination's task row (it lists many dossiers)."""
    d = s.get(DecisionRow, item.decision_id)
    count = len(_dossiers(s, d.id))
    schema = sign_form(d.kind) if item.name == SIGN_TASK else register_form()
    return subjectless_row(item, now, decision_id=d.id, award_form=d.award_form,
                           award_form_name=s.scalar(select(AwardForm.name).where(AwardForm.code == d.award_form)),
                           schema=schema, dossier_count=count, decision_kind=d.kind, decision_version=d.version)


def my_tasks(s: Session, user: Actor, now: datetime, award_form: str | None = None) -> list[dict[str, Any]]:
    """The ready rows of decisions that the user may act on (the minister's signatures, the office's registrations)."""
    if not (user.roles - UNIT_ROLES or user.grants):
        return []
    query = (select(TaskItem).join(DecisionRow, DecisionRow.id == TaskItem.decision_id)
             .where(inbox_filter(user))  # a deputy's delegated signatures too
             .order_by(TaskItem.due_at, TaskItem.id))
    if award_form:
        query = query.where(DecisionRow.award_form == award_form)
    return [task_row(s, item, now) for item in s.scalars(query) if user.can_act(item)]


# --- the document ----------------------------------------------------------------------------------------

def document(s: Session, user: Actor, decision_id: int, settings: Settings) -> Decision | Submission:
    """The decision (or submission) as the documents package prints it, its list in the decision's order."""
    d = _get(s, user, decision_id)
    if _units(user) is not None and d.state != "registered":
        raise NotFound("Văn bản có sau khi được ban hành.")
    award_name = s.scalar(select(AwardForm.name).where(AwardForm.code == d.award_form))
    names = _names(s, d)
    awardees = tuple(Awardee(x["nominee_name"], x["nominee_unit"] or x["unit_name"], x["achievements"] or "",
                             x["nominee_position"] or "", x["nominee_kind"] == "collective") for x in _dossiers(s, d.id))
    on = d.registered_date or (d.signed_at or clock.now()).astimezone(clock.VN_TZ).date()
    bases = [LAW]
    if decree := _decree(on):
        bases.append(f"Căn cứ Nghị định số {decree} của Chính phủ quy định chi tiết Luật Thi đua, khen thưởng;")
    if d.round_id:
        meeting = s.scalar(select(CouncilRound.meeting_date).where(CouncilRound.id == d.round_id))
        bases.append(f"Căn cứ kết quả xét, bỏ phiếu của {settings.council_name} {vn_date(meeting)};")
    bases.append(PROPOSER)
    if d.signed_by_id and d.on_behalf_of_id:
        signer = Signer(names.get(d.signed_by_id, ""), "THỨ TRƯỞNG", on_behalf_of="BỘ TRƯỞNG")
    else:
        signer = Signer(names.get(d.signed_by_id, "") if d.signed_by_id else "", "BỘ TRƯỞNG")
    number, _, code = (d.number or "").partition("/")
    code = code or numbering.code(d.kind, settings.org_code)
    draft = d.state not in ("signed", "registered")
    if d.kind == "decision":
        return Decision(organisation=settings.org_name, issuer=f"BỘ TRƯỞNG {settings.org_name}", award_form=award_name,
                        legal_bases=tuple(bases), awardees=awardees, signer=signer,
                        recipients=("Như Điều 3;", "Lưu: VT, TCCB."), reason=d.reason or "", number=number, code=code,
                        issued=d.registered_date, city=settings.city, draft=draft)
    authority = None
    with contextlib.suppress(Exception):
        authority = rule_tables.shipped().form_rules(d.award_form, on).authority
    return Submission(organisation=settings.org_name, speaker=settings.org_title, addressee="Thủ tướng Chính phủ",
                      via="(qua Bộ Nội vụ)", award_form=award_name, legal_bases=tuple(bases[:-1]), awardees=awardees,
                      signer=signer, recipients=("Như trên;", "Bộ Nội vụ (Ban Thi đua - Khen thưởng Trung ương);",
                                                 "Lưu: VT, TCCB."),
                      title=d.title, request=ASKS.get(authority or "", "xem xét, quyết định"), reason=d.reason or "",
                      number=number, code=code, issued=d.registered_date, city=settings.city, draft=draft)


def _decree(on: date) -> str | None:
    """The decree in force on ``on`` as the council's rule set (DMN) names it first: ``152/2025/NĐ-CP``."""
    try:
        basis = rule_tables.rule_set_for(on).legal_basis
    except Exception:  # no rule set covers the date: the document cites the law alone
        return None
    match = re.search(r"Nghị định (?:số )?(\d+/\d{4}/NĐ-CP)", basis)
    return match.group(1) if match else None


# --- for the entry points --------------------------------------------------------------------------------

def list_decisions(db, user_id: int, state: str | None = None) -> list[dict[str, Any]]:
    with db.read() as s:
        return decision_list(s, load_actor(s, user_id), state)


def get_decision(db, user_id: int, decision_id: int) -> dict[str, Any]:
    with db.read() as s:
        return decision_view(s, load_actor(s, user_id), decision_id, db.settings)


def list_waiting(db, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        return waiting_groups(s, load_actor(s, user_id))


def get_document(db, user_id: int, decision_id: int) -> Decision | Submission:
    with db.read() as s:
        return document(s, load_actor(s, user_id), decision_id, db.settings)


def pdf(db, user_id: int, decision_id: int) -> tuple[bytes, str]:
    """The PDF bytes and a download name (ASCII: ``quyet-dinh-12.pdf``, ``to-trinh-12.pdf``)."""
    from workflows.documents import decision_pdf, submission_pdf

    data = get_document(db, user_id, decision_id)
    if isinstance(data, Submission):
        return submission_pdf(data), f"to-trinh-{decision_id}.pdf"
    return decision_pdf(data), f"quyet-dinh-{decision_id}.pdf"
