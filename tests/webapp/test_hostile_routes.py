"""Hostile paths, headers and query strings on every registered route: never a 5xx, on SQLite and PostgreSQL.

The cases are built from ``app.url_map`` (:mod:`tests.webapp.hostile`), so a route added later is walked
without being listed here. Ids beyond what the database column holds (PostgreSQL refuses the bind instead of
finding nothing), NUL and line breaks in path segments and query parameters, hostile Authorization headers:
each must end in a 4xx with a Vietnamese message (JSON under /api/).

None of these cases can act (an attacked path names nothing, a refused header or query string reaches no
handler's work), so one world per backend serves the whole module, and its end checks that nothing in it
moved. Form and JSON bodies, which can act, are in ``test_hostile_bodies.py``, a world per case.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from workflows.persistence.db import Database
from workflows.persistence.decision_model import Decision
from workflows.persistence.model import Attachment, Nomination, TaskItem

from ..conftest import _empty, _seed
from .helpers import json_error, make_app, session_client
from .hostile import (
    CONTROL_VALUES,
    HOSTILE_SEGMENTS,
    IN_RANGE_IDS,
    ODD_VALUES,
    OUT_OF_RANGE_IDS,
    QUERY_PARAMS,
    ROUTES,
    build_world,
    client_for,
    converters,
    failures,
    fill,
    identities,
    refused,
    route_ids,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """The backend, emptied and seeded once for the module (the conftest's ``db`` does so per test)."""
    database = request.getfixturevalue("_sqlite_db" if request.param == "sqlite" else "_pg_db")
    _empty(database)
    _seed(database)
    return database


def _state(db: Database) -> list:
    with db.read() as s:
        return [s.execute(select(t.id, t.version).order_by(t.id)).all() for t in (Nomination, Decision)] + [
            s.execute(select(TaskItem.id, TaskItem.state, TaskItem.claimed_by_id).order_by(TaskItem.id)).all(),
            s.execute(select(Attachment.id).order_by(Attachment.id)).all()]


@pytest.fixture(scope="module")
def world(db: Database) -> Iterator[dict[str, str]]:
    built = build_world(db)
    before = _state(db)
    yield built
    assert _state(db) == before, "a case of this module changed the world: it belongs in test_hostile_bodies.py"


@pytest.fixture(scope="module")
def app(db: Database) -> Flask:
    return make_app(db)


# --- ids and other path values ---------------------------------------------------------------

PATH_ROUTES = [r for r in ROUTES if "<" in r[0]]


@pytest.mark.parametrize(("rule", "method"), PATH_ROUTES, ids=route_ids(PATH_ROUTES))
def test_path_values_out_of_range_are_404_and_nothing_is_a_500(db: Database, app: Flask, world: dict[str, str], rule: str,
                                                               method: str):
    problems: list[str] = []
    for user in identities(rule):
        client, headers = client_for(app, db, rule, user)
        for arg, converter in converters(rule).items():
            values = OUT_OF_RANGE_IDS + IN_RANGE_IDS if converter == "int" else HOSTILE_SEGMENTS
            for value in values:
                path = fill(rule, world, **{arg: value})
                response = client.open(path, method=method, headers=headers)
                failures(app, f"{user} {method} {path[:120]}", response, problems)
                if converter == "int" and value in OUT_OF_RANGE_IDS:
                    refused(path, response, 404, "Không tìm thấy")
    assert not problems, problems


ADMIN_PATH_ROUTES = [r for r in PATH_ROUTES if r[0].startswith("/admin")]


@pytest.mark.redis
@pytest.mark.parametrize(("rule", "method"), ADMIN_PATH_ROUTES, ids=route_ids(ADMIN_PATH_ROUTES))
def test_admin_path_values_with_redis_configured_are_never_a_500(db: Database, redis_url: str, world: dict[str, str],
                                                                 rule: str, method: str):
    """With Redis, job ids reach RQ, which raises for ids it would never have made."""
    app = make_app(db, REDIS_URL=redis_url)
    client = session_client(app, db, "admin")
    problems: list[str] = []
    for arg in converters(rule):
        for value in [*HOSTILE_SEGMENTS, "-", "a" * 201]:
            path = fill(rule, world, **{arg: value})
            failures(app, f"{method} {path[:120]}", client.open(path, method=method), problems)
    assert not problems, problems


AUTHORIZATION = ["Bearer \x00", "Bearer a\x00b", "Bearer " + "x" * 8000, "Bearer ÿþ", "Basic Y2xlcmsxOmRlbW8=", "Bearer",
                 "Bearer  ", "bearer\t\tx", "Bearer %ED%A0%80"]
API_ROUTES = [r for r in ROUTES if r[0].startswith("/api/")]


@pytest.mark.parametrize(("rule", "method"), API_ROUTES, ids=route_ids(API_ROUTES))
def test_hostile_authorization_headers_are_401_never_a_500(app: Flask, world: dict[str, str], rule: str, method: str):
    path = fill(rule, world)
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


@pytest.mark.parametrize(("rule", "method"), GET_ROUTES, ids=route_ids(GET_ROUTES))
def test_control_characters_in_any_query_parameter_are_400(db: Database, app: Flask, world: dict[str, str], rule: str,
                                                           method: str):
    path = fill(rule, world)
    for user in identities(rule)[-1:]:  # logged in, so that the filters would reach the database
        client, headers = client_for(app, db, rule, user)
        for param in QUERY_PARAMS:
            for value in CONTROL_VALUES:
                response = client.get(path, query_string=f"{param}={value}", headers=headers)
                assert response.status_code == 400, (user, param, value, app.config["SERVED_5XX"])
                refused(path, response, 400, "ký tự không hợp lệ")
        response = client.get(path, query_string="%00=1", headers=headers)  # the name counts as much as the value
        refused(path, response, 400, "ký tự không hợp lệ")


@pytest.mark.parametrize(("rule", "method"), GET_ROUTES, ids=route_ids(GET_ROUTES))
def test_odd_query_values_are_never_a_500(db: Database, app: Flask, world: dict[str, str], rule: str, method: str):
    path = fill(rule, world)
    problems: list[str] = []
    for user in identities(rule):
        client, headers = client_for(app, db, rule, user)
        for value in ODD_VALUES:
            query = "&".join(f"{param}={value}" for param in QUERY_PARAMS)
            response = client.get(path, query_string=query, headers=headers)
            failures(app, f"{user} {path}?…={value[:20]}", response, problems)
    assert not problems, problems
