"""Accounts and sessions: API tokens, rate limiting, passwords, CSRF, ``next``, logout, health and OpenAPI."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from jsonschema import Draft202012Validator
from sqlalchemy import select, update

from webapp import auth
from webapp.api.openapi import document
from workflows.domain import clock
from workflows.persistence.db import Database
from workflows.persistence.model import ApiToken, LoginAttempt, Nomination, User
from workflows.services import accounts

from ..support import APPROVE, Driver
from .helpers import (
    bearer,
    csrf_token_in,
    html_error,
    json_error,
    login_form,
    make_app,
    session_client,
    snapshot,
    user_id,
    watch_5xx,
)

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội


def token_for(client, username: str, password: str = "demo"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def set_user(db: Database, username: str, **values) -> None:
    with db.write() as s:
        s.execute(update(User).where(User.username == username).values(**values))


# --- API tokens --------------------------------------------------------------------------------------

def test_token_endpoint_gives_a_token_with_an_expiry_carrying_its_offset(web: Flask):
    client = web.test_client()
    with clock.frozen(T0):
        response = token_for(client, "head1")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"token", "expires_at"}
        assert re.search(r"[+-]\d\d:\d\d$", body["expires_at"]), body["expires_at"]
        expires = datetime.fromisoformat(body["expires_at"])
        assert expires.utcoffset() == timedelta(hours=7)
        assert expires == T0 + timedelta(hours=8)
        assert body["expires_at"] == "2026-03-02T16:30:00+07:00"
        assert len(body["token"]) >= 32
        tasks = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {body['token']}"})
        assert tasks.status_code == 200 and tasks.get_json() == {"items": [], "next_cursor": None, "sort": "due"}


def test_wrong_password_and_unknown_user_are_the_same_401(web: Flask):
    client = web.test_client()
    wrong = json_error(token_for(client, "head1", "sai-mat-khau"), 401, "unauthorized")
    unknown = json_error(token_for(client, "khong-ton-tai", "demo"), 401, "unauthorized")
    assert wrong == unknown
    assert wrong["message"] == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_a_username_longer_than_any_is_a_plain_401_and_still_counted(web: Flask, db: Database):
    client = web.test_client()
    for name in ("a" * 300, "Nguyễn" * 60):
        assert json_error(token_for(client, name, "x"), 401, "unauthorized")["message"] == accounts._WRONG
        assert login_form(web.test_client(), name, "x").status_code == 401
    with db.read() as s:
        keys = list(s.scalars(select(LoginAttempt.key)))
    assert len(keys) == 8 and all(len(k) <= 255 for k in keys)
    assert keys.count("client:127.0.0.1") == 4  # each attempt counts against the address


def test_token_request_without_credentials_is_422(web: Flask):
    response = web.test_client().post("/api/v1/auth/token", json={"username": "head1"})
    assert json_error(response, 422, "invalid")["fields"] == {"password": "Trường này là bắt buộc."}
    response = web.test_client().post("/api/v1/auth/token", json={"username": 1, "password": ["demo"]})
    assert set(json_error(response, 422, "invalid")["fields"]) == {"username", "password"}


def test_after_ten_failures_the_eleventh_attempt_is_429_even_with_the_right_password(web: Flask, db: Database):
    client = web.test_client()
    with clock.frozen(T0) as advance:
        for i in range(accounts.MAX_FAILURES):
            json_error(token_for(client, "CLERK1" if i % 2 else "clerk1", "doan-mo"), 401, "unauthorized")
        refused = token_for(client, "clerk1", "demo")
        limited = json_error(refused, 429, "rate_limited")
        assert limited["message"] == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút (lúc 08:45)."
        assert refused.headers["Retry-After"] == "900"
        page = login_form(web.test_client(), "clerk1")  # the web form shares the count
        assert page.status_code == 429 and limited["message"] in page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "900"
        advance(timedelta(minutes=14, seconds=30))
        later = json_error(token_for(client, "clerk1", "demo"), 429, "rate_limited")
        assert later["message"] == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 phút (lúc 08:45)."
        assert token_for(client, "head1").status_code == 200  # other users are not locked out
        with db.read() as s:
            assert not s.scalars(select(ApiToken.user_id).where(ApiToken.user_id == user_id(db, "clerk1"))).all()
        advance(timedelta(seconds=30))
        assert token_for(client, "clerk1").status_code == 200  # the window has passed
        assert login_form(web.test_client(), "clerk1").status_code == 302


def lock_out(client, username: str) -> None:
    """An attacker's ten wrong guesses, through the API."""
    for _ in range(accounts.MAX_FAILURES):
        json_error(token_for(client, username, "doan-mo"), 401, "unauthorized")
    json_error(token_for(client, username), 429, "rate_limited")


