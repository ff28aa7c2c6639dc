"""Quarterly emulation reports: every unit reports by the 15th of each quarter's last month.

Created by a periodic job, once per unit and quarter (a unique key makes reruns harmless).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflows.domain import clock, forms
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Conflict, Forbidden, NotFound
from workflows.persistence import calendars
from workflows.persistence.db import Database
from workflows.persistence.model import QuarterlyReport, Unit, User
from workflows.services import notify

DUE_DAY = 15
DUE_TIME = time(17, 0)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def due_of(year: int, quarter: int) -> datetime:
    return datetime.combine(date(year, quarter * 3, DUE_DAY), DUE_TIME, tzinfo=VN_TZ)


def create_for_quarter(db: Database, today: date | None = None) -> int:
    """Open this quarter's report for every proposing unit; returns how many were new."""
    now = clock.now()
    year, quarter = quarter_of(today or now.astimezone(VN_TZ).date())
    with db.write() as s:
        units = s.scalars(select(Unit.id).where(Unit.is_ministry_office.is_(False))).all()
        if not units:
            return 0
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        rows = [{"unit_id": u, "year": year, "quarter": quarter, "due_at": due_of(year, quarter), "state": "open",
                 "created_at": now} for u in units]
        created = s.execute(insert(QuarterlyReport).values(rows).on_conflict_do_nothing()
                            .returning(QuarterlyReport.id)).all()
        return len(created)


def remind_due(db: Database) -> int:
    """Remind the unit's clerks two working days before the due day, tell the unit head once it passes.

    Each report is reminded and escalated at most once: the row records when, in the same
    transaction as the notifications, and rows another worker holds are skipped.
    """
    now = clock.now()
    sent = 0
    with db.write() as s:
        cal = calendars.load(s)
        open_rows = s.scalars(
            select(QuarterlyReport).where(QuarterlyReport.state == "open",
                                          (QuarterlyReport.reminded_at.is_(None)) | (QuarterlyReport.escalated_at.is_(None)))
            .with_for_update(skip_locked=True)
        ).all()
        for report in open_rows:
            title = f"báo cáo kết quả thi đua quý {report.quarter}/{report.year}"
            if report.reminded_at is None and now >= cal.reminder(report.due_at):
                users = notify.with_roles(s, {"unit_clerk"}, report.unit_id)
                notify.send(s, db.settings, users, None, "reminder",
                            f"Nhắc hạn: {title} của đơn vị đến hạn lúc {notify.local(report.due_at)}.", now)
                report.reminded_at = now
                sent += 1
            if report.escalated_at is None and now > report.due_at:
                users = notify.with_roles(s, {"unit_head"}, report.unit_id)
                notify.send(s, db.settings, users, None, "escalation",
                            f"Quá hạn: đơn vị chưa nộp {title} (hạn {notify.local(report.due_at)}).", now)
                report.escalated_at = now
                sent += 1
    return sent


def open_reports(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The open reports of the user's unit, for its clerks."""
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None or "unit_clerk" not in user.roles:
            return []
        reports = s.scalars(select(QuarterlyReport).where(QuarterlyReport.unit_id == user.unit_id,
                                                          QuarterlyReport.state == "open")
                            .order_by(QuarterlyReport.due_at)).all()
        now = clock.now()
        return [_row(r, now) for r in reports]


def get(db: Database, user_id: int, report_id: int) -> dict[str, Any]:
    with db.read() as s:
        user, report = s.get(User, user_id), s.get(QuarterlyReport, report_id)
        if report is None or user is None or not _may_see(user, report):
            raise NotFound("Không tìm thấy báo cáo.")
        return _row(report, clock.now()) | {"content": report.content, "can_submit": _may_submit(user, report)}


def submit(db: Database, user_id: int, report_id: int, data: Any) -> None:
    content = forms.validate("quarterly_report", data)
    with db.write() as s:
        user = s.get(User, user_id)
        report = s.execute(select(QuarterlyReport).where(QuarterlyReport.id == report_id)
                           .with_for_update()).scalar_one_or_none()
        if report is None or user is None or not _may_see(user, report):
            raise NotFound("Không tìm thấy báo cáo.")
        if not _may_submit(user, report) and report.state == "open":
            raise Forbidden("Chỉ cán bộ TĐKT của đơn vị được nộp báo cáo.")
        if report.state != "open":
            raise Conflict("Báo cáo đã được nộp.")
        report.content, report.state = content, "submitted"
        report.submitted_at, report.submitted_by_id = clock.now(), user.id


def _may_see(user: User, report: QuarterlyReport) -> bool:
    return user.unit_id == report.unit_id or bool(user.roles & {"secretariat", "reviewer", "minister", "admin", "auditor"})


def _may_submit(user: User, report: QuarterlyReport) -> bool:
    return report.state == "open" and "unit_clerk" in user.roles and user.unit_id == report.unit_id


def _row(report: QuarterlyReport, now: datetime) -> dict[str, Any]:
    return {"id": report.id, "unit_id": report.unit_id, "year": report.year, "quarter": report.quarter,
            "title": f"Báo cáo kết quả thi đua quý {report.quarter}/{report.year}", "due_at": report.due_at,
            "state": report.state, "overdue": report.state == "open" and report.due_at < now,
            "submitted_at": report.submitted_at}
