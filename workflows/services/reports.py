"""Quarterly emulation reports: every unit reports by the 15th of each quarter's last month.

Created by a periodic job, once per unit and quarter (a unique key makes reruns harmless).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Conflict, Forbidden, NotFound
from workflows.persistence import audit, calendars, versions
from workflows.persistence.db import Database
from workflows.persistence.model import QuarterlyReport, Unit
from workflows.persistence.scope import load_actor
from workflows.services import notify

FORM = "quarterly_report"
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
        units = s.scalars(select(Unit.id).where(Unit.is_ministry_office.is_(False), Unit.active.is_(True))).all()
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


def submit(db: Database, user_id: int, report_id: int, data: Any) -> None:
    with db.write() as s:
        actor = load_actor(s, user_id)
        content = versions.latest_route(s)[1].forms.validate(FORM, data)
        report = s.execute(select(QuarterlyReport).where(QuarterlyReport.id == report_id)
                           .with_for_update()).scalar_one_or_none()
        if report is None or not actor.can_read_unit(report.unit_id):
            raise NotFound("Không tìm thấy báo cáo.")
        if report.state != "open":
            raise Conflict("Báo cáo đã được nộp.")
        if not actor.can_submit_report(report.unit_id):
            raise Forbidden("Chỉ cán bộ TĐKT của đơn vị được nộp báo cáo.")
        now = clock.now()
        report.content, report.state = content, "submitted"
        report.submitted_at, report.submitted_by_id = now, actor.id
        audit.record_subject(s, "quarterly_report", report.id, at=now, actor=actor, action="report_submitted",
                             changes={"state": ["open", "submitted"], "content": [None, content]})
