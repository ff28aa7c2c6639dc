"""What people see of timers: notifications, the admin calendar, quarterly reports; each scoped by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from workflows import services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay, Notification, QuarterlyReport, Unit
from workflows.services import reports

from ..support import Driver
from .helpers import bearer, json_error, make_app, session_client

START = datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)


def reminded(driver: Driver) -> int:
    with clock.frozen(START) as advance:
        nid = driver.create()
        advance(timedelta(days=11))  # past the draft reminder (10/12 08:00)
        assert services.fire_due_timers(driver.db) == 1
    return nid


def test_a_reminder_reaches_the_clerk_in_the_page_and_the_api(db: Database, driver: Driver):
    nid = reminded(driver)
    app = make_app(db)
    page = session_client(app, db, "clerk1").get("/notifications/")
    assert page.status_code == 200 and "Nhắc hạn" in page.text
    with db.read() as s:
        note = s.scalar(select(Notification.id))
    assert f'action="/notifications/{note}/open"' in page.text  # opening it marks it read and leads to the dossier
    assert session_client(app, db, "clerk1").post(f"/notifications/{note}/open").headers["Location"].endswith(
        f"/nominations/{nid}")
    header = session_client(app, db, "clerk1").get("/").text
    assert 'Thông báo <span class="badge overdue">' not in header  # read when opened
    api = app.test_client().get("/api/v1/notifications", headers=bearer(db, "clerk1")).get_json()
    assert [n["kind"] for n in api["items"]] == ["reminder"]
    assert api["items"][0]["created_at"].endswith("+07:00")
    other = app.test_client().get("/api/v1/notifications", headers=bearer(db, "clerk2")).get_json()
    assert other["items"] == []  # notifications are the user's own


def test_marking_read_touches_only_my_notifications(db: Database, driver: Driver):
    reminded(driver)
    with clock.frozen(START + timedelta(days=15)):
        services.fire_due_timers(db)  # the escalation to head1
    app = make_app(db)
    assert session_client(app, db, "clerk1").post("/notifications/read").status_code == 302
    with db.read() as s:
        unread = {n.kind: n.read_at for n in s.scalars(select(Notification))}
    assert unread["reminder"] is not None and unread["escalation"] is None


@pytest.mark.parametrize("user", ["clerk1", "secretary", "auditor", "reviewer"])
def test_only_admins_edit_the_calendar(db: Database, user: str):
    app = make_app(db)
    client = session_client(app, db, user)
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"day": "2026-12-31", "kind": "off", "note": "x"}).status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    with db.read() as s:
        assert s.scalar(select(CalendarDay)) is None


def test_an_admin_adds_and_removes_a_day_off(db: Database, driver: Driver):
    app = make_app(db)
    admin = session_client(app, db, "admin")
    assert admin.post("/admin/calendar", data={"day": "2026-12-02", "kind": "off", "note": "Nghỉ bù"}).status_code == 302
    assert "02/12/2026" in admin.get("/admin/calendar?year=2026").text
    with clock.frozen(START):
        nid = driver.create()
    with db.read() as s:
        from workflows.persistence.model import TaskItem

        due = s.scalar(select(TaskItem.due_at).where(TaskItem.nomination_id == nid))
    assert due == datetime(2026, 12, 15, 17, 0, tzinfo=VN_TZ)  # one day later than without it
    assert admin.post("/admin/calendar/2026-12-02/delete").status_code == 302
    with db.read() as s:
        assert s.get(CalendarDay, datetime(2026, 12, 2).date()) is None


@pytest.mark.parametrize(("form", "message"), [
    ({"day": "2026-12-05", "kind": "off", "note": "x"}, "Thứ Bảy 05/12/2026 đã là ngày nghỉ"),  # already off
    ({"day": "2026-12-02", "kind": "working", "note": "x"}, "đã là ngày làm việc"),  # a Wednesday is already worked
    ({"day": "2026-12-02", "kind": "off"}, "Ghi rõ căn cứ"),
    ({"day": "not-a-date", "kind": "off"}, "Ngày không hợp lệ"),
])
def test_calendar_input_is_checked(db: Database, form: dict, message: str):
    admin = session_client(make_app(db), db, "admin")
    page = admin.post("/admin/calendar", data=form, follow_redirects=True)
    assert page.status_code == 200 and message in page.text


def test_the_calendar_page_shows_each_source_and_what_a_change_moved(db: Database, driver: Driver):
    with clock.frozen(START):
        driver.create()
        admin = session_client(make_app(db), db, "admin")
        page = admin.post("/admin/calendar", data={"day": "2026-12-14", "kind": "off", "note": "Công văn số 99/VPCP"},
                          follow_redirects=True)
        assert page.status_code == 200 and "Đã dời hạn của 1 hồ sơ" in page.text
        assert admin.post("/admin/calendar", data={"day": "2026-12-14", "kind": "off", "note": "lần nữa"},
                          follow_redirects=True).text.count("đã có điều chỉnh") == 1
    page = admin.get("/admin/calendar?year=2026").text
    assert "Công văn số 99/VPCP" in page  # the admin's correction with its grounds
    assert "12729/VPCP-KGVX" in page and "Làm việc bù cho thứ Sáu 02/01/2026" in page  # a shipped announcement
    assert "Ngày Văn hóa Việt Nam" in page  # the package's holiday
    assert "Hạn xử lý tính từ nay về sau" not in page  # running deadlines no longer keep their dates


def test_failed_jobs_page_without_redis_explains_embedded_mode(db: Database):
    page = session_client(make_app(db), db, "admin").get("/admin/jobs")
    assert page.status_code == 200 and "Chế độ nhúng" in page.text


def open_report(db: Database, unit_code: str = "CUC_BDDT") -> int:
    with clock.frozen(datetime(2026, 11, 2, tzinfo=UTC)):
        assert reports.create_for_quarter(db) == 3  # the three proposing units
        assert reports.create_for_quarter(db) == 0  # a rerun creates nothing
    with db.read() as s:
        unit = s.scalar(select(Unit.id).where(Unit.code == unit_code))
        report = s.scalar(select(QuarterlyReport).where(QuarterlyReport.unit_id == unit))
    assert (report.year, report.quarter) == (2026, 4)
    assert report.due_at == datetime(2026, 12, 15, 17, 0, tzinfo=VN_TZ)
    return report.id


def test_the_quarterly_report_is_in_the_clerks_inbox_and_is_submitted_once(db: Database):
    rid = open_report(db)
    app = make_app(db)
    clerk = session_client(app, db, "clerk1")
    assert f"/reports/{rid}" in clerk.get("/").text
    assert f"/reports/{rid}" not in session_client(app, db, "clerk2").get("/").text
    assert clerk.post(f"/reports/{rid}", data={"summary": "ngắn"}).status_code == 422
    api = app.test_client()
    body = {"data": {"summary": "Đã phát động hai phong trào thi đua trong quý IV.", "movements": 2}}
    answer = api.post(f"/api/v1/reports/{rid}/submit", json=body, headers=bearer(db, "clerk1"))
    assert answer.status_code == 200 and answer.get_json()["state"] == "submitted"
    json_error(api.post(f"/api/v1/reports/{rid}/submit", json=body, headers=bearer(db, "clerk1")), 409)
    assert f"/reports/{rid}" not in clerk.get("/").text


@pytest.mark.parametrize(("user", "status"), [("clerk2", 404), ("head1", 403), ("auditor", 403)])
def test_others_cannot_submit_a_units_report(db: Database, user: str, status: int):
    rid = open_report(db)
    body = {"data": {"summary": "Báo cáo do người khác nộp thay đơn vị."}}
    json_error(make_app(db).test_client().post(f"/api/v1/reports/{rid}/submit", json=body, headers=bearer(db, user)), status)
    with db.read() as s:
        assert s.get(QuarterlyReport, rid).state == "open"


def test_the_inbox_lists_reports_once_and_keeps_a_plain_title(db: Database):
    rid = open_report(db)
    page = session_client(make_app(db), db, "clerk1").get("/").text
    assert "<title>Việc cần xử lý · Thi đua, khen thưởng</title>" in page
    assert page.count(f"/reports/{rid}") == 1


def test_healthz_shows_timers_nobody_fired(db: Database, driver: Driver):
    with clock.frozen(START):
        driver.create()
    with clock.frozen(START + timedelta(days=30)):
        body = make_app(db).test_client().get("/healthz").get_json()
    assert body["status"] == "ok" and body["timers"]["overdue"] == 2  # the draft's reminder and escalation
    assert body["timers"]["oldest_overdue_seconds"] > 0