def device_cookie(client) -> str | None:
    cookie = client.get_cookie(auth.DEVICE_COOKIE, path="/login")
    return cookie.value if cookie is not None else None


def test_a_locked_username_still_lets_the_real_user_in_from_a_browser_it_used_before(web: Flask, db: Database):
    victim = web.test_client()
    with clock.frozen(T0):
        assert login_form(victim, "clerk1").status_code == 302
        assert victim.post("/logout").status_code == 302  # logging out does not forget the device
        lock_out(web.test_client(), "clerk1")
        html = login_form(web.test_client(), "clerk1").get_data(as_text=True)  # a browser it never used: locked
        assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút (lúc 08:45)." in html
        assert login_form(victim, "clerk1", "sai").status_code == 401  # still a password check, not a lock
        assert login_form(victim, "clerk1").status_code == 302
        assert victim.get("/").status_code == 200
        victim.post("/logout")
        copied = web.test_client()  # the cookie alone, in another browser, still needs the password
        copied.set_cookie(auth.DEVICE_COOKIE, device_cookie(victim), path="/login")
        assert login_form(copied, "clerk1", "doan-mo").status_code == 401
        assert login_form(copied, "clerk1").status_code == 302
        api = web.test_client()  # the API never reads the cookie: the lock holds there
        api.set_cookie(auth.DEVICE_COOKIE, device_cookie(victim))
        json_error(token_for(api, "clerk1"), 429, "rate_limited")


def test_a_browser_remembers_its_last_users(web: Flask, db: Database):
    browser = web.test_client()
    with clock.frozen(T0):
        for username in ("clerk1", "head1", "clerk1"):
            assert login_form(browser, username).status_code == 302
            browser.post("/logout")
        signer = URLSafeTimedSerializer("test-secret", salt="vinhdanh.known-device")
        assert signer.loads(device_cookie(browser)) == [user_id(db, "clerk1"), user_id(db, "head1")]
        with web.test_request_context("/login", headers={"Cookie": f"{auth.DEVICE_COOKIE}={device_cookie(browser)}"}):
            assert auth.known_users() == [user_id(db, "clerk1"), user_id(db, "head1")]


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time() - auth.DEVICE_LIFETIME.total_seconds() - 86400)  # a year and a day ago


def test_a_forged_or_old_device_cookie_does_not_lift_the_lock(web: Flask, db: Database):
    uid = user_id(db, "clerk1")
    genuine = web.test_client()

    def signed(payload, secret: str = "test-secret", salt: str = "vinhdanh.known-device", signer=TimestampSigner) -> str:
        return URLSafeTimedSerializer(secret, salt=salt, signer=signer).dumps(payload)

    with clock.frozen(T0):
        assert login_form(genuine, "clerk1").status_code == 302
        real = device_cookie(genuine)
        forged = {
            # The first character is payload: changing it always changes the bytes signed (a last base64
            # character may only carry padding bits, so changing that one can leave the cookie valid).
            "tampered": ("B" if real[0] != "B" else "C") + real[1:],
            "another key": signed([uid], secret="another-secret"),
            "the session's salt": signed([uid], salt="cookie-session"),
            "expired": signed([uid], signer=_SignedLongAgo),
            "not a list": signed(uid),
            "a bool": signed([True]),
            "another user": signed([user_id(db, "head1")]),
        }
        lock_out(web.test_client(), "clerk1")
        for name, value in forged.items():
            browser = web.test_client()
            browser.set_cookie(auth.DEVICE_COOKIE, value, path="/login")
            assert login_form(browser, "clerk1").status_code == 429, name
        assert login_form(genuine, "clerk1").status_code == 302


