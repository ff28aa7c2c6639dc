"""Helpers for the web and API tests: acting as demo users, database snapshots, sample files."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from webapp import create_app
from workflows.persistence.db import Database
from workflows.persistence.model import Attachment, AuditEvent, InstanceState, Nomination, TaskItem, User
from workflows.services import accounts

# A minimal PDF: filetype recognises it by its ``%PDF`` signature.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # one filter byte, one red RGB pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = _png_1x1()

# Lower-case letters only Vietnamese uses (with its tone marks); a message with one is Vietnamese.
_VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)


def is_vietnamese(text: str) -> bool:
    return bool(_VIETNAMESE.search(text or ""))


# Built once per database and configuration: an app compiles its few hundred URL rules when it is made, which
# cost more than most tests' requests. Each make_app starts the app again from its first configuration.
_APPS: dict[tuple[int, str], tuple[Flask, dict[str, Any]]] = {}


def make_app(db: Database, *, csrf: bool = False, fresh: bool = False, **overrides: Any) -> Flask:
    """The real app on this database; every 5xx it serves is recorded in ``app.config['SERVED_5XX']``.

    ``fresh``: an app of its own, never shared, for a test that adds routes to it."""
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": csrf, "REDIS_URL": None} | overrides
    if fresh:
        return watch_5xx(create_app(config, db=db))
    key = (id(db), repr(sorted(config.items())))
    if key not in _APPS:
        app = watch_5xx(create_app(config, db=db))
        _APPS[key] = (app, dict(app.config))
    app, first = _APPS[key]
    app.config.clear()
    app.config.update(first)
    app.config["SERVED_5XX"] = []
    return app


def watch_5xx(app: Flask) -> Flask:
    app.config["SERVED_5XX"] = []

    @app.after_request
    def _record(response):
        if response.status_code >= 500:
            app.config["SERVED_5XX"].append(f"{request.method} {request.path} -> {response.status_code}")
        return response

    return app


def user_id(db: Database, username: str) -> int:
    with db.read() as s:
        return s.scalar(select(User.id).where(User.username == username))


def session_client(app: Flask, db: Database, username: str) -> FlaskClient:
    """A browser logged in as ``username`` (flask-login keeps the user's session token in the session)."""
    client = app.test_client()
    with db.read() as s:
        token = s.scalar(select(User.session_token).where(User.username == username))
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return client


def login_form(client: FlaskClient, username: str, password: str = "demo", next_url: str | None = None,
               csrf_token: str | None = None) -> TestResponse:
    """Log in through the real form (Argon2 check, rate limiting, ``next`` handling)."""
    data = {"username": username, "password": password}
    if csrf_token is not None:
        data["csrf_token"] = csrf_token
    return client.post("/login", query_string={"next": next_url} if next_url is not None else None, data=data)


def bearer(db: Database, username: str) -> dict[str, str]:
    """Authorization header with a fresh API token (issued directly: no Argon2 round per request)."""
    token, _ = accounts.issue_token(db, user_id(db, username))
    return {"Authorization": f"Bearer {token}"}


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def snapshot(db: Database) -> dict[str, Any]:
    """Everything a request could change: nominations, tasks, workflow states, files, audit trail."""
    with db.read() as s:
        files = sorted(p.name for p in db.settings.upload_dir.iterdir()) if db.settings.upload_dir.exists() else []
        return {
            "nominations": [tuple(r) for r in s.execute(
                select(Nomination.id, Nomination.version, Nomination.state, Nomination.current_step, Nomination.achievements,
                       Nomination.votes_agree, Nomination.votes_disagree, Nomination.council_result,
                       Nomination.return_count).order_by(Nomination.id))],
            "tasks": [tuple(r) for r in s.execute(select(TaskItem.id, TaskItem.state).order_by(TaskItem.id))],
            "states": [tuple(r) for r in s.execute(select(InstanceState.nomination_id, InstanceState.state)
                                                   .order_by(InstanceState.nomination_id))],
            "attachments": list(s.scalars(select(Attachment.id).order_by(Attachment.id))),
            "events": s.scalar(select(func.count(AuditEvent.id))),
            "files": files,
        }


def json_error(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the API's error shape ``{"error": {"code", "message", "fields"}}`` and return the error."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["fields"], dict)
    assert is_vietnamese(error["message"]), error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def html_error(response: TestResponse, status: int) -> str:
    """Assert the web error page (HTML, Vietnamese) and return its text."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "text/html", response.mimetype
    html = response.get_data(as_text=True)
    assert f"Lỗi {status}" in html, html[:500]
    return html
