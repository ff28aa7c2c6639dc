"""The council's rounds on a route whose council step waits for a round (``hook=round``).

One round, several dossiers, one encrypted ballot per member, the chair's passphrase at close:
results per dossier from each award form's rule, the route going on, the box verifiable.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from tests.support import APPROVE, COUNCIL, PASSPHRASE, RoundDriver
from workflows import services
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence.model import (
    CouncilRound,
    Nomination,
    RoundBallot,
    RoundMember,
    RoundSealedKey,
)
from workflows.services import rounds


def _votes(rd: RoundDriver, round_id: int, table: dict[int, list[str]], members: int = 9) -> list[str]:
    """``table[nid][i]`` is council member i+1's choice on that dossier; returns the receipts."""
    receipts = []
    for i, member in enumerate(COUNCIL[:members]):
        receipts.append(rd.ballot(round_id, member, {nid: choices[i] for nid, choices in table.items()}).receipt)
    return receipts


A, D = "agree", "disagree"


def test_one_round_three_forms_each_by_its_own_rule(rd: RoundDriver):
    majority = rd.waiting()  # Bằng khen của Bộ trưởng: a majority of those present
    ninety = rd.waiting(award_form="chien_si_thi_dua_bo")  # 90 % of all members: 9 of 9
    eighty = rd.waiting(award_form="co_thi_dua_bo", nominee_kind="collective", nominee_name="Phòng Kế hoạch")  # 8 of 9
    rid = rd.open([majority, ninety, eighty])
    receipts = _votes(rd, rid, {majority: [A] * 5 + [D] * 4, ninety: [A] * 8 + [D], eighty: [A] * 8 + [D]})
    assert len(set(receipts)) == 9

    results = rd.close(rid)

    assert {nid: (r["agree"], r["disagree"], r["passed"]) for nid, r in results.items()} == {
        majority: (5, 4, True), ninety: (8, 1, False), eighty: (8, 1, True)}
    assert results[ninety]["agree_required"] == 9 and results[eighty]["agree_required"] == 8
    assert rd.ready_steps(majority) == ["appraisal"] and rd.ready_steps(eighty) == ["appraisal"]
    assert rd.nomination(ninety).state == "rejected"
    assert rd.nomination(majority).council_result["agree"] == 5
    assert rounds.verify(rd.db, rid) == []
    with rd.db.read() as s:
        box = set(s.scalars(select(RoundBallot.hash).where(RoundBallot.round_id == rid)))
        assert set(receipts) == box  # every member finds their receipt in the published box
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id == rid)) == 0
        assert s.get(CouncilRound, rid).state == "closed"
    rd.act(majority, "reviewer", APPROVE)  # the route goes on
    assert rd.ready_steps(majority) == ["minister_sign"]


def test_quorum_not_met_rejects_every_dossier(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 5}, members=5)  # 5 of 9: the quorum is 6
    result = rd.close(rid)[nid]
    assert (result["quorum_required"], result["quorum_met"], result["passed"]) == (6, False, False)
    assert rd.nomination(nid).state == "rejected"


def test_ballot_rules(rd: RoundDriver):
    first, second = rd.waiting(), rd.waiting(nominee_name="Trịnh Văn Bảo")
    rid = rd.open([first, second])
    with pytest.raises(Invalid) as blank:
        rd.ballot(rid, "council1", {first: A})  # the second row left blank: refused, not guessed
    assert str(second) in blank.value.fields
    with rd.db.read() as s:
        assert s.scalar(select(CouncilRound.ballots_cast).where(CouncilRound.id == rid)) == 0
        assert not s.scalar(select(RoundMember.voted).where(RoundMember.round_id == rid,
                                                            RoundMember.user_id == rd.uid("council1")))
    with pytest.raises(Invalid):
        rd.ballot(rid, "council1", {first: A, second: "maybe"})
    rd.ballot(rid, "council1", {first: A, second: D})
    with pytest.raises(Conflict):
        rd.ballot(rid, "council1", {first: A, second: D})  # one ballot per member
    with pytest.raises(NotFound):  # another member's ballot, to a non-member: as if it did not exist
        services.complete_task(rd.db, rd.uid("clerk1"), rd.ballot_item(rid, "council2"), {"votes": {}})
    with pytest.raises(Conflict):  # the dossier's own step is the round's to complete
        rd.act(first, "secretary", {})
    with pytest.raises(Forbidden):
        rounds.close_round(rd.db, rd.uid("secretary"), rid, PASSPHRASE)
    rd.close(rid)
    with pytest.raises(Conflict):
        rd.ballot(rid, "council2", {first: A, second: D})  # voting after close


