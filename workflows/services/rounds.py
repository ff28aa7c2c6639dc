"""The council's rounds (đợt xét): one meeting's secret ballot over several dossiers.

The secretariat puts dossiers waiting at the route's round step (hook ``round``) on a round's
agenda and opens it: the members are called (a snapshot), each finds one ballot in the inbox, and
the round's Paillier key is generated with its private half sealed to every council officer's
public key (:mod:`workflows.domain.secret_ballot`). A member's submit encrypts one agree/disagree
per dossier, adds the ballot to the box's hash chain and shows the member its receipt: no choice
and no running tally is ever written in clear. The chair closes the round with their passphrase:
the box's homomorphic totals are decrypted with their proofs, the sealed round keys are deleted,
and each dossier's result (quorum and threshold of its award form's rule) completes its round
step, sending it on to appraisal or to its end. Anyone can check a closed round (:func:`verify`).

Locks: the round row first, then its nominations in id order (through the unit of work).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from workflows import engine
from workflows.domain import clock
from workflows.domain import secret_ballot as crypto
from workflows.domain.actor import Actor
from workflows.domain.council import evaluate
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.forms import text_problem
from workflows.persistence import audit, calendars, versions
from workflows.persistence.db import Database
from workflows.persistence.model import (
    AwardForm,
    CouncilRound,
    Nomination,
    OfficerKey,
    RoundBallot,
    RoundDossier,
    RoundMember,
    RoundSealedKey,
    TaskItem,
    User,
    UserRole,
)
from workflows.persistence.scope import load_actor
from workflows.queries.rounds import COUNTED, TIE_TASK, UNFINISHED
from workflows.services import notify, round_quotas
from workflows.services.ballot import council_flags
from workflows.services.unit_of_work import NominationStep

MAX_DOSSIERS = 200
DEFAULT_VOTING_DAYS = 5
REMIND_DAYS_BEFORE = 2  # working days before the voting deadline, to members who have not voted
MIN_PASSPHRASE = 12
BALLOT_TASK = "round_ballot"
BALLOT_FORM = "round_ballot"
TIE_FORM = TIE_TASK  # the chair's choice among dossiers tied at a quota's cut-off (queries.rounds.tie_schema)


@dataclass(frozen=True)
class BallotReceipt:
    round_id: int
    receipt: str  # the ballot's hash: the member finds it in the published box


@dataclass(frozen=True)
class TieOutcome:
    round_id: int
    chosen: tuple[int, ...]  # passed by the chair's choice, on to appraisal
    cut: tuple[int, ...]  # over the quota, rejected


# --- officers ----------------------------------------------------------------------------------------

def set_officer_passphrase(db: Database, actor: Actor | int, passphrase: str) -> None:
    """A council officer (the chair) sets the passphrase that alone will open the rounds sealed to them."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise Invalid(f"Mật khẩu kiểm phiếu phải có ít nhất {MIN_PASSPHRASE} ký tự.",
                      {"passphrase": f"Ít nhất {MIN_PASSPHRASE} ký tự."})
    keys = crypto.officer_keys(passphrase)  # slow on purpose (Argon2id): outside the transaction
    with db.write() as s:
        who = load_actor(s, actor)
        if "council_chair" not in who.roles:
            raise Forbidden("Chỉ Chủ tịch Hội đồng đặt mật khẩu kiểm phiếu.")
        sealed_open = s.scalar(select(RoundSealedKey.round_id).join(CouncilRound)
                               .where(RoundSealedKey.officer_id == who.id, CouncilRound.state == "open").limit(1))
        if sealed_open is not None:
            raise Conflict("Đang có đợt xét mở được niêm phong bằng mật khẩu hiện tại; hãy kết thúc đợt đó trước.")
        now = clock.now()
        row = s.get(OfficerKey, who.id)
        if row is None:
            s.add(OfficerKey(user_id=who.id, public_key=keys.public, sealed_secret=keys.sealed_secret, created_at=now))
        else:
            row.public_key, row.sealed_secret, row.created_at = keys.public, keys.sealed_secret, now
        audit.record_subject(s, "user", who.id, at=now, actor=who, action="ballot_passphrase_set")


