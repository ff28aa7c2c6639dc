"""Decisions and submissions in the browser: the list with the dossiers waiting (one draft per group), a decision's
page with its attached list and PDF, send for signature, sign or return, register the number and date.

Every form carries the CSRF token; a refused input comes back on the same page in Vietnamese (422), a
decision that moved on meanwhile is a warning and a fresh page (409 is never shown as an error page).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows.domain.errors import Conflict, Invalid
from workflows.queries import decisions as decision_queries
from workflows.services import decisions

from .auth import acting_user
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("decisions", __name__)

STATES = ("draft", "sent", "signed", "registered", "returned", "cancelled")


def _next_steps(view: dict[str, Any]) -> dict[str, str]:
    """What the confirmation of each action says happens next."""
    what, count = view["what"], view["dossier_count"]
    if view["kind"] == "decision":
        signed = (f"Ký {what} với danh sách {count} hồ sơ. Sau khi ký, Văn phòng đăng ký số và ngày ban hành; "
                  "khi đó các hồ sơ được khen thưởng và ghi vào sổ khen thưởng. Không thể hoàn tác.")
    else:
        signed = (f"Ký {what} với danh sách {count} hồ sơ: các hồ sơ được trình cấp trên ngay; "
                  "Văn phòng đăng ký số tờ trình để gửi đi. Không thể hoàn tác.")
    return {
        "send": f"Trình Lãnh đạo Bộ ký {what} với {count} hồ sơ? Danh sách không sửa được nữa (có thể hủy trước khi ký).",
        "sign": signed,
        "return": f"Trả lại {what}: cả {count} hồ sơ quay về bước thẩm định, kèm lý do.",
        "cancel": f"Hủy {what} này? Các hồ sơ trở lại danh sách chờ lập quyết định.",
        "register": "Đăng ký số và ngày ban hành trên văn bản đã ký"
                    + ("; các hồ sơ được khen thưởng với số này." if view["kind"] == "decision" else "."),
    }


@bp.app_context_processor
def _decision_helpers() -> dict[str, Any]:
    return {"reads_decisions": lambda: current_user.is_authenticated and bool(
        current_user.reads_everything or current_user.has("unit_clerk", "unit_head"))}


@bp.route("/decisions", methods=["GET", "POST"])
@login_required
def index():
    db = get_db()
    drafts = current_user.has("secretariat")
    values: dict[str, Any] = {"nomination_ids": []}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not drafts:
            abort(403)
        values = {"title": request.form.get("title", ""), "reason": request.form.get("reason", ""),
                  "group": request.form.get("group", ""),
                  "nomination_ids": [i for i in map(ascii_int, request.form.getlist("nomination_ids")) if i is not None]}
        try:
            decision_id = decisions.draft(db, acting_user(), values["nomination_ids"], values["title"] or None,
                                          values["reason"] or None)
        except Invalid as exc:
            errors, status = exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        except Conflict as exc:
            status = 409
            flash(exc.message, "warning")
        else:
            flash("Đã lập dự thảo. Kiểm tra danh sách kèm theo và bản PDF rồi trình Lãnh đạo Bộ ký.", "success")
            return redirect(url_for("decisions.detail", decision_id=decision_id))
    state = request.args.get("state") or None
    return render_template(
        "decisions.html",
        decisions=decision_queries.list_decisions(db, current_user.id, state if state in STATES else None),
        groups=decision_queries.list_waiting(db, current_user.id) if drafts else [],
        drafts=drafts, values=values, errors=errors, state=state if state in STATES else None,
    ), status


@bp.get("/decisions/<int:decision_id>")
@login_required
def detail(decision_id: int):
    return _page(decision_id)


@bp.get("/decisions/<int:decision_id>.pdf")
@login_required
def pdf(decision_id: int):
    content, name = decision_queries.pdf(get_db(), current_user.id, decision_id)
    return Response(content, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/decisions/<int:decision_id>/send")
@login_required
def send(decision_id: int):
    return _act(decision_id, lambda version: decisions.send(get_db(), acting_user(), decision_id, version),
                "Đã trình Lãnh đạo Bộ ký.", "send")


@bp.post("/decisions/<int:decision_id>/cancel")
@login_required
def cancel(decision_id: int):
    reason = request.form.get("reason", "")
    return _act(decision_id, lambda version: decisions.cancel(get_db(), acting_user(), decision_id, reason or None, version),
                "Đã hủy; các hồ sơ trở lại danh sách chờ lập quyết định.", "cancel")


@bp.post("/decisions/<int:decision_id>/sign")
@login_required
def sign(decision_id: int):
    data = {"decision": request.form.get("decision", "")}
    if request.form.get("comment", "").strip():
        data["comment"] = request.form.get("comment", "")
    done = "Đã ký." if data["decision"] == "approve" else "Đã trả lại; các hồ sơ quay về bước thẩm định."
    return _act(decision_id, lambda version: decisions.sign(get_db(), acting_user(), decision_id, data, version), done,
                "sign", values={"comment": request.form.get("comment", "")})


@bp.post("/decisions/<int:decision_id>/register")
@login_required
def register(decision_id: int):
    number, day = request.form.get("number", "").strip(), request.form.get("date", "").strip()
    return _act(decision_id,
                lambda version: decisions.register(get_db(), acting_user(), decision_id, number or None, day or None, version),
                "Đã đăng ký số, ngày ban hành.", "register", values={"number": number, "date": day})


def _act(decision_id: int, command, done: str, form: str, values: dict[str, str] | None = None):
    db = get_db()
    decision_queries.get_decision(db, current_user.id, decision_id)  # readers only (404 otherwise)
    version = ascii_int(request.form.get("_version"))
    try:
        outcome = command(version)
    except Invalid as exc:  # nothing changed: the same page, the message beside the form
        return _page(decision_id, form=form, errors=exc.fields or {"": exc.message}, message=exc.message,
                     values=values or {}, status=422)
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        if outcome.state == "registered" and outcome.nomination_ids:
            view = decision_queries.get_decision(db, current_user.id, decision_id)
            done = f"{done} Số {view['number']} ngày {view['registered_date']}."
        flash(done, "success")
    return redirect(url_for("decisions.detail", decision_id=decision_id))


def _page(decision_id: int, *, form: str | None = None, errors: dict[str, str] | None = None, message: str | None = None,
          values: dict[str, str] | None = None, status: int = 200):
    view = decision_queries.get_decision(get_db(), current_user.id, decision_id)
    return render_template("decision.html", d=view, form=form, errors=errors or {}, message=message,
                           values=values or {}, confirm=_next_steps(view)), status
