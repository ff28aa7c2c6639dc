"""What a route's expressions may call: deadlines in Vietnamese working days.

A timer in the BPMN reads ``<timeDate>deadline_at("appraisal")</timeDate>``: the date is computed
when the task starts, from the step's working days for this nomination's award form (data, in
``step_deadlines``), the holiday calendar with the admins' corrections, and the product's clock.
A repeating follow-up reads ``<timeCycle>follow_up_at("outside_result")</timeCycle>``: the next
occurrence, the step's working days after now, evaluated again each time one passes
(:mod:`workflows.engine.cycles`). ISO 8601 dates and durations keep working as the library reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from workflows.domain.calendar import OFFICE_OPENS, WorkingCalendar
from workflows.domain.clock import VN_TZ

NEVER = "9999-12-31T00:00:00+00:00"  # a step without a deadline never times out


class RouteContext:
    """Deadlines for one nomination at one moment. The calendar may be given as a loader: a step that
    starts no deadline (a vote among others) then never reads it."""

    def __init__(self, now: datetime, calendar: WorkingCalendar | Callable[[], WorkingCalendar],
                 days_for: Callable[[str], int | None]) -> None:
        self.now = now
        self._calendar = calendar
        self._days_for = days_for
        self._due: dict[str, datetime | None] = {}

    @property
    def calendar(self) -> WorkingCalendar:
        if not isinstance(self._calendar, WorkingCalendar):
            self._calendar = self._calendar()
        return self._calendar

    def due(self, step: str) -> datetime | None:
        """When a step that starts now is due; one answer per step within a transaction."""
        if step not in self._due:
            days = self._days_for(step)
            self._due[step] = self.calendar.deadline(self.now, days) if days else None
        return self._due[step]

    def deadline_at(self, step: str) -> str:
        due = self.due(step)
        return due.isoformat() if due else NEVER

    def reminder_at(self, step: str, days_before: int = 2) -> str:
        due = self.due(step)
        if due is None:
            return NEVER
        # Never before the task exists: a step shorter than the notice is reminded right away.
        return max(self.calendar.reminder(due, days_before), self.now + timedelta(seconds=1)).isoformat()

    def follow_up_at(self, step: str) -> str:
        """Office opening on the step's N-th working day from now (N its working days): the next follow-up.

        Always after now, so a repeating timer evaluated as a period passes never fires twice for it.
        """
        days = self._days_for(step)
        if not days:
            return NEVER
        day = self.calendar.add_working_days(self.now.astimezone(VN_TZ).date(), int(days))
        return datetime.combine(day, OFFICE_OPENS, tzinfo=VN_TZ).isoformat()

    def working_days(self, days: int) -> str:
        return self.calendar.deadline(self.now, int(days)).isoformat()

    def evaluate(self, expression: str):
        """A route expression read without any task's data (what a timer value is made of)."""
        return self.script_engine().environment.evaluate(expression, {})

    def script_engine(self) -> PythonScriptEngine:
        return PythonScriptEngine(environment=TaskDataEnvironment({
            "deadline_at": self.deadline_at,
            "reminder_at": self.reminder_at,
            "follow_up_at": self.follow_up_at,
            "working_days": self.working_days,
            "VN_TZ": VN_TZ,
        }))
