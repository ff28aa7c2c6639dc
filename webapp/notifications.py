"""The user's notifications (work that arrives, returns, awards, reminders…) and how e-mail brings them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows.domain.errors import Invalid
from workflows.queries import notifications as notification_queries
from workflows.services import notifications

from .extensions import get_db

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    items = notification_queries.recent(get_db(), current_user.id)
    return render_template("notifications.html", items=items)


@bp.post("/read")
@login_required
def mark_read():
    count = notifications.mark_all_read(get_db(), current_user.id)
    flash(f"Đã đánh dấu {count} thông báo là đã đọc." if count else "Không có thông báo chưa đọc.", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Marks the notification read and goes where it leads: its dossier, else the inbox."""
    nomination_id = notifications.mark_read(get_db(), current_user.id, notification_id)
    if nomination_id is not None:
        return redirect(url_for("nominations.detail", nomination_id=nomination_id))
    return redirect(url_for("inbox.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    db, error, status = get_db(), None, 200
    if request.method == "POST":
        try:
            changed = notifications.set_mode(db, current_user.id, request.form.get("notify_mode"))
        except Invalid as exc:
            error, status = exc.message, 422
        else:
            flash("Đã lưu cách nhận thông báo." if changed else "Cách nhận thông báo không thay đổi.", "success")
            return redirect(url_for("notifications.settings"))
    mode = notification_queries.mode_of(db, current_user.id)
    return render_template("notification_settings.html", mode=mode, modes=notifications.MODE_NAMES, error=error,
                           email=notification_queries.email_of(db, current_user.id),
                           mail_on=bool(db.settings.smtp_host)), status


def unread_for_header() -> dict:
    """Template context: how many unread notifications the logged-in user has."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": notification_queries.unread_count(get_db(), current_user.id)}
