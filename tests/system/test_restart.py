"""A council round survives a restart of every process, as ``make run`` runs the product.

``flask --app webapp migrate``, ``flask --app webapp seed-demo``, ``python -m workers.scheduler``
and ``gunicorn --workers 2 --threads 4 'webapp:create_app()'`` as separate processes, on a SQLite
file and on PostgreSQL. The chair's ballot passphrase is the demo's (the demo's open round is sealed
to it, so changing it over the API is refused until that round ends); three dossiers are taken
through the API to the council's round step, the secretariat forms a round of them and opens it, and
four members vote. Then gunicorn and the scheduler are stopped and started again, so no process that
generated the round's key, encrypted a ballot or appended to the box is left, and the five other
members vote through the new server with the tokens they had. The chair counts with the passphrase
through the new server: 9, 5 and 4 agree of 9 members (a majority of those present passes), so two
dossiers go on to appraisal and the third ends rejected. The two wait for a decision: the
secretariat drafts one for both and sends it, the minister signs it from the task list (a second
signature is refused, 409), the secretariat registers the next number, and both finish "awarded"
with that one number (``02/QĐ-BKHCN``, after the demo's); every receipt is in the published box, the
round verifies (``GET /api/v1/rounds/{id}/verify``), and every audit chain (the dossiers', the
round's and the decision's) is intact. While the round is open nothing shows a choice or a count:
not the round (to the secretariat, the chair, the auditor or a member), the dossiers, their
histories, nor a submitted ballot's task.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, AwardRecord, TaskItem, User

from ..support import DOSSIER
from .product import (
    AT_COUNCIL,
    AUDIT_TRAIL,
    BALLOT,
    CHAIR,
    COUNCIL,
    COUNCIL_TRAIL,
    DECISION_ROWS,
    DECISION_STEP,
    DECISION_TRAIL,
    ROUND_STEP,
    ROUTE,
    SIGN_TASK,
    Api,
    Product,
    decision_number,
    round_trail,
)

pytestmark = pytest.mark.system

BEFORE_RESTART = 4  # members who vote before every process is stopped; the five others vote after
NOMINEES = ["Trần Thị Bình", "Đặng Thị Ngọc Hằng", "Lê Văn Tám"]
# A task as the API gives it (``_task_json``): the form, never the data it was completed with.
# What the API says of a task (a ballot's row included): never a choice. The lists added the dossier's code, its unit's
# name and whether it was returned; claims, who holds a shared task.
TASK_FIELDS = {"id", "nomination_id", "round_id", "decision_id", "name", "title", "state", "form", "nominee_name", "unit_id",
               "award_form", "created_at", "due_at", "overdue", "code", "unit_name", "returned", "claimed_by",
               "claimed_by_name", "claimed_at"}
AGREE_COUNTS = [9, 5, 4]  # agree votes of the nine members per dossier: passed, passed (5 of 9 present), rejected


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vinhdanh.db'}"
    return request.getfixturevalue("fresh_pg")()


def drive(api: Api, tokens: dict[str, str], nomination_id: int, steps) -> None:
    for step, actor, data in steps:
        item = api.task_for(tokens[actor], step, nomination_id)
        assert item is not None, f"{actor} has no {step} task on nomination {nomination_id}: " \
                                 f"{api.nomination(tokens['secretary'], nomination_id)}"
        status, body = api.complete(tokens[actor], item, data)
        assert status == 200, f"{actor} completing {step}: {status} {body}"


def serve(product: Product):
    """The scheduler, then the web server (answering /healthz); their processes."""
    scheduler = product.scheduler()
    web = product.gunicorn(workers=2, threads=4)
    return scheduler, web


def choices(member: int, nids: list[int]) -> dict[int, str]:
    """Member ``member``'s (0-based) ballot: the first AGREE_COUNTS[i] members agree on dossier i."""
    return {nid: "agree" if member < agree else "disagree" for nid, agree in zip(nids, AGREE_COUNTS, strict=True)}


def vote(api: Api, tokens: dict[str, str], round_id: int, member: int, nids: list[int], ballot_ids: dict[str, int]) -> str:
    """Member ``member`` finds their ballot in their task list and submits it (its id into ``ballot_ids``); the receipt."""
    name = COUNCIL[member]
    item = ballot_ids[name] = api.ballot_for(tokens[name], round_id)
    assert item is not None, f"{name} has no ballot of round {round_id}"
    status, body = api.vote(tokens[name], item, choices(member, nids))
    assert status == 200 and body["round_id"] == round_id, f"{name} voting: {status} {body}"
    again = api.vote(tokens[name], item, choices(member, nids))
    assert again[0] == 409, f"{name} voting twice: {again}"
    assert api.ballot_for(tokens[name], round_id) is None
    return body["receipt"]


