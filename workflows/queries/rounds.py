"""The council's rounds, read: a member's ballot as an inbox task, a round's state and, once closed, its box.

Who voted is shown to those who run or oversee the council; how anyone voted exists nowhere to show.
A round counted with a tie at a quota's cut-off (state ``tie``) shows its results and its box, and
gives the council's chairs one task: pick the tied dossiers that take the seats left.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from workflows.documents import Attendance, DossierTally, Member, Minutes
from workflows.domain import secret_ballot as crypto
from workflows.domain.actor import GLOBAL_READERS, Actor
from workflows.domain.errors import NotFound
from workflows.persistence import versions
from workflows.persistence.model import (
    AwardForm,
    CouncilRound,
    Nomination,
    OfficerKey,
    RoundBallot,
    RoundDossier,
    RoundMember,
    TaskItem,
    Unit,
    User,
)
from workflows.persistence.scope import load_actor
from workflows.queries.task_rows import subjectless_row

READERS = GLOBAL_READERS | {"council_member"}
BALLOT_TASK = "round_ballot"  # the name of a member's ballot row (services.rounds writes it)
TIE_TASK = "round_tie"  # the chairs' one task of a round with a tie at a quota's cut-off
ROUND_TASKS = (BALLOT_TASK, TIE_TASK)
UNFINISHED = ("draft", "open", "counting", "tie")  # a dossier on such a round is on no other
COUNTED = ("tie", "closed")  # totals decrypted and published
SEES_WHO_VOTED = frozenset({"secretariat", "council_chair", "auditor", "admin"})


def dossiers(s: Session, round_id: int) -> list[dict[str, Any]]:
    rows = s.execute(
        select(RoundDossier, Nomination, Unit.name, AwardForm.name)
        .join(Nomination, Nomination.id == RoundDossier.nomination_id)
        .join(Unit, Unit.id == Nomination.unit_id).join(AwardForm, AwardForm.code == Nomination.award_form)
        .where(RoundDossier.round_id == round_id).order_by(RoundDossier.position))
    return [{"nomination_id": nom.id, "position": d.position, "nominee_name": nom.nominee_name,
             "nominee_kind": nom.nominee_kind, "unit_name": unit, "award_form": nom.award_form, "award_form_name": award,
             "achievements": nom.achievements, "agree": d.agree, "result": d.result,
             "encrypted_total": d.encrypted_total.hex() if d.encrypted_total else None, "proof": d.proof}
            for d, nom, unit, award in rows]


def ballot_schema(round_title: str, agenda: list[dict[str, Any]]) -> dict[str, Any]:
    """The ballot's form: one agree/disagree per dossier of the round, every one required."""
    choice = [{"const": "agree", "title": "Đồng ý"}, {"const": "disagree", "title": "Không đồng ý"}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Phiếu bầu: {round_title}",
        "type": "object", "additionalProperties": False, "required": ["votes"],
        "properties": {"votes": {
            "type": "object", "additionalProperties": False, "required": [str(d["nomination_id"]) for d in agenda],
            "properties": {str(d["nomination_id"]): {"title": f"{d['nominee_name']} ({d['unit_name']}): {d['award_form_name']}",
                                                     "oneOf": choice, "x-secret": True} for d in agenda}}},
    }


def ballot_task_row(s: Session, item: TaskItem, now: datetime) -> dict[str, Any]:
    """A member's ballot of a round, shaped like a nomination's task row (no nominee: it lists the round's)."""
    council_round = s.get(CouncilRound, item.round_id)
    agenda = dossiers(s, item.round_id)
    return subjectless_row(item, now, schema=ballot_schema(council_round.title, agenda), dossiers=agenda)


def my_ballots(s: Session, user: Actor, now: datetime) -> list[dict[str, Any]]:
    """My ready round tasks: my ballots and, for a chair, a round's tie to decide."""
    mine = TaskItem.assignee_id == user.id
    if "council_chair" in user.roles:
        mine = or_(mine, and_(TaskItem.name == TIE_TASK, TaskItem.role == "council_chair"))
    items = s.scalars(select(TaskItem).where(TaskItem.round_id.is_not(None), TaskItem.state == "ready", mine)
                      .order_by(TaskItem.due_at, TaskItem.id))
    return [round_task_row(s, item, now) for item in items]


