"""SpiffWorkflow behind a small interface: parse once, run, serialize without the spec.

A parsed route (:class:`Route`) is cached per BPMN hash. Instance state is
stored without ``spec``/``subprocess_specs`` (they are the same for every
instance of a version) and restored against the cached, already-parsed spec,
which is both smaller on disk and faster than restoring the spec each time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_FORMAT
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import caches
from workflows.domain import clock

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class _ClockedDatetime(datetime):
    """``datetime`` whose ``now`` is the product's clock.

    SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` inside the library; a test clock
    the engine does not see would never fire an engine timer. Rebinding the name in that one
    module routes the engine's notion of now through :mod:`workflows.domain.clock`.
    """

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


_timer_module.datetime = _ClockedDatetime
PROCESS_ID = "nomination"


class RouteError(ValueError):
    """The BPMN document cannot be deployed (schema, parse or convention errors)."""


@dataclass(frozen=True)
class UserStep:
    name: str
    title: str
    role: str
    form: str


@dataclass
class Route:
    sha256: str
    spec: object
    subprocess_specs: dict
    steps: dict[str, UserStep] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # every named element, for history
    boundary_hosts: dict[str, str] = field(default_factory=dict)  # boundary event id -> the task it watches
    timer_dates: dict[str, str] = field(default_factory=dict)  # timer event id -> its timeDate expression


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the dict and takes it from the caller on restore."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, route: Route | None = None, script_engine: PythonScriptEngine | None = None):
        if route is None:
            raise RouteError("a stored instance is restored against its route")
        workflow = self.target_class(route.spec, route.subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The serializer's registry keeps a mode flag while converting: one serializer per thread.
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = _make_serializer()
    return serializer


SERIALIZER_VERSION = SERIALIZER_FORMAT
_routes: dict[str, Route] = {}
_routes_lock = threading.Lock()


@caches.register
def _forget_routes() -> None:
    with _routes_lock:
        _routes.clear()
    _local.__dict__.clear()


def parse_route(xml: str, sha256: str) -> Route:
    """Validate and parse a route document, or raise :class:`RouteError`."""
    parser = SpiffBpmnParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_str(xml.encode("utf-8"))
        spec = parser.get_spec(PROCESS_ID)
        subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    except Exception as exc:  # the library raises many types for a bad document
        raise RouteError(str(exc)) from exc
    for process_spec in (spec, *subprocess_specs.values()):
        _wire_loop_tasks(process_spec)
    route = Route(sha256=sha256, spec=spec, subprocess_specs=subprocess_specs, boundary_hosts=_boundary_hosts(xml))
    lanes = _lane_of_each_node(xml)
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, TimeDateEventDefinition):
                route.timer_dates[task_spec.bpmn_id] = definition.expression
    for task_spec in spec.task_specs.values():
        if getattr(task_spec, "bpmn_id", None) and getattr(task_spec, "bpmn_name", None):
            route.titles[task_spec.bpmn_id] = task_spec.bpmn_name
    for name, task_spec in spec.task_specs.items():
        if not getattr(task_spec, "manual", False):
            continue
        form = task_spec.extensions.get("properties", {}).get("formJsonSchemaFilename", "")
        role = lanes.get(getattr(task_spec, "bpmn_id", None) or name)
        if not form or not role:
            raise RouteError(f"user task {name!r} needs a lane (its role) and a form")
        bpmn_id = task_spec.bpmn_id
        route.steps[bpmn_id] = UserStep(bpmn_id, task_spec.bpmn_name or bpmn_id, role, form.removesuffix(".schema.json"))
    return route


def _wire_loop_tasks(process_spec) -> None:
    """Connect each multi-instance task to its children's completion, as restoring a spec does.

    The library connects a child spec's ``completed_event`` to its loop's ``merge_child`` only
    when the loop first creates children (``create_child``) or when a spec is deserialized. A
    route parsed in a process that never started that loop (another web worker, an RQ worker, a
    restart during the vote) would otherwise restore a ballot whose completed votes never reach
    the parent: the last vote completes and nothing moves. Wiring it at parse time makes every
    process's route the same, whatever it has run.
    """
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _boundary_hosts(xml: str) -> dict[str, str]:
    root = etree.fromstring(xml.encode("utf-8"))
    return {event.get("id"): event.get("attachedToRef") for event in root.iter(f"{{{BPMN_NS}}}boundaryEvent")}


def _lane_of_each_node(xml: str) -> dict[str, str]:
    """Lane ids are role codes: map every flow node to the role of its lane."""
    root = etree.fromstring(xml.encode("utf-8"))
    lanes = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[ref.text.strip()] = lane.get("id")
    return lanes


def get_route(xml: str, sha256: str) -> Route:
    """The parsed route for a process-model version, parsed at most once per process."""
    route = _routes.get(sha256)
    if route is None:
        with _routes_lock:
            route = _routes.get(sha256) or parse_route(xml, sha256)
            _routes[sha256] = route
    return route


def is_route_cached(sha256: str) -> bool:
    return sha256 in _routes


def start(route: Route, data: dict, script_engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(route.spec, route.subprocess_specs, script_engine=script_engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def dumps(workflow: BpmnWorkflow) -> str:
    """JSON of the running state, without the spec (what ``serialize_json`` does, minus the spec)."""
    serializer = _serializer()
    serializer.registry._encoder_mode = True  # shallow conversion; the encoder handles nested values
    try:
        return json.dumps(serializer.to_dict(workflow), cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        serializer.registry._encoder_mode = False


def loads(route: Route, state: str, script_engine: PythonScriptEngine | None = None) -> BpmnWorkflow:
    return _serializer().from_dict(json.loads(state), route=route, script_engine=script_engine)


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def find_ready_task(workflow: BpmnWorkflow, task_uuid: str) -> Task | None:
    """The task with this id if, and only if, it is READY (``Task.run`` checks nothing)."""
    task = workflow.get_task_from_id(UUID(task_uuid))
    if task is None or task.state != TaskState.READY:
        return None
    return task


def run_task(workflow: BpmnWorkflow, task: Task, data: dict) -> None:
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def outcome(workflow: BpmnWorkflow) -> str | None:
    """The end reached (``outcome`` set by the route's last script task), or None while running."""
    if not workflow.is_completed():
        return None
    return workflow.last_task.data.get("outcome")


@dataclass(frozen=True)
class PendingTimer:
    task_uuid: str
    name: str  # the BPMN event id
    step: str | None  # the task a boundary timer watches
    due_at: datetime


def pending_timers(workflow: BpmnWorkflow, route: Route) -> list[PendingTimer]:
    """Every timer the workflow waits on, with its absolute due time."""
    found = []
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if value is None:  # not evaluated yet: let the library compute (and keep) it
            definition.has_fired(task)
            value = task._get_internal_data("event_value")
        if not isinstance(value, str):
            continue  # cycle timers keep a dict; routes here have none
        due = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(due, datetime):
            bpmn_id = task.task_spec.bpmn_id
            found.append(PendingTimer(str(task.id), bpmn_id, route.boundary_hosts.get(bpmn_id), due))
    return found


def timer_due(value: str) -> datetime:
    """The absolute time a timeDate value stands for, read as the library reads it."""
    return TimerEventDefinition.parse_time_or_duration(value)


def reevaluate_timer(workflow: BpmnWorkflow, task_uuid: str, script_engine: PythonScriptEngine) -> tuple[str, str] | None:
    """Evaluate a waiting date timer's expression again with ``script_engine``; keep and return (old, new) values.

    The library evaluates a ``timeDate`` once, when the timer starts waiting, and compares the kept
    value (the task's internal ``event_value``) with the clock from then on: a deadline moved by a
    calendar change reaches the engine only by rewriting that value. ``script_engine`` supplies the
    moment and the calendar the expression is read with. Returns None for anything but a waiting,
    unfired date timer (durations and cycles are left alone: they have no calendar in them).
    """
    task = workflow.event_manager.tasks.get(UUID(task_uuid))
    if task is None or not isinstance(task.task_spec.event_definition, TimeDateEventDefinition):
        return None
    if task._get_internal_data("event_fired", False):
        return None  # already due in the engine: it fires at the next engine step whatever we write
    old = task._get_internal_data("event_value")
    new = script_engine.evaluate(task, task.task_spec.event_definition.expression)
    task._set_internal_data(event_value=new)
    return old, new


def timer_fired(workflow: BpmnWorkflow, task_uuid: str) -> bool:
    """Did this timer event's task complete (fire), rather than being cancelled with its host?"""
    task = workflow.get_task_from_id(UUID(task_uuid))
    return task is not None and task.state == TaskState.COMPLETED


def fire_due_timers(workflow: BpmnWorkflow) -> None:
    """Let every due timer fire and run what follows (one ``do_engine_steps`` alone does not run it)."""
    workflow.refresh_timers()
    workflow.do_engine_steps()


def assignee_of(task: Task) -> object | None:
    """For a multi-instance child, the item it was created for (a council member's id)."""
    parent_spec = task.parent.task_spec if task.parent is not None else None
    input_item = getattr(parent_spec, "input_item", None)
    if input_item is None:
        return None
    return task.data.get(input_item.bpmn_id)


def ready_children_of(workflow: BpmnWorkflow, step: str) -> list[Task]:
    return [t for t in ready_user_tasks(workflow) if t.task_spec.bpmn_id == step]
