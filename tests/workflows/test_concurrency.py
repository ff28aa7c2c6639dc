"""Concurrent requests on one nomination: exactly one wins, nothing is lost, nothing is counted twice.

Threads are released together by a ``threading.Barrier``; the assertions hold for any
interleaving, so no test sleeps or depends on timing. Every test runs on SQLite
(``BEGIN IMMEDIATE``) and PostgreSQL (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from workflows import services
from workflows.domain.errors import Conflict
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, AwardRecord, Nomination, TaskItem, User
from workflows.persistence.model import Counter as CounterRow

from ..support import APPROVE, COUNCIL, Driver

THREADS = 20
JOIN_TIMEOUT = 120  # seconds; only reached if something hangs


def race(n: int, act: Callable[[int], Any], prepare: Callable[[int], Any] | None = None) -> list[Any]:
    """Run ``act(i)`` in ``n`` threads released at once; each slot holds a result or the exception raised.

    ``prepare(i)`` runs in the thread before the barrier (logins and the like); its value is passed to ``act``.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            prepared = prepare(i) if prepare else None
        except BaseException as exc:
            barrier.abort()  # a failed login must not leave the others waiting
            results[i] = exc
            return
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = act(i) if prepare is None else act(prepared)
        except BaseException as exc:  # handed to the test's assertions, never swallowed
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return results


def events(db: Database, nid: int) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid).order_by(AuditEvent.seq)))


def items(db: Database, nid: int) -> list[TaskItem]:
    with db.read() as s:
        return list(s.scalars(select(TaskItem).where(TaskItem.nomination_id == nid).order_by(TaskItem.id)))


def ready_items(db: Database, nid: int) -> list[TaskItem]:
    return [i for i in items(db, nid) if i.state == "ready"]


def at_council(driver: Driver) -> int:
    nid = driver.create()
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["council_vote"]
    return nid


# --- twenty requests completing the same task ----------------------------------------------

def test_twenty_threads_complete_the_same_task_exactly_once(driver: Driver):
    db = driver.db
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    item_id = driver.item_for(nid, "head1")
    head = driver.uid("head1")
    rows_before, events_before = len(items(db, nid)), len(events(db, nid))

    results = race(THREADS, lambda i: services.complete_task(db, head, item_id, APPROVE))

    wins = [r for r in results if isinstance(r, services.Outcome)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1, results
    assert len(conflicts) == THREADS - 1, [r for r in results if not isinstance(r, services.Outcome | Conflict)]

    approvals = [e for e in events(db, nid) if e.task == "head_review"]
    assert [(e.action, e.actor) for e in approvals] == [("approve", "head1")]
    assert len(events(db, nid)) == events_before + 1
    assert len(items(db, nid)) == rows_before + 1  # exactly one new inbox row
    ready = ready_items(db, nid)
    assert [i.name for i in ready] == ["secretariat_check"]
    assert wins[0].next_tasks == [ready[0].id]
    with db.read() as s:
        done = s.get(TaskItem, item_id)
        assert (done.state, done.completed_by_id) == ("completed", head)
        nom = s.get(Nomination, nid)
        assert nom.version == wins[0].version and nom.current_step == "secretariat_check"
    assert audit.verify_chain(events(db, nid)) is None
    driver.act(nid, "secretary", APPROVE)  # the route goes on normally
    assert driver.ready_steps(nid) == ["council_round"]


def _api_app(db: Database):
    from webapp import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db.url,
                       "WTF_CSRF_ENABLED": False}, db=db)


def _cheap_password(db: Database, username: str) -> None:
    """Re-hash the demo password with minimal Argon2 cost: the real token endpoint, without 0.2 s per login."""
    with db.write() as s:
        s.execute(update(User).where(User.username == username)
                  .values(password_hash=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("demo")))