def round_task_row(s: Session, item: TaskItem, now: datetime) -> dict[str, Any]:
    return tie_task_row(s, item, now) if item.name == TIE_TASK else ballot_task_row(s, item, now)


def may_see_task(user: Actor, item: TaskItem) -> bool:
    """A ballot is its member's alone; a round's tie is every chair's."""
    if item.name == TIE_TASK:
        return "council_chair" in user.roles
    return item.assignee_id == user.id


def tie_groups(agenda: list[dict[str, Any]], pending_only: bool = True) -> list[dict[str, Any]]:
    """The dossiers tied at a quota's cut-off, per award form and year, with the seats each group has left."""
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for d in agenda:
        result = d["result"] or {}
        if not result.get("tie") or (pending_only and result.get("passed") is not None):
            continue
        group = groups.setdefault((result["award_form"], result["year"]), {
            "award_form": result["award_form"], "award_form_name": d["award_form_name"], "year": result["year"],
            "quota": result.get("quota"), "quota_used": result.get("quota_used"), "seats": result["seats"],
            "dossiers": []})
        group["dossiers"].append(d)
    return [groups[k] for k in sorted(groups)]


def tie_schema(round_title: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The chair's form: which tied dossiers take the seats left (exactly that many per group)."""
    seats = sum(g["seats"] for g in groups)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Quyết định trường hợp đồng phiếu: {round_title}",
        "description": "Chọn đúng số hồ sơ bằng số chỉ tiêu còn lại của mỗi nhóm (hình thức, năm); "
                       "hồ sơ được chọn chuyển sang thẩm định, hồ sơ còn lại vượt chỉ tiêu.",
        "type": "object", "additionalProperties": False, "required": ["chosen"],
        "properties": {"chosen": {
            "type": "array", "uniqueItems": True, "minItems": seats, "maxItems": seats,
            "items": {"oneOf": [{"const": d["nomination_id"], "title": f"{d['nominee_name']} ({d['unit_name']}): "
                                 f"{d['award_form_name']}, {d['agree']} phiếu đồng ý"}
                                for g in groups for d in g["dossiers"]]}}},
        "x-groups": [{"award_form": g["award_form"], "year": g["year"], "quota": g["quota"], "quota_used": g["quota_used"],
                      "seats": g["seats"], "nomination_ids": [d["nomination_id"] for d in g["dossiers"]]} for g in groups],
    }


def tie_task_row(s: Session, item: TaskItem, now: datetime) -> dict[str, Any]:
    """A round's tie for the chairs, shaped like a nomination's task row; it lists the tied dossiers."""
    council_round = s.get(CouncilRound, item.round_id)
    groups = tie_groups(dossiers(s, item.round_id))
    return subjectless_row(item, now, schema=tie_schema(council_round.title, groups), groups=groups,
                           dossiers=[d for g in groups for d in g["dossiers"]], seats=sum(g["seats"] for g in groups))


def round_view(s: Session, user: Actor, round_id: int) -> dict[str, Any]:
    """A round as its readers see it: agenda, members called and how many voted; once closed, results and box."""
    council_round = s.get(CouncilRound, round_id)
    if council_round is None or not user.roles & READERS:
        raise NotFound("Không tìm thấy đợt xét.")
    members = s.execute(select(User.id, User.full_name, RoundMember.voted).join(RoundMember, RoundMember.user_id == User.id)
                        .where(RoundMember.round_id == round_id).order_by(User.id)).all()
    view: dict[str, Any] = {
        "id": council_round.id, "title": council_round.title, "meeting_date": council_round.meeting_date.isoformat(),
        "state": council_round.state, "voting_days": council_round.voting_days, "deadline_at": council_round.deadline_at,
        "opened_at": council_round.opened_at, "closed_at": council_round.closed_at,
        "members_called": council_round.members_called, "voted": council_round.ballots_cast,
        "key_fingerprint": crypto.box_genesis(round_id, council_round.public_key) if council_round.public_key else None,
        "dossiers": dossiers(s, round_id),
    }
    if user.roles & SEES_WHO_VOTED:
        view["members"] = [{"id": uid, "full_name": name, "voted": voted} for uid, name, voted in members]
    if council_round.state not in COUNTED:
        for dossier in view["dossiers"]:
            dossier.update(agree=None, result=None, encrypted_total=None, proof=None)
        return view
    view["tie"] = _tie(s, council_round, view["dossiers"])
    view["public_key"] = council_round.public_key.hex()
    view["box"] = [{"seq": b.seq, "id": b.id, "prev_hash": b.prev_hash, "hash": b.hash, "ciphertexts": b.ciphertexts}
                   for b in s.scalars(select(RoundBallot).where(RoundBallot.round_id == round_id).order_by(RoundBallot.seq))]
    return view


