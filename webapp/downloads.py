"""Serving an attachment: scope-checked, as a download, never sniffed or named as something else."""

from __future__ import annotations

from flask import Response, send_file

from workflows import queries
from workflows.persistence import storage

from .extensions import get_db


def send_attachment(user_id: int, nomination_id: int, attachment_id: int) -> Response:
    db = get_db()
    att = queries.attachment(db, user_id, nomination_id, attachment_id)
    response = send_file(storage.path_of(db.settings.upload_dir, att["stored_name"]).resolve(),
                         mimetype=att["content_type"], as_attachment=True,
                         download_name=storage.download_name(att["name"], att["content_type"]))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
