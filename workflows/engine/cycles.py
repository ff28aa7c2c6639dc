"""Repeating timers in working days: a ``timeCycle`` whose every next time the route's expression computes.

A follow-up reminder "every 10 working days while the dossier waits" cannot be an ISO 8601 cycle
(``R/start/P14D`` repeats a fixed number of seconds, blind to Tết). In our routes a ``timeCycle``
expression evaluates to one moment, the next occurrence, as a ``timeDate`` does
(``follow_up_at("outside_result")``); :class:`WorkingDayCycle` takes the library's cycle behaviour
(a non-interrupting boundary event that stays waiting and runs its outgoing path once per period)
and, each time a period passes, evaluates the expression again, at that moment, on the calendar of
the transaction. So:

- a period fires once: the next time is computed from the moment it fired and is always later;
- a sweep that comes late (workers down for three periods) sends one reminder, not a backlog,
  and the next one follows a full period later;
- the state keeps the next time as ISO text in ``event_value`` (as a ``timeDate`` does: the timer
  table, the calendar recomputation and the engine read it alike) and the number of periods
  fired in ``event_count``, from which the timer projection tells a fired period from a moved date.

Each period adds the few tasks of its outgoing path beside the waiting event (the tree grows in
width, not depth: nothing like a loop's recursion). The definition replaces the library's at parse
time (:mod:`.route`), so every process that parses the route runs the same timer.
"""

from __future__ import annotations

from datetime import UTC

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util import PendingBpmnEvent


class WorkingDayCycle(CycleTimerEventDefinition):
    """A cycle timer whose expression gives the next occurrence, evaluated again after each one."""

    def _arm(self, my_task) -> str:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        my_task._set_internal_data(event_value=value)
        return value

    def has_fired(self, my_task) -> bool:
        """Never "fired for good" while its host waits (the host's end cancels it); evaluates the first time."""
        if my_task._get_internal_data("event_value") is None:
            self._arm(my_task)
            my_task._set_internal_data(event_count=0)
        return False

    def cycle_complete(self, my_task) -> bool:
        """True once per passed period (the library then adds the outgoing path), the next period armed."""
        value = my_task._get_internal_data("event_value")
        if value is None:
            self.has_fired(my_task)
            value = my_task._get_internal_data("event_value")
        # The library's clock, which :mod:`workflows.engine.clocked` routes through the product's.
        if TimerEventDefinition.get_datetime(value) >= _timer_module.datetime.now(UTC):
            return False
        self._arm(my_task)
        my_task._set_internal_data(event_count=my_task._get_internal_data("event_count", 0) + 1)
        return True

    def details(self, my_task) -> PendingBpmnEvent:
        return PendingBpmnEvent(self.name, self.__class__.__name__, my_task._get_internal_data("event_value"))


def fired_count(task) -> int:
    """How many periods a repeating timer's task has fired (0 for any other timer)."""
    return int(task._get_internal_data("event_count", 0) or 0)


def use_working_day_cycles(process_spec) -> None:
    """Give every cycle timer of a parsed process the working-day behaviour (idempotent)."""
    for task_spec in process_spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if type(definition) is CycleTimerEventDefinition:
            task_spec.event_definition = WorkingDayCycle(definition.name, definition.expression,
                                                         description=definition.description)