def test_the_device_cookie_is_httponly_lax_long_lived_and_only_sent_to_login(db: Database):
    for secure in (False, True):
        response = login_form(make_app(db, SESSION_COOKIE_SECURE=secure).test_client(), "clerk1")
        assert response.status_code == 302
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{auth.DEVICE_COOKIE}="))
        attributes = {a.split("=")[0].strip().lower(): a.partition("=")[2] for a in cookie.split(";")[1:]}
        assert attributes["max-age"] == str(365 * 24 * 3600)
        assert attributes["path"] == "/login"
        assert "httponly" in attributes and attributes["samesite"] == "Lax"
        assert ("secure" in attributes) is secure


def test_a_device_cookie_is_still_subject_to_the_client_limit(web: Flask, db: Database, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accounts, "MAX_CLIENT_FAILURES", 3)  # the count is the same at 100, only slower
    victim = web.test_client()
    with clock.frozen(T0):
        assert login_form(victim, "clerk1").status_code == 302
        victim.post("/logout")
        for username in ("head1", "clerk2", "khong-ton-tai"):  # the same address as the victim's
            assert login_form(web.test_client(), username, "sai").status_code == 401
        assert login_form(victim, "clerk1").status_code == 429


def test_tokens_are_stored_hashed(web: Flask, db: Database):
    token = token_for(web.test_client(), "clerk1").get_json()["token"]
    with db.read() as s:
        rows = s.execute(select(ApiToken.__table__)).all()
    assert len(rows) == 1
    assert all(token not in str(value) for row in rows for value in row)
    assert re.fullmatch(r"[0-9a-f]{64}", rows[0].token_hash)


def test_a_token_expires_after_its_lifetime(web: Flask):
    client = web.test_client()
    with clock.frozen(T0) as advance:
        token = token_for(client, "head1").get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        advance(timedelta(hours=8) - timedelta(minutes=1))
        assert client.get("/api/v1/tasks", headers=headers).status_code == 200
        advance(timedelta(minutes=2))
        error = json_error(client.get("/api/v1/tasks", headers=headers), 401, "unauthorized")
        assert error["message"] == "Mã truy cập không hợp lệ hoặc đã hết hạn."


@pytest.mark.parametrize("header", ["Bearer khong-phai-ma-that", "Basic Y2xlcmsxOmRlbW8=", "Bearer ", "Token abc", ""],
                         ids=["unknown token", "basic auth", "empty bearer", "other scheme", "empty header"])
def test_anything_but_a_valid_bearer_token_is_401(web: Flask, header: str):
    response = web.test_client().get("/api/v1/nominations", headers={"Authorization": header})
    json_error(response, 401, "unauthorized")


def test_a_deactivated_user_loses_token_and_session(web: Flask, db: Database):
    client = web.test_client()
    headers = {"Authorization": f"Bearer {token_for(client, 'head1').get_json()['token']}"}
    page = session_client(web, db, "head1")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200 and page.get("/").status_code == 200
    set_user(db, "head1", active=False)
    json_error(client.get("/api/v1/tasks", headers=headers), 401)
    assert page.get("/").status_code == 302
    json_error(token_for(client, "head1"), 401)


# --- passwords -------------------------------------------------------------------------------------------

