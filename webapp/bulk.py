"""The inbox's bulk form: many review tasks approved (or returned) with one comment, each row's fate reported.

Its own blueprint and template include (``_bulk.html``), so the inbox page itself carries only a checkbox per row.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows.domain.errors import Invalid
from workflows.queries import bulk as bulk_queries
from workflows.services import bulk

from .auth import acting_user
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("bulk", __name__)

STATUS_LABELS = {"done": "Đã xong", "conflict": "Xung đột", "error": "Lỗi"}


@bp.app_template_global()
def bulk_options(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the inbox's bulk form offers for these rows (a template global: the inbox view need not change)."""
    return bulk_queries.options(get_db(), current_user.id, rows)


@bp.post("/tasks/bulk")
@login_required
def complete():
    raw = request.form.getlist("task_ids")
    ids = [n for n in (ascii_int(v) for v in raw) if n is not None]
    decision = request.form.get("decision")
    comment = (request.form.get("comment") or "").strip()
    if not ids or len(ids) != len(raw):
        flash("Chưa chọn công việc nào để xử lý hàng loạt.", "error")
        return redirect(url_for("inbox.index"))
    if decision not in bulk_queries.BULK_DECISIONS:
        flash("Cần chọn quyết định cho các công việc đã chọn.", "error")
        return redirect(url_for("inbox.index"))
    data = {"decision": decision} | ({"comment": comment} if comment else {})
    names = bulk_queries.labels(get_db(), current_user.id, ids)
    try:
        results = bulk.complete(get_db(), acting_user(), ids, data)
    except Invalid as exc:  # too many ids
        flash(exc.message, "error")
        return redirect(url_for("inbox.index"))
    rows = [r | names.get(r["task_id"], {}) | {"status_label": STATUS_LABELS[r["status"]]} for r in results]
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUS_LABELS}
    return render_template("bulk_results.html", rows=rows, counts=counts, labels=STATUS_LABELS, decision=decision)

