"""The council's rounds (đợt xét) in the browser: list and form, the round page, close, minutes, the chair's passphrase.

A member's ballot is an inbox task (``inbox.task`` renders it with ``ballot.html``); the count needs
the chair's passphrase, typed into the close form and never kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows.domain.errors import Conflict, Invalid
from workflows.queries import rounds as round_queries
from workflows.services import rounds

from .auth import acting_user
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("rounds", __name__)

STATE_LABELS = {"draft": "Dự thảo", "open": "Đang bỏ phiếu", "counting": "Hết hạn bỏ phiếu, chờ kiểm phiếu",
                "tie": "Đã kiểm phiếu, chờ Chủ tịch quyết định trường hợp đồng phiếu", "closed": "Đã kết thúc"}
CLOSE_CONFIRM = "Kết thúc bỏ phiếu, giải mã tổng số phiếu và chuyển hồ sơ theo kết quả. Không thể hoàn tác."


def is_reader(user) -> bool:
    return bool(user.roles & round_queries.READERS)


@bp.app_context_processor
def _round_helpers() -> dict[str, Any]:
    return {"round_state_label": lambda state: STATE_LABELS.get(state, state), "quota_note": round_queries.quota_note,
            "reads_rounds": lambda: current_user.is_authenticated and is_reader(current_user)}


@bp.route("/rounds", methods=["GET", "POST"])
@login_required
def index():
    if not is_reader(current_user):
        abort(404)
    db = get_db()
    creates = current_user.has("secretariat")
    values: dict[str, Any] = {"voting_days": rounds.DEFAULT_VOTING_DAYS, "nomination_ids": []}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not creates:
            abort(403)
        values = {"title": request.form.get("title", ""), "meeting_date": request.form.get("meeting_date", ""),
                  "voting_days": request.form.get("voting_days", ""),
                  "nomination_ids": [i for i in map(ascii_int, request.form.getlist("nomination_ids")) if i is not None]}
        days = ascii_int(values["voting_days"].strip())
        try:
            round_id = rounds.create_round(db, acting_user(), values["title"], values["meeting_date"],
                                           values["nomination_ids"], days if days is not None else values["voting_days"])
        except Invalid as exc:
            errors, status = exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        except Conflict as exc:
            status = 409
            flash(exc.message, "warning")
        else:
            flash("Đã lập đợt xét (dự thảo). Kiểm tra danh sách hồ sơ rồi mở đợt để ủy viên bỏ phiếu.", "success")
            return redirect(url_for("rounds.detail", round_id=round_id))
    return render_template(
        "rounds.html",
        rounds=round_queries.list_rounds(db, current_user.id),
        waiting=round_queries.list_waiting(db, current_user.id) if creates else [],
        creates=creates, values=values, errors=errors,
        needs_passphrase=_needs_passphrase(),
    ), status


@bp.get("/rounds/<int:round_id>")
@login_required
def detail(round_id: int):
    return _round_page(round_id)


@bp.get("/rounds/<int:round_id>/verify")
@login_required
def verify(round_id: int):
    db = get_db()
    round_queries.get_round(db, current_user.id, round_id)  # readers only (404 otherwise)
    return _round_page(round_id, verification=rounds.verify(db, round_id))


@bp.post("/rounds/<int:round_id>/open")
@login_required
def open_round(round_id: int):
    db = get_db()
    round_queries.get_round(db, current_user.id, round_id)
    try:
        rounds.open_round(db, acting_user(), round_id)
    except Invalid as exc:
        flash(exc.message, "error")
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        flash("Đã mở đợt xét: mỗi ủy viên Hội đồng có một phiếu bầu trong mục Việc cần xử lý.", "success")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close_round(round_id: int):
    db = get_db()
    round_queries.get_round(db, current_user.id, round_id)
    try:
        results = rounds.close_round(db, acting_user(), round_id, request.form.get("passphrase", ""))
    except Invalid as exc:  # a wrong passphrase among them: nothing counted, nothing changed
        return _round_page(round_id, close_error=exc.message, status=422)
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        if any(r["passed"] is None for r in results.values()):
            flash("Đã kiểm phiếu và công bố kết quả. Có hồ sơ đồng phiếu tại mức chỉ tiêu: Chủ tịch Hội đồng chọn hồ sơ "
                  "được khen trong mục Việc cần xử lý; các hồ sơ khác đã được chuyển theo kết quả.", "warning")
        else:
            flash("Đã kết thúc đợt xét và công bố kết quả kiểm phiếu.", "success")
    return redirect(url_for("rounds.detail", round_id=round_id))


@bp.get("/rounds/<int:round_id>/minutes.pdf")
@login_required
def minutes(round_id: int):
    from workflows.documents import minutes_pdf

    pdf = minutes_pdf(round_queries.minutes(get_db(), current_user.id, round_id))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="bien-ban-kiem-phieu-{round_id}.pdf"'})


@bp.route("/me/ballot-passphrase", methods=["GET", "POST"])
@login_required
def passphrase():
    if not current_user.has("council_chair"):
        abort(403)
    db = get_db()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        first, second = request.form.get("passphrase", ""), request.form.get("passphrase2", "")
        if first != second:
            errors, status = {"passphrase2": "Hai lần nhập không khớp."}, 422
            flash("Hai lần nhập mật khẩu kiểm phiếu không khớp.", "error")
        else:
            try:
                rounds.set_officer_passphrase(db, acting_user(), first)
            except Invalid as exc:
                errors, status = exc.fields or {"passphrase": exc.message}, 422
                flash(exc.message, "error")
            except Conflict as exc:
                status = 409
                flash(exc.message, "warning")
            else:
                flash("Đã đặt mật khẩu kiểm phiếu. Hãy ghi nhớ: không ai khôi phục được mật khẩu này.", "success")
                return redirect(url_for("rounds.index"))
    return render_template("ballot_passphrase.html", errors=errors, has_key=round_queries.passphrase_set(db, current_user.id),
                           min_length=rounds.MIN_PASSPHRASE), status


def _needs_passphrase() -> bool:
    return current_user.has("council_chair") and not round_queries.passphrase_set(get_db(), current_user.id)


def _round_page(round_id: int, *, verification: list[str] | None = None, close_error: str | None = None,
                status: int = 200):
    view = round_queries.get_round(get_db(), current_user.id, round_id)
    return render_template("round.html", round=view, verification=verification, close_error=close_error,
                           close_confirm=CLOSE_CONFIRM, needs_passphrase=_needs_passphrase()), status