def _tie(s: Session, council_round: CouncilRound, agenda: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The round's tie at a quota's cut-off, pending (its task) or broken (who chose what); None without one."""
    item = s.scalar(select(TaskItem).where(TaskItem.round_id == council_round.id, TaskItem.name == TIE_TASK))
    if item is None:
        return None
    groups = tie_groups(agenda, pending_only=False)
    chair = s.get(User, item.completed_by_id) if item.completed_by_id else None
    return {"state": "pending" if council_round.state == "tie" else "broken", "item_id": item.id,
            "seats": sum(g["seats"] for g in groups),
            "groups": [{k: g[k] for k in ("award_form", "award_form_name", "year", "quota", "quota_used", "seats")}
                       | {"nomination_ids": [d["nomination_id"] for d in g["dossiers"]]} for g in groups],
            "chosen": [d["nomination_id"] for g in groups for d in g["dossiers"] if d["result"].get("chosen_by_chair")]
            if chair else None,
            "decided_by": chair.full_name if chair else None, "decided_at": item.completed_at}


def dossier_rounds(s: Session, nomination: Nomination) -> dict[str, Any]:
    """The rounds a dossier's page names: the unfinished one it is on (``current``) and the one that counted its
    result (``counted``, from the result's ``round_id``). Round facts only: state, how many voted, never how."""
    current = s.scalar(select(CouncilRound).join(RoundDossier, RoundDossier.round_id == CouncilRound.id)
                       .where(RoundDossier.nomination_id == nomination.id, CouncilRound.state.in_(UNFINISHED))
                       .order_by(CouncilRound.id.desc()).limit(1))
    result = nomination.council_result or {}
    counted = s.get(CouncilRound, result["round_id"]) if isinstance(result.get("round_id"), int) else None
    return {"current": _round_summary(current) if current else None,
            "counted": _round_summary(counted) if counted else None}


def _round_summary(r: CouncilRound) -> dict[str, Any]:
    return {"id": r.id, "title": r.title, "meeting_date": r.meeting_date.isoformat(), "state": r.state,
            "members_called": r.members_called, "voted": r.ballots_cast, "deadline_at": r.deadline_at,
            "closed_at": r.closed_at}


def round_list(s: Session, user: Actor) -> list[dict[str, Any]]:
    if not user.roles & READERS:
        return []
    rounds = s.scalars(select(CouncilRound).order_by(CouncilRound.id.desc()).limit(200))
    return [{"id": r.id, "title": r.title, "meeting_date": r.meeting_date.isoformat(), "state": r.state,
             "members_called": r.members_called, "voted": r.ballots_cast, "deadline_at": r.deadline_at} for r in rounds]


def waiting_dossiers(s: Session, user: Actor) -> list[dict[str, Any]]:
    """Dossiers waiting at their route's round step and on no unfinished round: what the secretariat may put on one."""
    if "secretariat" not in user.roles:
        return []
    ready = (TaskItem.state == "ready", TaskItem.round_id.is_(None))
    steps = [(pm, step.id) for pm in versions.running(s)
             if (step := versions.route_for(s, pm).contract.round_step()) is not None]
    if not steps:
        return []
    taken = select(RoundDossier.nomination_id).join(CouncilRound).where(CouncilRound.state.in_(UNFINISHED))
    rows = s.execute(
        select(TaskItem.created_at, Nomination, Unit.name, AwardForm.name)
        .join(Nomination, Nomination.id == TaskItem.nomination_id)
        .join(Unit, Unit.id == Nomination.unit_id).join(AwardForm, AwardForm.code == Nomination.award_form)
        .where(*ready, Nomination.id.not_in(taken),
               or_(*(and_(Nomination.process_model_id == pm, TaskItem.name == name) for pm, name in steps)))
        .order_by(TaskItem.created_at, Nomination.id)).all()
    return [{"nomination_id": nom.id, "nominee_name": nom.nominee_name, "nominee_kind": nom.nominee_kind,
             "unit_name": unit, "award_form": nom.award_form, "award_form_name": award, "waiting_since": since}
            for since, nom, unit, award in rows]


def has_officer_key(s: Session, user: Actor) -> bool:
    """Whether the user has set a ballot passphrase (an officer's key pair exists)."""
    return s.get(OfficerKey, user.id) is not None


def get_round(db, user_id: int, round_id: int) -> dict[str, Any]:
    with db.read() as s:
        return round_view(s, load_actor(s, user_id), round_id)


def list_rounds(db, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        return round_list(s, load_actor(s, user_id))


def _threshold_text(result: dict[str, Any]) -> str:
    if result.get("threshold_kind") == "pct_of_all":
        return f"≥ {result.get('threshold_pct')} % tổng số thành viên"
    return "Quá nửa số thành viên có mặt"


def quota_note(result: dict[str, Any]) -> str:
    """What the quota did to a dossier, as the round page and the minutes print it ("" when nothing)."""
    if result.get("rank") is None:
        return ""
    if result.get("tie"):
        return "Chủ tịch Hội đồng quyết định (đồng phiếu)" + (
            "" if result.get("passed") is None else ": được chọn" if result.get("passed") else ": không được chọn")
    if result.get("over_quota"):
        return f"Vượt chỉ tiêu (xếp thứ {result['rank']})"
    return f"Xếp thứ {result['rank']} (chỉ tiêu {result.get('quota')})"


def minutes(db, user_id: int, round_id: int):
    """The round's minutes (biên bản kiểm phiếu) as the documents package prints them; a closed round only."""
    settings = db.settings
    with db.read() as s:
        view = round_view(s, load_actor(s, user_id), round_id)
        if view["state"] != "closed":
            raise NotFound("Biên bản kiểm phiếu có sau khi đợt xét kết thúc.")
        council_round = s.get(CouncilRound, round_id)
        called = s.execute(select(User.full_name, User.id, RoundMember.voted).join(RoundMember, RoundMember.user_id == User.id)
                           .where(RoundMember.round_id == round_id).order_by(User.id)).all()
        chair = s.get(User, council_round.closed_by_id)
        secretary = s.get(User, council_round.created_by_id)
    results = [d["result"] for d in view["dossiers"]]
    return Minutes(
        organisation=settings.org_name, council=settings.council_name, round_title=view["title"],
        meeting_date=council_round.meeting_date, voting_deadline=council_round.deadline_at or council_round.closed_at,
        place=settings.city,
        members=tuple(Member(name, "Ủy viên", Attendance.WRITTEN if voted else Attendance.ABSENT)
                      for name, _uid, voted in called),
        quorum_required=results[0]["quorum_required"] if results else 0,
        dossiers=tuple(DossierTally(nominee=d["nominee_name"], unit=d["unit_name"], award_form=d["award_form_name"],
                                    agree=d["result"]["agree"], disagree=d["result"]["disagree"],
                                    threshold=_threshold_text(d["result"]), passed=bool(d["result"]["passed"]),
                                    note=quota_note(d["result"]))
                       for d in view["dossiers"]),
        chair=chair.full_name if chair else "", secretary=secretary.full_name if secretary else "",
        secretary_title="TỔ KIỂM PHIẾU", city=settings.city, issued=council_round.closed_at.date(),
        notes=(_anchor_note(council_round),),
    )


def _anchor_note(council_round: CouncilRound) -> str:
    """The round's key and box as the signed paper records them: a database changed after the count no longer
    matches its minutes (the box's check, ``flask round-verify``, compares them)."""
    return (f"Khóa kiểm phiếu của đợt có dấu vân tay {crypto.box_genesis(council_round.id, council_round.public_key)}; "
            f"hòm phiếu gồm {council_round.ballots_cast} phiếu, mã cuối chuỗi {council_round.box_head}.")


def list_waiting(db, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        return waiting_dossiers(s, load_actor(s, user_id))


def passphrase_set(db, user_id: int) -> bool:
    with db.read() as s:
        return has_officer_key(s, load_actor(s, user_id))
