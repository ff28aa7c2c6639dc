"""The route's rules come from the DMN tables its version pins, by the date the dossier was submitted.

A dossier is submitted when the unit head approves it and it goes to the secretariat
(``nominations.submitted_at``); before that, the rule set in force on the day applies. Editing a
table is deploying a new version: dossiers keep their own version's rules (a council round counts
each dossier by its own). Versions deployed before the rules moved to DMN keep their legacy tables.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from workflows import caches, engine
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.engine import decisions
from workflows.engine.decisions import DecisionRuleSet
from workflows.persistence import versions
from workflows.persistence.model import AuditEvent, Nomination, ProcessModel, TaskItem
from workflows.persistence.reference import shipped_rules

from ..support import APPROVE, COUNCIL, Driver, RoundDriver, edit_decisions, legacy_bundle, returned

OLD, NEW = "council_rules_98_2023.dmn", "council_rules_152_2025.dmn"
A, D = "agree", "disagree"


@pytest.fixture
def deploys(driver: Driver) -> Iterator[Driver]:
    """Tests here deploy extra versions; later tests expect only the bundled one."""
    yield driver
    with driver.db.write() as s:
        s.execute(Nomination.__table__.delete())
        s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


def deploy(db, bpmn_xml: str | None = None, files: dict[str, str] | None = None) -> int:
    with db.write() as s:
        pm, _new = versions.deploy(s, versions.current_bundle(s, bpmn_xml, files))
        return pm.version


def unanimity(files: dict[str, str], only: str | None = None) -> dict[str, str]:
    return edit_decisions(files, "bang_khen_bo_truong", only, threshold_kind="pct_of_all", threshold_pct=100)


def due(driver: Driver, nid: int, step: str) -> datetime:
    with driver.db.read() as s:
        return s.scalar(select(TaskItem.due_at).where(TaskItem.nomination_id == nid, TaskItem.name == step)
                        .order_by(TaskItem.id.desc()).limit(1))


# --- the bundle -------------------------------------------------------------------------------------

def test_the_deployed_version_pins_the_shipped_dmn_and_its_route_reads_it(driver: Driver):
    with driver.db.read() as s:
        pm = versions.latest(s)
        assert pm.decisions == decisions.shipped_files()
        assert set(pm.rules) == {"award_forms", "escalations"}  # the catalogue; the rules are the DMN's
        caches.clear_all()
        rules = versions.route_for(s, pm.id).rules
    assert isinstance(rules, DecisionRuleSet)
    on = datetime(2026, 12, 1, tzinfo=VN_TZ)
    rule = rules.council_rule("chien_si_thi_dua_bo", on)
    assert (rule.quorum_num, rule.quorum_den, rule.threshold_kind, rule.threshold_pct, rule.chair_votes, rule.quota) == (
        2, 3, "pct_of_all", 90, False, None)
    assert rule.arithmetic().threshold_pct == 90 and rule.rule_set == "council_rules_152_2025"
    assert rules.step_days("ky_niem_chuong", on)["appraisal"] == 15
    assert rules.superiors("reviewer") == ("minister",)
    assert [a.code for a in rules.proposable(on)][:2] == ["bang_khen_bo_truong", "chien_si_thi_dua_bo"]


@pytest.mark.parametrize(("form", "flags"), [
    ("bang_khen_bo_truong", (True, False, False)),
    ("ky_niem_chuong", (False, False, False)),
    ("bang_khen_thu_tuong", (True, False, True)),  # above the ministry, not published: the law publishes orders
    ("co_thi_dua_chinh_phu", (True, False, True)),
    ("huan_chuong_lao_dong_hang_ba", (True, True, True)),
    ("huan_chuong_lao_dong_hang_nhat", (True, True, True)),
])
def test_routing_flags_follow_the_dmn_disclosure_for_orders_only(form: str, flags: tuple[bool, bool, bool]):
    rules = engine.parse(versions.shipped_bundle()).rules
    for on in (datetime(2025, 6, 30, tzinfo=VN_TZ), datetime(2025, 7, 1, tzinfo=VN_TZ)):
        found = rules.routing_flags(form, on)
        assert (found["needs_vote"], found["needs_disclosure"], found["above_ministry"]) == flags


def test_a_dmn_where_one_form_matches_no_row_is_refused_at_deploy(driver: Driver):
    files = decisions.shipped_files()
    xml = files[NEW]
    start = xml.index('<rule id="rule_co_thi_dua_bo">')
    without = xml[:start] + xml[xml.index("</rule>", start) + len("</rule>"):]
    with driver.db.write() as s:
        before = s.scalar(select(func.count(ProcessModel.id)))
        with pytest.raises(engine.RouteError) as raised:
            versions.deploy(s, versions.current_bundle(s, decision_files={**files, NEW: without}))
        assert s.scalar(select(func.count(ProcessModel.id))) == before
    assert str(raised.value).startswith("Bảng quyết định (DMN) không hợp lệ:")
    assert raised.value.violations == [f"{NEW}, hình thức co_thi_dua_bo: không khớp dòng nào của bảng quyết định."]


def test_a_bundle_without_dmn_is_no_longer_deployed(driver: Driver):
    with driver.db.write() as s, pytest.raises(engine.RouteError) as raised:
        versions.deploy(s, versions.current_bundle(s, decision_files={}))
    assert raised.value.violations == ["council_rules: gói triển khai không có bảng quyết định (.dmn) nào."]


def test_a_bundle_without_dmn_hashes_as_before_and_dmn_is_part_of_the_hash():
    legacy = legacy_bundle()
    body = json.dumps({"bpmn": legacy.bpmn_xml, "forms": legacy.forms, "rules": legacy.rules, "v": 1},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert legacy.sha256 == hashlib.sha256(body.encode("utf-8")).hexdigest()  # stored legacy hashes stay valid
    bundle = versions.shipped_bundle()
    edited = engine.Bundle(bundle.bpmn_xml, bundle.forms, bundle.rules, unanimity(bundle.decisions, NEW))
    assert len({legacy.sha256, bundle.sha256, edited.sha256}) == 3


# --- versions deployed before the DMN ---------------------------------------------------------------

def test_a_nomination_on_a_version_without_dmn_keeps_its_old_rules_after_the_new_bundle_is_deployed(deploys: Driver):
    driver, db = deploys, deploys.db
    legacy = shipped_rules().as_dict()
    for rule in legacy["council"]:
        if rule["award_form"] == "bang_khen_bo_truong":
            rule["threshold_kind"], rule["threshold_pct"] = "pct_of_all", 100
    bundle = legacy_bundle(rules=legacy)
    with db.write() as s:  # as a deploy before this release stored it: no decisions
        s.add(ProcessModel(key="nomination", version=2, sha256=bundle.sha256, bpmn_xml=bundle.bpmn_xml, forms=bundle.forms,
                           rules=bundle.rules, decisions=None, deployed_at=clock.now()))
    old, old_pm = driver.create(), driver.create(award_form="bang_khen_thu_tuong")
    # The new bundle (v1's rules but for a cell that does not matter here, so it is a new version after v2).
    assert deploy(db, files=edit_decisions(decisions.shipped_files(), "giay_khen", draft_days=11)) == 3
    caches.clear_all()  # what the old version runs on is read back from its row, not remembered
    fresh, fresh_pm = driver.create(), driver.create(award_form="bang_khen_thu_tuong")
    for nid in (old, fresh, old_pm, fresh_pm):
        driver.accept(nid)
    assert driver.ready_steps(old_pm) == ["disclosure"]  # the legacy rule: every form decided above the ministry
    assert driver.ready_steps(fresh_pm) == ["council_round"]  # the DMN's: orders only
    for nid in (old, fresh):
        driver.vote(nid, [A] * 8 + [D])
    assert driver.nomination(old).council_result["agree_required"] == 9  # its pinned legacy threshold
    assert driver.nomination(old).state == "rejected"
    assert driver.nomination(fresh).council_result["threshold_kind"] == "majority_of_present"
    assert driver.ready_steps(fresh) == ["appraisal"]


# --- a new version changes the next round -----------------------------------------------------------

def _ballots(rd: RoundDriver, round_id: int, table: dict[int, list[str]]) -> None:
    for i, member in enumerate(COUNCIL):
        rd.ballot(round_id, member, {nid: choices[i] for nid, choices in table.items()})


def test_a_threshold_edited_in_the_dmn_changes_the_next_round_and_waiting_dossiers_keep_their_version(rd: RoundDriver):
    first = rd.waiting()
    rid = rd.open([first])
    _ballots(rd, rid, {first: [A] * 5 + [D] * 4})
    assert rd.close(rid)[first]["passed"] is True  # a majority of those present
    earlier = rd.waiting(nominee_name="Trịnh Văn Bảo")  # submitted on this version, voted on in the next round

    deploy(rd.db, None, unanimity(decisions.shipped_files()))

    later = rd.waiting(nominee_name="Lê Thị Cúc")
    rid = rd.open([earlier, later], title="Đợt xét tiếp theo")
    _ballots(rd, rid, {earlier: [A] * 5 + [D] * 4, later: [A] * 5 + [D] * 4})
    results = rd.close(rid)
    assert (results[earlier]["passed"], results[earlier]["threshold_kind"]) == (True, "majority_of_present")
    assert (results[later]["passed"], results[later]["agree_required"]) == (False, 9)
    assert rd.ready_steps(earlier) == ["appraisal"] and rd.nomination(later).state == "rejected"


# --- the submission date picks the set ---------------------------------------------------------------

@pytest.fixture
def sets_differ(deploys: Driver) -> Driver:
    """From 1/7/2025 (Decree 152) the secretariat has 8 working days and Bằng khen needs every member."""
    files = edit_decisions(unanimity(decisions.shipped_files(), NEW), "bang_khen_bo_truong", NEW, secretariat_check_days=8)
    deploy(deploys.db, files=files)
    return deploys


def test_dossiers_submitted_on_30_6_and_on_1_7_2025_follow_different_rule_sets(sets_differ: Driver):
    driver = sets_differ
    with clock.frozen(datetime(2025, 6, 30, 9, 0, tzinfo=VN_TZ)) as advance:
        june, july = driver.create(), driver.create(nominee_name="Trịnh Văn Bảo")
        driver.submit(june)  # the unit head approves on Monday 30/6
        driver.act(july, "clerk1", {})  # drafted in June, approved by the head in July
        advance(timedelta(days=1))
        driver.act(july, "head1", APPROVE)
        assert driver.nomination(june).submitted_at == datetime(2025, 6, 30, 9, 0, tzinfo=VN_TZ)
        assert driver.nomination(july).submitted_at == datetime(2025, 7, 1, 9, 0, tzinfo=VN_TZ)
        assert due(driver, june, "secretariat_check") == datetime(2025, 7, 7, 17, 0, tzinfo=VN_TZ)  # 5 working days
        assert due(driver, july, "secretariat_check") == datetime(2025, 7, 11, 17, 0, tzinfo=VN_TZ)  # 8
        for nid in (june, july):
            driver.act(nid, "secretary", APPROVE)
            driver.vote(nid, [A] * 8 + [D])
    assert driver.nomination(june).council_result["threshold_kind"] == "majority_of_present"
    assert driver.ready_steps(june) == ["appraisal"]
    assert driver.nomination(july).council_result["agree_required"] == 9
    assert driver.nomination(july).state == "rejected"
    with driver.db.read() as s:
        approval = s.scalar(select(AuditEvent).where(AuditEvent.nomination_id == july, AuditEvent.action == "approve",
                                                     AuditEvent.role == "unit_head"))
    assert approval.changes == {"submitted_at": [None, "2025-07-01T02:00:00+00:00"]}


def test_a_dossier_returned_and_submitted_again_keeps_its_first_submission_date(sets_differ: Driver):
    driver = sets_differ
    with clock.frozen(datetime(2025, 6, 30, 9, 0, tzinfo=VN_TZ)) as advance:
        nid = driver.create()
        driver.submit(nid)
        advance(timedelta(days=1))
        driver.act(nid, "secretary", returned())
        driver.act(nid, "clerk1", {})
        driver.act(nid, "head1", APPROVE)  # approved again on 1/7: still the dossier submitted on 30/6
        assert driver.nomination(nid).submitted_at == datetime(2025, 6, 30, 9, 0, tzinfo=VN_TZ)
        assert due(driver, nid, "secretariat_check") == datetime(2025, 7, 8, 17, 0, tzinfo=VN_TZ)  # 5 from 1/7
        driver.act(nid, "secretary", APPROVE)
        driver.vote(nid, [A] * 8 + [D])
    assert driver.ready_steps(nid) == ["appraisal"]  # Decree 98's majority


def test_before_submission_the_set_in_force_on_the_day_applies(sets_differ: Driver):
    driver = sets_differ
    with clock.frozen(datetime(2025, 6, 30, 9, 0, tzinfo=VN_TZ)) as advance:
        nid = driver.create()
        with driver.db.read() as s:
            rules = versions.route_for(s, s.get(Nomination, nid).process_model_id).rules
        assert driver.nomination(nid).submitted_at is None
        advance(timedelta(days=1))
        on = rules.date_for(driver.nomination(nid).created_at, None, clock.now())
        assert on == clock.now() and rules.step_days("bang_khen_bo_truong", on)["secretariat_check"] == 8
        driver.submit(nid)
        assert due(driver, nid, "secretariat_check") == datetime(2025, 7, 11, 17, 0, tzinfo=VN_TZ)
