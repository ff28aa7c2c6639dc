"""Pages "Ủy quyền ký" (the minister's delegation of signing) and "Vắng mặt" (an approver's absence)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.queries import delegations as delegation_queries
from workflows.services import delegations

from .extensions import get_db

bp = Blueprint("delegations", __name__)


def _render(template: str, page: dict, values: dict | None = None, errors: dict | None = None, status: int = 200):
    return render_template(template, page=page, values=values or {}, errors=errors or {}), status


def _create(template: str, page: dict, values: dict, create: Callable[[], object], done: str, here: str):
    """Create the window from ``values``; refused, the page again with the values as typed and the reason."""
    try:
        create()
    except (Invalid, Conflict, Forbidden) as exc:
        flash(exc.message, "error")
        status = 422 if isinstance(exc, Invalid) else 409 if isinstance(exc, Conflict) else 403
        return _render(template, page, values, exc.fields or {"": exc.message}, status)
    flash(done, "success")
    return redirect(url_for(here))


def _end(end: Callable[[], object], missing: str, done: str, here: str):
    try:
        end()
    except Conflict as exc:
        flash(exc.message, "error")
    except NotFound:
        flash(missing, "error")
    else:
        flash(done, "success")
    return redirect(url_for(here))


@bp.route("/delegations", methods=["GET", "POST"])
@login_required
def delegations_page():
    db = get_db()
    page = delegation_queries.delegations(db, current_user.id)  # Forbidden for those who read no delegation
    if request.method == "GET":
        return _render("delegations.html", page)
    form = request.form
    values = {"deputy": form.get("deputy", ""), "starts_on": form.get("starts_on", ""), "ends_on": form.get("ends_on", ""),
              "award_forms": form.getlist("award_forms"), "note": form.get("note", ""), "minister": form.get("minister", "")}
    return _create("delegations.html", page, values, lambda: delegations.delegate(
        db, current_user.id, values["deputy"], values["starts_on"], values["ends_on"], values["award_forms"],
        values["note"], values["minister"] or None), "Đã ủy quyền ký.", "delegations.delegations_page")


@bp.post("/delegations/<int:delegation_id>/revoke")
@login_required
def revoke(delegation_id: int):
    return _end(lambda: delegations.revoke(get_db(), current_user.id, delegation_id, _version()),
                "Không tìm thấy ủy quyền (hoặc bạn không có quyền thu hồi).",
                "Đã thu hồi ủy quyền: từ bây giờ Thứ trưởng không ký thay nữa.", "delegations.delegations_page")


@bp.route("/absences", methods=["GET", "POST"])
@login_required
def absences_page():
    db = get_db()
    page = delegation_queries.absences(db, current_user.id)
    if request.method == "GET":
        return _render("absences.html", page)
    values = {k: request.form.get(k, "") for k in ("user", "role", "substitute", "starts_on", "ends_on", "note")}
    return _create("absences.html", page, values, lambda: delegations.set_absence(
        db, current_user.id, values["substitute"], values["starts_on"], values["ends_on"], values["role"] or None,
        values["note"], values["user"] or None),
        "Đã ghi lịch vắng mặt: trong thời gian này người thay xử lý công việc của bạn.", "delegations.absences_page")


@bp.post("/absences/<int:absence_id>/cancel")
@login_required
def cancel_absence(absence_id: int):
    return _end(lambda: delegations.cancel_absence(get_db(), current_user.id, absence_id, _version()),
                "Không tìm thấy lịch vắng mặt (hoặc bạn không có quyền hủy).",
                "Đã hủy lịch vắng mặt: công việc trở lại với người được giao.", "delegations.absences_page")


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
