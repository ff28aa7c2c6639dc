"""The inbox and the task page: what waits for me, and the form to clear it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows import queries, services
from workflows.domain.errors import Conflict, Invalid
from workflows.domain.labels import task_buttons
from workflows.queries import listing
from workflows.queries import registry as registry_queries
from workflows.queries import reports as report_queries
from workflows.queries.rounds import TIE_TASK

from . import drafts
from .auth import acting_user
from .extensions import get_db
from .formdata import from_html
from .params import ascii_int

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def index():
    db, me = get_db(), acting_user()  # the user read once for this request serves every query of the page
    args = request.args
    error, status = None, 200
    try:
        page = queries.inbox_page(db, me, filters=listing.filters_from_args(args), sort=args.get("sort"),
                                  cursor=args.get("cursor"))
    except Invalid as exc:  # a hand-edited link: say so on the page, list the default view
        error, status = exc.message, 422
        page = queries.inbox_page(db, me)
    return render_template("inbox.html", page=page, tasks=page["items"], args=listing_args(args), error=error,
                           choices=queries.list_choices(db, me),
                           reports=report_queries.open_reports(db, me)), status


def listing_args(args) -> dict[str, str]:
    """The list's query string without its cursor: what a sort link or the next page keeps."""
    return {k: v for k in LIST_KEYS if (v := args.get(k))}


LIST_KEYS = ("q", "step", "unit", "award_form", "overdue", "returned", "year", "state", "sort")


@bp.route("/tasks/<int:item_id>", methods=["GET", "POST"])
@login_required
def task(item_id: int):
    db = get_db()
    item = queries.task(db, current_user.id, item_id)
    if item.get("round_id") is not None:  # a member's ballot of a council round, or the chairs' tie
        return _tie(item) if item["name"] == TIE_TASK else _ballot(item)
    if item.get("decision_id") is not None:  # a decision's signature or registration: on the decision's page
        return redirect(url_for("decisions.detail", decision_id=item["decision_id"]))
    values, errors, status = item["prefill"], {}, 200
    if request.method == "POST":
        data = from_html(item["schema"], request.form)
        kept = drafts.keep_work(item, data)  # the draft step's "Lưu nháp", upload and delete keep what was typed
        if kept.response is not None:
            return kept.response
        if kept.errors:
            values, errors, status = {**values, **data}, kept.errors, 422
    if request.method == "POST" and kept.proceed:
        try:
            services.complete_task(db, acting_user(), item_id, data, kept.if_match or _if_match())
        except Invalid as exc:
            values, errors, status = {**values, **data}, exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("nominations.detail", nomination_id=item["nomination_id"]))
        else:
            flash(f"Đã hoàn thành: {item['title']} — {item['nominee_name']}.", "success")
            return redirect(url_for("inbox.index"))
    history = queries.history(db, current_user.id, item["nomination_id"])
    return render_template(
        "task.html",
        item=item,
        nomination=queries.nomination(db, current_user.id, item["nomination_id"]),
        history=history,
        last_return=queries.last_return(history),
        values=values,
        errors=errors,
        award_forms=queries.award_forms(db, proposable_only=True),
        buttons=task_buttons(item["name"], item["form"], item.get("schema")),
        eligibility=_eligibility(item),
    ), status


def _eligibility(item: dict[str, Any]) -> dict[str, Any] | None:
    """The registry's check where it is made: the clerk's draft and the secretariat's check."""
    if item["state"] != "ready" or not (item.get("hook") == "dossier" or item.get("role") == "secretariat"):
        return None
    return registry_queries.dossier_check(get_db(), current_user.id, item["nomination_id"])


def _if_match() -> int | None:
    return ascii_int(request.form.get("_version"))


def _ballot(item: dict[str, Any]):
    """A member's ballot of a council round: one agree/disagree per dossier, the receipt shown once after."""
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        data = from_html(item["schema"], request.form)
        try:
            outcome = services.complete_task(get_db(), acting_user(), item["id"], data)
        except Invalid as exc:
            values, status = data.get("votes", {}), 422
            rows, fields = {str(d["nomination_id"]): d for d in item["dossiers"]}, exc.fields or {}
            named = [f"{d['position']}. {d['nominee_name']} ({d['unit_name']})" for k, d in rows.items() if k in fields]
            errors = {k: f"{v} (hồ sơ {rows[k]['nominee_name']})" if k in rows else v for k, v in fields.items()}
            errors = errors or {"": exc.message}
            flash(f"{exc.message} Còn thiếu: {'; '.join(named)}." if named else exc.message, "error")
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("rounds.detail", round_id=item["round_id"]))
        else:
            item["can_act"] = False
            return render_template("ballot.html", item=item, values={}, errors={}, receipt=outcome.receipt)
    return render_template("ballot.html", item=item, values=values, errors=errors, receipt=None), status


TIE_CONFIRM = ("Xác nhận quyết định? Hồ sơ được chọn đạt và chuyển sang thẩm định; các hồ sơ đồng phiếu còn lại không đạt "
               "(vượt chỉ tiêu) và kết thúc; đợt xét kết thúc. Không thể hoàn tác.")


def _tie(item: dict[str, Any]):
    """The chairs' choice among a round's dossiers tied at a quota's cut-off: checkboxes, exactly the seats left."""
    values: list[Any] = []
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = [n if (n := ascii_int(raw)) is not None else raw for raw in request.form.getlist("chosen")]
        try:
            outcome = services.complete_task(get_db(), acting_user(), item["id"], {"chosen": values})
        except Invalid as exc:
            errors, status = exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("rounds.detail", round_id=item["round_id"]))
        else:
            flash(f"Đã quyết định: {len(outcome.chosen)} hồ sơ được chọn chuyển sang thẩm định; {len(outcome.cut)} hồ sơ "
                  "vượt chỉ tiêu, không được khen thưởng. Đợt xét đã kết thúc.", "success")
            return redirect(url_for("rounds.detail", round_id=item["round_id"]))
    return render_template("round_tie.html", item=item, values=values, errors=errors, confirm=TIE_CONFIRM), status
