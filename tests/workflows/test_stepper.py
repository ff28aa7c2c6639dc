"""The stepper: the dossier's route as done / current / next steps at several points of the route."""

from __future__ import annotations

from workflows import queries
from workflows.queries import stepper

from ..support import APPROVE, COUNCIL, Driver, returned


def steps(driver: Driver, nid: int, username: str = "clerk1") -> list[tuple[str, str]]:
    return [(s["id"], s["status"]) for s in queries.nomination(driver.db, driver.uid(username), nid)["stepper"]["steps"]]


def step(driver: Driver, nid: int, step_id: str, username: str = "clerk1") -> dict:
    data = queries.nomination(driver.db, driver.uid(username), nid)["stepper"]
    return next(s for s in data["steps"] if s["id"] == step_id)


MAIN = ["draft", "head_review", "secretariat_check", "council_round", "appraisal", "await_decision"]


def test_a_draft_is_at_its_first_step_with_the_rest_of_its_awards_path_ahead(driver: Driver):
    nid = driver.create()  # bằng khen của Bộ trưởng: voted, not published, decided in the ministry
    assert steps(driver, nid) == [("draft", "current")] + [(s, "next") for s in MAIN[1:]]
    current = step(driver, nid, "draft")
    assert current["holder"] == "Cán bộ TĐKT đơn vị — Cục Bưu điện Trung ương"
    assert current["since"] is not None


def test_at_the_secretariat_the_earlier_steps_say_who_did_them_and_when(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    assert steps(driver, nid)[:4] == [("draft", "done"), ("head_review", "done"), ("secretariat_check", "current"),
                                      ("council_round", "next")]
    done = step(driver, nid, "head_review")
    assert done["who"] == "Trần Văn Hùng" and done["at"] is not None
    assert step(driver, nid, "secretariat_check")["holder"] == "Bộ phận TĐKT (Vụ TCCB)"


def test_a_returned_dossier_shows_a_return_marker_not_repeated_steps(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", returned("Bổ sung minh chứng sáng kiến"))
    data = queries.nomination(driver.db, driver.uid("clerk1"), nid)["stepper"]
    assert [(s["id"], s["status"]) for s in data["steps"]] == [("draft", "current")] + [(s, "next") for s in MAIN[1:]]
    assert data["returned_now"] is True
    marker = next(s for s in data["steps"] if s["id"] == "secretariat_check")["returned"]
    assert marker["count"] == 1 and marker["reason"] == "Bổ sung minh chứng sáng kiến" and marker["who"] == "Đỗ Thu Trang"
    driver.submit(nid)
    driver.act(nid, "secretary", returned("Lần hai"))
    again = [s["id"] for s in queries.nomination(driver.db, driver.uid("clerk1"), nid)["stepper"]["steps"]]
    assert again == MAIN  # each step once, whatever the loops
    assert step(driver, nid, "secretariat_check")["returned"]["count"] == 2


def test_at_the_round_the_council_shows_how_many_voted_never_how(driver: Driver):
    nid = driver.waiting()
    assert step(driver, nid, "council_round")["holder"].startswith("Bộ phận TĐKT")
    driver.ensure_passphrase()
    round_id = driver.open([nid])
    for member in COUNCIL[:4]:
        driver.ballot(round_id, member, {nid: "agree"})
    current = step(driver, nid, "council_round")
    assert current["status"] == "current"
    assert current["progress"] == "Hội đồng: 4/9 ủy viên đã bỏ phiếu"
    assert "agree" not in repr(current)


def test_an_awarded_dossier_has_every_step_done_and_its_result(driver: Driver):
    nid = driver.waiting()
    driver.vote(nid, ["agree"] * 9)
    driver.act(nid, "reviewer", APPROVE)
    driver.decide([nid], number="07/QĐ-BKHCN")
    data = queries.nomination(driver.db, driver.uid("clerk1"), nid)["stepper"]
    assert [(s["id"], s["status"]) for s in data["steps"]] == [(s, "done") for s in MAIN]
    assert data["ended"] and data["result"]["state"] == "awarded" and data["result"]["decision_number"] == "07/QĐ-BKHCN"


def test_a_rejected_dossier_shows_only_the_steps_it_went_through(driver: Driver):
    nid = driver.create()
    driver.submit(nid)
    driver.act(nid, "secretary", {"decision": "reject", "comment": "Không đủ điều kiện"})
    data = queries.nomination(driver.db, driver.uid("clerk1"), nid)["stepper"]
    assert [s["id"] for s in data["steps"]] == ["draft", "head_review", "secretariat_check"]
    assert data["result"]["state"] == "rejected"


def test_the_main_path_follows_the_award_forms_rules(driver: Driver):
    with driver.db.read() as s:
        from workflows.persistence import versions

        _pm, route = versions.latest_route(s)
    published = [sid for sid, _t, _h in stepper.main_path(route, {"needs_vote": True, "needs_disclosure": True,
                                                                   "above_ministry": True})]
    assert published == ["draft", "head_review", "secretariat_check", "disclosure", "council_round", "appraisal",
                         "await_decision", "outside_result"]
    plain = [sid for sid, _t, _h in stepper.main_path(route, {"needs_vote": False, "needs_disclosure": False,
                                                               "above_ministry": False})]
    assert plain == ["draft", "head_review", "secretariat_check", "appraisal", "await_decision"]


def test_a_dossier_submitted_above_waits_at_the_outside_result(driver: Driver):
    from datetime import datetime

    from workflows.domain import clock
    from workflows.domain.clock import VN_TZ

    with clock.frozen(datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)) as advance:
        nid = driver.submitted_above(advance)
        data = queries.nomination(driver.db, driver.uid("clerk1"), nid)["stepper"]
    statuses = [(s["id"], s["status"]) for s in data["steps"]]
    assert statuses[-1] == ("outside_result", "current") and all(st == "done" for _id, st in statuses[:-1])
    assert not data["ended"]
    current = data["steps"][-1]
    assert current["holder"] == "Bộ phận TĐKT (Vụ TCCB)" and current["since"] is not None
