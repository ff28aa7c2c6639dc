"""What the hostile-input tests share: every registered route, how a case fills its path, who sends it, and
what counts as a failure (``test_hostile_routes.py``: paths, headers and query strings, which change
nothing; ``test_hostile_bodies.py``: form and JSON bodies, each case on a world of its own)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from webapp import create_app
from workflows import services
from workflows.persistence.db import Database
from workflows.queries import reports as report_queries
from workflows.services import decisions, reports

from ..support import Driver
from .helpers import PDF, bearer, html_error, json_error, session_client

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


def route_ids(routes) -> list[str]:
    return [f"{method} {rule}" for rule, method in routes]


def build_world(db: Database, names: set[str] | None = None) -> dict[str, str]:
    """Real ids for the path parameters a case does not attack, so handlers get past the lookup: those of
    ``names`` (a rule's placeholders), or all of them."""
    driver, world = Driver(db), {"day": "2026-01-05", "job_id": "no-such-job", "filename": "style.css"}
    wanted = (lambda *keys: True) if names is None else (lambda *keys: bool(names & set(keys)))
    if wanted("nomination_id", "item_id", "attachment_id"):
        nid = driver.create()
        att = services.add_attachment(db, driver.uid("clerk1"), nid, "Đơn.pdf", PDF)
        world |= {"nomination_id": str(nid), "item_id": str(driver.item_for(nid, "clerk1")), "attachment_id": str(att)}
    if wanted("report_id"):
        reports.create_for_quarter(db)
        world["report_id"] = str(report_queries.open_reports(db, driver.uid("clerk1"))[0]["id"])
    if wanted("decision_id"):  # a draft decision for the decision pages
        waiting = driver.create(award_form="ky_niem_chuong")
        driver.accept(waiting)
        driver.to_decision(waiting)
        world["decision_id"] = str(decisions.draft(db, driver.uid("secretary"), [waiting]))
    return world


def fill(rule: str, world: dict[str, str], **attack: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(2)
        return attack.get(name, world.get(name, "1"))

    return PLACEHOLDER.sub(value, rule)


def converters(rule: str) -> dict[str, str]:
    return {m.group(2): m.group(1) or "default" for m in PLACEHOLDER.finditer(rule)}


def identities(rule: str) -> list[str | None]:
    """Anonymous, a unit clerk and the secretariat; the admin pages as the admin."""
    return ["admin"] if rule.startswith("/admin") else [None, "clerk1", "secretary"]


def client_for(app: Flask, db: Database, rule: str, user: str | None) -> tuple[FlaskClient, dict[str, str]]:
    if user is None:
        return app.test_client(), {}
    if rule.startswith("/api/"):
        return app.test_client(), bearer(db, user)
    return session_client(app, db, user), {}


def failures(app: Flask, label: str, response: TestResponse, problems: list[str]) -> None:
    if response.status_code >= 500:
        problems.append(f"{label} -> {response.status_code} {app.config['SERVED_5XX'][-1:]}")


def refused(path: str, response: TestResponse, status: int, text: str = "") -> None:
    """The error shape of the path: JSON under /api/ (and /healthz), a Vietnamese page elsewhere."""
    if path.startswith("/api/") or path.startswith("/healthz"):
        error = json_error(response, status)
        assert text in error["message"], error
    else:
        assert text in html_error(response, status)
