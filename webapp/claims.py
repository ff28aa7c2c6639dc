"""Claims on a shared task from its page: take it, give it back, (an admin) give it to someone else."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.services import claims

from .auth import acting_user
from .extensions import get_db
from .params import ascii_int

bp = Blueprint("claims", __name__)


@bp.post("/tasks/<int:item_id>/claim")
@login_required
def claim(item_id: int):
    return _act(item_id, lambda: claims.claim(get_db(), acting_user(), item_id), "Đã nhận xử lý công việc.")


@bp.post("/tasks/<int:item_id>/release")
@login_required
def release(item_id: int):
    return _act(item_id, lambda: claims.release(get_db(), acting_user(), item_id),
                "Đã trả lại công việc cho nhóm: người khác cùng vai trò có thể nhận xử lý.")


@bp.post("/tasks/<int:item_id>/assign")
@login_required
def assign(item_id: int):
    user_id = ascii_int(request.form.get("user_id"))
    return _act(item_id, lambda: claims.assign(get_db(), acting_user(), item_id, user_id), "Đã giao lại công việc.")


def _act(item_id: int, change, done: str):
    """Back to the task page, which tells what happened (a refusal too, in the flash); NotFound stays a 404."""
    try:
        change()
    except (Conflict, Forbidden, Invalid) as exc:
        flash(exc.message, "warning" if isinstance(exc, Conflict) else "error")
    else:
        flash(done, "success")
    return redirect(url_for("inbox.task", item_id=item_id))
