"""The user's notifications: reminders, escalations, the end of a disclosure window."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

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
    notifications.mark_all_read(get_db(), current_user.id)
    return redirect(url_for("notifications.index"))


def unread_for_header() -> dict:
    """Template context: how many unread notifications the logged-in user has."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": notification_queries.unread_count(get_db(), current_user.id)}
