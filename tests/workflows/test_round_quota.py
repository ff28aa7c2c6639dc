"""The yearly quota of an award form at a round's count: ranking, the cut, a tie at the cut-off for the chair.

Bằng khen của Bộ trưởng passes with a majority of those present, so agree votes from 5 to 9 of 9 all
pass the threshold and the quota alone decides between them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support import COUNCIL, RoundDriver, deploy_with_quota
from tests.workflows.test_concurrency import race
from tests.workflows.test_rounds import A, D
from workflows import queries
from workflows.domain.errors import Conflict, Invalid, NotFound
from workflows.persistence.model import AuditEvent, CouncilRound, RoundDossier, RoundSealedKey, TaskItem, User, UserRole
from workflows.queries import rounds as round_queries
from workflows.services import rounds

FORM = "bang_khen_bo_truong"


def _agree(n: int) -> list[str]:
    return [A] * n + [D] * (9 - n)


def _count(rd: RoundDriver, agree: dict[int, int]) -> int:
    """A round over these dossiers where ``agree[nid]`` of the 9 members agree; returns its id (not yet closed)."""
    rid = rd.open(list(agree))
    for i, member in enumerate(COUNCIL):
        rd.ballot(rid, member, {nid: _agree(n)[i] for nid, n in agree.items()})
    return rid


def _round(rd: RoundDriver, rid: int) -> tuple[str, dict[int, dict]]:
    with rd.db.read() as s:
        state = s.get(CouncilRound, rid).state
        return state, {d.nomination_id: d.result for d in s.scalars(select(RoundDossier).where(RoundDossier.round_id == rid))}


def _stored(rd: RoundDriver, rid: int):
    """What a tie decision changes: the round, its dossiers' results, every task row, the audit trail."""
    with rd.db.read() as s:
        return (_round(rd, rid), sorted(s.execute(select(TaskItem.id, TaskItem.state, TaskItem.completed_by_id)).all()),
                s.scalar(select(func.count(AuditEvent.id))))


def _tie_events(rd: RoundDriver, rid: int) -> list[AuditEvent]:
    with rd.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "round", AuditEvent.subject_id == str(rid),
                                                       AuditEvent.action == "tie_broken")))


def test_over_the_quota_the_most_agree_votes_pass_and_the_rest_are_rejected(rd: RoundDriver):
    deploy_with_quota(rd.db, {FORM: 2})
    best, second, third, fourth = (rd.waiting(nominee_name=n) for n in ("Một", "Hai", "Ba", "Bốn"))
    failed = rd.waiting(nominee_name="Năm")  # fails the threshold: not ranked, rejected as before
    other_year = rd.waiting(nominee_name="Sáu", year=2025)  # another year: its own quota, within it
    rid = _count(rd, {best: 9, second: 8, third: 7, fourth: 6, failed: 4, other_year: 5})

    results = rd.close(rid)

    assert {n: (r["passed"], r.get("rank"), bool(r.get("over_quota"))) for n, r in results.items()} == {
        best: (True, 1, False), second: (True, 2, False), third: (False, 3, True), fourth: (False, 4, True),
        failed: (False, None, False), other_year: (True, None, False)}
    assert results[third]["quota"] == 2 and results[third]["quota_used"] == 0
    assert rd.ready_steps(best) == rd.ready_steps(second) == rd.ready_steps(other_year) == ["appraisal"]
    assert {rd.nomination(n).state for n in (third, fourth, failed)} == {"rejected"}
    assert rd.nomination(third).council_result["over_quota"] is True  # the result is recorded on the dossier
    state, stored = _round(rd, rid)
    assert state == "closed" and stored[fourth]["rank"] == 4 and rd.tie_item(rid) is None
    minutes = round_queries.minutes(rd.db, rd.uid("secretary"), rid)
    notes = {t.nominee: (t.passed, t.note) for t in minutes.dossiers}
    assert notes["Ba"] == (False, "Vượt chỉ tiêu (xếp thứ 3)") and notes["Một"] == (True, "Xếp thứ 1 (chỉ tiêu 2)")
    assert notes["Năm"] == (False, "") and notes["Sáu"] == (True, "")
    assert rounds.verify(rd.db, rid) == []


def test_without_a_quota_nobody_is_ranked(rd: RoundDriver):
    nids = [rd.waiting(nominee_name=n) for n in ("Một", "Hai", "Ba")]
    results = rd.close(_count(rd, dict(zip(nids, (9, 7, 7), strict=True))))
    assert all(r["passed"] and "rank" not in r for r in results.values())


