"""The working calendar as the product has it: the package's holidays, the government's announcements
shipped as data (``data/calendar_vn.json``), and the admins' corrections (table ``calendar_days``).

On the same day an admin's correction wins over an announcement, which wins over the package: an
announcement is the government's word for that year, and an admin corrects what the shipped data
got wrong or does not know yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from workflows import caches
from workflows.domain.calendar import WorkingCalendar
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay

ANNOUNCEMENTS_FILE = Path(__file__).resolve().parent / "data" / "calendar_vn.json"
KINDS = ("off", "working")
_SESSION_KEY = "working_calendar"


@dataclass(frozen=True)
class AnnouncedDay:
    day: date
    kind: str  # off | working
    name: str
    source: str  # the announcing document
    subject: str


def parse_announcements(document: dict) -> dict[date, AnnouncedDay]:
    """Every announced day, checked: a shipped file with a typo must fail loudly, not shift deadlines."""
    days: dict[date, AnnouncedDay] = {}
    for announcement in document["announcements"]:
        source, subject = announcement["source"].strip(), announcement.get("subject", "").strip()
        if not source:
            raise ValueError("an announcement without its source document")
        for entry in announcement["days"]:
            day, kind = date.fromisoformat(entry["day"]), entry["kind"]
            if kind not in KINDS:
                raise ValueError(f"{day}: kind {kind!r} is neither 'off' nor 'working'")
            # A day off on a weekend or a working weekday changes nothing: it is a typo in the date.
            if (kind == "off") != (day.weekday() < 5):
                raise ValueError(f"{day}: an announced {kind} day on a {'weekday' if day.weekday() < 5 else 'weekend'}")
            if day in days:
                raise ValueError(f"{day} announced twice")
            days[day] = AnnouncedDay(day, kind, entry["name"].strip(), source, subject)
    return days


@lru_cache(maxsize=1)
def announcements() -> dict[date, AnnouncedDay]:
    """The shipped announcements (read once per process; the file changes only with a release)."""
    return parse_announcements(json.loads(ANNOUNCEMENTS_FILE.read_text(encoding="utf-8")))


caches.register(announcements.cache_clear)


# Readers of the calendar hold this lock shared until they commit; a calendar change waits for them
# (exclusive) before moving what they wrote, so no deadline computed on the old calendar is missed.
_READERS_LOCK = 7_020_001


def load(session: Session) -> WorkingCalendar:
    """Package, announcements and the admins' corrections (read once per session, see :func:`forget`)."""
    cached = session.info.get(_SESSION_KEY)
    if cached is None:
        if session.get_bind().dialect.name == "postgresql":  # SQLite's writers are serialized already
            # Its own statement, before the read: the read's snapshot then follows any change it waited for.
            session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _READERS_LOCK})
        kinds = {day: a.kind for day, a in announcements().items()}
        kinds.update(session.execute(select(CalendarDay.day, CalendarDay.kind)).all())
        cached = session.info[_SESSION_KEY] = WorkingCalendar(
            extra_days_off={day for day, kind in kinds.items() if kind == "off"},
            extra_working_days={day for day, kind in kinds.items() if kind == "working"},
        )
    return cached


def wait_for_readers(db: Database) -> None:
    """Return once every transaction that read the calendar before now has ended (PostgreSQL)."""
    if db.is_sqlite:
        return
    with db.write() as s:
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _READERS_LOCK})


def forget(session: Session) -> None:
    """Drop the session's calendar: the transaction that changes ``calendar_days`` reads it again after."""
    session.info.pop(_SESSION_KEY, None)