# --- forming and opening a round ---------------------------------------------------------------------

def create_round(db: Database, actor: Actor | int, title: Any, meeting_date: Any, nomination_ids: Any,
                 voting_days: Any = DEFAULT_VOTING_DAYS) -> int:
    """The secretariat puts dossiers waiting for the council on a new round's agenda (a draft)."""
    title, meeting, ids, days = _round_fields(title, meeting_date, nomination_ids, voting_days)
    with NominationStep(db, actor) as step:
        if "secretariat" not in step.actor.roles:
            raise Forbidden("Chỉ bộ phận thường trực Hội đồng lập đợt xét.")
        instances = step.lock_many(ids)
        found = {i.nom.id for i in instances}
        if missing := [i for i in ids if i not in found]:
            raise Invalid("Có hồ sơ không tồn tại.", {"nomination_ids": f"Không tìm thấy hồ sơ {missing}."})
        for instance in instances:
            declared = instance.route.contract.round_step()
            ready = {t.task_spec.bpmn_id for t in engine.ready_user_tasks(instance.workflow)}
            if declared is None or declared.id not in ready:
                raise Invalid("Hồ sơ chưa sẵn sàng để Hội đồng xét.",
                              {"nomination_ids": f"Hồ sơ {instance.nom.id} không ở bước chờ Hội đồng xét."})
        taken = step.session.scalars(
            select(RoundDossier.nomination_id).join(CouncilRound)
            .where(RoundDossier.nomination_id.in_(ids), CouncilRound.state.in_(UNFINISHED))).all()
        if taken:
            raise Conflict(f"Hồ sơ {sorted(taken)} đã thuộc một đợt xét khác chưa kết thúc.")
        now = step.now
        council_round = CouncilRound(title=title, meeting_date=meeting, state="draft", voting_days=days,
                                     created_by_id=step.actor.id, created_at=now, ballots_cast=0)
        step.session.add(council_round)
        step.session.flush()
        step.session.add_all(RoundDossier(round_id=council_round.id, nomination_id=nid, position=n)
                             for n, nid in enumerate(ids, 1))
        for instance in instances:  # the dossier's own history says which round it went to
            step.record(instance, "round_joined", role="secretariat", task=instance.route.contract.round_step().id,
                        changes={"round": [None, {"id": council_round.id, "title": title}]})
        audit.record_subject(step.session, "round", council_round.id, at=now, actor=step.actor, action="round_created",
                             changes={"title": [None, title], "nomination_ids": [None, ids]})
        return council_round.id


