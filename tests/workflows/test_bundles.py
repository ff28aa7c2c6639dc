"""A version is a bundle: the BPMN, its forms, its rule data and DMN tables, hashed together and pinned by every nomination."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from workflows import engine, services
from workflows.persistence import audit, versions
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, Nomination, ProcessModel, TaskItem
from workflows.services import people

from ..support import Driver, edit_decisions, per_dossier_route_xml
from .test_concurrency import race


@pytest.fixture
def deploys(driver: Driver) -> Iterator[Driver]:
    """Tests here deploy extra versions; later tests expect only the bundled one."""
    yield driver
    with driver.db.write() as s:
        s.execute(Nomination.__table__.delete())
        s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


def bundle_with(db: Database, rules_change=None, forms_change=None, decisions_change=None,
                bpmn_xml: str | None = None) -> engine.Bundle:
    with db.read() as s:
        bundle = versions.current_bundle(s, bpmn_xml)
    rules, forms = copy.deepcopy(bundle.rules), copy.deepcopy(bundle.forms)
    files = dict(bundle.decisions)
    if rules_change:
        rules_change(rules)
    if forms_change:
        forms_change(forms)
    if decisions_change:
        files = decisions_change(files)
    return engine.Bundle(bundle.bpmn_xml, forms, rules, files)


def deploy(db: Database, bundle: engine.Bundle) -> tuple[int, bool]:
    with db.write() as s:
        pm, new = versions.deploy(s, bundle)
        return pm.version, new


def unanimity(files: dict[str, str]) -> dict[str, str]:
    """Bằng khen của Bộ trưởng needs every member's agreement, in every rule set."""
    return edit_decisions(files, "bang_khen_bo_truong", threshold_kind="pct_of_all", threshold_pct=100)


def test_a_change_in_the_rules_alone_is_a_new_version_and_the_same_bundle_is_not(deploys: Driver):
    db = deploys.db
    assert deploy(db, bundle_with(db)) == (1, False)
    changed = bundle_with(db, decisions_change=unanimity)
    assert deploy(db, changed) == (2, True)
    assert deploy(db, changed) == (2, False)
    with db.read() as s:
        assert audit.verify_subject(s, "route", "nomination") is None
        deployed = s.scalars(select(AuditEvent).where(AuditEvent.subject_type == "route")).all()
    # (the suite empties audit tables between tests, so the deploy at migrate time is gone here)
    assert [(e.action, e.changes["version"]) for e in deployed] == [("deployed", [1, 2])]


def test_running_nominations_keep_the_thresholds_and_forms_they_started_with(deploys: Driver):
    driver, db = deploys, deploys.db
    old = driver.create()
    driver.accept(old)

    def stricter_comment(forms: dict) -> None:
        forms["head_review"]["properties"]["comment"]["maxLength"] = 10

    deploy(db, bundle_with(db, forms_change=stricter_comment, decisions_change=unanimity))
    fresh = driver.create()
    driver.accept(fresh)
    for nid in (old, fresh):
        driver.vote(nid, ["agree"] * 8 + ["disagree"])
    assert driver.nomination(old).council_result["passed"] is True  # majority of those present, as in v1
    assert driver.nomination(fresh).council_result["passed"] is False  # v2 asks every member
    assert driver.nomination(fresh).state == "rejected"

    long_comment = {"decision": "return", "comment": "Bổ sung thêm minh chứng về sáng kiến"}
    third = driver.create()
    driver.act(third, "clerk1", {})
    with pytest.raises(Exception, match="Biểu mẫu có lỗi"):
        driver.act(third, "head1", long_comment)  # v2's form
    with db.write() as s:  # a v1 nomination at head_review keeps v1's form
        s.execute(Nomination.__table__.update().where(Nomination.id == third)
                  .values(process_model_id=s.scalar(select(ProcessModel.id).where(ProcessModel.version == 1))))
    driver.act(third, "head1", long_comment)


def test_step_deadlines_come_from_the_nominations_version(deploys: Driver):
    driver, db = deploys, deploys.db
    old = driver.create()

    def longer_review(files: dict[str, str]) -> dict[str, str]:
        return edit_decisions(files, "bang_khen_bo_truong", head_review_days=30)

    deploy(db, bundle_with(db, decisions_change=longer_review))
    fresh = driver.create()
    for nid in (old, fresh):
        driver.act(nid, "clerk1", {})
    with db.read() as s:
        due = {nid: s.scalar(select(TaskItem.due_at).where(TaskItem.nomination_id == nid, TaskItem.name == "head_review"))
               for nid in (old, fresh)}
    assert (due[fresh] - due[old]).days >= 30  # 25 more working days


def test_two_admins_deploying_at_once_get_one_version_each(deploys: Driver):
    db = deploys.db
    bundles = [bundle_with(db, decisions_change=unanimity),
               bundle_with(db, lambda r: r["escalations"].update({"reviewer": ["admin"]}))]
    results = race(2, lambda i: deploy(db, bundles[i]))
    assert sorted(results) == [(2, True), (3, True)], results


def test_two_admins_deploying_the_same_bundle_at_once_make_one_version(deploys: Driver):
    db = deploys.db
    bundle = bundle_with(db, decisions_change=unanimity)
    results = race(2, lambda i: deploy(db, bundle))
    assert sorted(results) == [(2, False), (2, True)], results


def test_the_council_size_is_the_members_called_chair_included_when_the_rules_say_so(deploys: Driver):
    driver, db = deploys, deploys.db

    def chair_votes(files: dict[str, str]) -> dict[str, str]:
        return edit_decisions(files, "bang_khen_bo_truong", chair_votes=True)

    # the per-dossier ballot of versions before rounds
    deploy(db, bundle_with(db, decisions_change=chair_votes, bpmn_xml=per_dossier_route_xml()))
    nid = driver.create()
    driver.accept(nid)
    assert driver.nomination(nid).ballot_size == 10
    driver.act(nid, "minister", {"vote": "agree"})  # the chair (minister) has a ballot of their own
    driver.vote(nid, ["agree"] * 5 + ["disagree"] * 4)
    result = driver.nomination(nid).council_result
    assert (result["members"], result["present"], result["agree"]) == (10, 10, 6)


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_a_member_added_after_the_ballot_opened_does_not_change_its_size(deploys: Driver):
    driver, db = deploys, deploys.db
    nid = driver.create()
    driver.accept(nid)
    people.create_user(db, None, "council10", "Ủy viên mới", "VU_TCCB", ["council_member"], "mật-khẩu-dài")
    driver.vote(nid, ["agree"] * 6)
    services.close_vote(db, driver.uid("secretary"), nid)
    result = driver.nomination(nid).council_result
    assert (result["members"], result["quorum_required"], result["passed"]) == (9, 6, True)
