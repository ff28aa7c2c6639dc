"""The route's contract is declared on its elements and one lint checks it, naming the element at fault."""

from __future__ import annotations

import pytest

from workflows import engine
from workflows.engine import lint
from workflows.persistence import versions
from workflows.persistence.model import ProcessModel

from ..support import Driver, legacy_bundle, per_dossier_route_xml, shipped_bundle

XML = shipped_bundle().bpmn_xml


def violations(xml: str, **bundle_changes) -> list[str]:
    bundle = shipped_bundle(xml)
    if bundle_changes:
        bundle = engine.Bundle(bundle.bpmn_xml, bundle_changes.get("forms", bundle.forms),
                               bundle_changes.get("rules", bundle.rules), bundle_changes.get("decisions", bundle.decisions))
    return lint.lint(engine.parse(bundle))


def test_the_shipped_bundle_keeps_the_contract():
    assert violations(XML) == []


def test_the_contract_is_read_from_declarations_not_ids():
    route = engine.parse(shipped_bundle())
    check = route.steps["secretariat_check"]
    assert (check.hook, check.decisions, check.returns, check.opens_ballot) == (
        "review", ("approve", "return", "reject"), "return", None)
    assert route.contract.ballot() is None
    assert (route.contract.round_step().id, route.contract.round_step().role) == ("council_round", "secretariat")
    assert {t.kind for t in route.contract.timers.values()} == {"reminder", "escalation", "window"}
    assert route.contract.timers["disclosure_window"].watches == "disclosure"


def test_the_per_dossier_ballot_of_older_versions_is_read_from_its_declarations():
    route = engine.parse(shipped_bundle(per_dossier_route_xml()))
    assert lint.lint(route) == []
    assert route.steps["secretariat_check"].opens_ballot == "council_vote" and route.contract.round_step() is None
    assert route.contract.ballot().id == "council_vote" and route.contract.ballot().collection == "council_members"


def test_renamed_elements_keep_working_because_nothing_reads_ids():
    renamed = XML.replace('"council_round"', '"xet_theo_dot"').replace(">council_round<", ">xet_theo_dot<")
    route = engine.parse(shipped_bundle(renamed))
    assert lint.lint(route) == []
    assert route.contract.round_step().id == "xet_theo_dot"
    old = per_dossier_route_xml()
    renamed = old.replace('"council_vote"', '"phieu_bau"').replace(">council_vote<", ">phieu_bau<")
    renamed = renamed.replace('"council_vote_', '"phieu_bau_').replace('("council_vote")', '("phieu_bau")')
    route = engine.parse(shipped_bundle(renamed))
    assert lint.lint(route) == []
    assert route.contract.ballot().id == "phieu_bau" and route.steps["secretariat_check"].opens_ballot == "phieu_bau"


@pytest.mark.parametrize(("change", "element", "words"), [
    (('<spiffworkflow:property name="hook" value="review" />\n          <spiffworkflow:property name="decisions" '
      'value="approve return withdraw" />', ''), "head_review", "hook"),
    (('name="decisions" value="approve return reject"', 'name="decisions" value="approve reject"'),
     "secretariat_check", "decisions"),
    (('name="hook" value="round"', 'name="hook" value="dot_xet"'), "council_round", "hook"),
    (('name="hook" value="round"', 'name="hook" value="ballot"'), "council_round", "đa phiên"),
    (('name="role" value="reviewer"', 'name="role" value="thu_ky"'), "reviewer", "vai trò"),
    (('<spiffworkflow:property name="timerKind" value="reminder" />', ''), "draft_reminder", "timerKind"),
    (('reminder_at("appraisal")', 'reminder_at(appraisal)'), "appraisal_reminder", "biểu thức"),
    (('value="decision_wait.schema.json"', 'value="ky_so.schema.json"'), "await_decision", "biểu mẫu"),
    (('name="hook" value="decision"', 'name="hook" value="decisions"'), "await_decision", "hook"),
    (('<bpmn:sequenceFlow id="f_awarded_end" sourceRef="issue_decision" targetRef="end_awarded" />', ''),
     "issue_decision", "kết thúc"),
    (('outcome = "awarded"', 'outcome = "da_xong"'), "issue_decision", "kết quả"),
])
def test_each_violation_names_its_element(change: tuple[str, str], element: str, words: str):
    old, new = change
    assert old in XML
    found = violations(XML.replace(old, new, 1))
    assert any(v.startswith(f"{element}:") and words in v for v in found), found


def test_a_ballot_opened_nowhere_is_named():
    old = per_dossier_route_xml().replace('name="opensBallot" value="council_vote"', 'name="opensBallot" value="appraisal"')
    assert any(v.startswith("secretariat_check:") and "opensBallot" in v for v in violations(old))


def test_legacy_rules_without_a_threshold_for_a_voted_form_are_refused():
    rules = legacy_bundle().rules  # a bundle without DMN: its council table is what the route would read
    rules = rules | {"council": [r for r in rules["council"] if r["award_form"] != "co_thi_dua_bo"]}
    found = violations(XML, rules=rules, decisions={})
    assert any(v.startswith("co_thi_dua_bo:") for v in found), found


def test_a_deploy_that_breaks_the_contract_stores_nothing(driver: Driver):
    broken = XML.replace('name="hook" value="round"', 'name="hook" value="nowhere"')
    with driver.db.write() as s:
        before = s.query(ProcessModel).count()
        with pytest.raises(engine.RouteError) as raised:
            versions.deploy(s, versions.current_bundle(s, broken))
        assert s.query(ProcessModel).count() == before
    assert any(v.startswith("council_round:") for v in raised.value.violations)