def login_token(app) -> str:
    response = app.test_client().post("/api/v1/auth/token", json={"username": "head1", "password": "demo"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def _api_race(driver: Driver, app_db: Database, caplog) -> None:
    """Twenty clients, each with its own bearer token, POST the same task at once: one 200, nineteen 409."""
    db = driver.db
    app = _api_app(app_db)
    _cheap_password(db, "head1")
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    item_id = driver.item_for(nid, "head1")
    events_before = len(events(db, nid))

    # Tokens issued one after another: twenty logins of one account at the same moment would meet the
    # login limit, which reserves each attempt before its password check (tests/workflows/test_login_limits.py).
    tokens = [login_token(app) for _ in range(THREADS)]

    def login(i: int):
        return app.test_client(), tokens[i]

    def complete(prepared):
        client, token = prepared
        response = client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE},
                               headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()

    results = race(THREADS, complete, prepare=login)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: THREADS - 1}, results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "conflict"
        else:
            assert body["nomination_id"] == nid and body["state"] == "in_progress" and len(body["next_tasks"]) == 1
    assert not [r for r in caplog.records if r.name == "webapp.errors"], "an error was logged (500 or pool exhausted)"
    assert [(e.action, e.task) for e in events(db, nid)[events_before:]] == [("approve", "head_review")]
    assert [i.name for i in ready_items(db, nid)] == ["secretariat_check"]
    assert audit.verify_chain(events(db, nid)) is None


def test_twenty_api_requests_complete_the_same_task_one_200_nineteen_409(driver: Driver, caplog):
    _api_race(driver, driver.db, caplog)


def test_twenty_api_requests_queue_for_a_tiny_pool_without_500s(driver: Driver, caplog):
    """Two pooled connections for twenty requests (a second engine, as another worker process would have):
    requests wait for a connection, and the losers still get 409, never 500 or 503."""
    small = Database(driver.db.url, driver.db.settings, pool_size=2, max_overflow=0)
    try:
        _api_race(driver, small, caplog)
    finally:
        small.dispose()


# --- nine members voting at once -----------------------------------------------------------

@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_nine_members_vote_at_the_same_moment(driver: Driver):
    db = driver.db
    nid = at_council(driver)
    ballots = {m: driver.item_for(nid, m) for m in COUNCIL}
    choices = {m: "agree" if k < 6 else "disagree" for k, m in enumerate(COUNCIL)}  # 6 agree, 3 disagree
    voters = {m: driver.uid(m) for m in COUNCIL}

    results = race(len(COUNCIL), lambda i: services.complete_task(
        db, voters[COUNCIL[i]], ballots[COUNCIL[i]], {"vote": choices[COUNCIL[i]]}))

    assert all(isinstance(r, services.Outcome) for r in results), results
    nom = driver.nomination(nid)
    assert (nom.votes_agree, nom.votes_disagree) == (6, 3)
    assert nom.votes_agree + nom.votes_disagree == 9
    assert nom.council_result["present"] == 9 and nom.council_result["passed"] is True
    assert (nom.council_result["agree"], nom.council_result["disagree"]) == (6, 3)

    rows = items(db, nid)
    assert sorted(i.state for i in rows if i.name == "council_vote") == ["completed"] * 9
    assert [i.name for i in rows if i.state == "ready"] == ["appraisal"]
    assert [i.name for i in rows].count("appraisal") == 1  # the route moved on exactly once

    history = events(db, nid)
    votes = [e for e in history if e.action == "voted"]
    assert sorted(e.actor for e in votes) == sorted(COUNCIL)
    results_events = [e for e in history if e.action == "council_result"]
    assert len(results_events) == 1 and results_events[0].seq == history[-1].seq == votes[-1].seq + 1
    assert results_events[0].changes == {"council_result": [None, nom.council_result]}
    assert audit.verify_chain(history) is None
    assert nom.current_step == "appraisal" and nom.state == "in_progress"


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
@pytest.mark.parametrize("voters", [8, 9])
def test_closing_the_ballot_while_members_vote_counts_each_vote_once(driver: Driver, voters: int):
    """Members vote while the secretariat closes the ballot: votes before the close count, later ones get 409.

    With eight voters only the close can end the ballot; with nine, the last vote and the close race to end it,
    and exactly one of them does.
    """
    db = driver.db
    nid = at_council(driver)
    voting = COUNCIL[:voters]
    ballots = {m: driver.item_for(nid, m) for m in voting}
    ids = {m: driver.uid(m) for m in [*voting, "secretary"]}

    def act(i: int):
        if i == len(voting):
            return services.close_vote(db, ids["secretary"], nid)
        member = voting[i]
        return services.complete_task(db, ids[member], ballots[member], {"vote": "agree"})

    results = race(len(voting) + 1, act)

    assert all(isinstance(r, services.Outcome | Conflict) for r in results), results
    closed = isinstance(results[-1], services.Outcome)
    counted = [voting[i] for i, r in enumerate(results[:-1]) if isinstance(r, services.Outcome)]
    assert closed or len(counted) == 9  # the close may only lose to a ballot every member completed
    nom = driver.nomination(nid)
    assert nom.council_result["present"] == len(counted)
    if nom.council_result["quorum_met"]:
        assert nom.votes_agree == len(counted) and nom.votes_disagree == 0
        assert nom.council_result["agree"] == len(counted)
    else:  # closed below quorum: no count survives
        assert (nom.votes_agree, nom.votes_disagree) == (0, 0) and "agree" not in nom.council_result

    history = events(db, nid)
    assert sorted(e.actor for e in history if e.action == "voted") == sorted(counted)
    closing = [e for e in history if e.action in ("vote_closed", "council_result")]
    assert [e.action for e in closing] == ["vote_closed" if closed else "council_result"]
    assert closing[0].seq == history[-1].seq  # nothing was counted after the ballot ended
    assert closing[0].changes == {"council_result": [None, nom.council_result]}
    assert not [i for i in items(db, nid) if i.name == "council_vote" and i.state == "ready"]
    assert [i.name for i in items(db, nid) if i.state == "ready"] == (["appraisal"] if nom.council_result["passed"] else [])
    assert audit.verify_chain(history) is None