def assert_nothing_shows_a_choice(api: Api, tokens: dict[str, str], round_id: int, nids: list[int],
                                  ballot_ids: dict[str, int]) -> None:
    """While the round is open: how many voted, and who (to those who run the council), but no choice, no count."""
    voted = len(ballot_ids)
    for reader in ("secretary", CHAIR, "auditor", COUNCIL[0]):
        view = api.round(tokens[reader], round_id)
        assert view["state"] == "open" and view["voted"] == voted, (reader, view)
        assert "box" not in view and "public_key" not in view, (reader, sorted(view))
        for dossier in view["dossiers"]:
            assert (dossier["agree"], dossier["result"], dossier["encrypted_total"], dossier["proof"]) == (None,) * 4, \
                (reader, dossier)
    assert sum(m["voted"] for m in api.round(tokens["secretary"], round_id)["members"]) == voted
    for nid in nids:
        nomination = api.nomination(tokens["secretary"], nid)
        assert nomination["council_result"] is None, nomination
        assert [t["name"] for t in nomination["current_tasks"]] == [ROUND_STEP]
        status, history = api.request("GET", f"/api/v1/nominations/{nid}/history", token=tokens["secretary"])
        assert status == 200
        assert [e["action"] for e in history["items"]][-1] == "round_joined"
    for member in ballot_ids:  # a member's own submitted ballot: out of the list, its task without the choices
        status, tasks = api.request("GET", f"/api/v1/tasks?name={BALLOT}", token=tokens[member])
        assert status == 200 and all(t["round_id"] != round_id for t in tasks["items"])
        status, task = api.request("GET", f"/api/v1/tasks/{ballot_ids[member]}", token=tokens[member])
        assert status == 200 and task["state"] == "completed" and set(task) == TASK_FIELDS, task


