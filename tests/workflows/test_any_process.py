"""A step gives the same result in a fresh process: nothing the route needs may live in one process's memory.

Each test drops every in-process cache (parsed routes, serializers, forms) at the point where a
real deployment would switch process: another web worker, an RQ worker, a restart mid-vote.
"""

from __future__ import annotations

import pytest

from workflows import caches, services
from workflows.domain.errors import Conflict

from ..support import Driver


def test_a_ballot_opened_in_one_process_completes_in_another(driver: Driver):
    nid = driver.create()
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["council_vote"]
    caches.clear_all()  # the process that opened the ballot is gone
    driver.vote(nid, ["agree"] * 9)
    nom = driver.nomination(nid)
    assert nom.council_result["passed"] is True
    assert driver.ready_steps(nid) == ["appraisal"]


def test_each_vote_in_a_fresh_process(driver: Driver):
    nid = driver.create()
    driver.accept(nid)
    for member in range(1, 10):
        caches.clear_all()
        driver.act(nid, f"council{member}", {"vote": "agree" if member % 3 else "disagree"})
    assert driver.nomination(nid).council_result["agree"] == 6
    assert driver.ready_steps(nid) == ["appraisal"]


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
