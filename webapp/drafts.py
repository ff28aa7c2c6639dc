"""The draft step's one form: the dossier's fields, a file with its kind, and every button that keeps them.

"Lưu nháp", "Tải lên" and "Xóa" post the whole form: the fields are saved as a draft first, then the file is
attached or taken back, so an upload never drops what was typed (and works without JavaScript). "Nộp hồ sơ"
with a file chosen attaches it, then submits. A file too large for the request (over the upload limit plus
the form's margin) never reaches a view: :func:`too_large` answers it in Vietnamese (JSON under ``/api/``),
and ``static/upload.js`` stops such a file before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workflows import queries, services
from workflows.domain import attachment_kinds
from workflows.domain.errors import Conflict, Invalid
from workflows.persistence import storage
from workflows.queries.drafts import KIND_CHOICES

from .auth import acting_user
from .errors import json_error, wants_json
from .extensions import get_db
from .params import ascii_int


@dataclass
class Kept:
    response: Response | None = None  # the action is done: where to go
    errors: dict[str, str] = field(default_factory=dict)  # show the page again with these, the values as typed
    proceed: bool = False  # go on and complete the task
    if_match: int | None = None  # the version the completion must find, when the file attached moved it


PROCEED = Kept(proceed=True)


def upload_limits() -> dict[str, Any]:
    max_bytes = get_db().settings.max_upload_bytes
    return {"max_bytes": max_bytes, "text": storage.limits_text(max_bytes),
            "accept": ",".join(storage.accepted_extensions()), "types": ", ".join(storage.ALLOWED_TYPES.values())}


def register(app: Flask) -> None:
    app.add_template_global(upload_limits)
    app.add_template_global(KIND_CHOICES, "attachment_kinds")
    app.register_error_handler(413, too_large)


def too_large(_exc):
    """A request over MAX_CONTENT_LENGTH: its form cannot be read, so the page says how to get back to it."""
    limits = upload_limits()
    message = f"Tệp quá lớn. {limits['text']}. Hãy chọn tệp nhỏ hơn."
    if wants_json():
        return json_error(413, message, {"file": message})
    back = request.referrer if (request.referrer or "").startswith(request.host_url) else None
    return render_template("too_large.html", message=message, back=back), 413


def keep_work(item: dict[str, Any], data: dict[str, Any]) -> Kept:
    """Save, attach or delete as the pressed button says; ``PROCEED`` when the task is to be completed."""
    if item.get("hook") != "dossier" or not item.get("can_act"):
        return PROCEED
    action = request.form.get("_action", "submit")
    delete_id = ascii_int(request.form.get("_delete"))
    upload = request.files.get("file")
    chosen = upload is not None and bool(upload.filename)
    db, nomination_id = get_db(), item["nomination_id"]
    here = url_for("inbox.task", item_id=item["id"])
    if action == "submit" and delete_id is None:
        if not chosen:
            return PROCEED
        # The page's version must still be the dossier's before the file moves it by one (under the row lock).
        read = ascii_int(request.form.get("_version"))
        if read is not None and read != queries.nomination(db, current_user.id, nomination_id)["version"]:
            flash("Hồ sơ đã thay đổi, vui lòng tải lại.", "warning")
            return Kept(response=redirect(here))
        errors = _attach(db, nomination_id, upload)
        if errors:
            return Kept(errors=errors)
        return Kept(proceed=True, if_match=read + 1 if read is not None else None)
    errors: dict[str, str] = {}
    try:
        services.save_draft(db, acting_user(), nomination_id, data, ascii_int(request.form.get("_version")))
    except Invalid as exc:
        errors |= exc.fields or {"": exc.message}
        flash(exc.message, "error")
    except Conflict as exc:
        flash(exc.message, "warning")
        return Kept(response=redirect(here))
    done = [] if errors else ["Đã lưu nháp."]
    if delete_id is not None:
        name = next((a["name"] for a in _attachments(nomination_id) if a["id"] == delete_id), None)
        try:
            services.delete_attachment(db, acting_user(), nomination_id, delete_id)
        except Conflict as exc:
            flash(exc.message, "warning")
            return Kept(response=redirect(here))
        done.append(f"Đã xóa tệp {name}." if name else "Đã xóa tệp.")
    elif action == "upload":
        if not chosen:
            errors["file"] = "Chưa chọn tệp."
            flash("Chưa chọn tệp để tải lên.", "error")
        else:
            failed = _attach(db, nomination_id, upload)
            errors |= failed
            if not failed:
                done.append(f"Đã thêm tệp {upload.filename} ({attachment_kinds.label(_kind())}).")
    for message in done:
        flash(message, "success")
    return Kept(errors=errors) if errors else Kept(response=redirect(here))


def _kind() -> str:
    return request.form.get("kind") or attachment_kinds.DEFAULT_KIND


def _attach(db, nomination_id: int, upload) -> dict[str, str]:
    try:
        services.add_attachment(db, acting_user(), nomination_id, upload.filename, upload.read(), kind=_kind())
    except Invalid as exc:
        flash(exc.message, "error")
        return exc.fields or {"file": exc.message}
    return {}


def _attachments(nomination_id: int) -> list[dict[str, Any]]:
    return queries.nomination(get_db(), current_user.id, nomination_id)["attachments"]
