"""Requests that once ended in a 500 on one backend or both: unpaired surrogates in JSON, an If-Match
beyond any version, a username longer than any account. Each is a 4xx and changes nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from workflows.persistence.db import Database
from workflows.persistence.model import LoginAttempt

from ..support import DOSSIER, Driver
from .helpers import bearer, json_error, snapshot


def _utf8_surrogates(body: str) -> bytes:
    r"""The body with each ``\uD8xx`` escape written as the (invalid) UTF-8 bytes of that surrogate.

    Python's JSON decoder reads bytes with ``surrogatepass``, so these arrive as lone surrogates too.
    """
    return re.sub(r"\\u(d[89a-f][0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), body,
                  flags=re.IGNORECASE).encode("utf-8", "surrogatepass")


def test_unpaired_surrogates_in_json_are_400_and_change_nothing(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    cases = [
        ("/api/v1/auth/token", None, '{"username": "clerk1\\ud800", "password": "demo"}'),
        ("/api/v1/auth/token", None, '{"username": "clerk1", "password": "\\udc00demo"}'),
        ("/api/v1/nominations", "clerk1", json.dumps(DOSSIER | {"nominee_name": "Nguyễn \ud800"})),
        (f"/api/v1/tasks/{head}/complete", "head1", '{"data": {"decision": "return", "comment": "\\ud800"}}'),
        (f"/api/v1/tasks/{head}/complete", "head1", '{"data": {"\\udfff": "x"}}'),
        (f"/api/v1/tasks/{head}/complete", "head1", '{"\\ud83d": 1}'),
    ]
    before = snapshot(db)
    for path, user, body in cases:
        assert "\\ud" in body.lower()
        for data in (body, _utf8_surrogates(body)):
            headers = bearer(db, user) if user else {}
            response = web.test_client().post(path, headers=headers, data=data, content_type="application/json")
            error = json_error(response, 400, "bad_request")
            assert "Unicode" in error["message"], (path, data, error)
    assert snapshot(db) == before
    with db.read() as s:
        assert s.scalar(select(func.count(LoginAttempt.id))) == 0  # refused before it was counted



@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_username_longer_than_any_account_is_refused_without_a_500(web: Flask, db: Database, api: bool):
    name = "clerk1" + "x" * 300  # longer than the failure log's key column
    if api:
        response = web.test_client().post("/api/v1/auth/token", json={"username": name, "password": "demo"})
        json_error(response, 401, "unauthorized")
    else:
        response = web.test_client().post("/login", data={"username": name, "password": "demo"})
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["99999999999", "2147483648", "9" * 40])
def test_an_if_match_beyond_any_version_is_400(web: Flask, db: Database, driver: Driver, value: str):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    before = snapshot(db)
    response = web.test_client().post(f"/api/v1/tasks/{head}/complete", headers=bearer(db, "head1") | {"If-Match": value},
                                      json={"data": {"decision": "approve"}})
    json_error(response, 400, "bad_request")
    assert snapshot(db) == before
