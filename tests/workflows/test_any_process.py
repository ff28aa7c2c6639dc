"""A step gives the same result in a fresh process: nothing the route needs may live in one process's memory.

Each test drops every in-process cache (parsed routes, serializers, forms) at the point where a
real deployment would switch process: another web worker, an RQ worker, a restart mid-vote.
"""

from __future__ import annotations

import pytest

from workflows import caches, services
from workflows.domain.errors import Conflict

from ..support import APPROVE, COUNCIL, DECISION_STEP, Driver, RoundDriver


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_a_ballot_opened_in_one_process_completes_in_another(driver: Driver):
    nid = driver.create()
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["council_vote"]
    caches.clear_all()  # the process that opened the ballot is gone
    driver.vote(nid, ["agree"] * 9)
    nom = driver.nomination(nid)
    assert nom.council_result["passed"] is True
    assert driver.ready_steps(nid) == ["appraisal"]


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_each_vote_in_a_fresh_process(driver: Driver):
    nid = driver.create()
    driver.accept(nid)
    for member in range(1, 10):
        caches.clear_all()
        driver.act(nid, f"council{member}", {"vote": "agree" if member % 3 else "disagree"})
    assert driver.nomination(nid).council_result["agree"] == 6
    assert driver.ready_steps(nid) == ["appraisal"]


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_closing_the_vote_in_another_process_ends_the_ballot_once(driver: Driver):
    nid = driver.create()
    driver.accept(nid)
    driver.vote(nid, ["agree"] * 7)
    caches.clear_all()
    services.close_vote(driver.db, driver.uid("secretary"), nid)
    assert driver.ready_steps(nid) == ["appraisal"]
    caches.clear_all()
    with pytest.raises(Conflict):
        services.close_vote(driver.db, driver.uid("secretary"), nid)
    with pytest.raises(AssertionError, match="no ready task"):
        driver.item_for(nid, "council8")


def test_a_round_formed_voted_and_counted_each_step_in_a_fresh_process(rd: RoundDriver):
    first = rd.waiting(nominee_name="Trần Thị Bình")
    second = rd.waiting(nominee_name="Lê Văn Cường", award_form="chien_si_thi_dua_bo")
    caches.clear_all()
    round_id = rd.open([first, second])
    for n, member in enumerate(COUNCIL):
        caches.clear_all()  # each member's ballot reaches another web worker
        rd.ballot(round_id, member, {first: "agree", second: "agree" if n < 8 else "disagree"})
    caches.clear_all()  # the chair counts in yet another one
    results = rd.close(round_id)
    assert (results[first]["agree"], results[first]["passed"]) == (9, True)
    assert (results[second]["agree"], results[second]["passed"]) == (8, False)  # 90 % of all nine needs nine
    caches.clear_all()
    assert rd.ready_steps(first) == ["appraisal"] and rd.nomination(second).state == "rejected"
    rd.act(first, "reviewer", APPROVE)
    assert rd.ready_steps(first) == [DECISION_STEP]
    caches.clear_all()  # and the decision is drafted, signed and registered in others again
    rd.decide([first])
    assert rd.nomination(first).state == "awarded"