# --- decision numbers ----------------------------------------------------------------------

def test_ministers_signing_in_parallel_get_distinct_consecutive_decision_numbers(legacy: Driver):
    """On a version signed per dossier (before batch decisions) each signature takes the counter's next number."""
    driver = legacy
    db = driver.db
    k = 6
    nids = []
    for n in range(k):
        nid = driver.create(award_form="ky_niem_chuong", nominee_name=f"Người được đề nghị {n}")
        driver.accept(nid)
        driver.act(nid, "reviewer", APPROVE)
        assert driver.ready_steps(nid) == ["minister_sign"]
        nids.append(nid)
    minister = driver.uid("minister")
    signs = [driver.item_for(nid, "minister") for nid in nids]

    results = race(k, lambda i: services.complete_task(db, minister, signs[i], APPROVE))

    assert all(isinstance(r, services.Outcome) and r.state == "awarded" for r in results), results
    with db.read() as s:
        numbers = dict(s.execute(select(Nomination.id, Nomination.decision_number).where(Nomination.id.in_(nids))).all())
        registry = dict(s.execute(select(AwardRecord.nomination_id, AwardRecord.decision_number)).all())
        counter = s.scalar(select(CounterRow.value).where(CounterRow.name == "decision"))
    assert registry == numbers
    assert all(n.endswith("/QĐ-BKHCN") for n in numbers.values()), numbers
    assert sorted(int(n.split("/")[0]) for n in numbers.values()) == list(range(1, k + 1))
    assert counter == k
    for nid in nids:
        issued = [e for e in events(db, nid) if e.action == "decision_issued"]
        assert len(issued) == 1 and issued[0].changes["decision_number"] == [None, numbers[nid]]


# --- optimistic check (If-Match) -----------------------------------------------------------

@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_two_votes_racing_with_the_same_if_match_both_count(driver: Driver):
    """A ballot is the member's own task: another member's vote moves the version but never stales it."""
    db = driver.db
    nid = at_council(driver)
    version = driver.nomination(nid).version
    members = COUNCIL[:2]
    ballots = [driver.item_for(nid, m) for m in members]
    voters = [driver.uid(m) for m in members]

    results = race(2, lambda i: services.complete_task(db, voters[i], ballots[i], {"vote": "agree"}, if_match=version))

    assert all(isinstance(r, services.Outcome) for r in results), results
    nom = driver.nomination(nid)
    assert nom.votes_agree == 2 and nom.version > version
    assert sorted(e.actor for e in events(db, nid) if e.action == "voted") == sorted(members)
    with db.read() as s:
        assert {s.get(TaskItem, b).state for b in ballots} == {"completed"}
    with pytest.raises(Conflict, match="đã được xử lý"):  # the task's own state still guards a second vote
        services.complete_task(db, voters[0], ballots[0], {"vote": "agree"}, if_match=nom.version)


