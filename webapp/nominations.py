"""Nomination pages: list, create, detail with history, attachments, closing a ballot, the outside result."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows import queries, services
from workflows.domain import attachment_kinds, clock
from workflows.domain.errors import Conflict, Invalid
from workflows.domain.labels import STATES
from workflows.queries import listing
from workflows.queries import registry as registry_queries
from workflows.services import outside, registry

from .auth import acting_user
from .downloads import send_attachment
from .extensions import get_db
from .formdata import from_html, registry_subject
from .inbox import listing_args

bp = Blueprint("nominations", __name__, url_prefix="/nominations")


@bp.get("/")
@login_required
def index():
    db, me = get_db(), acting_user()  # the user read once for this request serves every query of the page
    args = request.args
    error, status = None, 200
    try:
        result = queries.nominations(db, me, filters=listing.filters_from_args(args), sort=args.get("sort"),
                                     cursor=args.get("cursor"))
    except Invalid as exc:  # a hand-edited link: say so on the page, list the default view
        error, status = exc.message, 422
        result = queries.nominations(db, me)
    return render_template("nominations.html", result=result, states=STATES, choices=queries.list_choices(db, me),
                           args=listing_args(args),
                           error=error), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.can_propose():
        abort(403)
    db = get_db()
    schema = queries.dossier_form(db)
    values, errors, status, check, subject_values = {"year": _this_year()}, {}, 200, None, {}
    if request.method == "POST":
        data = from_html(schema, request.form)
        subject, subject_values = registry_subject(request.form)
        check_only = request.form.get("action") == "check"  # "Kiểm tra điều kiện": nothing is created
        try:
            if check_only:
                check, values = registry.preview(db, acting_user(), data | subject), data
            else:
                nomination_id = services.create_nomination(db, acting_user(), data | subject)
        except Invalid as exc:
            values, errors, status = data, exc.fields or {"": exc.message}, 422
            flash(exc.message, "error")
        else:
            if check_only:
                return _new_page(db, schema, values, errors, check, subject_values), 200
            detail = queries.nomination(db, current_user.id, nomination_id)
            flash("Đã tạo hồ sơ. Kiểm tra lại và nộp hồ sơ cho thủ trưởng đơn vị.", "success")
            if detail["my_tasks"]:
                return redirect(url_for("inbox.task", item_id=detail["my_tasks"][0]["id"]))
            return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    return _new_page(db, schema, values, errors, check, subject_values), status


def _new_page(db, schema, values, errors, check, subject_values):
    return render_template("new.html", schema=schema, values=values, errors=errors, eligibility=check,
                           subject=subject_values, people=registry_queries.unit_people(db, current_user.id),
                           award_forms=queries.award_forms(db, proposable_only=True))


def _this_year() -> int:
    return clock.now().astimezone(clock.VN_TZ).year


@bp.get("/<int:nomination_id>")
@login_required
def detail(nomination_id: int):
    db = get_db()
    return render_template(
        "nomination.html",
        nomination=queries.nomination(db, current_user.id, nomination_id),
        history=queries.history(db, current_user.id, nomination_id),
        outside_values={}, outside_errors={},
    )


@bp.post("/<int:nomination_id>/outside-result")
@login_required
def outside_result(nomination_id: int):
    """The secretariat records the decision (or refusal) from above; errors come back on the same page."""
    db = get_db()
    nomination = queries.nomination(db, current_user.id, nomination_id)
    schema = nomination["outside_form"]
    data = from_html(schema, request.form) if schema else {}
    try:
        services.record_outside_result(db, acting_user(), nomination_id, data)
    except Invalid as exc:
        flash(exc.message, "error")
        return render_template("nomination.html", nomination=nomination,
                               history=queries.history(db, current_user.id, nomination_id),
                               outside_values=data, outside_errors=exc.fields or {"": exc.message}), 422
    except Conflict as exc:
        flash(exc.message, "warning")
    else:
        result = queries.nomination(db, current_user.id, nomination_id)["outside_result"]
        if result["result"] == "awarded":
            flash(f"Đã ghi nhận {outside.label(result)}. Hồ sơ đã vào sổ khen thưởng, trạng thái «Đã khen thưởng»; "
                  "đơn vị đề nghị đã được thông báo.", "success")
        else:
            flash("Đã ghi nhận: cấp trên không khen thưởng. Hồ sơ kết thúc, trạng thái «Không khen thưởng»; "
                  "đơn vị đề nghị đã được thông báo lý do.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


@bp.post("/<int:nomination_id>/attachments")
@login_required
def upload(nomination_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Chưa chọn tệp.", "error")
    else:
        try:
            services.add_attachment(get_db(), acting_user(), nomination_id, upload.filename, upload.read(),
                                    kind=request.form.get("kind") or attachment_kinds.DEFAULT_KIND)
        except Invalid as exc:
            flash(exc.message, "error")
        else:
            flash(f"Đã thêm tệp {upload.filename}.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))


@bp.get("/<int:nomination_id>/attachments/<int:attachment_id>")
@login_required
def download(nomination_id: int, attachment_id: int):
    return send_attachment(current_user.id, nomination_id, attachment_id)


@bp.post("/<int:nomination_id>/close-vote")
@login_required
def close_vote(nomination_id: int):
    services.close_vote(get_db(), acting_user(), nomination_id)
    flash("Đã kết thúc bỏ phiếu.", "success")
    return redirect(url_for("nominations.detail", nomination_id=nomination_id))