def test_a_tie_at_the_cut_off_goes_to_the_chair_who_chooses(rd: RoundDriver):
    deploy_with_quota(rd.db, {FORM: 2})
    best, b, c, d, last = (rd.waiting(nominee_name=n) for n in ("Một", "Hai", "Ba", "Bốn", "Năm"))
    rid = _count(rd, {best: 9, b: 7, c: 7, d: 7, last: 5})

    results = rd.close(rid)

    assert results[best]["passed"] is True and results[last]["over_quota"] and results[last]["rank"] == 5
    assert [results[n]["passed"] for n in (b, c, d)] == [None] * 3
    assert all(results[n]["tie"] and results[n]["seats"] == 1 and results[n]["rank"] == 2 for n in (b, c, d))
    assert rd.ready_steps(best) == ["appraisal"] and rd.nomination(last).state == "rejected"  # the others go on at once
    assert all(rd.ready_steps(n) == ["council_round"] for n in (b, c, d))  # the tied wait at their round step
    with rd.db.read() as s:
        assert s.get(CouncilRound, rid).state == "tie" and s.get(CouncilRound, rid).closed_at is None
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id == rid)) == 0
        tasks = s.scalars(select(TaskItem).where(TaskItem.round_id == rid, TaskItem.state == "ready")).all()
    assert [(t.name, t.role, t.assignee_id) for t in tasks] == [("round_tie", "council_chair", None)]  # one task
    inbox = [t for t in queries.inbox(rd.db, rd.uid("minister"), with_schema=True) if t["round_id"] == rid]
    assert [t["name"] for t in inbox] == ["round_tie"] and inbox[0]["seats"] == 1
    assert [x["nomination_id"] for x in inbox[0]["dossiers"]] == [b, c, d]
    assert inbox[0]["schema"]["properties"]["chosen"]["maxItems"] == 1
    assert not [t for t in queries.inbox(rd.db, rd.uid("secretary")) if t["round_id"] == rid]
    with pytest.raises(Conflict):  # a tied dossier is on this round until the chair decides
        rounds.create_round(rd.db, rd.uid("secretary"), "Đợt khác", "2026-12-20", [b])
    with pytest.raises(Conflict):
        rd.close(rid)
    assert rounds.verify(rd.db, rid) == []  # the counted box checks while the tie waits

    outcome = rd.break_tie(rid, [c])

    assert (outcome.chosen, outcome.cut) == ((c,), (b, d))
    assert rd.ready_steps(c) == ["appraisal"]
    assert rd.nomination(b).state == rd.nomination(d).state == "rejected"
    state, stored = _round(rd, rid)
    assert state == "closed"
    assert stored[c]["passed"] is True and stored[c]["chosen_by_chair"] is True
    assert stored[b]["passed"] is False and stored[b]["over_quota"] is True and stored[b]["rank"] == 2
    assert rd.nomination(c).council_result["chosen_by_chair"] is True
    [event] = _tie_events(rd, rid)
    assert event.changes["chosen"] == [None, [c]] and event.changes["cut"] == [None, [b, d]]
    assert event.changes["chair"] == [None, "minister"] and event.actor_id == rd.uid("minister")
    view = round_queries.get_round(rd.db, rd.uid("secretary"), rid)
    assert view["tie"]["state"] == "broken" and view["tie"]["chosen"] == [c] and view["tie"]["seats"] == 1
    notes = {t.nominee: (t.passed, t.note) for t in round_queries.minutes(rd.db, rd.uid("secretary"), rid).dossiers}
    assert notes["Ba"] == (True, "Chủ tịch Hội đồng quyết định (đồng phiếu): được chọn")
    assert notes["Hai"] == (False, "Chủ tịch Hội đồng quyết định (đồng phiếu): không được chọn")
    with pytest.raises(Conflict):  # decided once
        rd.break_tie(rid, [b])
    assert rounds.verify(rd.db, rid) == []


