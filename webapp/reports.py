"""Quarterly emulation reports: the unit clerk fills and submits them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows import queries
from workflows.domain.errors import Invalid
from workflows.queries import reports as report_queries
from workflows.services import reports

from .extensions import get_db
from .formdata import from_html

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
