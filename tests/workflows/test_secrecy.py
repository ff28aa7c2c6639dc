"""Secrecy of the per-dossier ballot (versions before council rounds): nothing ties a member to a choice.

The only trace of the choices is the tally (``nominations.votes_agree``/``votes_disagree``
and, once the ballot closes, ``council_result`` and the system's ``council_result`` event).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, Base, InstanceState, Nomination, TaskItem, User

from ..support import COUNCIL, Driver

# council1..4 agree, council5..9 disagree; the mirror has the same tally with other people.
PATTERN = ["agree"] * 4 + ["disagree"] * 5
MIRROR = ["disagree"] * 5 + ["agree"] * 4
CHOICE = re.compile(r"agree", re.IGNORECASE)  # also matches "disagree"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def at_council(driver: Driver) -> int:
    nid = driver.create()
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["council_vote"]
    return nid


def as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def every_row(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """(table, row as a dict) for every row of every table in the model."""
    rows = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows += [(table.name, dict(row._mapping)) for row in conn.execute(select(table))]
    return rows


def state_of(db: Database, nid: int) -> dict[str, Any]:
    with db.read() as s:
        return json.loads(s.get(InstanceState, nid).state)


def task_data(state: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(task spec, data) for every task of the workflow and of its subprocesses, plus the workflow data."""
    found = [("<workflow>", state.get("data") or {})]
    for tasks in [state["tasks"], *(sub["tasks"] for sub in (state.get("subprocesses") or {}).values())]:
        for task in tasks.values():
            found.append((task["task_spec"], task.get("data") or {}))
            found.append((task["task_spec"] + " (internal)", task.get("internal_data") or {}))
    return found


def choice_mentions(value: Any, path: str = "") -> list[str]:
    """Paths of every key or string value that names a choice (or a ``vote`` key)."""
    hits = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if CHOICE.search(str(key)) or str(key) == "vote":
                hits.append(f"{path}.{key}")
            hits += choice_mentions(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            hits += choice_mentions(inner, f"{path}[{i}]")
    elif isinstance(value, str) and CHOICE.search(value):
        hits.append(f"{path}={value!r}")
    return hits


def events(db: Database, nid: int) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid).order_by(AuditEvent.seq)))


def test_the_schema_has_no_place_for_an_individual_choice():
    vote_columns = {f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
                    if re.search(r"vote|choice|ballot|agree", c.name)} - {
        "award_forms.needs_vote", "council_rules.chair_votes", "nominations.ballot_size",  # rules and a size, not choices
        "round_members.voted", "council_rounds.ballots_cast"}  # whether and how many voted, never how
    # The per-dossier tally of routes without rounds, and a round's decrypted total, written at its close only.
    assert vote_columns == {"nominations.votes_agree", "nominations.votes_disagree", "round_dossiers.agree"}


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_no_row_state_or_log_ties_a_member_to_a_choice(driver: Driver, caplog):
    db = driver.db
    nid = at_council(driver)
    caplog.set_level(logging.WARNING, logger="sqlalchemy")  # SQL echo stays off, as in production
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level
    driver.vote(nid, PATTERN)
    records = list(caplog.records)

    # The tally, and the result once the ballot closed, are the only traces of the choices.
    nom = driver.nomination(nid)
    assert (nom.votes_agree, nom.votes_disagree) == (4, 5)
    assert (nom.council_result["agree"], nom.council_result["disagree"], nom.council_result["present"]) == (4, 5, 9)

    # 1. Every column of every row of every table, as text.
    leaks = []
    for table, row in every_row(db):
        for column, value in row.items():
            if not CHOICE.search(as_text(value)):
                continue
            if table == "nominations" and column == "council_result":
                continue
            if table == "process_models" and column in ("forms", "bpmn_xml"):
                continue  # the deployed ballot form names the choices it offers
            if (table == "audit_events" and column == "changes" and row["action"] == "council_result"
                    and row["actor_id"] is None and row["role"] is None and set(value) == {"council_result"}):
                continue  # the system's record of the closed ballot: counts only, no member
            leaks.append(f"{table}.{column} (row {row.get('id', row)}): {as_text(value)[:120]}")
    assert not leaks, leaks

    # 2. Every task's data in the serialized workflow state (and the raw JSON as a whole).
    state = state_of(db, nid)
    assert not [(spec, hit) for spec, data in task_data(state) for hit in choice_mentions(data)]
    assert not CHOICE.search(json.dumps(state))

    # 3. The inbox rows of the ballot and the members' audit events carry no choice.
    with db.read() as s:
        ballots = s.scalars(select(TaskItem).where(TaskItem.nomination_id == nid, TaskItem.name == "council_vote")
                            .order_by(TaskItem.id)).all()
    assert len(ballots) == 9 and {b.state for b in ballots} == {"completed"} and {b.form for b in ballots} == {"vote"}
    voted = [e for e in events(db, nid) if e.action == "voted"]
    assert [e.actor for e in voted] == COUNCIL
    assert {(e.role, e.task, e.comment, e.changes) for e in voted} == {("council_member", "council_vote", None, None)}
    closing = [e for e in events(db, nid) if e.action == "council_result"]
    assert len(closing) == 1 and closing[0].actor == "system" and closing[0].actor_id is None
    assert audit.verify_chain(events(db, nid)) is None

    # 4. Everything logged while the members voted.
    assert records, "nothing was logged at DEBUG: the log scan would prove nothing"
    logged = [f"{r.name}: {r.getMessage()} {r.__dict__!r}" for r in records]
    assert not [line[:200] for line in logged if CHOICE.search(line)]