def test_stale_if_match_changes_nothing_and_current_one_succeeds(driver: Driver):
    db = driver.db
    nid = driver.create()
    stale = driver.nomination(nid).version
    driver.act(nid, "clerk1", {"achievements": "Bổ sung thêm minh chứng về hai sáng kiến cấp cơ sở đã được công nhận."})
    current = driver.nomination(nid)
    assert current.version > stale
    item_id = driver.item_for(nid, "head1")
    count_before = len(events(db, nid))
    with pytest.raises(Conflict):
        services.complete_task(db, driver.uid("head1"), item_id, APPROVE, if_match=stale)
    after = driver.nomination(nid)
    assert after.version == current.version and len(events(db, nid)) == count_before
    assert driver.ready_steps(nid) == ["head_review"]
    services.complete_task(db, driver.uid("head1"), item_id, APPROVE, if_match=current.version)
    assert driver.ready_steps(nid) == ["secretariat_check"]


def test_api_if_match_header_stale_version_is_409(driver: Driver):
    db = driver.db
    client = _api_app(db).test_client()
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    token = client.post("/api/v1/auth/token", json={"username": "head1", "password": "demo"}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    version = client.get(f"/api/v1/nominations/{nid}", headers=auth).get_json()["version"]
    item_id = driver.item_for(nid, "head1")
    stale = client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE},
                        headers=auth | {"If-Match": f'"{version - 1}"'})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    ok = client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE}, headers=auth | {"If-Match": f'"{version}"'})
    assert ok.status_code == 200 and ok.get_json()["version"] > version
    again = client.post(f"/api/v1/tasks/{item_id}/complete", json={"data": APPROVE}, headers=auth)
    assert again.status_code == 409


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_two_closes_of_the_same_ballot_one_wins(driver: Driver):
    db = driver.db
    nid = at_council(driver)
    driver.vote(nid, ["agree"] * 6)
    secretary = driver.uid("secretary")

    results = race(2, lambda i: services.close_vote(db, secretary, nid))

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Outcome"], results
    history = events(db, nid)
    assert [e.action for e in history].count("vote_closed") == 1 and history[-1].action == "vote_closed"
    assert driver.nomination(nid).council_result["present"] == 6
    assert audit.verify_chain(history) is None


def test_no_lost_update_across_many_nominations_in_parallel(driver: Driver):
    """Different nominations do not serialize on one another and each keeps its own sequence of events."""
    db = driver.db
    nids = [driver.create(nominee_name=f"Cá nhân {n}") for n in range(6)]
    clerk = driver.uid("clerk1")
    drafts = [driver.item_for(nid, "clerk1") for nid in nids]

    def events_per_nomination() -> dict[int, int]:
        with db.read() as s:
            return dict(s.execute(select(AuditEvent.nomination_id, func.count())
                                  .where(AuditEvent.subject_type == "nomination")
                                  .group_by(AuditEvent.nomination_id)).all())

    before = events_per_nomination()
    results = race(len(nids), lambda i: services.complete_task(db, clerk, drafts[i], {}))

    assert all(isinstance(r, services.Outcome) for r in results), results
    assert events_per_nomination() == {nid: before[nid] + 1 for nid in nids}
    for nid in nids:
        assert [i.name for i in ready_items(db, nid)] == ["head_review"]
        assert audit.verify_chain(events(db, nid)) is None


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_nine_members_submit_the_html_ballot_at_the_same_moment(driver: Driver):
    """Each member's page carries the version it was loaded at; the ballot is each one's own task, so all count."""
    from ..webapp.helpers import make_app, session_client

    db = driver.db
    nid = at_council(driver)
    app = make_app(db)
    pages = []
    for member in COUNCIL:
        client = session_client(app, db, member)
        item_id = driver.item_for(nid, member)
        page = client.get(f"/tasks/{item_id}")
        assert page.status_code == 200 and 'name="_version"' in page.get_data(as_text=True)
        pages.append((client, item_id, driver.nomination(nid).version))

    def submit(i: int):
        client, item_id, version = pages[i]
        return client.post(f"/tasks/{item_id}", data={"vote": "agree", "_version": str(version)}).status_code

    statuses = race(len(COUNCIL), submit)
    assert statuses == [302] * len(COUNCIL), statuses
    nom = driver.nomination(nid)
    assert nom.council_result["agree"] == 9 and nom.council_result["passed"] is True
    assert [e.action for e in events(db, nid)].count("voted") == 9
    assert driver.ready_steps(nid) == ["appraisal"]
    assert app.config["SERVED_5XX"] == []