def open_round(db: Database, actor: Actor | int, round_id: int) -> None:
    """Call the members, generate the round's key sealed to the officers, and give each member a ballot."""
    with db.write() as s:
        who = load_actor(s, actor)
        if "secretariat" not in who.roles:
            raise Forbidden("Chỉ bộ phận thường trực Hội đồng mở đợt xét.")
        council_round = _lock_round(s, round_id)
        if council_round.state != "draft":
            raise Conflict("Đợt xét đã được mở.")
        dossiers = _dossiers(s, round_id)
        noms = {n.id: n for n in s.scalars(select(Nomination).where(Nomination.id.in_([d.nomination_id for d in dossiers])))}
        officers = dict(s.execute(select(OfficerKey.user_id, OfficerKey.public_key).join(User, User.id == OfficerKey.user_id)
                                  .join(UserRole, UserRole.user_id == User.id)
                                  .where(UserRole.role == "council_chair", User.active.is_(True))).all())
        if not officers:
            raise Invalid("Chủ tịch Hội đồng chưa đặt mật khẩu kiểm phiếu: chưa thể mở đợt xét.")
        chair_votes = {_rule(s, noms[d.nomination_id], clock.now()).chair_votes for d in dossiers}
        if len(chair_votes) > 1:
            raise Invalid("Các hồ sơ trong đợt theo quy định khác nhau về việc Chủ tịch bỏ phiếu; hãy tách thành hai đợt.")
        roles = ["council_member", *(["council_chair"] if chair_votes.pop() else [])]
        members = list(s.scalars(select(User.id).join(UserRole).where(UserRole.role.in_(roles), User.active.is_(True))
                                 .distinct().order_by(User.id)))
        if not members:
            raise Invalid("Hội đồng Thi đua - Khen thưởng chưa có ủy viên bỏ phiếu.")
        key = crypto.new_round_key(officers, bits=db.settings.ballot_key_bits)
        now = clock.now()
        calendar = calendars.load(s)
        deadline = calendar.deadline(now, council_round.voting_days)
        council_round.state, council_round.opened_at, council_round.deadline_at = "open", now, deadline
        council_round.remind_at = max(now, calendar.reminder(deadline, REMIND_DAYS_BEFORE))
        council_round.public_key, council_round.members_called = key.public, len(members)
        council_round.box_head = crypto.box_genesis(round_id, key.public)
        s.add_all(RoundSealedKey(round_id=round_id, officer_id=officer, sealed=sealed) for officer, sealed in key.sealed.items())
        s.add_all(RoundMember(round_id=round_id, user_id=member, voted=False) for member in members)
        s.add_all(TaskItem(round_id=round_id, task_uuid=secrets.token_hex(16), name=BALLOT_TASK,
                           title=f"Phiếu bầu: {council_round.title}", form=BALLOT_FORM, role="council_member",
                           assignee_id=member, state="ready", created_at=now, due_at=deadline) for member in members)
        called = list(s.scalars(select(User).where(User.id.in_(members))))
        notify.send(s, db.settings, called, None, "task",
                    f"Mời bỏ phiếu: đợt xét «{council_round.title}» của Hội đồng Thi đua - Khen thưởng, "
                    f"hạn bỏ phiếu lúc {notify.local(deadline)}.", now, exclude=who.id)
        audit.record_subject(s, "round", round_id, at=now, actor=who, action="round_opened",
                             changes={"members_called": [None, len(members)], "deadline_at": [None, deadline.isoformat()],
                                      "key_fingerprint": [None, council_round.box_head]})


# --- voting ------------------------------------------------------------------------------------------

def owns_item(db: Database, item_id: int) -> bool:
    """Whether a task row is a round's (a ballot, the chair's tie): the nomination path answers 404 for it."""
    with db.read() as s:
        return s.scalar(select(TaskItem.round_id).where(TaskItem.id == item_id)) is not None


def complete_item(db: Database, actor: Actor | int, item_id: int, data: Any) -> BallotReceipt | TieOutcome:
    """A round's task row completed: a member's ballot, or the chair's choice at a tie."""
    with db.read() as s:
        name = s.scalar(select(TaskItem.name).where(TaskItem.id == item_id))
    if name == TIE_TASK:
        return break_tie(db, actor, item_id, data)
    return submit_ballot(db, actor, item_id, data)


def submit_ballot(db: Database, actor: Actor | int, item_id: int, data: Any) -> BallotReceipt:
    """A member's one ballot: agree or disagree on every dossier of the round, encrypted, into the box.

    The encryption (about 15 ms per dossier) happens before the round's lock, so members submitting at
    once wait for each other only for the box's append; everything it relied on is checked again under the lock.
    """
    with db.read() as s:
        who = load_actor(s, actor)
        item = s.get(TaskItem, item_id)
        if item is None or item.round_id is None or item.assignee_id != who.id:
            raise NotFound("Không tìm thấy công việc.")  # another member's ballot: as if it did not exist
        council_round = s.get(CouncilRound, item.round_id)
        if council_round.state != "open" or item.state != "ready":
            raise Conflict("Phiếu bầu đã được gửi, hoặc đợt xét đã hết hạn bỏ phiếu.")
        round_id, public_key = council_round.id, council_round.public_key
        dossier_ids = [d.nomination_id for d in _dossiers(s, round_id)]
    ciphertexts = crypto.encrypt_ballot(public_key, _choices(data, dossier_ids))
    with db.write() as s:
        council_round = _lock_round(s, round_id)
        item = s.get(TaskItem, item_id, populate_existing=True)  # read under the round's lock
        if council_round.state != "open" or item.state != "ready":
            raise Conflict("Phiếu bầu đã được gửi, hoặc đợt xét đã hết hạn bỏ phiếu.")
        now = clock.now()
        if council_round.deadline_at and now >= council_round.deadline_at:  # before the sweep has ended the voting
            raise Conflict("Đợt xét đã hết hạn bỏ phiếu.")
        ballot_id = secrets.token_hex(16)
        receipt = crypto.ballot_receipt(round_id, ballot_id, council_round.box_head, ciphertexts)
        s.add(RoundBallot(id=ballot_id, round_id=round_id, seq=council_round.ballots_cast + 1,
                          prev_hash=council_round.box_head, hash=receipt,
                          ciphertexts={str(d): c.hex() for d, c in ciphertexts.items()}))
        council_round.box_head, council_round.ballots_cast = receipt, council_round.ballots_cast + 1
        s.execute(update(RoundMember).where(RoundMember.round_id == round_id, RoundMember.user_id == who.id)
                  .values(voted=True))
        item.state, item.completed_at, item.completed_by_id = "completed", now, who.id
        # That the member voted is public; the receipt is theirs alone: recorded together they would name the ballot.
        audit.record_subject(s, "round", round_id, at=now, actor=who, action="voted")
        return BallotReceipt(round_id, receipt)


