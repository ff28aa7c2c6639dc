"""Running instances: start, act, fire timers, and serialize the state without the spec.

Instance state is stored without ``spec``/``subprocess_specs`` (the same for every instance of a
version) and restored against the cached, already-parsed spec of its route, which is both smaller
on disk and faster than restoring the spec each time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_FORMAT
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows import caches
from workflows.engine.cycles import WorkingDayCycle, fired_count
from workflows.engine.route import Route, RouteError

SERIALIZER_VERSION = SERIALIZER_FORMAT


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
caches.register(_local.__dict__.clear)


def _serializer() -> BpmnWorkflowSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = _make_serializer()
    return serializer


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


def ending_task(workflow: BpmnWorkflow) -> str | None:
    """The element that set the outcome (the earliest task of the last run of tasks carrying its final value).

    A route may set an intermediate outcome on the way (``submitted`` before it waits for the outside
    result): only the tasks since the final value was set count.
    """
    task = workflow.last_task
    final = task.data.get("outcome") if task is not None else None
    while task is not None and task.parent is not None and "outcome" in task.parent.data \
            and task.parent.data["outcome"] == final:
        task = task.parent
    return task.task_spec.bpmn_id if task is not None else None


def waiting_at(workflow: BpmnWorkflow, bpmn_ids: Collection[str]) -> str | None:
    """The element among ``bpmn_ids`` (message waits) the workflow is waiting at, if any."""
    if not bpmn_ids:
        return None
    for task in workflow.event_manager.tasks.values():
        if task.task_spec.bpmn_id in bpmn_ids and task.state == TaskState.WAITING:
            return task.task_spec.bpmn_id
    return None


def deliver(workflow: BpmnWorkflow, bpmn_id: str, payload: dict) -> None:
    """Deliver the message the wait ``bpmn_id`` catches, with ``payload``, and run what follows.

    The event is built from the waiting task's own definition (so it matches by name and type); the
    library raises if nothing waits for it, and the caller has checked under the instance lock that
    this wait does.
    """
    task = next((t for t in workflow.event_manager.tasks.values()
                 if t.task_spec.bpmn_id == bpmn_id and t.state == TaskState.WAITING), None)
    if task is None:
        raise RouteError(f"{bpmn_id}: the instance does not wait here")
    workflow.send_event(BpmnEvent(task.task_spec.event_definition, payload))
    workflow.do_engine_steps()


@dataclass(frozen=True)
class PendingTimer:
    task_uuid: str
    name: str  # the BPMN event id
    step: str | None  # the task a boundary timer watches
    due_at: datetime
    fired: int = 0  # periods a repeating timer (a working-day cycle) has fired; 0 for any other


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
            continue  # the library's own cycles keep a dict; parsing replaces them by working-day cycles
        due = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(due, datetime):
            bpmn_id = task.task_spec.bpmn_id
            timer = route.contract.timers.get(bpmn_id)
            found.append(PendingTimer(str(task.id), bpmn_id, timer.watches if timer else None, due, fired_count(task)))
    return found


def timer_due(value: str) -> datetime:
    """The absolute time a timeDate value stands for, read as the library reads it."""
    return TimerEventDefinition.parse_time_or_duration(value)


def reevaluate_timer(workflow: BpmnWorkflow, task_uuid: str, script_engine: PythonScriptEngine) -> tuple[str, str] | None:
    """Evaluate a waiting date timer's expression again with ``script_engine``; keep and return (old, new) values.

    The library evaluates a ``timeDate`` once, when the timer starts waiting, and compares the kept
    value (the task's internal ``event_value``) with the clock from then on: a deadline moved by a
    calendar change reaches the engine only by rewriting that value. ``script_engine`` supplies the
    moment and the calendar the expression is read with (for a working-day cycle, the start of
    its current period). Returns None for anything but a waiting, unfired date timer or working-day
    cycle (durations are left alone: they have no calendar in them).
    """
    task = workflow.event_manager.tasks.get(UUID(task_uuid))
    if task is None or not isinstance(task.task_spec.event_definition, (TimeDateEventDefinition, WorkingDayCycle)):
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
