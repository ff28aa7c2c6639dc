"""Every path of the nomination route, through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from workflows import services
from workflows.domain import clock
from workflows.domain.errors import Invalid
from workflows.persistence.model import AuditEvent, AwardRecord

from ..support import APPROVE, Driver, returned


def history(driver: Driver, nid: int) -> list[tuple[str, str | None]]:
    """The route's events: the documents the driver attaches before submitting are left out."""
    with driver.db.read() as s:
        return [(e.action, e.task) for e in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid)
                                                      .order_by(AuditEvent.seq)) if e.action != "attachment_added"]


def registry(driver: Driver, nid: int) -> AwardRecord | None:
    with driver.db.read() as s:
        return s.scalar(select(AwardRecord).where(AwardRecord.nomination_id == nid))


def through_council(driver: Driver, nid: int, votes: list[str]) -> None:
    driver.accept(nid)
    driver.vote(nid, votes)


def test_straight_approval_is_awarded_with_a_decision_number(driver: Driver):
    nid = driver.create()
    assert driver.ready_steps(nid) == ["draft"]
    through_council(driver, nid, ["agree"] * 9)
    assert driver.ready_steps(nid) == ["appraisal"]
    driver.act(nid, "reviewer", APPROVE)
    assert driver.ready_steps(nid) == ["await_decision"]
    driver.sign(nid)  # a decision for this dossier alone, signed and registered

    nom = driver.nomination(nid)
    assert nom.state == "awarded"
    assert nom.decision_number == "01/QĐ-BKHCN"
    assert nom.council_result["passed"] is True and nom.council_result["agree"] == 9
    record = registry(driver, nid)
    assert record is not None and record.decision_number == nom.decision_number
    assert record.award_form == "bang_khen_bo_truong" and record.nominee_name == nom.nominee_name
    actions = [a for a, _ in history(driver, nid)]
    # the members' ballots are the round's history, not the dossier's: it records the council's result
    assert actions == ["created", "submitted", "approve", "approve", "round_joined", "council_result", "approve",
                       "decision_drafted", "decision_sent", "decision_signed", "decision_registered", "decision_issued"]
    assert driver.ready_steps(nid) == []


def test_decision_numbers_follow_one_sequence(driver: Driver):
    numbers = []
    for _ in range(2):
        nid = driver.create(award_form="ky_niem_chuong")
        driver.submit(nid)
        for user in ("secretary", "reviewer"):
            driver.act(nid, user, APPROVE)
        driver.sign(nid)
        numbers.append(driver.nomination(nid).decision_number)
    assert numbers == ["01/QĐ-BKHCN", "02/QĐ-BKHCN"]


def test_return_loop_three_times_then_approval(driver: Driver):
    nid = driver.create()
    for i in range(3):
        driver.act(nid, "clerk1", {"achievements": f"Bổ sung lần {i + 1}: thêm minh chứng về sáng kiến cấp cơ sở."})
        if i % 2:
            driver.act(nid, "head1", returned("Thủ trưởng yêu cầu sửa"))
        else:
            driver.act(nid, "head1", APPROVE)
            driver.act(nid, "secretary", returned("Thiếu quyết định công nhận sáng kiến"))
        assert driver.ready_steps(nid) == ["draft"]
    driver.accept(nid)
    driver.vote(nid, ["agree"] * 5 + ["disagree"] * 4)
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid)
    nom = driver.nomination(nid)
    assert nom.state == "awarded" and nom.return_count == 3
    assert nom.achievements.startswith("Bổ sung lần 3")
    returns = [(a, t) for a, t in history(driver, nid) if a == "return"]
    assert returns == [("return", "secretariat_check"), ("return", "head_review"), ("return", "secretariat_check")]


def test_council_fails_on_threshold(driver: Driver):
    nid = driver.create(award_form="chien_si_thi_dua_bo")  # needs >= 90 % of ALL members: 9 of 9
    through_council(driver, nid, ["agree"] * 8 + ["disagree"])
    nom = driver.nomination(nid)
    assert nom.state == "rejected"
    assert nom.council_result == nom.council_result | {"members": 9, "present": 9, "agree": 8, "agree_required": 9,
                                                       "quorum_met": True, "passed": False}
    assert registry(driver, nid) is None and nom.decision_number is None
    assert driver.ready_steps(nid) == []