def test_a_wrong_passphrase_changes_nothing(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 9})
    with pytest.raises(Invalid, match="Mật khẩu kiểm phiếu không đúng"):
        rd.close(rid, "không phải mật khẩu này")
    with rd.db.read() as s:
        assert s.get(CouncilRound, rid).state == "open"
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id == rid)) == 1
    assert rd.ready_steps(nid) == ["council_round"]
    assert rd.close(rid)[nid]["passed"]


def test_rounds_need_dossiers_waiting_and_free(rd: RoundDriver):
    drafting = rd.create()
    with pytest.raises(Invalid):
        rounds.create_round(rd.db, rd.uid("secretary"), "Đợt", "2026-12-10", [drafting])
    nid = rd.waiting()
    rounds.create_round(rd.db, rd.uid("secretary"), "Đợt 1", "2026-12-10", [nid])
    with pytest.raises(Conflict):
        rounds.create_round(rd.db, rd.uid("secretary"), "Đợt 2", "2026-12-10", [nid])
    with pytest.raises(Forbidden):
        rounds.create_round(rd.db, rd.uid("clerk1"), "Đợt 3", "2026-12-10", [nid])
    for bad in ({"title": ""}, {"meeting_date": "10/12/2026"}, {"nomination_ids": []}, {"nomination_ids": [nid, nid]}):
        args = {"title": "Đợt", "meeting_date": date(2026, 12, 10), "nomination_ids": [nid]} | bad
        with pytest.raises(Invalid):
            rounds.create_round(rd.db, rd.uid("secretary"), args["title"], args["meeting_date"], args["nomination_ids"])


def test_verification_catches_an_altered_removed_or_added_ballot(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 7 + [D] * 2})
    rd.close(rid)
    assert rounds.verify(rd.db, rid) == []
    with rd.db.write() as s:
        first = s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 1))
        second = s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 2))
        original = dict(first.ciphertexts)
        s.execute(update(RoundBallot).where(RoundBallot.id == first.id)
                  .values(ciphertexts={str(nid): second.ciphertexts[str(nid)]}))
    assert rounds.verify(rd.db, rid), "an altered ballot must fail verification"
    with rd.db.write() as s:
        s.execute(update(RoundBallot).where(RoundBallot.id == first.id).values(ciphertexts=original))
    assert rounds.verify(rd.db, rid) == []
    with rd.db.write() as s:
        s.delete(s.scalar(select(RoundBallot).where(RoundBallot.round_id == rid, RoundBallot.seq == 9)))
    assert rounds.verify(rd.db, rid), "a removed ballot must fail verification"


def test_the_database_never_holds_a_choice_in_clear(rd: RoundDriver):
    nid = rd.waiting()
    rid = rd.open([nid])
    _votes(rd, rid, {nid: [A] * 4 + [D] * 5})
    with rd.db.read() as s:
        nom = s.get(Nomination, nid)
        assert (nom.votes_agree, nom.votes_disagree, nom.council_result) == (0, 0, None)  # no running tally
        ballots = s.scalars(select(RoundBallot).where(RoundBallot.round_id == rid)).all()
        assert all(set(b.ciphertexts) == {str(nid)} and len(b.ciphertexts[str(nid)]) == 512 for b in ballots)
    assert rd.close(rid)[nid]["agree"] == 4


def test_members_are_reminded_once_and_the_deadline_ends_the_voting(rd: RoundDriver):
    from datetime import UTC, datetime, timedelta

    from workflows.domain import clock
    from workflows.persistence.model import Notification

    nid = rd.waiting()
    with clock.frozen(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)) as advance:  # a Monday, 9:00 in Hà Nội
        rid = rd.open([nid])
        with rd.db.read() as s:
            council_round = s.get(CouncilRound, rid)
            deadline, remind_at = council_round.deadline_at, council_round.remind_at
        assert deadline > remind_at > clock.now()
        for member in COUNCIL[:6]:
            rd.ballot(rid, member, {nid: A})
        assert rounds.sweep(rd.db) == 0  # nothing due yet
        advance(remind_at - clock.now() + timedelta(minutes=1))
        assert rounds.sweep(rd.db) == 1
        assert rounds.sweep(rd.db) == 0  # once
        with rd.db.read() as s:
            reminded = {u for (u,) in s.execute(select(Notification.user_id).where(Notification.kind == "reminder"))}
        assert reminded == {rd.uid(m) for m in COUNCIL[6:]}
        advance(deadline - clock.now() + timedelta(minutes=1))
        assert rounds.sweep(rd.db) == 1
        with pytest.raises(Conflict):
            rd.ballot(rid, "council7", {nid: A})
        with rd.db.read() as s:
            assert s.get(CouncilRound, rid).state == "counting"
            assert s.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.kind == "escalation", Notification.user_id == rd.uid("minister"))) == 1
        result = rd.close(rid)[nid]  # the chair counts what was cast
        assert (result["present"], result["agree"], result["passed"]) == (6, 6, True)
    assert rounds.verify(rd.db, rid) == []
