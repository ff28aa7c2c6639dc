"""The secretariat's quarter: every active unit's report on time, late, missing or not yet due; CSV for Excel."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Forbidden, Invalid
from workflows.persistence.model import QuarterlyReport, User
from workflows.queries import reports as report_queries
from workflows.services import reference, reports

from ..support import Driver

CONTENT = {"summary": "Kết quả thi đua quý IV năm 2026."}


def report_of(db, clerk: str) -> int:
    with db.read() as s:
        unit = s.scalar(select(User.unit_id).where(User.username == clerk))
        return s.scalar(select(QuarterlyReport.id).where(QuarterlyReport.unit_id == unit, QuarterlyReport.year == 2026,
                                                         QuarterlyReport.quarter == 4))


def states(overview) -> dict[str, str]:
    return {u["unit_code"]: u["state"] for u in overview["units"]}


def test_state_rule_at_the_edges():
    due = date(2026, 12, 15)
    assert report_queries.quarter_state(due, date(2026, 12, 15), date(2027, 1, 1)) == "on_time"  # the due day itself
    assert report_queries.quarter_state(due, date(2026, 12, 16), date(2027, 1, 1)) == "late"  # the day after
    assert report_queries.quarter_state(due, None, date(2026, 12, 15)) == "open"
    assert report_queries.quarter_state(due, None, date(2026, 12, 16)) == "missing"


def test_on_time_on_the_due_day_late_the_day_after_missing_and_open(db):
    driver = Driver(db)
    secretary = driver.uid("secretary")
    with clock.frozen(datetime(2026, 10, 1, 9, 0, tzinfo=VN_TZ)) as advance:
        assert reports.create_for_quarter(db) == 3
        before = report_queries.quarter_overview(db, secretary, 2026, 4)
        assert set(states(before).values()) == {"open"} and before["due_on"] == date(2026, 12, 15)
        advance(datetime(2026, 12, 15, 22, 30, tzinfo=VN_TZ) - clock.now())  # late evening of the due day
        reports.submit(db, driver.uid("clerk1"), report_of(db, "clerk1"), CONTENT)
        assert states(report_queries.quarter_overview(db, secretary, 2026, 4)) == {
            "CUC_BDDT": "on_time", "CUC_VT": "open", "TT_CNTT": "open"}
        advance(timedelta(hours=2))  # 00:30 on the 16th: the due day has passed
        reports.submit(db, driver.uid("clerk2"), report_of(db, "clerk2"), CONTENT)
        view = report_queries.quarter_overview(db, secretary, 2026, 4)
    assert states(view) == {"CUC_BDDT": "on_time", "CUC_VT": "late", "TT_CNTT": "missing"}
    assert view["totals"] == {"on_time": 1, "late": 1, "missing": 1, "open": 0} and view["total"] == 3
    late = next(u for u in view["units"] if u["unit_code"] == "CUC_VT")
    assert late["submitted_by"] == "Lê Thị Hoa" and late["state_label"] == "Nộp muộn"
    assert late["submitted_at"].astimezone(VN_TZ).date() == date(2026, 12, 16)


def test_a_unit_without_a_report_row_is_listed_and_inactive_units_are_not(db):
    admin = Driver(db).uid("admin")
    new_unit = reference.create_unit(db, admin, "VIEN_CL", "Viện Chiến lược")
    with db.read() as s:
        from workflows.persistence.model import Unit
        tt = s.scalar(select(Unit.id).where(Unit.code == "TT_CNTT"))
    reference.update_unit(db, admin, tt, 1, name="Trung tâm Công nghệ thông tin", cluster_id=None, active=False)
    with clock.frozen(datetime(2027, 1, 5, 9, 0, tzinfo=VN_TZ)):
        view = report_queries.quarter_overview(db, admin, 2026, 4)
    assert states(view) == {"CUC_BDDT": "missing", "CUC_VT": "missing", "VIEN_CL": "missing"}
    assert next(u for u in view["units"] if u["unit_id"] == new_unit)["report_id"] is None


@pytest.mark.parametrize("who,allowed", [("secretary", True), ("admin", True), ("auditor", True), ("clerk1", False),
                                         ("head1", False), ("council1", False)])
def test_who_reads_the_quarter(db, who, allowed):
    uid = Driver(db).uid(who)
    if allowed:
        assert report_queries.quarter_overview(db, uid, 2026, 4)["total"] == 3
    else:
        with pytest.raises(Forbidden):
            report_queries.quarter_overview(db, uid, 2026, 4)


def test_a_quarter_out_of_range_is_invalid(db):
    with pytest.raises(Invalid):
        report_queries.quarter_overview(db, Driver(db).uid("secretary"), 2026, 5)


def test_csv_has_a_bom_a_vietnamese_header_and_dd_mm_yyyy(db):
    driver = Driver(db)
    with clock.frozen(datetime(2026, 10, 1, 9, 0, tzinfo=VN_TZ)) as advance:
        reports.create_for_quarter(db)
        advance(datetime(2026, 12, 14, 10, 0, tzinfo=VN_TZ) - clock.now())
        reports.submit(db, driver.uid("clerk1"), report_of(db, "clerk1"), CONTENT)
        advance(timedelta(days=3))
        data = report_queries.quarter_csv(report_queries.quarter_overview(db, driver.uid("secretary"), 2026, 4))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["STT", "Mã đơn vị", "Tên đơn vị", "Cụm thi đua", "Tình trạng", "Hạn nộp", "Ngày nộp", "Người nộp"]
    assert rows[1:] == [
        ["1", "CUC_BDDT", "Cục Bưu điện Trung ương", "", "Nộp đúng hạn", "15/12/2026", "14/12/2026", "Nguyễn Thị Lan"],
        ["2", "CUC_VT", "Cục Viễn thông", "", "Chưa nộp (quá hạn)", "15/12/2026", "", ""],
        ["3", "TT_CNTT", "Trung tâm Công nghệ thông tin", "", "Chưa nộp (quá hạn)", "15/12/2026", "", ""],
    ]