def test_co_thi_dua_needs_eight_of_nine(driver: Driver):
    nid = driver.create(award_form="co_thi_dua_bo", nominee_kind="collective", nominee_name="Phòng Kế hoạch")
    through_council(driver, nid, ["agree"] * 8 + ["disagree"])
    nom = driver.nomination(nid)
    assert nom.council_result["agree_required"] == 8 and nom.council_result["passed"] is True
    assert driver.ready_steps(nid) == ["appraisal"]


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_council_fails_on_quorum_when_the_secretariat_closes_the_vote(driver: Driver):
    nid = driver.create()
    through_council(driver, nid, ["agree"] * 5)  # 5 of 9 present; quorum is 6
    assert driver.ready_steps(nid) == ["council_vote"]
    services.close_vote(driver.db, driver.uid("secretary"), nid)
    nom = driver.nomination(nid)
    assert nom.state == "rejected"
    assert nom.council_result["present"] == 5 and nom.council_result["quorum_required"] == 6
    assert nom.council_result["quorum_met"] is False and nom.council_result["passed"] is False
    assert "vote_closed" in [a for a, _ in history(driver, nid)]
    # Closed early without a quorum: the few votes cast are never published, nor kept.
    assert not {"agree", "disagree", "agree_required"} & set(nom.council_result)
    assert (nom.votes_agree, nom.votes_disagree) == (0, 0)


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_closing_with_quorum_passes_on_majority_of_present(driver: Driver):
    nid = driver.create()
    through_council(driver, nid, ["agree"] * 4 + ["disagree"] * 2)  # 6 present, 4 agree > 3
    services.close_vote(driver.db, driver.uid("secretary"), nid)
    nom = driver.nomination(nid)
    assert nom.council_result["present"] == 6 and nom.council_result["agree_required"] == 4
    assert nom.state == "in_progress" and driver.ready_steps(nid) == ["appraisal"]


def test_withdraw_by_the_unit_head(driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    driver.act(nid, "head1", {"decision": "withdraw", "comment": "Cá nhân xin rút"})
    nom = driver.nomination(nid)
    assert nom.state == "withdrawn" and driver.ready_steps(nid) == []
    assert history(driver, nid)[-1] == ("withdraw", "head_review")


def test_secretariat_rejects(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", {"decision": "reject", "comment": "Đang trong thời gian xem xét kỷ luật"})
    assert driver.nomination(nid).state == "rejected"


def test_minister_returns_once_then_signs_without_a_second_vote(driver: Driver):
    nid = driver.create()
    through_council(driver, nid, ["agree"] * 9)
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid, returned("Làm rõ thành tích năm 2025"))  # the decision for it is returned
    assert driver.ready_steps(nid) == ["appraisal"]
    driver.act(nid, "reviewer", returned("Bộ phận TĐKT kiểm tra lại"))
    assert driver.ready_steps(nid) == ["secretariat_check"]
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["appraisal"]  # straight back: no second vote
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid)
    nom = driver.nomination(nid)
    assert nom.state == "awarded" and nom.return_count == 2
    assert [a for a, _ in history(driver, nid)].count("council_result") == 1


def test_the_twenty_first_return_is_refused_and_changes_nothing(driver: Driver):
    nid = driver.create()
    for _ in range(20):
        driver.act(nid, "clerk1", {})
        driver.act(nid, "head1", returned())
    driver.act(nid, "clerk1", {})
    before = driver.nomination(nid)
    events_before = len(history(driver, nid))
    with pytest.raises(Invalid) as err:
        driver.act(nid, "head1", returned())
    assert "20" in err.value.message
    after = driver.nomination(nid)
    assert (after.return_count, after.version, after.state) == (20, before.version, "in_progress")
    assert len(history(driver, nid)) == events_before
    assert driver.ready_steps(nid) == ["head_review"]
    driver.act(nid, "head1", APPROVE)  # approving is still possible
    assert driver.ready_steps(nid) == ["secretariat_check"]


def test_ky_niem_chuong_skips_the_vote(driver: Driver):
    nid = driver.create(award_form="ky_niem_chuong")
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["appraisal"]
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid)
    nom = driver.nomination(nid)
    assert nom.state == "awarded" and nom.council_result is None
    assert "voted" not in [a for a, _ in history(driver, nid)]