def test_wrong_picks_are_refused_with_nothing_stored(rd: RoundDriver):
    deploy_with_quota(rd.db, {FORM: 2})
    best, b, c, d = (rd.waiting(nominee_name=n) for n in ("Một", "Hai", "Ba", "Bốn"))
    rid = _count(rd, {best: 9, b: 6, c: 6, d: 6})
    rd.close(rid)
    item = rd.tie_item(rid)
    before = _stored(rd, rid)
    for chosen, message in ((
            [], "Số hồ sơ được chọn phải đúng bằng số chỉ tiêu còn lại."),
            ([b, c], "Số hồ sơ được chọn phải đúng bằng số chỉ tiêu còn lại."),
            ([best], "Chỉ được chọn trong số các hồ sơ đồng phiếu."),  # passed already: not in the tie
            ([999999], "Chỉ được chọn trong số các hồ sơ đồng phiếu."),
            ([b, b], "Mỗi hồ sơ chỉ được chọn một lần."),
            ([str(b)], "Quyết định phải có dạng"),
            ([True], "Quyết định phải có dạng")):
        with pytest.raises(Invalid, match=message) as refused:
            rd.break_tie(rid, chosen)
        assert "chosen" in refused.value.fields
    with pytest.raises(Invalid) as too_many:
        rd.break_tie(rid, [b, c, d])
    assert too_many.value.fields["chosen"] == ("Bằng khen của Bộ trưởng năm 2026: chọn đúng 1 trong 3 hồ sơ đồng phiếu "
                                               "(đã chọn 3).")
    for data in ({}, {"chosen": [b], "extra": 1}, {"chosen": b}, [b]):
        with pytest.raises(Invalid):
            rounds.break_tie(rd.db, rd.uid("minister"), item, data)
    for outsider in ("secretary", "council1", "clerk1"):  # not a chair: as if the task did not exist
        with pytest.raises(NotFound):
            rd.break_tie(rid, [b], username=outsider)
        with pytest.raises(NotFound):
            queries.task(rd.db, rd.uid(outsider), item)
    assert _stored(rd, rid) == before
    assert all(rd.ready_steps(n) == ["council_round"] for n in (b, c, d))
    rd.break_tie(rid, [d])
    assert rd.ready_steps(d) == ["appraisal"]


def test_two_chairs_racing_for_the_tie_one_wins(rd: RoundDriver):
    with rd.db.write() as s:  # a vice-chair by delegation holds the chair's role too
        s.add(UserRole(user_id=s.scalar(select(User.id).where(User.username == "deputy")), role="council_chair"))
    deploy_with_quota(rd.db, {FORM: 1})
    b, c = rd.waiting(nominee_name="Hai"), rd.waiting(nominee_name="Ba")
    rid = _count(rd, {b: 8, c: 8})
    rd.close(rid)
    item = rd.tie_item(rid)
    assert queries.task(rd.db, rd.uid("deputy"), item)["can_act"]  # every chair sees the one task

    outcomes = race(2, lambda i: rd.break_tie(rid, [(b, c)[i]], username=("minister", "deputy")[i]))

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "TieOutcome"], outcomes
    won = next(o for o in outcomes if isinstance(o, rounds.TieOutcome))
    [winner] = won.chosen
    [loser] = {b, c} - {winner}
    assert rd.ready_steps(winner) == ["appraisal"] and rd.nomination(loser).state == "rejected"
    assert len(_tie_events(rd, rid)) == 1
    assert _round(rd, rid)[0] == "closed"


def test_a_quota_partly_used_by_an_earlier_round(rd: RoundDriver):
    deploy_with_quota(rd.db, {FORM: 3})
    first, second = rd.waiting(nominee_name="Một"), rd.waiting(nominee_name="Hai")
    assert all(r["passed"] and "rank" not in r for r in rd.close(_count(rd, {first: 9, second: 6})).values())

    x, y, z = (rd.waiting(nominee_name=n) for n in ("Ba", "Bốn", "Năm"))
    other_year = rd.waiting(nominee_name="Sáu", year=2025)  # the earlier round's seats were for 2026
    results = rd.close(_count(rd, {x: 6, y: 9, z: 7, other_year: 5}))

    assert results[y]["passed"] and results[y]["quota_used"] == 2 and results[y]["rank"] == 1  # one seat left
    assert [(results[n]["passed"], results[n]["rank"]) for n in (z, x)] == [(False, 2), (False, 3)]
    assert results[other_year]["passed"] and "rank" not in results[other_year]
    assert rd.ready_steps(y) == ["appraisal"] and rd.nomination(x).state == "rejected"


def test_a_round_waiting_for_its_tie_holds_the_seats_it_will_fill(rd: RoundDriver):
    deploy_with_quota(rd.db, {FORM: 2})
    best, b, c = (rd.waiting(nominee_name=n) for n in ("Một", "Hai", "Ba"))
    tie_round = _count(rd, {best: 9, b: 7, c: 7})
    rd.close(tie_round)
    assert _round(rd, tie_round)[0] == "tie"

    late = rd.waiting(nominee_name="Bốn")
    result = rd.close(_count(rd, {late: 9}))[late]  # one seat passed, one held for the tie: none left

    assert (result["passed"], result["over_quota"], result["quota_used"], result["rank"]) == (False, True, 2, 1)
    rd.break_tie(tie_round, [b])
    assert rd.ready_steps(b) == ["appraisal"] and rd.nomination(c).state == "rejected"