def _normalized_state(state: dict[str, Any]) -> str:
    """The state with task ids renamed by tree position and state-change times dropped."""
    order: dict[str, str] = {}
    pending = [state["root"]]
    while pending:
        uuid = pending.pop(0)
        order[uuid] = f"task{len(order)}"
        pending += state["tasks"][uuid]["children"]
    renamed = json.loads(UUID.sub(lambda m: order.get(m.group(0), "?"), json.dumps(state)))
    for tasks in [renamed["tasks"], *(sub["tasks"] for sub in (renamed.get("subprocesses") or {}).values())]:
        for task in tasks.values():
            task["last_state_change"] = 0
    return json.dumps(renamed, sort_keys=True)


def _member_view(db: Database, nid: int) -> dict[str, Any]:
    """What is stored about each member's ballot, minus ids and times."""
    state = state_of(db, nid)
    with db.read() as s:
        rows = s.scalars(select(TaskItem).where(TaskItem.nomination_id == nid, TaskItem.name == "council_vote")).all()
        view = {}
        for row in rows:
            task = state["tasks"][row.task_uuid]
            view[row.assignee_id] = {
                "item": (row.name, row.title, row.form, row.role, row.unit_id, row.state, row.completed_by_id),
                "task": (task["state"], task["data"], task["internal_data"]),
            }
    for e in events(db, nid):
        if e.action == "voted":
            view[e.actor_id]["event"] = (e.actor, e.role, e.task, e.action, e.comment, e.changes)
    return view


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_two_ballots_with_the_same_tally_and_different_voters_are_stored_identically(driver: Driver):
    """Swap who chose what, keep the tally: the stored state, rows and events cannot tell the two apart."""
    db = driver.db
    first, second = at_council(driver), at_council(driver)
    driver.vote(first, PATTERN)
    driver.vote(second, MIRROR)

    a, b = driver.nomination(first), driver.nomination(second)
    assert (a.votes_agree, a.votes_disagree, a.state) == (b.votes_agree, b.votes_disagree, b.state) == (4, 5, a.state)
    assert a.council_result == b.council_result
    assert _member_view(db, first) == _member_view(db, second)
    assert _normalized_state(state_of(db, first)) == _normalized_state(state_of(db, second))


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_the_api_shows_no_running_tally_while_the_ballot_is_open(driver: Driver):
    from webapp import create_app

    db = driver.db
    client = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db.url,
                         "WTF_CSRF_ENABLED": False}, db=db).test_client()
    nid = at_council(driver)
    driver.vote(nid, PATTERN[:4])  # four members have agreed so far
    with db.write() as s:  # minimal Argon2 cost: the real token endpoint without 0.2 s per login
        s.execute(update(User).values(password_hash=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("demo")))

    for reader in ("secretary", "council1", "council9", "minister"):
        token = client.post("/api/v1/auth/token", json={"username": reader, "password": "demo"}).get_json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        response = client.get(f"/api/v1/nominations/{nid}", headers=auth)
        assert response.status_code == 200
        body = response.get_json()
        assert body["council_result"] is None
        assert not CHOICE.search(response.get_data(as_text=True)), reader
        assert [t["name"] for t in body["current_tasks"]] == ["council_vote"]
        history = client.get(f"/api/v1/nominations/{nid}/history", headers=auth)
        assert history.status_code == 200 and not CHOICE.search(history.get_data(as_text=True))
        voted = [e for e in history.get_json()["items"] if e["action"] == "voted"]
        assert len(voted) == 4 and all(e["comment"] is None and e["changes"] is None for e in voted)
        listing = client.get("/api/v1/nominations", headers=auth)
        assert listing.status_code == 200 and not CHOICE.search(listing.get_data(as_text=True))

    for member, choice in zip(COUNCIL[4:], PATTERN[4:], strict=True):
        driver.act(nid, member, {"vote": choice})
    with db.read() as s:
        nom = s.get(Nomination, nid)
    assert (nom.votes_agree, nom.votes_disagree) == (4, 5)
    token = client.post("/api/v1/auth/token", json={"username": "secretary", "password": "demo"}).get_json()["token"]
    body = client.get(f"/api/v1/nominations/{nid}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["council_result"]["agree"] == 4 and body["council_result"]["disagree"] == 5
