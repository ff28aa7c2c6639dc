"""Quarterly emulation reports: the unit clerk fills and submits them; the secretariat follows each quarter."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows import queries
from workflows.domain import clock
from workflows.domain.errors import Invalid
from workflows.queries import reports as report_queries
from workflows.services import reports

from .extensions import get_db
from .formdata import from_html
from .params import ascii_int

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/<int:report_id>", methods=["GET", "POST"])
@login_required
def report(report_id: int):
    db = get_db()
    item = report_queries.get(db, current_user.id, report_id)
    schema = queries.current_form(db, reports.FORM)
    values, errors, status = item["content"] or {}, {}, 200
    if request.method == "POST":
        data = from_html(schema, request.form)
        try:
            reports.submit(db, current_user.id, report_id, data)
        except Invalid as exc:
            values, errors, status = data, exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        else:
            flash(f"Đã nộp {item['title'].lower()}.", "success")
            return redirect(url_for("inbox.index"))
    return render_template("report.html", item=item, schema=schema, values=values, errors=errors), status


def _period() -> tuple[int, int]:
    """The quarter asked for; the current one when none (or nonsense) is asked."""
    year, quarter = reports.quarter_of(clock.now().astimezone(clock.VN_TZ).date())
    asked_year, asked_quarter = ascii_int(request.args.get("year")), ascii_int(request.args.get("quarter"))
    if asked_year and 2000 <= asked_year <= 2100 and asked_quarter and 1 <= asked_quarter <= 4:
        return asked_year, asked_quarter
    return year, quarter


@bp.get("/quarter")
@login_required
def quarter():
    year, quarter = _period()
    overview = report_queries.quarter_overview(get_db(), current_user.id, year, quarter)
    return render_template("reports_quarter.html", overview=overview, states=report_queries.QUARTER_STATES,
                           years=range(year - 3, year + 2))


@bp.get("/quarter.csv")
@login_required
def quarter_csv():
    year, quarter = _period()
    data = report_queries.quarter_csv(report_queries.quarter_overview(get_db(), current_user.id, year, quarter))
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="bao-cao-quy-{quarter}-{year}.csv"'})
