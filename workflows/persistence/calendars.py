"""The working calendar as the database has it: statutory holidays plus the admins' corrections."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.domain.calendar import WorkingCalendar
from workflows.persistence.model import CalendarDay


def load(session: Session) -> WorkingCalendar:
    """The statutory calendar with the admins' days off and make-up working days (read once per session)."""
    cached = session.info.get("working_calendar")
    if cached is None:
        rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
        cached = session.info["working_calendar"] = WorkingCalendar(
            extra_days_off={day for day, kind in rows if kind == "off"},
            extra_working_days={day for day, kind in rows if kind == "working"},
        )
    return cached
