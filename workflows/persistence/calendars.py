"""The working calendar as the product has it: the package's holidays, the government's announcements
shipped as data (``data/calendar_vn.json``), and the admins' corrections (table ``calendar_days``).

On the same day an admin's correction wins over an announcement, which wins over the package: an
announcement is the government's word for that year, and an admin corrects what the shipped data
got wrong or does not know yet.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from workflows import caches
from workflows.domain.calendar import WorkingCalendar
from workflows.persistence import numbering
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay, Counter

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


REVISION = "calendar"  # the counters row every calendar change moves on
_by_revision: dict[tuple[str, int], WorkingCalendar] = {}
caches.register_database_keyed(_by_revision.clear)


def load(session: Session, revision: int | None = None) -> WorkingCalendar:
    """Package, announcements and the admins' corrections.

    With ``revision`` (the calendar's counter as the caller's locking read saw it), the calendar is
    taken from this process's cache of that revision, or read once into it: a step that starts a
    deadline then costs no query. Without, it is read once per session (see :func:`forget`).
    """
    if revision is not None:
        key = (str(session.get_bind().url), revision)
        cached = _by_revision.get(key)
        if cached is None:
            cached = _by_revision[key] = _read(session)
        return cached
    cached = session.info.get(_SESSION_KEY)
    if cached is None:
        cached = session.info[_SESSION_KEY] = _read(session)
    return cached


def _read(session: Session) -> WorkingCalendar:
    kinds = {day: a.kind for day, a in announcements().items()}
    kinds.update(session.execute(select(CalendarDay.day, CalendarDay.kind)).all())
    return WorkingCalendar(
        extra_days_off={day for day, kind in kinds.items() if kind == "off"},
        extra_working_days={day for day, kind in kinds.items() if kind == "working"},
    )


def revision_column():
    """The calendar's revision, for a locking read to select alongside the rows it locks (0 before any change).

    Every change goes through :func:`changed`; an edit of ``calendar_days`` by hand must move the counter
    too (or restart the processes), else they keep the calendar they cached.
    """
    return func.coalesce(select(Counter.value).where(Counter.name == REVISION, Counter.year == 0).scalar_subquery(), 0)


def changed(session: Session) -> int:
    """Record a change of the calendar: later steps read the new calendar instead of a cached revision."""
    forget(session)
    return numbering.next_value(session, REVISION, 0)


def wait_for_readers(db: Database, timeout: float = 30.0) -> bool:
    """Wait until every transaction that began before now has ended (PostgreSQL; SQLite serializes writers).

    A step that read the calendar before a change committed may still write deadlines on the old
    one; once every such transaction has ended, a recomputation sees and moves what it wrote. Polls
    ``pg_stat_activity`` rather than taking a lock, so steps pay nothing for it. Returns False if an
    unrelated long transaction outlived ``timeout`` (the release's ``recompute-deadlines`` covers it).
    """
    if db.is_sqlite:
        return True
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        started = conn.scalar(text("SELECT now()"))
        conn.rollback()
        while time.monotonic() < deadline:
            older = conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND xact_start < :started"), {"started": started})
            conn.rollback()
            if not older:
                return True
            time.sleep(0.05)
    return False


def forget(session: Session) -> None:
    """Drop the session's calendar: the transaction that changes ``calendar_days`` reads it again after."""
    session.info.pop(_SESSION_KEY, None)
