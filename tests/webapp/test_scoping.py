"""Who may see and do what, on every page and API endpoint: one table, read as the access policy.

Scenario (on SQLite and PostgreSQL), both nominations of unit CUC_BDDT (clerk1/head1):

* ``{a}``: submitted by clerk1, waiting for head1 at ``head_review`` (task ``{head}``); attachment ``{att}``.
* ``{b}``: in the council's open round ``{round}``; council1's ballot is ``{ballot}``; attachment ``{batt}``.

Every row states the user, the request and the expected status. ``listed`` says whether ``{a}`` (nomination
lists) or ``{head}`` (task lists) appears in a list answer. A row that is refused, or only reads, must change
nothing (nominations, tasks, workflow states, attachments, files, audit trail); a row that succeeds in
changing something must change something.

Building the scenario costs more than a row, so it is built once per backend and reused for as long as the
database still matches it exactly (fingerprint below); any row that changed something, or any other test
that used the database in between, makes the next row start again from an empty database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from webapp.errors import CODES
from workflows import services
from workflows.persistence.db import Database
from workflows.persistence.model import LoginAttempt, User
from workflows.services.demo import seed_people

from ..conftest import _empty
from ..support import APPROVE, DOSSIER, PASSPHRASE, Driver
from .helpers import PDF, bearer, html_error, json_error, login_form, make_app, session_client, snapshot

ANON = None


@dataclass(frozen=True)
class Row:
    user: str | None  # username; "cookie:NAME" = API call carrying only NAME's web session cookie
    request: str  # "METHOD /path/{placeholder}"
    status: int
    listed: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.user or 'anonymous'} {self.request} -> {self.status}"


R = Row
ROWS = [
    # --- not logged in: pages redirect to the login form, the API answers 401 JSON (never a redirect) ---
    R(ANON, "GET /", 302),
    R(ANON, "GET /tasks/{head}", 302),
    R(ANON, "POST /tasks/{head}", 302),
    R(ANON, "POST /nominations/new", 302),
    R(ANON, "GET /nominations/{a}", 302),
    R(ANON, "POST /nominations/{a}/attachments", 302),
    R(ANON, "GET /nominations/{a}/attachments/{att}", 302),
    R(ANON, "POST /nominations/{b}/close-vote", 302),
    R(ANON, "GET /api/v1/nominations", 401),
    R(ANON, "POST /api/v1/nominations", 401),
    R(ANON, "GET /api/v1/nominations/{a}", 401),
    R(ANON, "GET /api/v1/nominations/{a}/history", 401),
    R(ANON, "POST /api/v1/nominations/{a}/attachments", 401),
    R(ANON, "GET /api/v1/nominations/{a}/attachments/{att}", 401),
    R(ANON, "POST /api/v1/nominations/{b}/close-vote", 401),
    R(ANON, "GET /api/v1/tasks", 401),
    R(ANON, "GET /api/v1/tasks/{head}", 401),
    R(ANON, "POST /api/v1/tasks/{head}/complete", 401),
    # --- the web session cookie is never accepted by the API ---
    R("cookie:clerk1", "GET /api/v1/nominations", 401),
    R("cookie:head1", "POST /api/v1/tasks/{head}/complete", 401),
    # --- clerk1, the proposing unit's clerk: sees the dossier, may attach, may not act for the head ---
    R("clerk1", "GET /", 200, listed=False),
    R("clerk1", "GET /nominations/", 200, listed=True),
    R("clerk1", "GET /nominations/new", 200),
    R("clerk1", "POST /nominations/new", 302),
    R("clerk1", "GET /nominations/{a}", 200),
    R("clerk1", "GET /tasks/{head}", 200),
    R("clerk1", "POST /tasks/{head}", 403),
    R("clerk1", "POST /nominations/{a}/attachments", 302),
    R("clerk1", "GET /nominations/{a}/attachments/{att}", 200),
    R("clerk1", "POST /nominations/{b}/close-vote", 403),
    R("clerk1", "GET /api/v1/nominations", 200, listed=True),
    R("clerk1", "POST /api/v1/nominations", 201),
    R("clerk1", "GET /api/v1/nominations/{a}/history", 200),
    R("clerk1", "POST /api/v1/nominations/{a}/attachments", 201),
    R("clerk1", "GET /api/v1/tasks", 200, listed=False),
    R("clerk1", "GET /api/v1/tasks/{head}", 200),
    R("clerk1", "POST /api/v1/tasks/{head}/complete", 403),
    # --- head1: the task is theirs ---
    R("head1", "GET /", 200, listed=True),
    R("head1", "POST /tasks/{head}", 302),
    R("head1", "GET /api/v1/tasks", 200, listed=True),
    R("head1", "POST /api/v1/tasks/{head}/complete", 200),
    # --- clerk2 and head2, another unit: the nomination and its tasks do not exist for them ---
    R("clerk2", "GET /nominations/", 200, listed=False),
    R("clerk2", "GET /nominations/{a}", 404),
    R("clerk2", "GET /tasks/{head}", 404),
    R("clerk2", "POST /tasks/{head}", 404),
    R("clerk2", "POST /nominations/{a}/attachments", 404),
    R("clerk2", "GET /nominations/{a}/attachments/{att}", 404),
    R("clerk2", "GET /api/v1/nominations", 200, listed=False),
    R("clerk2", "GET /api/v1/nominations/{a}", 404),
    R("clerk2", "POST /api/v1/nominations/{a}/attachments", 404),
    R("clerk2", "GET /api/v1/nominations/{a}/attachments/{att}", 404),
    R("clerk2", "GET /api/v1/tasks/{head}", 404),
    R("clerk2", "POST /api/v1/tasks/{head}/complete", 404),
    R("head2", "GET /", 200, listed=False),
    R("head2", "POST /nominations/new", 403),
    R("head2", "POST /nominations/{b}/close-vote", 404),
    R("head2", "GET /api/v1/tasks", 200, listed=False),
    R("head2", "POST /api/v1/tasks/{head}/complete", 404),
    R("head2", "POST /api/v1/nominations/{b}/close-vote", 404),
    R("head2", "POST /api/v1/nominations", 403),
    # --- council members see a nomination only once they are called to a round that holds it ---
    R("council1", "GET /nominations/", 200, listed=False),
    R("council1", "GET /nominations/{a}", 404),
    R("council1", "GET /nominations/{b}", 200),
    R("council1", "GET /nominations/{b}/attachments/{batt}", 200),
    R("council1", "GET /tasks/{ballot}", 200),
    R("council1", "POST /tasks/{ballot}", 200),  # the page shows the receipt, once
    R("council1", "GET /api/v1/nominations/{a}", 404),
    R("council1", "GET /api/v1/nominations/{b}/history", 200),
    R("council1", "POST /api/v1/tasks/{ballot}/complete", 200),
    R("council1", "POST /api/v1/nominations/{b}/attachments", 403),
    R("council1", "POST /api/v1/nominations/{b}/close-vote", 403),
    R("council2", "POST /tasks/{ballot}", 404),  # someone else's ballot does not exist for them
    R("council2", "POST /api/v1/tasks/{ballot}/complete", 404),
    R("council1", "GET /api/v1/rounds/{round}", 200),
    R("council1", "POST /api/v1/rounds/{round}/close", 403),
    R("clerk1", "GET /api/v1/rounds/{round}", 404),  # rounds are the council's: units do not see them
    R("clerk2", "GET /rounds/{round}", 404),
    R("auditor", "GET /api/v1/rounds/{round}", 200),
    R("auditor", "GET /rounds/{round}", 200),
    R("auditor", "POST /api/v1/rounds/{round}/close", 403),
    R("secretary", "POST /api/v1/rounds/{round}/close", 403),
    R("secretary", "POST /api/v1/rounds/{round}/open", 409),
    R("minister", "POST /api/v1/rounds/{round}/close", 200),
    R("minister", "POST /rounds/{round}/close", 302),
    # --- drafts: saved and files deleted only at the draft step ({a} is submitted), never by others ---
    R(ANON, "PUT /api/v1/nominations/{a}/draft", 401),
    R(ANON, "DELETE /api/v1/nominations/{a}/attachments/{att}", 401),
    R("clerk1", "PUT /api/v1/nominations/{a}/draft", 409),
    R("clerk1", "DELETE /api/v1/nominations/{a}/attachments/{att}", 409),
    R("head1", "DELETE /api/v1/nominations/{a}/attachments/{att}", 403),
    R("clerk2", "PUT /api/v1/nominations/{a}/draft", 404),
    R("clerk2", "DELETE /api/v1/nominations/{a}/attachments/{att}", 404),
    R("auditor", "PUT /api/v1/nominations/{a}/draft", 403),
    R("auditor", "DELETE /api/v1/nominations/{a}/attachments/{att}", 403),
    # --- the auditor reads everything and changes nothing ---
    R("auditor", "GET /nominations/", 200, listed=True),
    R("auditor", "GET /nominations/{a}", 200),
    R("auditor", "GET /tasks/{head}", 200),
    R("auditor", "GET /nominations/{a}/attachments/{att}", 200),
    R("auditor", "GET /nominations/new", 403),
    R("auditor", "POST /nominations/new", 403),
    R("auditor", "POST /tasks/{head}", 403),
    R("auditor", "POST /nominations/{a}/attachments", 403),
    R("auditor", "POST /nominations/{b}/close-vote", 403),
    R("auditor", "GET /api/v1/nominations", 200, listed=True),
    R("auditor", "GET /api/v1/nominations/{a}", 200),
    R("auditor", "GET /api/v1/nominations/{a}/history", 200),
    R("auditor", "GET /api/v1/nominations/{a}/attachments/{att}", 200),
    R("auditor", "GET /api/v1/tasks/{head}", 200),
    R("auditor", "POST /api/v1/nominations", 403),
    R("auditor", "POST /api/v1/nominations/{a}/attachments", 403),
    R("auditor", "POST /api/v1/nominations/{b}/close-vote", 403),
    R("auditor", "POST /api/v1/tasks/{head}/complete", 403),
    # --- only the secretariat closes a per-dossier ballot (versions before rounds); {b} waits for a round ---
    R("secretary", "POST /nominations/{b}/close-vote", 409),
    R("secretary", "POST /api/v1/nominations/{b}/close-vote", 409),
    R("secretary", "POST /api/v1/nominations/{a}/close-vote", 409),
    R("secretary", "POST /api/v1/tasks/{head}/complete", 403),
    R("secretary", "POST /api/v1/nominations", 403),
    R("reviewer", "POST /api/v1/nominations/{b}/close-vote", 403),
    R("minister", "POST /nominations/{b}/close-vote", 403),
    R("deputy", "GET /api/v1/nominations/{b}", 200),
    R("admin", "POST /api/v1/nominations/{b}/close-vote", 403),
]


@dataclass(frozen=True)
class Scenario:
    a: int
    head: int
    att: int
    b: int
    round: int
    ballot: int
    batt: int


def build(db: Database) -> Scenario:
    d = Driver(db)
    b = d.create(nominee_name="Trần Thị Bình")
    batt = services.add_attachment(db, d.uid("clerk1"), b, "Minh chứng.pdf", PDF)
    d.submit(b)
    d.act(b, "secretary", APPROVE)
    d.ensure_passphrase()
    round_id = d.open([b])
    a = d.create()
    att = services.add_attachment(db, d.uid("clerk1"), a, "Đơn đề nghị.pdf", PDF)
    d.act(a, "clerk1", {})
    return Scenario(a=a, head=d.item_for(a, "head1"), att=att, b=b, round=round_id,
                    ballot=d.ballot_item(round_id, "council1"), batt=batt)


def _body(method: str, template: str, api: bool, scenario: Scenario) -> dict:
    """What each request sends: a valid form or file, so that only the policy can refuse it."""
    if method == "PUT":  # a saved draft
        return {"json": {"nominee_position": "Phó Trưởng phòng"}}
    if method != "POST" or template.endswith("/close-vote") or template.endswith("/open"):
        return {}
    if template.endswith("/close"):
        return {"json": {"passphrase": PASSPHRASE}} if api else {"data": {"passphrase": PASSPHRASE}}
    if "{ballot}" in template:
        return {"json": {"data": {"votes": {str(scenario.b): "agree"}}}} if api else {"data": {f"votes.{scenario.b}": "agree"}}
    task_data = APPROVE
    if template.endswith("/attachments"):
        return {"data": {"file": (io.BytesIO(PDF), "Tờ trình.pdf")}, "content_type": "multipart/form-data"}
    if template.endswith("/complete"):
        return {"json": {"data": task_data}}
    if api:  # POST /api/v1/nominations
        return {"json": DOSSIER}
    if template == "/nominations/new":
        return {"data": {k: str(v) for k, v in DOSSIER.items()}}
    return {"data": task_data}  # POST /tasks/<id>


@dataclass
class World:
    db: Database
    scenario: Scenario
    app: Flask
    fingerprint: dict


_worlds: dict[str, World] = {}


def _fingerprint(db: Database) -> dict:
    with db.read() as s:
        users = [tuple(r) for r in s.execute(select(User.id, User.session_token, User.active).order_by(User.id))]
        attempts = s.scalar(select(func.count(LoginAttempt.id)))
    return snapshot(db) | {"users": users, "login_attempts": attempts}


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest) -> World:
    """The scenario on an otherwise empty database of each backend (see the module docstring)."""
    db = request.getfixturevalue("_sqlite_db" if request.param == "sqlite" else "_pg_db")
    cached = _worlds.get(request.param)
    if cached is None or cached.db is not db or _fingerprint(db) != cached.fingerprint:
        _empty(db)
        seed_people(db)
        scenario = build(db)
        cached = _worlds[request.param] = World(db, scenario, make_app(db), _fingerprint(db))
    cached.app.config["SERVED_5XX"].clear()
    return cached


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_access_policy(row: Row, world: World):
    db, scenario, app = world.db, world.scenario, world.app
    method, template = row.request.split(" ", 1)
    path = template.format(**scenario.__dict__)
    api = path.startswith("/api/")
    headers = {}
    if row.user is None:
        client = app.test_client()
    elif row.user.startswith("cookie:"):
        client = app.test_client()
        assert login_form(client, row.user.removeprefix("cookie:")).status_code == 302
        assert client.get("/").status_code == 200  # the session cookie does work on the pages
    elif api:
        client, headers = app.test_client(), bearer(db, row.user)
    else:
        client = session_client(app, db, row.user)

    before = snapshot(db)
    response = client.open(path, method=method, headers=headers, **_body(method, template, api, scenario))
    after = snapshot(db)

    assert response.status_code == row.status, response.get_data(as_text=True)[:400]
    if api:
        if row.status >= 400:
            json_error(response, row.status, CODES[row.status])
        elif "/attachments/" not in path:
            assert response.mimetype == "application/json"
    elif row.status >= 400:
        html_error(response, row.status)
    elif row.status == 302 and row.user is None:
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login" and parse_qs(location.query)["next"] == [path]
    if row.listed is not None:
        listed = str(scenario.head if template in ("/", "/api/v1/tasks") else scenario.a)
        if api:
            ids = [str(item["id"]) for item in response.get_json()["items"]]
            assert (listed in ids) is row.listed, ids
        else:
            link = f'href="/tasks/{listed}"' if template == "/" else f'href="/nominations/{listed}"'
            assert (link in response.get_data(as_text=True)) is row.listed

    changes = method == "POST" and row.user is not None and row.status in (200, 201, 302)
    if changes:
        assert after != before, "a request that succeeded changed nothing"
    else:
        assert after == before, "a refused or read-only request changed something"
    assert not app.config["SERVED_5XX"]