def test_passwords_are_argon2id_hashes(db: Database):
    with db.read() as s:
        hashes = list(s.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert PasswordHasher().verify(hashes[0], "demo")
    fresh = accounts.hash_password("Mật khẩu mới 2026")
    assert fresh.startswith("$argon2id$") and fresh != accounts.hash_password("Mật khẩu mới 2026")  # salted
    assert "demo" not in "".join(hashes)


# --- CSRF (the default app: CSRF on) --------------------------------------------------------------------

def test_login_without_csrf_token_is_refused(app: Flask):
    watch_5xx(app)
    client = app.test_client()
    refused = login_form(client, "head1")
    html_error(refused, 400)
    assert client.get("/").status_code == 302  # not logged in
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    assert login_form(client, "head1", csrf_token="sai" + token).status_code == 400
    accepted = login_form(client, "head1", csrf_token=token)
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert not app.config["SERVED_5XX"]


def test_completing_a_task_without_csrf_token_is_refused_and_changes_nothing(app: Flask, db: Database, driver: Driver):
    watch_5xx(app)
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    client = session_client(app, db, "head1")
    before = snapshot(db)
    html_error(client.post(f"/tasks/{head}", data=APPROVE), 400)
    html_error(client.post(f"/tasks/{head}", data=APPROVE | {"csrf_token": "gia-mao"}), 400)
    assert snapshot(db) == before
    assert driver.ready_steps(nid) == ["head_review"]
    token = csrf_token_in(client.get(f"/tasks/{head}").get_data(as_text=True))
    done = client.post(f"/tasks/{head}", data=APPROVE | {"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert driver.ready_steps(nid) == ["secretariat_check"]
    assert not app.config["SERVED_5XX"]


def test_other_page_posts_need_the_csrf_token_too(app: Flask, db: Database, driver: Driver):
    watch_5xx(app)
    nid = driver.create()
    client = session_client(app, db, "clerk1")
    before = snapshot(db)
    html_error(client.post(f"/nominations/{nid}/attachments", data={}, content_type="multipart/form-data"), 400)
    html_error(client.post("/nominations/new", data={"nominee_name": "Nguyễn Văn An"}), 400)
    html_error(client.post("/logout"), 400)
    assert client.get("/").status_code == 200  # logout refused: still logged in
    assert snapshot(db) == before
    assert not app.config["SERVED_5XX"]


# --- login redirects ------------------------------------------------------------------------------------

NEXT = [
    ("https://evil.example/", "/"),
    ("//evil.example", "/"),
    ("//evil.example/nominations/", "/"),
    ("/\\evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("https:evil.example", "/"),
    ("/\t/evil.example", None),  # a control character in the query: no redirect at all
    ("javascript:alert(1)", "/"),
    ("nominations/", "/"),
    ("/nominations/", "/nominations/"),
    ("/nominations/?state=in_progress", "/nominations/?state=in_progress"),
]


@pytest.mark.parametrize(("next_url", "location"), NEXT, ids=[n for n, _ in NEXT])
def test_login_next_stays_on_this_site(web: Flask, next_url: str, location: str | None):
    response = login_form(web.test_client(), "clerk1", next_url=next_url)
    if location is None:
        html_error(response, 400)
        return
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_a_page_asked_for_before_login_is_shown_after_it(web: Flask):
    client = web.test_client()
    asked = client.get("/nominations/?q=An")
    assert asked.status_code == 302
    login_url = urlsplit(asked.headers["Location"])
    assert login_url.path == "/login"
    next_url = parse_qs(login_url.query)["next"][0]
    assert next_url == "/nominations/?q=An"
    assert "Vui lòng đăng nhập để tiếp tục." in client.get(asked.headers["Location"]).get_data(as_text=True)
    response = login_form(client, "clerk1", next_url=next_url)
    assert response.headers["Location"] == "/nominations/?q=An"
    assert client.get(response.headers["Location"]).status_code == 200


def test_wrong_password_on_the_login_page_is_401_in_vietnamese(web: Flask):
    client = web.test_client()
    response = login_form(client, "clerk1", "sai")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_failed_login_shows_the_form_again_with_the_username_never_the_password(web: Flask):
    client = web.test_client()
    page = login_form(client, "clerk1", "mat-khau-sai-123").get_data(as_text=True)
    assert re.search(r'<input name="username"[^>]* value="clerk1"', page)
    assert re.search(r'<input name="password"[^>]*autofocus', page)  # the next thing to type
    assert "mat-khau-sai-123" not in page
    assert not re.search(r'<input name="password"[^>]* value=', page)
    hostile = login_form(client, '"><script>x</script>', "sai").get_data(as_text=True)
    assert "<script>x" not in hostile and 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in hostile
    first = client.get("/login").get_data(as_text=True)
    assert re.search(r'<input name="username"[^>]* value=""[^>]*autofocus', first)


# --- logout and session revocation ----------------------------------------------------------------------

def test_logout_is_post_only_and_ends_the_session(web: Flask):
    client = web.test_client()
    assert login_form(client, "clerk1").status_code == 302
    html_error(client.get("/logout"), 405)
    assert client.get("/").status_code == 200  # a GET (a link, an <img>) does not log out
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Đã đăng xuất." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert client.get("/nominations/").status_code == 302


def test_logout_revokes_a_copy_of_the_session_cookie(web: Flask):
    client = web.test_client()
    assert login_form(client, "clerk1").status_code == 302
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    replay = web.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302


def test_changing_the_session_token_logs_out_every_session(web: Flask, db: Database):
    first, second = web.test_client(), web.test_client()
    for client in (first, second):
        assert login_form(client, "head1").status_code == 302
        assert client.get("/").status_code == 200
    other = web.test_client()
    assert login_form(other, "clerk1").status_code == 302
    set_user(db, "head1", session_token=accounts.new_session_token())
    for client in (first, second):
        response = client.get("/")
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert other.get("/").status_code == 200  # other users keep their sessions
    fresh = web.test_client()
    assert login_form(fresh, "head1").status_code == 302 and fresh.get("/").status_code == 200


def test_a_session_cannot_act_after_revocation(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    client = web.test_client()
    assert login_form(client, "head1").status_code == 302
    set_user(db, "head1", session_token=accounts.new_session_token())
    before = snapshot(db)
    response = client.post(f"/tasks/{head}", data=APPROVE)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert snapshot(db) == before


# --- health ------------------------------------------------------------------------------------------

def test_healthz_reports_the_database(web: Flask):
    response = web.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"},
                                   "timers": {"overdue": 0, "oldest_overdue_seconds": None}}


def test_healthz_reports_redis_when_configured(db: Database, redis_url: str):
    response = make_app(db, REDIS_URL=redis_url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}
    down = make_app(db, REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["status"] == "error" and body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")


# --- OpenAPI -------------------------------------------------------------------------------------------

def _template(path: str) -> str:
    """``/tasks/<int:item_id>/complete`` and ``/tasks/{id}/complete`` both become ``/tasks/{}/complete``."""
    return re.sub(r"\{[^}]+\}", "{}", re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", path))


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_document_lists_every_api_path_and_method(web: Flask):
    response = web.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"] == [{"url": "/api/v1"}]

    registered: dict[str, set[str]] = {}
    for rule in web.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":  # the document itself
            path = _template(rule.rule.removeprefix("/api/v1"))
            registered.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    documented = {_template(path): {m for m in item if m in {"get", "post", "put", "patch", "delete"}}
                  for path, item in doc["paths"].items()}
    assert documented == registered


def test_openapi_document_is_well_formed(web: Flask):
    doc = web.test_client().get("/api/v1/openapi.json").get_json()
    with web.app_context():
        assert doc == document()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer"}
    for requirement in doc["security"]:
        assert set(requirement) <= set(schemes)
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        placeholders = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == placeholders, where
            assert all(p["required"] is True for p in op.get("parameters", []) if p["in"] == "path"), where
            assert op["responses"], where
            for code, answer in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code), where
                assert answer["description"], where
            if path != "/auth/token":
                assert "401" in op["responses"], f"{where} needs a token and must document 401"
            for media in op.get("requestBody", {}).get("content", {}).values():
                Draft202012Validator.check_schema(media["schema"])
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in doc["components"]["schemas"], ref


def test_openapi_error_schema_matches_real_errors(web: Flask, db: Database):
    doc = web.test_client().get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["Error"] | {"$defs": {}}
    for response in (web.test_client().get("/api/v1/tasks"), web.test_client().get("/api/v1/nope"),
                     web.test_client().post("/api/v1/auth/token", data="{", content_type="application/json")):
        Draft202012Validator(schema).validate(response.get_json())
        assert set(response.get_json()["error"]) == set(schema["properties"]["error"]["properties"])


def test_api_nomination_fields_are_documented(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    doc = web.test_client().get("/api/v1/openapi.json").get_json()
    documented = set(doc["components"]["schemas"]["Nomination"]["properties"])
    body = web.test_client().get(f"/api/v1/nominations/{nid}", headers=bearer(db, "clerk1")).get_json()
    missing = documented - set(body)
    assert not missing, f"documented but never sent: {missing}"
    with db.read() as s:
        assert s.get(Nomination, nid).version == body["version"]
