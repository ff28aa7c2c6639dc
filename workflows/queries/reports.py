"""Quarterly reports as their readers see them: a unit's open reports, one report with its content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.errors import NotFound
from workflows.persistence.db import Database
from workflows.persistence.model import QuarterlyReport
from workflows.persistence.scope import load_actor


def open_reports(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The open reports of the user's unit, for its clerks."""
    with db.read() as s:
        actor = load_actor(s, user_id)
        if not actor.has("unit_clerk"):
            return []
        reports = s.scalars(select(QuarterlyReport).where(QuarterlyReport.unit_id.in_(sorted(actor.units)),
                                                          QuarterlyReport.state == "open")
                            .order_by(QuarterlyReport.due_at)).all()
        now = clock.now()
        return [_row(r, now) for r in reports]


def get(db: Database, user_id: int, report_id: int) -> dict[str, Any]:
    with db.read() as s:
        actor, report = load_actor(s, user_id), s.get(QuarterlyReport, report_id)
        if report is None or not actor.can_read_unit(report.unit_id):
            raise NotFound("Không tìm thấy báo cáo.")
        can_submit = report.state == "open" and actor.can_submit_report(report.unit_id)
        return _row(report, clock.now()) | {"content": report.content, "can_submit": can_submit}




def _row(report: QuarterlyReport, now: datetime) -> dict[str, Any]:
    return {"id": report.id, "unit_id": report.unit_id, "year": report.year, "quarter": report.quarter,
            "title": f"Báo cáo kết quả thi đua quý {report.quarter}/{report.year}", "due_at": report.due_at,
            "state": report.state, "overdue": report.state == "open" and report.due_at < now,
            "submitted_at": report.submitted_at}