def _choices(data: Any, dossier_ids: list[int]) -> dict[int, bool]:
    votes = data.get("votes") if isinstance(data, dict) else None
    if not isinstance(votes, dict) or set(data) - {"votes"}:
        raise Invalid("Phiếu bầu phải có dạng {\"votes\": {\"<mã hồ sơ>\": \"agree\" | \"disagree\"}}.")
    wanted = {str(d): d for d in dossier_ids}
    problems = {}
    for key in sorted(set(votes) - set(wanted)):
        problems[str(key)[:40]] = "Hồ sơ không thuộc đợt xét này."
    choices = {}
    for key, dossier in wanted.items():
        value = votes.get(key)
        if value not in ("agree", "disagree"):
            problems[key] = "Chưa chọn đồng ý hoặc không đồng ý." if value in (None, "") else "Lựa chọn không hợp lệ."
        else:
            choices[dossier] = value == "agree"
    if problems:
        raise Invalid("Phiếu bầu phải chọn đồng ý hoặc không đồng ý cho mỗi hồ sơ của đợt.", problems)
    return choices


# --- closing -----------------------------------------------------------------------------------------

def close_round(db: Database, actor: Actor | int, round_id: int, passphrase: Any) -> dict[int, dict[str, Any]]:
    """The chair counts: totals decrypted with proofs, the round key destroyed, each dossier sent on by its result."""
    if not isinstance(passphrase, str) or not passphrase:
        raise Invalid("Hãy nhập mật khẩu kiểm phiếu.", {"passphrase": "Bắt buộc."})
    with NominationStep(db, actor) as step:
        s = step.session
        if "council_chair" not in step.actor.roles:
            raise Forbidden("Chỉ Chủ tịch Hội đồng kết thúc đợt xét.")
        council_round = _lock_round(s, round_id)
        if council_round.state not in ("open", "counting"):
            raise Conflict("Đợt xét không ở trạng thái đang bỏ phiếu.")
        sealed = s.get(RoundSealedKey, (round_id, step.actor.id))
        officer = s.get(OfficerKey, step.actor.id)
        if sealed is None or officer is None:
            raise Forbidden("Khóa kiểm phiếu của đợt này không được niêm phong cho bạn.")
        private = crypto.open_round_key(sealed.sealed, crypto.unseal_officer(officer.sealed_secret, passphrase),
                                        council_round.public_key)
        dossiers = _dossiers(s, round_id)
        box = _box(s, round_id)
        totals = crypto.encrypted_totals(council_round.public_key, [b for *_head, b in box],
                                         [d.nomination_id for d in dossiers])
        tallies = crypto.decrypt_totals(private, totals)
        del private
        cast, members = council_round.ballots_cast, council_round.members_called or 0
        instances = {i.nom.id: i for i in step.lock_many(d.nomination_id for d in dossiers)}
        results, quotas = {}, {}
        for dossier in dossiers:
            instance = instances[dossier.nomination_id]
            nom, tally = instance.nom, tallies[dossier.nomination_id]
            rule = instance.route.rules.council_rule(nom.award_form, instance.rules_on(step.now))
            result = evaluate(rule.arithmetic(), members, tally.agree, cast - tally.agree).as_dict()
            result |= {"round_id": round_id, "award_form": nom.award_form, "year": nom.year}
            dossier.encrypted_total, dossier.agree, dossier.proof = totals[dossier.nomination_id], tally.agree, hex(tally.proof)
            results[nom.id], quotas[nom.id] = result, rule.quota
        tied = round_quotas.apply(s, round_id, results, quotas)
        for dossier in dossiers:
            dossier.result = results[dossier.nomination_id]
            if dossier.nomination_id not in tied:
                _finish_dossier(step, instances[dossier.nomination_id], dossier.result)
        now = step.now
        council_round.closed_by_id = step.actor.id  # who counted (signs the minutes)
        if tied:
            council_round.state = "tie"
        else:
            council_round.state, council_round.closed_at = "closed", now
        s.execute(delete(RoundSealedKey).where(RoundSealedKey.round_id == round_id))  # the key is gone with them
        s.execute(update(TaskItem).where(TaskItem.round_id == round_id, TaskItem.state == "ready")
                  .values(state="cancelled", completed_at=now))
        counted = {str(k): {"agree": v["agree"], "disagree": v["disagree"], "passed": v["passed"]} for k, v in results.items()}
        changes = {"ballots_cast": [None, cast], "results": [None, counted]}
        if tied:
            seats = _tie_groups({nid: results[nid] for nid in tied})
            s.add(TaskItem(round_id=round_id, task_uuid=secrets.token_hex(16), name=TIE_TASK,
                           title=f"Quyết định trường hợp đồng phiếu: {council_round.title}", form=TIE_FORM,
                           role="council_chair", state="ready", created_at=now))
            chairs = list(s.scalars(select(User).join(UserRole).where(UserRole.role == "council_chair", User.active.is_(True))))
            notify.send(s, db.settings, chairs, None, "task",
                        f"Đợt xét «{council_round.title}» có hồ sơ đồng phiếu tại giới hạn số lượng: mời Chủ tịch Hội đồng "
                        "quyết định.", now, exclude=step.actor.id)
            changes["tied"] = [None, sorted(tied)]
            changes["seats"] = [None, sum(g["seats"] for g in seats.values())]
        audit.record_subject(s, "round", round_id, at=now, actor=step.actor, action="round_tie" if tied else "round_closed",
                             changes=changes)
        return results


