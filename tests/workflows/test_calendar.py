"""Working days: weekends, Tết and the other public holidays skipped; make-up days; announcements; admin corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.domain.calendar import DEFAULT_CALENDAR, WorkingCalendar, package_is_working_day
from workflows.domain.clock import VN_TZ
from workflows.persistence import calendars
from workflows.persistence.model import CalendarDay


def test_tet_2026_is_skipped():
    # Tết holidays 16–20/2/2026 (Mon–Fri): a step starting Friday 13/2 is due a week later than usual.
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)


def test_reunification_and_labour_day():
    assert not DEFAULT_CALENDAR.is_working_day(date(2026, 4, 30))
    assert not DEFAULT_CALENDAR.is_working_day(date(2026, 5, 1))
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)


def test_weekends_are_not_working_days():
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon


def test_admin_day_off_and_make_up_saturday():
    cal = WorkingCalendar(extra_days_off={date(2026, 8, 31)}, extra_working_days={date(2026, 8, 22)})
    assert cal.is_working_day(date(2026, 8, 22))  # Saturday worked in exchange
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)


def test_deadline_is_close_of_office_hours_vietnam_time():
    start = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # already Saturday 03:00 in Hà Nội
    due = DEFAULT_CALENDAR.deadline(start, 2)
    assert due == datetime(2026, 11, 25, 17, 0, tzinfo=VN_TZ)  # Mon 23, (24/11 holiday), Wed 25
    assert due.utcoffset() == timedelta(hours=7)


def test_tet_2027_and_its_weekend_substitutes():
    # Tết 2027 (holidays 0.109): Thu 4/2 to Wed 10/2 are days off; a step starting Wed 3/2 resumes Thu 11/2.
    for day in range(4, 11):
        assert not DEFAULT_CALENDAR.is_working_day(date(2027, 2, day))
    assert DEFAULT_CALENDAR.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert DEFAULT_CALENDAR.add_working_days(date(2027, 2, 3), 5) == date(2027, 2, 17)


def test_labour_day_on_a_saturday_is_observed_on_monday():
    assert not DEFAULT_CALENDAR.is_working_day(date(2027, 5, 3))  # 1/5/2027 is a Saturday
    assert DEFAULT_CALENDAR.add_working_days(date(2027, 4, 29), 1) == date(2027, 5, 4)  # 30/4 Fri, 3/5 Mon off


def test_national_day_and_its_adjacent_day():
    assert not DEFAULT_CALENDAR.is_working_day(date(2027, 9, 2))
    assert not DEFAULT_CALENDAR.is_working_day(date(2027, 9, 3))
    assert DEFAULT_CALENDAR.add_working_days(date(2027, 9, 1), 1) == date(2027, 9, 6)


def test_reminder_is_two_working_days_before_the_due_day_at_opening():
    due = datetime(2027, 2, 12, 17, 0, tzinfo=VN_TZ)  # Friday after Tết
    assert DEFAULT_CALENDAR.reminder(due) == datetime(2027, 2, 3, 8, 0, tzinfo=VN_TZ)  # skips the whole Tết week


# --- make-up working days, the shipped announcements -------------------------------------------

def test_the_packages_make_up_saturdays_are_working_days():
    # holidays 0.109 moves Fri 2/5/2025 to Sat 26/4/2025 and Mon 31/8/2026 to Sat 22/8/2026.
    assert DEFAULT_CALENDAR.is_working_day(date(2025, 4, 26))
    assert not DEFAULT_CALENDAR.is_working_day(date(2025, 5, 2))
    assert DEFAULT_CALENDAR.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 8, 22))
    assert DEFAULT_CALENDAR.add_working_days(date(2026, 8, 21), 2) == date(2026, 8, 24)  # Sat 22, Mon 24


def test_a_make_up_day_in_the_year_before_its_day_off_counts():
    assert DEFAULT_CALENDAR.is_working_day(date(2014, 12, 27))  # Saturday worked for Fri 2/1/2015


def test_one_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError):
        WorkingCalendar(extra_days_off={date(2026, 8, 22)}, extra_working_days={date(2026, 8, 22)})


def test_the_shipped_announcements_2025_2026_with_their_source():
    days = calendars.announcements()
    expected = {
        date(2025, 4, 26): "working", date(2025, 5, 2): "off",
        date(2026, 1, 2): "off", date(2026, 1, 10): "working",
        date(2026, 8, 22): "working", date(2026, 8, 31): "off",
        **{date(2026, 2, d): "off" for d in range(16, 21)},
    }
    assert {d: days[d].kind for d in expected} == expected
    assert "12729/VPCP-KGVX" in days[date(2026, 1, 10)].source
    assert "9859/VPCP-KGVX" in days[date(2026, 8, 22)].source
    assert "6150/TB-BLĐTBXH" in days[date(2025, 4, 26)].source
    assert all(a.source and a.name for a in days.values())


def test_the_announcements_add_only_what_the_package_does_not_know():
    """Pinned holidays==0.109 lacks only the New Year swap of 2026; an upgrade that adds it shows here."""
    new = {d for d, a in calendars.announcements().items() if package_is_working_day(d) != (a.kind == "working")}
    assert new == {date(2026, 1, 2), date(2026, 1, 10)}


def test_announced_days_the_package_also_has_count_once(db):
    with db.read() as s:
        cal = calendars.load(s)
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)  # Tết 16–20/2, as without the file
    assert cal.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert cal.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)  # 31/8, 1/9 and 2/9 off
    # The New Year swap only the file knows: 1/1 holiday, Fri 2/1 off, Sat 10/1 worked.
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert cal.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)


def test_an_admin_correction_wins_over_an_announcement(db):
    with db.write() as s:
        s.add(CalendarDay(day=date(2026, 1, 10), kind="off", note="Hủy làm bù", created_at=datetime.now(UTC)))
    with db.read() as s:
        assert not calendars.load(s).is_working_day(date(2026, 1, 10))


@pytest.mark.parametrize(("days", "error"), [
    ([{"day": "2026-01-03", "kind": "off", "name": "x"}], "weekend"),  # a Saturday off changes nothing: a typo
    ([{"day": "2026-01-05", "kind": "working", "name": "x"}], "weekday"),
    ([{"day": "2026-01-05", "kind": "off", "name": "x"}, {"day": "2026-01-05", "kind": "off", "name": "y"}], "twice"),
    ([{"day": "2026-01-05", "kind": "holiday", "name": "x"}], "neither"),
])
def test_a_broken_announcement_file_fails_loudly(days, error):
    with pytest.raises(ValueError, match=error):
        calendars.parse_announcements({"announcements": [{"source": "Công văn số 1/VPCP", "days": days}]})
    with pytest.raises(ValueError, match="source"):
        calendars.parse_announcements({"announcements": [{"source": " ", "days": []}]})
