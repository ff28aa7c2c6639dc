"""Quarterly reports as their readers see them: a unit's open reports, one report with its content, and the
secretariat's view of one quarter across every active unit."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Forbidden, Invalid, NotFound
from workflows.persistence.db import Database
from workflows.persistence.model import QuarterlyReport, Unit, User
from workflows.persistence.reference_model import EmulationCluster
from workflows.persistence.scope import load_actor


def open_reports(db: Database, user: Actor | int) -> list[dict[str, Any]]:
    """The open reports of the user's unit, for its clerks."""
    with db.read() as s:
        actor = load_actor(s, user)
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


# What the secretariat sees of each unit's report in a quarter. Day granularity, as the rule reads: a report
# submitted on the due day (any hour) is on time, the next day late; "missing" once the due day has passed.
QUARTER_STATES = {"on_time": "Nộp đúng hạn", "late": "Nộp muộn", "missing": "Chưa nộp (quá hạn)",
                  "open": "Chưa đến hạn"}
OVERVIEW_READERS = frozenset({"secretariat", "admin", "auditor"})


def due_day(year: int, quarter: int) -> date:
    return date(year, quarter * 3, 15)


def quarter_state(due: date, submitted_on: date | None, today: date) -> str:
    if submitted_on is not None:
        return "on_time" if submitted_on <= due else "late"
    return "missing" if today > due else "open"


def quarter_overview(db: Database, user_id: int, year: int, quarter: int) -> dict[str, Any]:
    """Every active proposing unit with its report's state in the quarter, and the totals per state.

    A unit the quarterly job has not opened a report for (created during the quarter) is still listed:
    past the due day it has not reported either.
    """
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise Invalid("Năm hoặc quý không hợp lệ.", {"quarter": "Chọn quý 1–4 của năm 2000–2100."})
    with db.read() as s:
        actor = load_actor(s, user_id)
        if not actor.roles & OVERVIEW_READERS:
            raise Forbidden("Chỉ Vụ Tổ chức cán bộ, quản trị và thanh tra xem được tổng hợp báo cáo quý.")
        today = clock.now().astimezone(clock.VN_TZ).date()
        due = due_day(year, quarter)
        rows = s.execute(
            select(Unit, EmulationCluster.name, QuarterlyReport, User.full_name)
            .outerjoin(EmulationCluster, EmulationCluster.id == Unit.cluster_id)
            .outerjoin(QuarterlyReport, (QuarterlyReport.unit_id == Unit.id) & (QuarterlyReport.year == year)
                       & (QuarterlyReport.quarter == quarter))
            .outerjoin(User, User.id == QuarterlyReport.submitted_by_id)
            .where(Unit.active.is_(True), Unit.is_ministry_office.is_(False))
            .order_by(Unit.name, Unit.id)
        ).all()
        units = []
        for unit, cluster, report, submitter in rows:
            submitted = report.submitted_at if report is not None and report.state == "submitted" else None
            submitted_on = submitted.astimezone(clock.VN_TZ).date() if submitted else None
            state = quarter_state(due, submitted_on, today)
            units.append({"unit_id": unit.id, "unit_code": unit.code, "unit_name": unit.name, "cluster": cluster or "",
                          "report_id": report.id if report is not None else None, "state": state,
                          "state_label": QUARTER_STATES[state], "due_on": due, "submitted_at": submitted,
                          "submitted_by": submitter or ""})
        totals = {state: sum(1 for u in units if u["state"] == state) for state in QUARTER_STATES}
        return {"year": year, "quarter": quarter, "due_on": due, "units": units, "totals": totals,
                "total": len(units)}


def quarter_csv(overview: dict[str, Any]) -> bytes:
    """The overview as CSV for Excel: UTF-8 with a BOM (else Excel reads the Vietnamese as ANSI), dd/mm/yyyy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["STT", "Mã đơn vị", "Tên đơn vị", "Cụm thi đua", "Tình trạng", "Hạn nộp", "Ngày nộp", "Người nộp"])
    for n, u in enumerate(overview["units"], start=1):
        submitted = u["submitted_at"].astimezone(clock.VN_TZ).strftime("%d/%m/%Y") if u["submitted_at"] else ""
        writer.writerow([n, u["unit_code"], u["unit_name"], u["cluster"], u["state_label"],
                         u["due_on"].strftime("%d/%m/%Y"), submitted, u["submitted_by"]])
    return out.getvalue().encode("utf-8-sig")


def _row(report: QuarterlyReport, now: datetime) -> dict[str, Any]:
    return {"id": report.id, "unit_id": report.unit_id, "year": report.year, "quarter": report.quarter,
            "title": f"Báo cáo kết quả thi đua quý {report.quarter}/{report.year}", "due_at": report.due_at,
            "state": report.state, "overdue": report.state == "open" and report.due_at < now,
            "submitted_at": report.submitted_at}
