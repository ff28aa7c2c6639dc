"""Hostile form and JSON bodies on every route that takes a body: never a 5xx, on SQLite and PostgreSQL.

Form fields full of control characters, line breaks and overlong values, with and without valid choices so
that free text is read too; JSON nested 1,000 deep and unpaired surrogates, a 400 on every JSON endpoint.
These bodies may act (a logout, a claim, a draft saved), so each case gets a world of its own.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.support import SHIPPED_FORMS
from webapp.api.openapi import document
from workflows.persistence.db import Database

from .helpers import PDF, json_error, make_app
from .hostile import ROUTES, build_world, client_for, converters, failures, fill, identities, route_ids

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
SURROGATE_BODIES = ['"\\ud800"', '{"\\udfff": 1}', '{"data": {"comment": "\\ud800"}}',
                    '{"username": "\\ud800", "password": "x"}']


def _json_body_paths() -> list[re.Pattern]:
    """The API paths whose OpenAPI document takes a JSON request body."""
    found = []
    for path, ops in document(SHIPPED_FORMS.schema("dossier"), SHIPPED_FORMS.schema("quarterly_report"))["paths"].items():
        if any("application/json" in op.get("requestBody", {}).get("content", {}) for op in ops.values()):
            found.append(re.compile("^/api/v1" + re.sub(r"\{\w+\}", "[^/]+", path) + "$"))
    return found


JSON_BODY_PATHS = _json_body_paths()


@pytest.fixture
def world(db: Database, rule: str) -> dict[str, str]:
    """What this rule's path names, built for this case alone."""
    return build_world(db, set(converters(rule)))


# --- form bodies ---------------------------------------------------------------------------------

POST_ROUTES = [r for r in ROUTES if r[1] in ("POST", "PUT", "PATCH", "DELETE")]
FORM_FIELDS = sorted({name for form in ("dossier", "head_review", "secretariat_check", "appraisal", "minister_sign",
                                        "disclosure", "vote", "quarterly_report") for name in SHIPPED_FORMS.field_names(form)}
                     | {"username", "password", "day", "kind", "note", "_version", "decision", "number", "date", "title",
                        "reason", "nomination_ids", "group"})
# Valid choices, so that free-text fields are read too (a wrong "kind" would be refused before the "note").
FORM_CHOICES = {"day": "2026-01-05", "kind": "off", "decision": "return", "nominee_kind": "individual",
                "award_form": "bang_khen_bo_truong", "year": "2026", "vote": "agree", "field": "Khác"}
# One of each kind a validator tells apart: NUL (a control character), a line break, a bidi override, too long,
# negative, beyond any integer column.
FORM_VALUES = ["a\x00b", "An\r\nBcc: x@example.org", "\u202eexe.fdp", "x" * 30000, "-1", "9" * 40]


@pytest.mark.parametrize(("rule", "method"), POST_ROUTES, ids=route_ids(POST_ROUTES))
def test_hostile_form_fields_are_never_a_500(db: Database, world: dict[str, str], rule: str, method: str):
    app = make_app(db)
    path = fill(rule, world)
    problems: list[str] = []
    for user in identities(rule):
        client, headers = client_for(app, db, rule, user)
        for value in FORM_VALUES:
            for choices in ({}, FORM_CHOICES):
                data: dict[str, Any] = dict.fromkeys(FORM_FIELDS, value) | choices
                if rule.endswith("/attachments"):
                    data["file"] = (io.BytesIO(PDF), f"Đơn{value[:50]}.pdf")
                response = client.open(path, method=method, headers=headers, data=data)
                failures(app, f"{user} {method} {path} {value[:20]!r} {bool(choices)}", response, problems)
    assert not problems, problems


# --- JSON bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "method"), POST_ROUTES, ids=route_ids(POST_ROUTES))
def test_deep_and_surrogate_json_is_400_on_json_endpoints_and_never_a_500(db: Database, world: dict[str, str],
                                                                          rule: str, method: str):
    app = make_app(db)
    path = fill(rule, world)
    reads_json = any(p.match(path) for p in JSON_BODY_PATHS)
    problems: list[str] = []
    for user in identities(rule):
        if reads_json and user is None and path != "/api/v1/auth/token":
            continue  # refused for the missing token before the body is read
        client, headers = client_for(app, db, rule, user)
        for label, body in [("array", DEEP_ARRAY), ("object", DEEP_OBJECT)] + [("surrogate", b) for b in SURROGATE_BODIES]:
            response = client.open(path, method=method, headers=headers, data=body, content_type="application/json")
            failures(app, f"{user} {method} {path} {label}", response, problems)
            if reads_json:
                expected = "quá sâu" if label != "surrogate" else "Unicode"
                error = json_error(response, 400, "bad_request")
                assert expected in error["message"], (label, error)
    assert not problems, problems