def test_prime_ministers_form_waits_submitted_without_registry_row(driver: Driver):
    """Signed as a submission, the dossier waits for the outside result (tests/workflows/test_outside.py)."""
    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)):
        nid = driver.create(award_form="bang_khen_thu_tuong")
        driver.accept(nid)
        # Decided above the ministry, yet not published first: the DMN publishes orders (Huân chương) only.
        assert driver.ready_steps(nid) == ["council_round"]
        driver.vote(nid, ["agree"] * 9)
        driver.act(nid, "reviewer", APPROVE)
        driver.sign(nid)  # a submission (tờ trình): final at the signature
    nom = driver.nomination(nid)
    assert nom.state == "submitted" and nom.decision_number is None
    assert registry(driver, nid) is None
    # sent above at the signature, it waits for the outside result; the submission's own number is registered
    # after (for its dispatch)
    assert history(driver, nid)[-2:] == [("submitted_above", "outside_result"), ("decision_registered", "await_decision")]
    assert nom.current_step == "outside_result" and driver.ready_steps(nid) == []


@pytest.mark.parametrize("form", ["lao_dong_tien_tien", "chien_si_thi_dua_co_so", "giay_khen"])
def test_unit_level_forms_are_not_proposed_through_this_route(driver: Driver, form: str):
    with pytest.raises(Invalid) as err:
        driver.create(award_form=form)
    assert "award_form" in err.value.fields


def test_nominee_kind_must_fit_the_award(driver: Driver):
    with pytest.raises(Invalid) as err:
        driver.create(award_form="co_thi_dua_bo", nominee_kind="individual")
    assert "nominee_kind" in err.value.fields


def test_changing_the_award_form_on_resubmission_reroutes(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", returned("Đề nghị Kỷ niệm chương thay vì Bằng khen"))
    driver.act(nid, "clerk1", {"award_form": "ky_niem_chuong"})
    driver.act(nid, "head1", APPROVE)
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["appraisal"]


def test_a_changed_nominee_after_the_vote_faces_the_council_again(driver: Driver):
    """Appraisal returns, the secretariat returns to the unit, the clerk changes the person: the old vote is void."""
    nid = driver.create()
    through_council(driver, nid, ["agree"] * 9)
    driver.act(nid, "reviewer", returned("Sai đối tượng"))
    driver.act(nid, "secretary", returned("Đề nghị đơn vị rà soát"))
    driver.act(nid, "clerk1", {"nominee_name": "Phạm Thị Hạnh"})
    driver.act(nid, "head1", APPROVE)
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["council_round"]
    assert driver.nomination(nid).council_result is None  # the old result does not carry over
    driver.vote(nid, ["agree"] * 3 + ["disagree"] * 6)
    nom = driver.nomination(nid)
    assert nom.state == "rejected" and nom.council_result["agree"] == 3 and nom.council_result["members"] == 9


def test_an_unchanged_dossier_returned_after_the_vote_keeps_its_approval(driver: Driver):
    nid = driver.create()
    through_council(driver, nid, ["agree"] * 9)
    driver.act(nid, "reviewer", returned("Bổ sung biên bản"))
    driver.act(nid, "secretary", returned("Bổ sung biên bản"))
    driver.act(nid, "clerk1", {"achievements": "Bổ sung biên bản họp Hội đồng cơ sở và hai sáng kiến đã công nhận."})
    driver.act(nid, "head1", APPROVE)
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["appraisal"]


def test_an_order_whose_form_changes_after_the_vote_is_disclosed_and_voted_again(driver: Driver):
    start = datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ)
    with clock.frozen(start) as advance:
        nid = driver.create(award_form="huan_chuong_lao_dong_hang_ba")
        driver.accept(nid)
        advance(timedelta(days=30))  # the disclosure window passes without objection
        services.fire_due_timers(driver.db)
        driver.vote(nid, ["agree"] * 9)
        driver.act(nid, "reviewer", returned("Đề nghị hạng cao hơn"))
        driver.act(nid, "secretary", returned("Đơn vị đề nghị lại hình thức"))
        driver.act(nid, "clerk1", {"award_form": "huan_chuong_lao_dong_hang_nhi"})
        driver.act(nid, "head1", APPROVE)
        driver.act(nid, "secretary", APPROVE)
        assert driver.ready_steps(nid) == ["disclosure"]  # published again, then the council votes again
        advance(timedelta(days=30))
        services.fire_due_timers(driver.db)
        assert driver.ready_steps(nid) == ["council_round"]
