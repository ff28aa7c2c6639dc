"""Vietnamese working days: Monday to Friday minus public holidays (lunar Tết included).

Statutory holidays come from the ``holidays`` package (pinned: its data
changes between releases). Days off and make-up working days announced each
year arrive as overrides (a later admin table feeds ``extra_days_off`` and
``extra_working_days``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from workflows import caches
from workflows.domain.clock import VN_TZ

OFFICE_OPENS = time(8, 0)
OFFICE_CLOSES = time(17, 0)


@lru_cache(maxsize=64)
def _statutory(year: int) -> frozenset[date]:
    return frozenset(holidays.Vietnam(years=year).keys())


caches.register(_statutory.cache_clear)


class WorkingCalendar:
    def __init__(self, extra_days_off: set[date] | None = None, extra_working_days: set[date] | None = None) -> None:
        self.extra_days_off = frozenset(extra_days_off or ())
        self.extra_working_days = frozenset(extra_working_days or ())

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off or day in _statutory(day.year):
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        day = start
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def subtract_working_days(self, end: date, days: int) -> date:
        """The working day ``days`` working days before ``end``."""
        day = end
        counted = 0
        while counted < days:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def deadline(self, start: datetime, days: int) -> datetime:
        """Close of office hours, Vietnam time, on the ``days``-th working day after ``start``."""
        local_start = start.astimezone(VN_TZ).date()
        due_day = self.add_working_days(local_start, days)
        return datetime.combine(due_day, OFFICE_CLOSES, tzinfo=VN_TZ)


    def reminder(self, due: datetime, days_before: int = 2) -> datetime:
        """Opening of office hours, ``days_before`` working days before the due day."""
        day = self.subtract_working_days(due.astimezone(VN_TZ).date(), days_before)
        return datetime.combine(day, OFFICE_OPENS, tzinfo=VN_TZ)


DEFAULT_CALENDAR = WorkingCalendar()
