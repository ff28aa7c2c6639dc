"""The user's notifications: reminders, escalations, the end of a disclosure window."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from workflows.domain import clock
from workflows.services import notify

from .extensions import get_db

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    with get_db().read() as s:
        items = notify.recent(s, current_user.id)
    return render_template("notifications.html", items=items)


@bp.post("/read")
@login_required
def mark_read():
    with get_db().write() as s:
        notify.mark_read(s, current_user.id, clock.now())
    return redirect(url_for("notifications.index"))


def unread_for_header() -> dict:
    """Template context: how many unread notifications the logged-in user has."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    with get_db().read() as s:
        return {"unread_notifications": notify.unread_count(s, current_user.id)}
