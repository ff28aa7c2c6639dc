"""Hostile input on every registered route: never a 5xx, on SQLite and PostgreSQL.

The cases are built from ``app.url_map``, so a route added later is walked without being listed
here. Ids beyond what the database column holds (PostgreSQL refuses the bind instead of finding
nothing), NUL and line breaks in query parameters, form fields full of control characters, JSON
nested 1,000 deep and unpaired surrogates: each must end in a 4xx with a Vietnamese message.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support import SHIPPED_FORMS
from webapp import create_app
from webapp.api.openapi import document
from workflows import services
from workflows.persistence.db import Database
from workflows.queries import reports as report_queries
from workflows.services import decisions, reports

from ..support import Driver
from .helpers import PDF, bearer, html_error, json_error, make_app, session_client

# Only the rule table is read from this app: it never opens its database.
_RULES_APP = create_app({"TESTING": True, "SECRET_KEY": "rules-only", "DATABASE_URL": "sqlite://", "REDIS_URL": None})
ROUTES = sorted({(rule.rule, method) for rule in _RULES_APP.url_map.iter_rules()
                 for method in rule.methods - {"HEAD", "OPTIONS"}})
PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

# Out of the range of PostgreSQL's ``integer`` (and of 64-bit integers), or not a natural number at all.
OUT_OF_RANGE_IDS = ["2147483648", str(2**63), str(2**64), "9" * 40, "-1", "-9223372036854775809"]
IN_RANGE_IDS = ["0", "2147483647"]
HOSTILE_SEGMENTS = ["%00", "a%00b", "%0D%0ASet-Cookie:%20x=1", "%ED%A0%80", "%E2%80%AE", "x" * 3000, "..%2F..%2Finstance"]
QUERY_PARAMS = ["q", "state", "award_form", "step", "name", "unit", "unit_id", "page", "year", "overdue", "next"]
CONTROL_VALUES = ["An%00", "%0D%0ASet-Cookie:%20x=1", "%1B[31m"]
ODD_VALUES = ["%ED%A0%80", "%FF%FE", "9" * 40, "-1", "x" * 3000, "%E2%80%AE", "../../etc/passwd"]
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
SURROGATE_BODIES = ['"\\ud800"', '{"\\udfff": 1}', '{"data": {"comment": "\\ud800"}}',
                    '{"username": "\\ud800", "password": "x"}']


def _route_ids(routes) -> list[str]:
    return [f"{method} {rule}" for rule, method in routes]


def _json_body_paths() -> list[re.Pattern]:
    """The API paths whose OpenAPI document takes a JSON request body."""
    found = []
    for path, ops in document(SHIPPED_FORMS.schema("dossier"), SHIPPED_FORMS.schema("quarterly_report"))["paths"].items():
        if any("application/json" in op.get("requestBody", {}).get("content", {}) for op in ops.values()):
            found.append(re.compile("^/api/v1" + re.sub(r"\{\w+\}", "[^/]+", path) + "$"))
    return found


JSON_BODY_PATHS = _json_body_paths()


@pytest.fixture
def world(db: Database, driver: Driver) -> dict[str, str]:
    """Real ids for the path parameters a case does not attack, so handlers get past the lookup."""
    nid = driver.create()
    att = services.add_attachment(db, driver.uid("clerk1"), nid, "Đơn.pdf", PDF)
    reports.create_for_quarter(db)
    report = report_queries.open_reports(db, driver.uid("clerk1"))[0]["id"]
    waiting = driver.create(award_form="ky_niem_chuong")  # a draft decision for the decision pages
    driver.accept(waiting)
    driver.to_decision(waiting)
    draft = decisions.draft(db, driver.uid("secretary"), [waiting])
    return {"nomination_id": str(nid), "item_id": str(driver.item_for(nid, "clerk1")), "attachment_id": str(att),
            "report_id": str(report), "day": "2026-01-05", "job_id": "no-such-job", "filename": "style.css",
            "decision_id": str(draft)}


def _fill(rule: str, world: dict[str, str], **attack: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(2)
        return attack.get(name, world.get(name, "1"))

    return PLACEHOLDER.sub(value, rule)


def _converters(rule: str) -> dict[str, str]:
    return {m.group(2): m.group(1) or "default" for m in PLACEHOLDER.finditer(rule)}


def _identities(rule: str) -> list[str | None]:
    """Anonymous, a unit clerk and the secretariat; the admin pages as the admin."""
    return ["admin"] if rule.startswith("/admin") else [None, "clerk1", "secretary"]


def _client(app: Flask, db: Database, rule: str, user: str | None) -> tuple[FlaskClient, dict[str, str]]:
    if user is None:
        return app.test_client(), {}
    if rule.startswith("/api/"):
        return app.test_client(), bearer(db, user)
    return session_client(app, db, user), {}


def _failures(app: Flask, label: str, response: TestResponse, problems: list[str]) -> None:
    if response.status_code >= 500:
        problems.append(f"{label} -> {response.status_code} {app.config['SERVED_5XX'][-1:]}")


def _refused(path: str, response: TestResponse, status: int, text: str = "") -> None:
    """The error shape of the path: JSON under /api/ (and /healthz), a Vietnamese page elsewhere."""
    if path.startswith("/api/") or path.startswith("/healthz"):
        error = json_error(response, status)
        assert text in error["message"], error
    else:
        assert text in html_error(response, status)


# --- ids and other path values ---------------------------------------------------------------

PATH_ROUTES = [r for r in ROUTES if "<" in r[0]]


@pytest.mark.parametrize(("rule", "method"), PATH_ROUTES, ids=_route_ids(PATH_ROUTES))
def test_path_values_out_of_range_are_404_and_nothing_is_a_500(db: Database, world: dict[str, str], rule: str,
                                                               method: str):
    app = make_app(db)
    problems: list[str] = []
    for user in _identities(rule):
        client, headers = _client(app, db, rule, user)
        for arg, converter in _converters(rule).items():
            values = OUT_OF_RANGE_IDS + IN_RANGE_IDS if converter == "int" else HOSTILE_SEGMENTS
            for value in values:
                path = _fill(rule, world, **{arg: value})
                response = client.open(path, method=method, headers=headers)
                _failures(app, f"{user} {method} {path[:120]}", response, problems)
                if converter == "int" and value in OUT_OF_RANGE_IDS:
                    _refused(path, response, 404, "Không tìm thấy")
    assert not problems, problems


ADMIN_PATH_ROUTES = [r for r in PATH_ROUTES if r[0].startswith("/admin")]


@pytest.mark.redis
@pytest.mark.parametrize(("rule", "method"), ADMIN_PATH_ROUTES, ids=_route_ids(ADMIN_PATH_ROUTES))
def test_admin_path_values_with_redis_configured_are_never_a_500(db: Database, redis_url: str, world: dict[str, str],
                                                                 rule: str, method: str):
    """With Redis, job ids reach RQ, which raises for ids it would never have made."""
    app = make_app(db, REDIS_URL=redis_url)
    client = session_client(app, db, "admin")
    problems: list[str] = []
    for arg in _converters(rule):
        for value in [*HOSTILE_SEGMENTS, "-", "a" * 201]:
            path = _fill(rule, world, **{arg: value})
            _failures(app, f"{method} {path[:120]}", client.open(path, method=method), problems)
    assert not problems, problems


AUTHORIZATION = ["Bearer \x00", "Bearer a\x00b", "Bearer " + "x" * 8000, "Bearer ÿþ", "Basic Y2xlcmsxOmRlbW8=", "Bearer",
                 "Bearer  ", "bearer\t\tx", "Bearer %ED%A0%80"]
API_ROUTES = [r for r in ROUTES if r[0].startswith("/api/")]


@pytest.mark.parametrize(("rule", "method"), API_ROUTES, ids=_route_ids(API_ROUTES))
def test_hostile_authorization_headers_are_401_never_a_500(db: Database, world: dict[str, str], rule: str, method: str):
    app = make_app(db)
    path = _fill(rule, world)
    open_routes = {"/api/v1/auth/token", "/api/v1/openapi.json"}
    for value in AUTHORIZATION:
        for if_match in (None, "\x00", "9" * 40, "W/\"-1\""):
            headers = {"Authorization": value} | ({"If-Match": if_match} if if_match else {})
            response = app.test_client().open(path, method=method, headers=headers, json={"data": {}})
            assert response.status_code < 500, (value[:20], if_match, app.config["SERVED_5XX"])
            if rule not in open_routes:
                json_error(response, 401, "unauthorized")


# --- query parameters ----------------------------------------------------------------------------

GET_ROUTES = [r for r in ROUTES if r[1] == "GET"]


@pytest.mark.parametrize(("rule", "method"), GET_ROUTES, ids=_route_ids(GET_ROUTES))
def test_control_characters_in_any_query_parameter_are_400(db: Database, world: dict[str, str], rule: str,
                                                           method: str):
    app = make_app(db)
    path = _fill(rule, world)
    for user in _identities(rule)[-1:]:  # logged in, so that the filters would reach the database
        client, headers = _client(app, db, rule, user)
        for param in QUERY_PARAMS:
            for value in CONTROL_VALUES:
                response = client.get(path, query_string=f"{param}={value}", headers=headers)
                assert response.status_code == 400, (user, param, value, app.config["SERVED_5XX"])
                _refused(path, response, 400, "ký tự không hợp lệ")
        response = client.get(path, query_string="%00=1", headers=headers)  # the name counts as much as the value
        _refused(path, response, 400, "ký tự không hợp lệ")


@pytest.mark.parametrize(("rule", "method"), GET_ROUTES, ids=_route_ids(GET_ROUTES))
def test_odd_query_values_are_never_a_500(db: Database, world: dict[str, str], rule: str, method: str):
    app = make_app(db)
    path = _fill(rule, world)
    problems: list[str] = []
    for user in _identities(rule):
        client, headers = _client(app, db, rule, user)
        for value in ODD_VALUES:
            query = "&".join(f"{param}={value}" for param in QUERY_PARAMS)
            response = client.get(path, query_string=query, headers=headers)
            _failures(app, f"{user} {path}?…={value[:20]}", response, problems)
    assert not problems, problems


# --- form bodies ---------------------------------------------------------------------------------

POST_ROUTES = [r for r in ROUTES if r[1] in ("POST", "PUT", "PATCH", "DELETE")]
FORM_FIELDS = sorted({name for form in ("dossier", "head_review", "secretariat_check", "appraisal", "minister_sign",
                                        "disclosure", "vote", "quarterly_report") for name in SHIPPED_FORMS.field_names(form)}
                     | {"username", "password", "day", "kind", "note", "_version", "decision", "number", "date", "title",
                        "reason", "nomination_ids", "group"})
# Valid choices, so that free-text fields are read too (a wrong "kind" would be refused before the "note").
FORM_CHOICES = {"day": "2026-01-05", "kind": "off", "decision": "return", "nominee_kind": "individual",
                "award_form": "bang_khen_bo_truong", "year": "2026", "vote": "agree", "field": "Khác"}
FORM_VALUES = ["\x00", "a\x00b", "An\r\nBcc: x@example.org", "\u202eexe.fdp", "\x1b[2J", "x" * 30000, "-1",
               "9" * 40]


@pytest.mark.parametrize(("rule", "method"), POST_ROUTES, ids=_route_ids(POST_ROUTES))
def test_hostile_form_fields_are_never_a_500(db: Database, world: dict[str, str], rule: str, method: str):
    app = make_app(db)
    path = _fill(rule, world)
    problems: list[str] = []
    for user in _identities(rule):
        client, headers = _client(app, db, rule, user)
        for value in FORM_VALUES:
            for choices in ({}, FORM_CHOICES):
                data: dict[str, Any] = dict.fromkeys(FORM_FIELDS, value) | choices
                if rule.endswith("/attachments"):
                    data["file"] = (io.BytesIO(PDF), f"Đơn{value[:50]}.pdf")
                response = client.open(path, method=method, headers=headers, data=data)
                _failures(app, f"{user} {method} {path} {value[:20]!r} {bool(choices)}", response, problems)
    assert not problems, problems


# --- JSON bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "method"), POST_ROUTES, ids=_route_ids(POST_ROUTES))
def test_deep_and_surrogate_json_is_400_on_json_endpoints_and_never_a_500(db: Database, world: dict[str, str],
                                                                          rule: str, method: str):
    app = make_app(db)
    path = _fill(rule, world)
    reads_json = any(p.match(path) for p in JSON_BODY_PATHS)
    problems: list[str] = []
    for user in _identities(rule):
        if reads_json and user is None and path != "/api/v1/auth/token":
            continue  # refused for the missing token before the body is read
        client, headers = _client(app, db, rule, user)
        for label, body in [("array", DEEP_ARRAY), ("object", DEEP_OBJECT)] + [("surrogate", b) for b in SURROGATE_BODIES]:
            response = client.open(path, method=method, headers=headers, data=body, content_type="application/json")
            _failures(app, f"{user} {method} {path} {label}", response, problems)
            if reads_json:
                expected = "quá sâu" if label != "surrogate" else "Unicode"
                error = json_error(response, 400, "bad_request")
                assert expected in error["message"], (label, error)
    assert not problems, problems
