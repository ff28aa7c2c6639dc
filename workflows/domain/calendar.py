"""Vietnamese working days: Monday to Friday minus public holidays (lunar Tết included).

Three layers, the later one winning on the same day:

1. the ``holidays`` package (pinned: its data changes between releases): statutory holidays with
   their weekend compensation, and the swaps it knows, each with its make-up working day (a
   Saturday declared working, ``weekend_workdays``), which counts as a working day here too;
2. the government's announcements the product ships as data (persistence), for what the package
   does not know yet or may change;
3. the admins' corrections (the ``calendar_days`` table).

Layers 2 and 3 arrive merged as ``extra_days_off`` and ``extra_working_days``. Every layer is a set
of days, so a day the package and an announcement both give off is off once: nothing is counted twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from workflows import caches
from workflows.domain.clock import VN_TZ

OFFICE_OPENS = time(8, 0)
OFFICE_CLOSES = time(17, 0)
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@lru_cache(maxsize=64)
def _package(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """The package's days off of ``year`` (with their Vietnamese names) and its make-up working days.

    A swap's make-up day can lie in the year before the day off it pays for (Sat 27/12/2014 for
    Fri 2/1/2015), so the next year is asked too and the answer kept to ``year``.
    """
    package = holidays.Vietnam(years=(year, year + 1), language="vi")
    days_off = {day: name for day, name in package.items() if day.year == year}
    make_up = frozenset(day for day in package.weekend_workdays if day.year == year)
    return days_off, make_up


caches.register(_package.cache_clear)


def package_days_off(year: int) -> dict[date, str]:
    """The package's holidays of ``year``: date → Vietnamese name."""
    return dict(_package(year)[0])


def package_working_days(year: int) -> frozenset[date]:
    """Weekend days the package declares working (the make-up day of a swap)."""
    return _package(year)[1]


def package_is_working_day(day: date) -> bool:
    """The package's answer alone, without announcements or corrections."""
    days_off, make_up = _package(day.year)
    if day in days_off:
        return False
    return day in make_up or day.weekday() < 5


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


class WorkingCalendar:
    def __init__(self, extra_days_off: set[date] | None = None, extra_working_days: set[date] | None = None) -> None:
        self.extra_days_off = frozenset(extra_days_off or ())
        self.extra_working_days = frozenset(extra_working_days or ())
        if both := self.extra_days_off & self.extra_working_days:
            # Which layer wins is the caller's decision (persistence.calendars); never guess it here.
            raise ValueError(f"days both off and working: {sorted(both)}")

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        return package_is_working_day(day)

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


DEFAULT_CALENDAR = WorkingCalendar()  # the package alone
