"""The password page: a temporary password leads there from every page (and the API refuses it a token), a
refused change answers 422 with the error summary in Vietnamese, a change keeps this browser signed in and signs
out every other; the form needs its CSRF token."""

from __future__ import annotations

from flask import Flask

from workflows.persistence.db import Database
from workflows.services import accounts

from ..support import Driver
from ..workflows.test_user_admin import new_clerk
from .helpers import csrf_token_in, html_error, json_error, login_form, make_app, session_client, snapshot, user_id

NEW = "hoa sen nở giữa hồ"


def test_a_temporary_password_leads_to_the_page_that_changes_it(web: Flask, db: Database):
    uid, temporary = new_clerk(db, Driver(db).uid("admin"))
    browser = web.test_client()
    assert login_form(browser, "clerk3", temporary).status_code == 302
    other = session_client(web, db, "clerk3")  # the same user in another browser
    for path in ("/", "/nominations/", "/notifications", "/registry/"):
        sent = browser.get(path)
        assert sent.status_code == 302 and sent.headers["Location"] == "/account/password", path
    page = browser.get("/account/password").get_data(as_text=True)
    assert "mật khẩu tạm thời" in page and 'autocomplete="new-password"' in page
    json_error(web.test_client().post("/api/v1/auth/token", json={"username": "clerk3", "password": temporary}),
               403, "password_change_required")

    refused = browser.post("/account/password", data={"current_password": temporary, "new_password": "ngắn",
                                                      "confirm_password": "ngắn"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and html.count('class="error-summary"') == 1 and "ít nhất 10 ký tự" in html
    assert 'href="#f-new_password"' in html and 'id="f-new_password"' in html and 'aria-invalid="true"' in html
    assert accounts.authenticate(db, "clerk3", temporary).id == uid  # nothing changed

    done = browser.post("/account/password", data={"current_password": temporary, "new_password": NEW,
                                                   "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert browser.get("/").status_code == 200  # this browser stays signed in, with the new session token
    assert other.get("/").headers["Location"].startswith("/login")  # the other one is signed out
    token = web.test_client().post("/api/v1/auth/token", json={"username": "clerk3", "password": NEW})
    assert token.status_code == 200 and token.get_json()["token"]
    assert not web.config["SERVED_5XX"]


def test_anyone_changes_their_own_password_from_the_header(web: Flask, db: Database):
    browser = session_client(web, db, "auditor")  # auditors read everything, and keep their own password
    assert 'href="/account/password"' in browser.get("/").get_data(as_text=True)
    wrong = browser.post("/account/password", data={"current_password": "not-it", "new_password": NEW,
                                                    "confirm_password": NEW})
    assert wrong.status_code == 422 and "Mật khẩu đang dùng không đúng" in wrong.get_data(as_text=True)
    done = browser.post("/account/password", data={"current_password": "demo", "new_password": NEW,
                                                   "confirm_password": NEW}, follow_redirects=True)
    assert "Đã đổi mật khẩu" in done.get_data(as_text=True)
    assert accounts.authenticate(db, "auditor", NEW).id == user_id(db, "auditor")


def test_the_form_needs_its_csrf_token(db: Database):
    app = make_app(db, csrf=True)
    browser = session_client(app, db, "secretary")
    before = snapshot(db)
    html_error(browser.post("/account/password", data={"current_password": "demo", "new_password": NEW,
                                                       "confirm_password": NEW}), 400)
    assert snapshot(db) == before
    token = csrf_token_in(browser.get("/account/password").get_data(as_text=True))
    done = browser.post("/account/password", data={"csrf_token": token, "current_password": "demo",
                                                   "new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302
    assert not app.config["SERVED_5XX"]
