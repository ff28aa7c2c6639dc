"""The pages' dates read dd/mm/yyyy (Vietnam's time); the API keeps ISO 8601."""

from __future__ import annotations

from datetime import UTC, date, datetime

from webapp.filters import vn_date, vn_datetime, vn_day


def test_times_and_days_read_day_first_in_vietnam():
    assert vn_datetime(datetime(2026, 12, 4, 10, 5, tzinfo=UTC)) == "04/12/2026 17:05"
    assert vn_datetime(datetime(2026, 12, 31, 17, 30)) == "01/01/2027 00:30"  # naive is UTC: already the next day there
    assert vn_datetime(None) == ""
    assert vn_date(datetime(2026, 12, 31, 17, 30, tzinfo=UTC)) == "01/01/2027"
    assert vn_day("2026-12-10") == vn_day(date(2026, 12, 10)) == "10/12/2026"
