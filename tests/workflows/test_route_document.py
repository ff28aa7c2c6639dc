"""bpmn/nomination.bpmn is a real BPMN 2.0 document: schema-valid, drawable, and following our conventions."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from tests.support import SHIPPED_FORMS, shipped_bundle
from workflows import engine
from workflows.domain.calendar import WorkingCalendar
from workflows.domain.clock import VN_TZ
from workflows.domain.labels import ROLES
from workflows.engine.scripting import RouteContext
from workflows.persistence.versions import NOMINATION_ROUTE

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
XML = NOMINATION_ROUTE.read_text(encoding="utf-8")
ROOT = etree.fromstring(XML.encode())


def test_engine_version_is_pinned():
    assert version("spiffworkflow") == "3.2.0"


def test_validates_against_the_bpmn_schema():
    BpmnValidator().validate(ROOT)  # raises ValidationException with the line on error


def test_an_invalid_document_is_refused():
    broken = XML.replace('<bpmn:userTask id="appraisal"', '<bpmn:userTask bogus="1" id="appraisal"', 1)
    with pytest.raises(engine.RouteError):
        engine.parse(shipped_bundle(broken))


def test_a_stored_version_is_read_without_the_checks_its_deploy_made():
    """Deploying validates the BPMN (XSD), the forms (JSON Schema's meta-schema) and the DMN tables; a process
    reading a deployed version trusts its row and only parses it, the same route either way."""
    broken = XML.replace('<bpmn:userTask id="appraisal"', '<bpmn:userTask bogus="1" id="appraisal"', 1)
    bad_forms = shipped_bundle()
    bad_forms = engine.Bundle(bad_forms.bpmn_xml, bad_forms.forms | {"dossier": {"type": 12}}, bad_forms.rules,
                              bad_forms.decisions)
    for bundle in (shipped_bundle(broken), bad_forms):
        with pytest.raises(engine.RouteError):
            engine.parse(bundle)
    assert engine.parse(shipped_bundle(broken), deployed=True).spec.name == engine.parse(shipped_bundle()).spec.name
    stored, checked = engine.parse(shipped_bundle(), deployed=True), engine.parse(shipped_bundle())
    assert (stored.sha256, sorted(stored.spec.task_specs), stored.forms.schemas) == (
        checked.sha256, sorted(checked.spec.task_specs), checked.forms.schemas)


def test_every_flow_node_and_flow_is_drawn():
    drawn = {s.get("bpmnElement") for s in ROOT.iterfind(".//bpmndi:BPMNShape", NS)}
    drawn |= {e.get("bpmnElement") for e in ROOT.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = ROOT.find("bpmn:process", NS)
    elements = {el.get("id") for el in process if el.get("id") and etree.QName(el).localname != "laneSet"}
    assert elements - drawn == set()
    lanes = {lane.get("id") for lane in ROOT.iterfind(".//bpmn:lane", NS)}
    assert lanes <= drawn


def test_lanes_are_roles_and_every_user_task_has_a_form():
    route = engine.parse(shipped_bundle())
    assert {step.role for step in route.steps.values()} <= set(ROLES)
    assert set(route.steps) == {"draft", "head_review", "secretariat_check", "disclosure", "council_round", "appraisal",
                                "await_decision"}
    for step in route.steps.values():
        schema = SHIPPED_FORMS.schema(step.form)
        assert schema["additionalProperties"] is False, step.form


def test_no_reserved_element_ids():
    ids = {el.get("id") for el in ROOT.iter() if el.get("id")}
    assert not ids & {"Start", "End"}  # they collide with SpiffWorkflow's internal task specs


def test_routes_are_parsed_once_and_cached():
    bundle = shipped_bundle()
    parsed = []

    def load() -> engine.Bundle:
        parsed.append(1)
        return bundle

    assert engine.get_route(bundle.sha256, load) is engine.get_route(bundle.sha256, load)
    assert len(parsed) <= 1  # at most once in this process (another test may have parsed it already)


def test_stored_state_leaves_the_spec_out_and_round_trips():
    route = engine.parse(shipped_bundle())
    context = RouteContext(datetime(2026, 11, 30, 2, 0, tzinfo=UTC), WorkingCalendar(), {"draft": 10}.get)
    flags = {"needs_vote": False, "needs_disclosure": False, "above_ministry": False, "council_done": False,
             "vote_closed": False}
    wf = engine.start(route, flags, context.script_engine())
    state = engine.dumps(wf)
    assert '"spec"' not in state and "subprocess_specs" not in state
    again = engine.loads(route, state, context.script_engine())
    timers = {t.name: t.due_at for t in engine.pending_timers(again, route)}
    assert timers == {"draft_reminder": datetime(2026, 12, 10, 8, 0, tzinfo=VN_TZ),
                      "draft_escalation": datetime(2026, 12, 14, 17, 0, tzinfo=VN_TZ)}
    [task] = engine.ready_user_tasks(again)
    assert task.task_spec.bpmn_id == "draft"
    assert engine.find_ready_task(again, str(task.id)) is not None
    engine.run_task(again, task, {})
    assert engine.find_ready_task(again, str(task.id)) is None  # completed tasks are never run again