def _tie_groups(results: dict[int, dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """The tied dossiers by (award form, year), with the seats each group has left."""
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for nid, result in sorted(results.items()):
        group = groups.setdefault((result["award_form"], result["year"]), {"seats": result["seats"], "nomination_ids": []})
        group["nomination_ids"].append(nid)
    return groups


def break_tie(db: Database, actor: Actor | int, item_id: int, data: Any) -> TieOutcome:
    """A chair of the council picks, among the dossiers tied at a quota's cut-off, exactly the seats left.

    The chosen pass and go on to appraisal; the others are over the quota and end rejected; the round closes.
    """
    chosen = _chosen(data)
    with NominationStep(db, actor) as step:
        s = step.session
        item = s.get(TaskItem, item_id)
        if item is None or item.round_id is None or item.name != TIE_TASK or "council_chair" not in step.actor.roles:
            raise NotFound("Không tìm thấy công việc.")
        council_round = _lock_round(s, item.round_id)
        item = s.get(TaskItem, item_id, populate_existing=True)  # read under the round's lock
        if council_round.state != "tie" or item.state != "ready":
            raise Conflict("Trường hợp đồng phiếu của đợt xét này đã được quyết định.")
        dossiers = {d.nomination_id: d for d in _dossiers(s, council_round.id)
                    if d.result and d.result.get("tie") and d.result.get("passed") is None}
        _check_choice(s, chosen, _tie_groups({nid: d.result for nid, d in dossiers.items()}))
        instances = {i.nom.id: i for i in step.lock_many(dossiers)}
        for nid, dossier in sorted(dossiers.items()):
            picked = nid in chosen
            result = dossier.result | ({"passed": True, "chosen_by_chair": True} if picked
                                       else {"passed": False, "over_quota": True})
            dossier.result = result
            _finish_dossier(step, instances[nid], result)
        now = step.now
        council_round.state, council_round.closed_at = "closed", now
        item.state, item.completed_at, item.completed_by_id = "completed", now, step.actor.id
        cut = tuple(sorted(set(dossiers) - chosen))
        audit.record_subject(s, "round", council_round.id, at=now, actor=step.actor, action="tie_broken",
                             changes={"chosen": [None, sorted(chosen)], "cut": [None, list(cut)],
                                      "chair": [None, step.actor.username]})
        return TieOutcome(council_round.id, tuple(sorted(chosen)), cut)


def _chosen(data: Any) -> set[int]:
    chosen = data.get("chosen") if isinstance(data, dict) else None
    if not isinstance(chosen, list) or set(data) - {"chosen"} or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in chosen):
        raise Invalid("Quyết định phải có dạng {\"chosen\": [<mã hồ sơ>, ...]}.",
                      {"chosen": "Danh sách mã các hồ sơ được chọn."})
    if len(set(chosen)) != len(chosen):
        raise Invalid("Mỗi hồ sơ chỉ được chọn một lần.", {"chosen": "Có hồ sơ được chọn hai lần."})
    return set(chosen)


def _check_choice(s: Session, chosen: set[int], groups: dict[tuple[str, int], dict[str, Any]]) -> None:
    tied = {nid for g in groups.values() for nid in g["nomination_ids"]}
    if unknown := sorted(chosen - tied):
        raise Invalid("Chỉ được chọn trong số các hồ sơ đồng phiếu.",
                      {"chosen": f"Hồ sơ {', '.join(map(str, unknown))} không thuộc nhóm đồng phiếu."})
    problems = []
    for (form, year), group in sorted(groups.items()):
        picked = len(chosen & set(group["nomination_ids"]))
        if picked != group["seats"]:
            name = s.scalar(select(AwardForm.name).where(AwardForm.code == form)) or form
            problems.append(f"{name} năm {year}: chọn đúng {group['seats']} trong {len(group['nomination_ids'])} "
                            f"hồ sơ đồng phiếu (đã chọn {picked}).")
    if problems:
        raise Invalid("Số hồ sơ được chọn phải đúng bằng số chỉ tiêu còn lại.", {"chosen": " ".join(problems)})


def _finish_dossier(step: NominationStep, instance, result: dict[str, Any]) -> None:
    """Complete the dossier's round step with the council's result (the route's gateway reads the flags)."""
    declared = instance.route.contract.round_step()
    task = next(t for t in engine.ready_user_tasks(instance.workflow) if t.task_spec.bpmn_id == declared.id)
    item = step.session.scalar(select(TaskItem).where(TaskItem.task_uuid == str(task.id)))
    nom = instance.nom
    nom.votes_agree, nom.votes_disagree, nom.council_result = result["agree"], result["disagree"], result
    nom.ballot_size = result["members"]
    step.record(instance, "council_result", actor=None, task=declared.id, changes={"council_result": [None, result]})
    step.run(instance, task, council_flags(result) | {"council_result": result}, acted=item)


# --- reading and checking ----------------------------------------------------------------------------

def verify(db: Database, round_id: int) -> list[str]:
    """Every problem with a round's box and published count (empty: verified), from the database alone."""
    with db.read() as s:
        council_round = s.get(CouncilRound, round_id)
        if council_round is None:
            raise NotFound("Không tìm thấy đợt xét.")
        if council_round.public_key is None:
            return ["Đợt xét chưa mở: chưa có hòm phiếu."]
        dossiers = _dossiers(s, round_id)
        box = _box(s, round_id)
        voted = len(s.scalars(select(RoundMember.user_id).where(RoundMember.round_id == round_id,
                                                                RoundMember.voted.is_(True))).all())
        ids = [d.nomination_id for d in dossiers]
        problems = []
        if council_round.ballots_cast != voted:
            problems.append(f"Đợt xét ghi {council_round.ballots_cast} phiếu đã nhận, nhưng {voted} ủy viên đã bỏ phiếu.")
        if box and box[-1][2] != council_round.box_head:
            problems.append("Phiếu cuối của hòm phiếu không khớp mắt xích đầu chuỗi được ghi của đợt.")
        if council_round.state not in COUNTED:  # not counted yet: the chain, the count and the coverage
            totals = crypto.encrypted_totals(council_round.public_key, [b for *_head, b in box], ids) if not problems else {}
            return problems + crypto.verify_box(round_id, council_round.public_key, box, totals, None,
                                                council_round.members_called or 0, voted, dossier_ids=ids)
        published = {d.nomination_id: d.encrypted_total for d in dossiers if d.encrypted_total is not None}
        tallies = {d.nomination_id: crypto.Tally(d.agree, int(d.proof, 16)) for d in dossiers
                   if d.agree is not None and d.proof}
        return problems + crypto.verify_box(round_id, council_round.public_key, box, published, tallies,
                                            council_round.members_called or 0, voted, dossier_ids=ids)


# --- helpers -----------------------------------------------------------------------------------------

def _lock_round(s: Session, round_id: int) -> CouncilRound:
    council_round = s.scalar(select(CouncilRound).where(CouncilRound.id == round_id).with_for_update()
                             .execution_options(populate_existing=True))
    if council_round is None:
        raise NotFound("Không tìm thấy đợt xét.")
    return council_round


def _dossiers(s: Session, round_id: int) -> list[RoundDossier]:
    return list(s.scalars(select(RoundDossier).where(RoundDossier.round_id == round_id).order_by(RoundDossier.position)))


def _box(s: Session, round_id: int) -> list[tuple[str, str, str, dict[int, bytes]]]:
    ballots = s.scalars(select(RoundBallot).where(RoundBallot.round_id == round_id).order_by(RoundBallot.seq))
    return [(b.id, b.prev_hash, b.hash, {int(k): bytes.fromhex(v) for k, v in b.ciphertexts.items()}) for b in ballots]


def _rule(s: Session, nom: Nomination, now: datetime):
    """The council rule of a dossier: its own version's, on its own date (each dossier of a round keeps its pin)."""
    rules = versions.route_for(s, nom.process_model_id).rules
    return rules.council_rule(nom.award_form, rules.date_for(nom.created_at, nom.submitted_at, now))


def _round_fields(title: Any, meeting_date: Any, nomination_ids: Any, voting_days: Any) -> tuple[str, date, list[int], int]:
    problems = {}
    if not isinstance(title, str) or not title.strip():
        problems["title"] = "Bắt buộc."
    elif len(title) > 255 or text_problem(title, multiline=False):
        problems["title"] = text_problem(title, multiline=False) or "Tối đa 255 ký tự."
    meeting = None
    if isinstance(meeting_date, date) and not isinstance(meeting_date, datetime):
        meeting = meeting_date
    elif isinstance(meeting_date, str):
        with contextlib.suppress(ValueError):
            meeting = date.fromisoformat(meeting_date)
    if meeting is None:
        problems["meeting_date"] = "Ngày họp theo dạng YYYY-MM-DD."
    ids: list[int] = []
    if not isinstance(nomination_ids, list) or not nomination_ids or len(nomination_ids) > MAX_DOSSIERS or \
            not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31 for i in nomination_ids):
        problems["nomination_ids"] = f"Danh sách mã hồ sơ (1 đến {MAX_DOSSIERS})."
    elif len(set(nomination_ids)) != len(nomination_ids):
        problems["nomination_ids"] = "Mỗi hồ sơ chỉ một lần."
    else:
        ids = list(nomination_ids)
    if not isinstance(voting_days, int) or isinstance(voting_days, bool) or not 1 <= voting_days <= 30:
        problems["voting_days"] = "Từ 1 đến 30 ngày làm việc."
    if problems:
        raise Invalid("Thông tin đợt xét chưa hợp lệ.", problems)
    return title.strip(), meeting, ids, voting_days