def test_a_council_round_survives_a_restart_of_every_process(products: Callable[..., Product], database_url: str):
    product = products(database_url)
    product.flask("migrate")
    product.flask("seed-demo")
    scheduler, web = serve(product)

    api = Api(web.url)
    tokens = api.tokens()
    nids = []
    for name in NOMINEES:
        status, created = api.request("POST", "/api/v1/nominations", DOSSIER | {"nominee_name": name},
                                      token=tokens["clerk1"])
        assert status == 201, created
        nids.append(created["id"])
        api.attach_documents(created["id"], tokens["clerk1"], DOSSIER["award_form"])
        drive(api, tokens, created["id"], ROUTE[:AT_COUNCIL])
    status, refused = api.set_passphrase(tokens[CHAIR], "một mật khẩu kiểm phiếu khác")
    assert status == 409, f"the passphrase changed while the demo's round sealed to it is open: {status} {refused}"
    rid = api.form_round(tokens["secretary"], nids)
    opened = api.open_round(tokens["secretary"], rid)
    assert opened["state"] == "open" and opened["members_called"] == len(COUNCIL)
    ballot_ids: dict[str, int] = {}
    receipts = [vote(api, tokens, rid, member, nids, ballot_ids) for member in range(BEFORE_RESTART)]
    assert_nothing_shows_a_choice(api, tokens, rid, nids, ballot_ids)

    # Every process goes; a clean stop is part of what is checked.
    assert product.stop(web.proc) == 0, product.logs()
    assert product.stop(scheduler) == 0, product.logs()
    scheduler, web = serve(product)

    api = Api(web.url)  # the tokens issued before the restart still hold: they live in the database
    receipts += [vote(api, tokens, rid, member, nids, ballot_ids) for member in range(BEFORE_RESTART, len(COUNCIL))]
    assert_nothing_shows_a_choice(api, tokens, rid, nids, ballot_ids)
    status, wrong = api.close_round(tokens[CHAIR], rid, "không phải mật khẩu kiểm phiếu")
    assert status == 422, f"closed with a wrong passphrase: {status} {wrong}"
    status, closed = api.close_round(tokens[CHAIR], rid)
    assert status == 200, f"closing: {status} {closed}"
    assert closed["state"] == "closed"
    results = {d["nomination_id"]: d["result"] for d in closed["dossiers"]}
    for nid, agree in zip(nids, AGREE_COUNTS, strict=True):
        result = results[nid]
        assert (result["members"], result["present"], result["agree"], result["disagree"]) == \
               (len(COUNCIL), len(COUNCIL), agree, len(COUNCIL) - agree), result
        assert result["passed"] is (agree >= 5), result
    assert sorted(b["hash"] for b in closed["box"]) == sorted(receipts)
    assert api.verify_round(tokens["auditor"], rid) == {"round_id": rid, "verified": True, "problems": []}
    assert api.close_round(tokens[CHAIR], rid)[0] == 409, "a round counted twice"

    passed, rejected = nids[:2], nids[2]
    for nid in passed:
        at_appraisal = api.nomination(tokens["secretary"], nid)
        assert at_appraisal["state"] == "in_progress"
        assert [t["name"] for t in at_appraisal["current_tasks"]] == ["appraisal"]
        assert at_appraisal["council_result"]["passed"] is True
        drive(api, tokens, nid, ROUTE[AT_COUNCIL:])
        waiting = api.nomination(tokens["secretary"], nid)
        assert waiting["state"] == "in_progress" and waiting["decision_number"] is None
        assert [t["name"] for t in waiting["current_tasks"]] == [DECISION_STEP]
    numbered_before = len(api.expect(200, "GET", "/api/v1/decisions?state=registered", token=tokens["secretary"])["items"])
    did, sign_task = api.draft_and_send(tokens, passed)
    signs = api.expect(200, "GET", f"/api/v1/tasks?name={SIGN_TASK}", token=tokens["minister"])["items"]
    assert [t["id"] for t in signs if t["decision_id"] == did] == [sign_task], signs
    status, signed = api.sign(tokens, sign_task)
    assert status == 200, f"signing: {status} {signed}"
    assert api.sign(tokens, sign_task)[0] == 409, "a decision signed twice"
    for nid in passed:  # signed, not yet in force: the dossiers wait for the registered number
        assert api.nomination(tokens["secretary"], nid)["decision_number"] is None
    registered = api.register(tokens, did)
    number = decision_number(numbered_before + 1)
    assert registered["state"] == "registered" and registered["number"] == number, registered
    assert sorted(d["nomination_id"] for d in registered["dossiers"]) == sorted(passed)
    for nid in passed:
        done = api.nomination(tokens["secretary"], nid)
        assert done["state"] == "awarded"
        assert done["current_tasks"] == []
        assert done["decision_number"] == number
    ended = api.nomination(tokens["secretary"], rejected)
    assert ended["state"] == "rejected" and ended["current_tasks"] == [] and ended["decision_number"] is None
    assert ended["council_result"]["passed"] is False

    trails = {}
    for nid in nids:
        status, history = api.request("GET", f"/api/v1/nominations/{nid}/history", token=tokens["secretary"])
        assert status == 200
        trails[nid] = [(e["task"], e["actor"], e["action"]) for e in history["items"]]
        joined = next(e for e in history["items"] if e["action"] == "round_joined")
        assert joined["role"] == "secretariat" and joined["changes"]["round"][1]["id"] == rid, joined
    assert all(trails[nid] == AUDIT_TRAIL for nid in passed), trails
    assert trails[rejected] == AUDIT_TRAIL[:COUNCIL_TRAIL], trails[rejected]
    assert scheduler.alive() and web.proc.alive(), product.logs()

    db = Database(database_url)
    try:
        with db.read() as s:
            for nid in nids:
                assert audit.verify_nomination(s, nid) is None
                events = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.nomination_id == nid))
                assert events == len(trails[nid])
            assert audit.verify_subject(s, "round", rid) is None
            assert audit.verify_subject(s, "decision", did) is None
            decision_events = s.execute(select(AuditEvent.actor, AuditEvent.action)
                                        .where(AuditEvent.subject_type == "decision", AuditEvent.subject_id == str(did))
                                        .order_by(AuditEvent.seq)).all()
            assert [tuple(e) for e in decision_events] == DECISION_TRAIL
            rows = s.execute(select(TaskItem.name, TaskItem.state, TaskItem.completed_by_id)
                             .where(TaskItem.decision_id == did)).all()
            users = dict(s.execute(select(User.id, User.username)).all())
            assert sorted((name, state, users.get(by)) for name, state, by in rows) == \
                   sorted((name, "completed", actor) for name, actor in DECISION_ROWS), rows
            registry = s.execute(select(AwardRecord.nomination_id, AwardRecord.decision_id, AwardRecord.decision_number)
                                 .where(AwardRecord.nomination_id.in_(nids))).all()
            assert sorted(tuple(r) for r in registry) == [(nid, did, number) for nid in sorted(passed)]
            round_events = s.execute(select(AuditEvent.actor, AuditEvent.action)
                                     .where(AuditEvent.subject_type == "round", AuditEvent.subject_id == str(rid))
                                     .order_by(AuditEvent.seq)).all()
            assert [tuple(e) for e in round_events] == round_trail(COUNCIL)
    finally:
        db.dispose()
