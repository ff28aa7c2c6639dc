"""Security headers on every kind of response, and pages that the Content-Security-Policy does not break."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from workflows import services
from workflows.persistence.db import Database
from workflows.queries import reports as report_queries
from workflows.services import reports

from ..support import Driver
from .helpers import PDF, bearer, make_app, session_client

ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_secured(response, *, cacheable: bool = False) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    csp = {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert not any("'unsafe-inline'" in v or "'unsafe-eval'" in v or "*" in v for v in csp.values()), csp
    permissions = response.headers["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions and "geolocation=()" in permissions
    if cacheable:
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:
        assert response.headers.get("Cache-Control") == "no-store", response.headers


@pytest.fixture
def ids(db: Database, driver: Driver) -> dict[str, int]:
    nid = driver.create()
    att = services.add_attachment(db, driver.uid("clerk1"), nid, "Đơn.pdf", PDF)
    reports.create_for_quarter(db)
    return {"nid": nid, "att": att, "item": driver.item_for(nid, "clerk1"),
            "report": report_queries.open_reports(db, driver.uid("clerk1"))[0]["id"]}


def test_pages_redirects_and_error_pages_carry_the_headers(web: Flask, db: Database, ids: dict[str, int]):
    anonymous, clerk = web.test_client(), session_client(web, db, "clerk1")
    responses = {
        "login page": anonymous.get("/login"),
        "redirect to login": anonymous.get("/nominations/"),
        "failed login": anonymous.post("/login", data={"username": "clerk1", "password": "sai"}),
        "inbox": clerk.get("/"),
        "nomination": clerk.get(f"/nominations/{ids['nid']}"),
        "task": clerk.get(f"/tasks/{ids['item']}"),
        "report": clerk.get(f"/reports/{ids['report']}"),
        "download": clerk.get(f"/nominations/{ids['nid']}/attachments/{ids['att']}"),
        "404 page": clerk.get("/no-such-page"),
        "405 page": clerk.get("/logout"),
        "403 page": session_client(web, db, "secretary").get("/nominations/new"),
        "400 page": clerk.get("/nominations/?q=%00"),
    }
    for label, response in responses.items():
        assert response.status_code < 500, label
        assert_secured(response)


def test_api_answers_and_errors_carry_the_headers(web: Flask, db: Database, ids: dict[str, int]):
    client, headers = web.test_client(), bearer(db, "clerk1")
    responses = {
        "token": client.post("/api/v1/auth/token", json={"username": "clerk1", "password": "demo"}),
        "list": client.get("/api/v1/nominations", headers=headers),
        "one": client.get(f"/api/v1/nominations/{ids['nid']}", headers=headers),
        "download": client.get(f"/api/v1/nominations/{ids['nid']}/attachments/{ids['att']}", headers=headers),
        "openapi": client.get("/api/v1/openapi.json"),
        "401": client.get("/api/v1/nominations"),
        "404": client.get("/api/v1/no-such", headers=headers),
        "405": client.delete("/api/v1/nominations", headers=headers),
        "400": client.post("/api/v1/auth/token", data="{", content_type="application/json"),
        "422": client.post("/api/v1/nominations", headers=headers, json={}),
        "healthz": client.get("/healthz"),
    }
    assert responses["token"].status_code == 200
    for label, response in responses.items():
        assert response.status_code < 500, label
        assert_secured(response)


def test_static_files_carry_the_headers_and_may_be_cached(web: Flask):
    for name in ("style.css", "confirm.js"):
        response = web.test_client().get(f"/static/{name}")
        assert response.status_code == 200
        assert_secured(response, cacheable=True)
        response.close()


def test_a_server_error_carries_the_headers(db: Database):
    app = make_app(db, fresh=True)

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("a bug")

    for path in ("/boom", "/api/v1/boom"):
        response = app.test_client().get(path)
        assert response.status_code == 500
        assert_secured(response)


# --- pages the policy does not break ------------------------------------------------------------

class _InlineCode(HTMLParser):
    """Collects what ``script-src 'self'; style-src 'self'`` would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if name in ("href", "src", "action") and value and re.match(r"\s*(javascript:|https?:|//)", value, re.I):
                self.found.append(f"{tag} {name}={value}")


PAGE_USERS = ["clerk1", "head1", "secretary", "reviewer", "minister", "council1", "admin", "auditor"]


def test_no_page_has_inline_script_style_or_foreign_origins(web: Flask, db: Database, driver: Driver,
                                                             ids: dict[str, int]):
    """Every GET page of the URL map, as every role: the CSP would silently block inline code."""
    nid = ids["nid"]
    driver.act(nid, "clerk1", {})
    driver.act(nid, "head1", {"decision": "approve"})
    driver.act(nid, "secretary", {"decision": "approve"})
    driver.ensure_passphrase()
    round_id = driver.open([nid])  # the round is open: the chair's count form shows
    values = {"nomination_id": nid, "item_id": ids["item"], "attachment_id": ids["att"], "report_id": ids["report"],
              "round_id": round_id}
    pages = [rule for rule in web.url_map.iter_rules()
             if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/static", "/healthz"))]
    seen = 0
    for username in PAGE_USERS:
        client = session_client(web, db, username)
        for rule in pages:
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)
            response = client.get(path)
            if response.mimetype != "text/html" or response.status_code >= 300:
                continue
            parser = _InlineCode()
            parser.feed(response.get_data(as_text=True))
            assert not parser.found, (username, path, parser.found)
            seen += 1
    for path in ("/login", "/no-such-page"):
        parser = _InlineCode()
        parser.feed(web.test_client().get(path).get_data(as_text=True))
        assert not parser.found, (path, parser.found)
    assert seen > 30
    html = session_client(web, db, "minister").get(f"/rounds/{round_id}").get_data(as_text=True)
    assert 'data-confirm="Kết thúc bỏ phiếu, giải mã' in html and "/static/confirm.js" in html
