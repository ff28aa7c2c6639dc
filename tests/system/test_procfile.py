"""The Procfile under load: 60 nominations through the whole route, the council by rounds of ten, by 20
concurrent API clients, while an RQ worker is SIGKILLed mid-job and its processes are started again.

The Procfile is run by honcho, from the project root, in two groups: ``honcho start -f Procfile
-c web=1,scheduler=1 web scheduler`` (gunicorn with ``WEB_CONCURRENCY=4`` workers of 4 threads, and
the one scheduler) and ``honcho start -f Procfile -c worker=2 worker`` (two ``rq worker`` processes).
Two groups, because honcho stops every process it runs as soon as one of them exits: a killed
worker takes down its own group only, which is then started again, as a supervisor restarts a
crashed worker dyno. The database is a fresh PostgreSQL database migrated by the Procfile's
``release`` line and loaded by ``seed-demo``; Redis is the test database (``TEST_REDIS_URL``).

The chair's ballot passphrase is the demo's (set by ``seed-demo``). Twenty client threads
each take the next of 60 nominations, create it (``POST /api/v1/nominations``) and drive it to the
council's round step, finding every task in the actor's own list (``GET /api/v1/tasks``). Each
role-wide step (draft, unit head, secretariat, appraisal) is sent twice at once, as two
people acting on the same dossier: exactly one of each pair must succeed and the other get 409, the
expected answer to a race (a 409 is followed by a fresh read of the list, and a retry if the task
is still there). Dossiers waiting at the round step are taken ten at a time: the client whose
dossier completes a batch forms a round of it and opens it (the secretariat), the nine members find
their ballots in their lists and submit them concurrently (rounds overlap, so a member may hold two),
one member of each round sending the same ballot twice at once (one 200, one 409), and the chair
closes the round with two racing calls (one 200, one 409). In each round the last dossier gets 4
agree votes of 9 and ends rejected; the others get 9 and go on, each client then taking its own
dossier through appraisal to the wait for a decision. The client whose dossier is the last of its
round's nine to arrive there runs that round's decision: the secretariat drafts one decision of the
nine and sends it, the minister finds the signature task in the list and it is completed by two
racing calls (one 200, one 409), and the secretariat registers the proposed number, which awards
the nine. Any 5xx, or any other unexpected answer, fails the test.

Meanwhile, at about a third of the run, the test creates drafts whose reminder and escalation
timers are already due (in this process, with the clock moved 40 days back), so the workers
have real work; an RQ worker is SIGKILLed while it is busy firing them, and its honcho group is
started again. At the end: 54 nominations "awarded" and 6 "rejected", with no ready task row and
exactly the route's task rows, each completed once and by its own actor (the round step by the
chair's count, the decision step by the secretary who registered), each decision's signature and
registration rows by the minister and the secretary; every round closed with its nine ballots, the
counts as voted, no sealed key left, and verified (``GET /api/v1/rounds/{id}/verify``); every audit
event unique by (subject, seq), each dossier's trail the route's and each round's and decision's its
own; every audit chain intact; one decision per round, of its nine, their numbers (``02/QĐ-BKHCN``
on) consecutive after the demo's, without gap or duplicate, every dossier of a decision awarded under
its number, once in the registry; every due timer fired exactly once despite the kill.
Timings are printed, never asserted; the timeouts only catch a hang.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from redis import Redis
from rq import Worker
from sqlalchemy import func, select

from workflows.domain import clock
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.decision_model import Decision
from workflows.persistence.model import (
    AuditEvent,
    AwardRecord,
    CouncilRound,
    Nomination,
    Notification,
    RoundDossier,
    RoundSealedKey,
    TaskItem,
    Timer,
    User,
)

from ..support import DOSSIER, Driver
from ..workers.helpers import PAST, TIMER_ACTIONS
from .product import (
    APPROVE,
    AT_COUNCIL,
    AUDIT_TRAIL,
    BALLOT,
    CHAIR,
    COUNCIL,
    COUNCIL_TRAIL,
    DECISION_ROWS,
    DECISION_TRAIL,
    MEETING_DATE,
    ROUTE,
    SIGN_TASK,
    SIGNER,
    TASK_ROWS,
    Api,
    Product,
    ProductError,
    decision_number,
    free_port,
    marked_pids,
    round_trail,
)

pytestmark = [pytest.mark.system, pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("honcho")]

NOMINATIONS = 60
CLIENTS = 20
BATCH = 10  # dossiers per round
ROUNDS = -(-NOMINATIONS // BATCH)
REJECTED_AGREE = 4  # agree votes of the last dossier of each round: short of a majority of the 9 present
AWARDED = NOMINATIONS - ROUNDS
DUE_DRAFTS = 60  # drafts with two due timers each, created mid-run for the workers
RACED = {"draft", "head_review", "secretariat_check", "appraisal"}  # and one ballot, the close, the signature per round
# 200s to the members' and the dossiers' task completions: the steps before the council, nine ballots per
# round, the steps after it of the dossiers that passed, the signature of each round's decision.
COMPLETIONS = NOMINATIONS * AT_COUNCIL + ROUNDS * len(COUNCIL) + AWARDED * (len(ROUTE) - AT_COUNCIL) + ROUNDS
RUN_TIMEOUT = 240.0  # seconds for the clients; only catches a hang
TIMERS_TIMEOUT = 90.0
NOTICE_TIMEOUT = 10.0  # honcho polls every 0.1 s


class Run:
    """The clients' shared record: every answer, the races, the rounds, the failures, the progress."""

    def __init__(self, api: Api, tokens: dict[str, str]) -> None:
        self.api, self.tokens = api, tokens
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, int]] = Counter()
        self.races: Counter[tuple[str, int, int]] = Counter()
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self.ballot_latencies: list[float] = []
        self.round_seconds: list[float] = []  # forming to counted, per round
        self.open_rounds = self.most_open = 0  # rounds open at once: now, at most
        self.completions = 0
        self.nominations: list[int] = []
        self.started = 0
        self.waiting: list[int] = []  # dossiers at the round step not yet on a round
        self.arrived = 0  # dossiers that reached the round step
        self.rounds: dict[int, list[int]] = {}  # round id -> its dossiers, in agenda order
        self.passed: dict[int, bool] = {}  # the council's result per dossier, once counted
        self.passing: dict[int, list[int]] = {}  # round id -> the dossiers it passed, in agenda order
        self.round_of: dict[int, int] = {}  # a passed dossier -> its round
        self.at_decision: dict[int, list[int]] = {}  # round id -> its passed dossiers waiting for the decision
        self.decisions: dict[int, tuple[int, list[int], str]] = {}  # decision id -> (round, dossiers, number)
        self.counted = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.voters = ThreadPoolExecutor(CLIENTS, thread_name_prefix="voter")
        self.rivals = ThreadPoolExecutor(CLIENTS, thread_name_prefix="rival")

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)
            self.counted.notify_all()
        self.stop.set()

    def answer(self, what: str, status: int, body) -> None:
        with self.lock:
            self.answers[(what, status)] += 1
        if status >= 500:
            self.fail(f"{what}: {status} {body}")

    def take(self) -> bool:
        with self.lock:
            if self.started >= NOMINATIONS or self.stop.is_set():
                return False
            self.started += 1
            return True

    # -- one client ---------------------------------------------------------------------------

    def client(self) -> None:
        try:
            while self.take():
                status, body = self.api.request("POST", "/api/v1/nominations", DOSSIER, token=self.tokens["clerk1"])
                self.answer("create", status, body)
                if status != 201:
                    return self.fail(f"create: {status} {body}")
                with self.lock:
                    self.nominations.append(body["id"])
                self.api.attach_documents(body["id"], self.tokens["clerk1"], DOSSIER["award_form"])
                self.drive(body["id"])
        except Exception as exc:
            self.fail(f"client crashed: {type(exc).__name__}: {exc}")

    def drive(self, nid: int) -> None:
        for step, actor, data in ROUTE[:AT_COUNCIL]:
            if self.stop.is_set():
                return
            self.step(nid, step, actor, data, step in RACED)
        if self.stop.is_set() or not self.council(nid):
            return  # rejected by the council (or the run is failing)
        for step, actor, data in ROUTE[AT_COUNCIL:]:
            if self.stop.is_set():
                return
            self.step(nid, step, actor, data, step in RACED)
        if not self.stop.is_set():
            self.await_decision(nid)

    def post(self, actor: str, item: int, data: dict, what: str = "complete") -> int:
        started = time.perf_counter()
        status, body = self.api.complete(self.tokens[actor], item, data)
        elapsed = time.perf_counter() - started
        self.answer(what, status, body)
        with self.lock:
            (self.ballot_latencies if what == "ballot" else self.latencies).append(elapsed)
            if status == 200:
                self.completions += 1
        if status not in (200, 409):
            self.fail(f"{actor} completing task {item}: {status} {body}")
        return status

    def step(self, nid: int, step: str, actor: str, data: dict, race: bool) -> None:
        """Complete ``actor``'s ``step`` on the nomination; a 409 re-reads the list and retries."""
        for attempt in range(5):
            try:
                item = self.api.task_for(self.tokens[actor], step, nid)
            except ProductError as exc:
                return self.fail(str(exc))
            if item is None:
                if attempt == 0:
                    self.fail(f"nomination {nid}: {actor} has no {step} task")
                return  # a competitor completed it after our 409
            if race:
                statuses = self.race("step", self.post, actor, item, data)
                if statuses == [200, 200]:
                    return self.fail(f"nomination {nid}: {step} task {item} completed twice")
                done = 200 in statuses
            else:
                done = self.post(actor, item, data) == 200
            if done or self.stop.is_set():
                return
        self.fail(f"nomination {nid}: {actor} could not complete {step} in 5 attempts")

    def race(self, kind: str, call: Callable[..., int], *args) -> list[int]:
        """The same call sent twice at once; the two statuses, sorted (recorded)."""
        rival = self.rivals.submit(call, *args)
        statuses = sorted((call(*args), rival.result()))
        with self.lock:
            self.races[(kind, *statuses)] += 1
        return statuses

    # -- the council --------------------------------------------------------------------------

    def council(self, nid: int) -> bool:
        """The dossier waits at the round step until a round counts it; whether it passed. The client whose
        dossier completes a batch (or is the last to arrive) runs that batch's round."""
        with self.lock:
            self.waiting.append(nid)
            self.arrived += 1
            batch = []
            if len(self.waiting) >= BATCH or self.arrived == NOMINATIONS:
                batch, self.waiting = self.waiting[:BATCH], self.waiting[BATCH:]
        if batch:
            self.run_round(batch)
        with self.counted:
            deadline = time.monotonic() + RUN_TIMEOUT
            while nid not in self.passed and not self.stop.is_set() and time.monotonic() < deadline:
                self.counted.wait(1.0)
            passed = self.passed.get(nid)
        if passed is None and not self.stop.is_set():
            self.fail(f"nomination {nid}: no round counted it in {RUN_TIMEOUT:.0f}s")
        return bool(passed)

    def run_round(self, nids: list[int]) -> None:
        """Form and open a round of these dossiers, every member votes at once, the chair closes it (raced)."""
        started = time.monotonic()
        secretary = self.tokens["secretary"]
        body = {"title": f"Đợt xét {nids[0]}-{nids[-1]}", "meeting_date": MEETING_DATE, "nomination_ids": nids}
        status, formed = self.api.request("POST", "/api/v1/rounds", body, token=secretary)
        self.answer("round create", status, formed)
        if status != 201:
            return self.fail(f"forming a round of {nids}: {status} {formed}")
        rid = formed["id"]
        with self.lock:
            self.rounds[rid] = nids
        status, opened = self.api.request("POST", f"/api/v1/rounds/{rid}/open", token=secretary)
        self.answer("round open", status, opened)
        if status != 200 or opened.get("members_called") != len(COUNCIL):
            return self.fail(f"opening round {rid}: {status} {opened}")
        with self.lock:
            self.open_rounds += 1
            self.most_open = max(self.most_open, self.open_rounds)
        raced = random.choice(COUNCIL)
        futures = [self.voters.submit(self.ballot, rid, member, votes(m, nids), member == raced)
                   for m, member in enumerate(COUNCIL)]
        for future in futures:
            future.result()
        if self.stop.is_set():
            return
        closed: dict = {}

        def close() -> int:
            status, body = self.api.close_round(self.tokens[CHAIR], rid)
            self.answer("round close", status, body)
            if status == 200:
                closed.update(body)
            elif status != 409:
                self.fail(f"closing round {rid}: {status} {body}")
            return status

        if (statuses := self.race("close", close)) != [200, 409]:
            return self.fail(f"round {rid} closed {statuses}")
        agree = {d["nomination_id"]: d["agree"] for d in closed["dossiers"]}
        expected = {nid: REJECTED_AGREE if nid == nids[-1] else len(COUNCIL) for nid in nids}
        if closed["state"] != "closed" or agree != expected:
            return self.fail(f"round {rid}: {closed['state']}, agree votes {agree}, expected {expected}")
        with self.counted:
            self.open_rounds -= 1
            self.passed |= {d["nomination_id"]: d["result"]["passed"] for d in closed["dossiers"]}
            self.passing[rid] = [nid for nid in nids if self.passed[nid]]
            self.round_of |= dict.fromkeys(self.passing[rid], rid)
            self.round_seconds.append(time.monotonic() - started)
            self.counted.notify_all()

    def ballot(self, rid: int, member: str, choices: dict[int, str], race: bool) -> None:
        """The member finds their ballot of the round in their list and submits it (twice at once if raced)."""
        if self.stop.is_set():
            return
        try:
            item = self.api.ballot_for(self.tokens[member], rid)
        except ProductError as exc:
            return self.fail(str(exc))
        if item is None:
            return self.fail(f"round {rid}: {member} has no ballot")
        data = {"votes": {str(nid): choice for nid, choice in choices.items()}}
        if race:
            if (statuses := self.race("ballot", self.post, member, item, data, "ballot")) != [200, 409]:
                self.fail(f"round {rid}: {member}'s ballot submitted twice at once answered {statuses}")
        elif (status := self.post(member, item, data, "ballot")) != 200:
            self.fail(f"round {rid}: {member}'s ballot answered {status}")

    # -- the decision -------------------------------------------------------------------------

    def await_decision(self, nid: int) -> None:
        """The dossier waits for its decision; the client whose dossier is the last of its round to arrive runs it."""
        with self.lock:
            rid = self.round_of[nid]
            arrived = self.at_decision.setdefault(rid, [])
            arrived.append(nid)
            last = len(arrived) == len(self.passing[rid])
        if last:
            self.decide(rid, self.passing[rid])

    def decide(self, rid: int, nids: list[int]) -> None:
        """One decision of the round's passed dossiers: drafted and sent, signed by two racing calls, registered."""
        try:
            did, sign_task = self.api.draft_and_send(self.tokens, nids)
            signs = self.api.expect(200, "GET", f"/api/v1/tasks?name={SIGN_TASK}", token=self.tokens[SIGNER])["items"]
        except ProductError as exc:
            return self.fail(str(exc))
        if [t["id"] for t in signs if t["decision_id"] == did] != [sign_task]:
            return self.fail(f"decision {did}: signature task {sign_task} not in the minister's list: {signs}")
        if (statuses := self.race("sign", self.post, SIGNER, sign_task, APPROVE)) != [200, 409]:
            return self.fail(f"decision {did} of round {rid}: signed {statuses}")
        try:
            registered = self.api.register(self.tokens, did)
        except ProductError as exc:
            return self.fail(str(exc))
        number, dossiers = registered["number"], registered["dossiers"]
        if registered["state"] != "registered" or registered["round_id"] != rid or \
                [(d["nomination_id"], d["state"], d["decision_number"]) for d in dossiers] != \
                [(nid, "awarded", number) for nid in nids]:
            return self.fail(f"decision {did} of round {rid} registered: {registered}")
        with self.lock:
            self.decisions[did] = (rid, nids, number)

    def progress(self) -> int:
        with self.lock:
            return self.completions


def votes(member: int, nids: list[int]) -> dict[int, str]:
    """Member ``member``'s (0-based) choices: all agree, but only the first REJECTED_AGREE on the last dossier."""
    return {nid: "agree" if nid != nids[-1] or member < REJECTED_AGREE else "disagree" for nid in nids}


# ----- the workers' part --------------------------------------------------------------------------------------


def create_due_drafts(db: Database, n: int) -> list[int]:
    """``n`` drafts made as if 40 days ago: both draft timers (reminder, escalation) are due now."""
    driver = Driver(db)
    with clock.frozen(datetime.now(UTC) - PAST):
        return [driver.create(documents=False) for _ in range(n)]  # drafts that stay drafts: no files


def timers_of(db: Database, nids: list[int]) -> Counter[str]:
    with db.read() as s:
        return Counter(dict(s.execute(select(Timer.state, func.count()).where(Timer.nomination_id.in_(nids))
                                      .group_by(Timer.state)).all()))


def our_workers(connection: Redis, run_id: str) -> list[Worker]:
    """The RQ workers registered by live processes of this run (a killed one stays registered a while)."""
    ours = set(marked_pids(run_id))
    return [w for w in Worker.all(connection=connection) if w.pid in ours]


def busy_worker(connection: Redis, run_id: str) -> Worker | None:
    """One of our RQ workers running a job right now."""
    return next((w for w in our_workers(connection, run_id) if w.get_state() == "busy"), None)


def wait_until(predicate: Callable[[], object], timeout: float, what: str, product: Product, poll: float = 0.02):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{product.logs()}", pytrace=False)
        time.sleep(poll)
    return value


# ----- the test -----------------------------------------------------------------------------------------------


# system_redis comes first: fixtures are set up in the order requested and torn down in reverse, so the
# processes are stopped before their Redis database is flushed.
def test_procfile_under_load_with_a_worker_killed(system_redis: str, fresh_pg, products: Callable[..., Product],
                                                 capsys: pytest.CaptureFixture[str]):
    url = fresh_pg()
    product = products(url, system_redis, WEB_CONCURRENCY="4", TIMER_SWEEP_SECONDS="1")
    release = product.honcho("release", concurrency={"release": 1})
    assert release.popen.wait(300) == 0, f"the Procfile's release line failed:\n{product.logs()}"
    product.flask("seed-demo")
    db = Database(url, pool_size=2, max_overflow=2)
    figures: dict[str, object] = {}
    try:
        with db.read() as s:
            numbered_before = s.scalar(select(func.count()).select_from(Decision).where(Decision.number.is_not(None)))
        port = free_port()
        web = product.honcho("web", "scheduler", concurrency={"web": 1, "scheduler": 1}, port=port)
        workers = product.honcho("worker", concurrency={"worker": 2})
        base = f"http://127.0.0.1:{port}"
        product.wait_healthy(base, [web, workers])
        redis = Redis.from_url(system_redis)
        wait_until(lambda: len(our_workers(redis, product.run_id)) == 2, 60, "two RQ workers to register", product)

        api = Api(base)
        run = Run(api, api.tokens())
        started = time.monotonic()
        clients = [threading.Thread(target=run.client, name=f"client{i}", daemon=True) for i in range(CLIENTS)]
        for thread in clients:
            thread.start()

        # Mid-run: give the workers due timers, and kill one while it fires them.
        wait_until(lambda: run.progress() >= COMPLETIONS // 3 or run.stop.is_set(), RUN_TIMEOUT, "a third of the run",
                   product)
        drafts = create_due_drafts(db, DUE_DRAFTS)
        victim = wait_until(lambda: busy_worker(redis, product.run_id), 30, "a busy RQ worker", product, poll=0.005)
        figures |= {"killed_pid": victim.pid, "killed_job": victim.get_current_job_id(),
                    "timers_fired_at_kill": timers_of(db, drafts)["fired"], "completions_at_kill": run.progress()}
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        # Restart the group as its supervisor would (honcho ends a group whose process died).
        figures["group_exit"] = product.stop(workers)
        workers = product.honcho("worker", concurrency={"worker": 2})
        wait_until(lambda: len(our_workers(redis, product.run_id)) == 2, 60, "the restarted workers to register", product)
        figures["restart_s"] = time.monotonic() - killed_at
        wait_until(lambda: timers_of(db, drafts)["fired"] == 2 * DUE_DRAFTS, TIMERS_TIMEOUT,
                   f"all {2 * DUE_DRAFTS} due timers to fire", product, poll=0.1)
        figures["timers_done_after_kill_s"] = time.monotonic() - killed_at
        figures["completions_when_timers_done"] = run.progress()

        for thread in clients:
            thread.join(max(1.0, RUN_TIMEOUT - (time.monotonic() - started)))
        figures["run_s"] = time.monotonic() - started
        hung = [t.name for t in clients if t.is_alive()]
        run.stop.set()
        run.voters.shutdown(wait=not hung)
        run.rivals.shutdown(wait=not hung)
        assert not hung, f"clients still running after {RUN_TIMEOUT:.0f}s: {hung}\n{product.logs()}"
        assert not run.failures, "\n".join(run.failures[:20]) + f"\n{product.logs()}"
        assert len(run.nominations) == NOMINATIONS

        status, health = api.request("GET", "/healthz")
        assert status == 200 and health["timers"]["overdue"] == 0, health
        assert web.alive() and workers.alive(), f"a honcho group stopped:\n{product.logs()}"
        with capsys.disabled():
            report(run, figures)

        assert_route_done(db, run.nominations, run.rounds, run.decisions)
        assert_rounds(db, api, run)
        assert_decision_numbers(db, run, numbered_before)
        assert_timers_fired_once(db, drafts)
        steps_raced = NOMINATIONS * len(RACED & {s for s, _, _ in ROUTE[:AT_COUNCIL]}) + \
            AWARDED * len(RACED & {s for s, _, _ in ROUTE[AT_COUNCIL:]})
        assert run.races == {("step", 200, 409): steps_raced, ("ballot", 200, 409): ROUNDS,
                             ("close", 200, 409): ROUNDS, ("sign", 200, 409): ROUNDS}, run.races
    finally:
        db.dispose()


def report(run: Run, f: dict) -> None:
    """The measured figures (printed, never asserted)."""
    latencies, ballots = sorted(run.latencies), sorted(run.ballot_latencies)

    def p95(values: list[float]) -> float:
        return values[int(0.95 * (len(values) - 1))]

    print(f"\n{NOMINATIONS} nominations in {len(run.rounds)} rounds, {run.completions} task completions by {CLIENTS} "
          f"clients in {f['run_s']:.1f} s ({run.completions / f['run_s']:.1f}/s), load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs; POST complete p50 {statistics.median(latencies) * 1000:.0f} ms, p95 "
          f"{p95(latencies) * 1000:.0f} ms; ballot ({BATCH} dossiers) p50 {statistics.median(ballots) * 1000:.0f} ms, p95 "
          f"{p95(ballots) * 1000:.0f} ms; a round formed to counted p50 {statistics.median(run.round_seconds):.1f} s, "
          f"at most {run.most_open} rounds open at once")
    print(f"answers: {', '.join(f'{what} {status}: {n}' for (what, status), n in sorted(run.answers.items()))}; "
          f"races: {', '.join(f'{kind} {a}+{b}: {n}' for (kind, a, b), n in sorted(run.races.items()))}")
    print(f"RQ worker pid {f['killed_pid']} SIGKILLed running job {f['killed_job']} at {f['completions_at_kill']}/"
          f"{COMPLETIONS} completions, {f['timers_fired_at_kill']}/{2 * DUE_DRAFTS} timers fired; its group stopped "
          f"(honcho exit {f['group_exit']}) and was running again {f['restart_s']:.1f} s after the kill; every timer "
          f"fired {f['timers_done_after_kill_s']:.1f} s after the kill (at {f['completions_when_timers_done']} completions)")


# ----- what the database must say ----------------------------------------------------------------------------


def assert_route_done(db: Database, nids: list[int], rounds: dict[int, list[int]],
                      decisions: dict[int, tuple[int, list[int], str]]) -> None:
    rejected = {agenda[-1] for agenda in rounds.values()}
    with db.read() as s:
        users = dict(s.execute(select(User.id, User.username)).all())
        noms = s.scalars(select(Nomination).where(Nomination.id.in_(nids))).all()
        assert Counter(n.state for n in noms) == {"awarded": AWARDED, "rejected": ROUNDS}
        assert {n.id for n in noms if n.state == "rejected"} == rejected
        assert all(n.current_step is None for n in noms)

        ready = s.scalar(select(func.count()).select_from(TaskItem)
                         .where(TaskItem.nomination_id.in_(nids) | TaskItem.round_id.in_(rounds)
                                | TaskItem.decision_id.in_(decisions), TaskItem.state == "ready"))
        assert ready == 0, f"{ready} ready task rows left"
        rows = Counter((t.nomination_id, t.name, t.state, users.get(t.completed_by_id))
                       for t in s.scalars(select(TaskItem).where(TaskItem.nomination_id.in_(nids))))
        expected = Counter((nid, step, "completed", actor) for nid in nids
                           for step, actor in (TASK_ROWS[:AT_COUNCIL + 1] if nid in rejected else TASK_ROWS))
        assert rows == expected, f"task rows off: extra {list((rows - expected).items())[:5]}, " \
                                 f"missing {list((expected - rows).items())[:5]}"
        ballots = Counter((t.round_id, t.name, t.state, users.get(t.assignee_id), users.get(t.completed_by_id))
                          for t in s.scalars(select(TaskItem).where(TaskItem.round_id.in_(rounds))))
        assert ballots == Counter((rid, BALLOT, "completed", m, m) for rid in rounds for m in COUNCIL), ballots
        signatures = Counter((t.decision_id, t.name, t.state, users.get(t.completed_by_id))
                             for t in s.scalars(select(TaskItem).where(TaskItem.decision_id.in_(decisions))))
        assert signatures == Counter((did, name, "completed", actor) for did in decisions for name, actor in DECISION_ROWS), \
            signatures

        subject = (AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.seq)
        duplicated = s.execute(select(*subject, func.count()).group_by(*subject).having(func.count() > 1)).all()
        assert not duplicated, f"audit events sharing (subject, seq): {duplicated[:10]}"
        trails: dict[int, list[AuditEvent]] = {nid: [] for nid in nids}
        for event in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id.in_(nids))
                               .order_by(AuditEvent.nomination_id, AuditEvent.seq)):
            trails[event.nomination_id].append(event)
        for nid, events in trails.items():
            got = [(e.task, e.actor, e.action) for e in events]
            assert got == (AUDIT_TRAIL[:COUNCIL_TRAIL] if nid in rejected else AUDIT_TRAIL), f"nomination {nid}: {got}"
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
        for rid in rounds:  # the ballots are the round's events, the members in the order they voted
            got = s.execute(select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.subject_type == "round",
                                                                              AuditEvent.subject_id == str(rid))
                            .order_by(AuditEvent.seq)).all()
            voters = [actor for actor, action in got if action == "voted"]
            assert sorted(voters) == sorted(COUNCIL) and [tuple(e) for e in got] == round_trail(voters), (rid, got)

        everyone = s.scalars(select(Nomination.id)).all()
        broken = {nid: seq for nid in everyone if (seq := audit.verify_nomination(s, nid)) is not None}
        assert not broken, f"audit chains broken at: {broken}"
        broken = {rid: seq for rid in rounds if (seq := audit.verify_subject(s, "round", rid)) is not None}
        assert not broken, f"round audit chains broken at: {broken}"
        for did in decisions:
            got = s.execute(select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.subject_type == "decision",
                                                                              AuditEvent.subject_id == str(did))
                            .order_by(AuditEvent.seq)).all()
            assert [tuple(e) for e in got] == DECISION_TRAIL, (did, got)
        broken = {did: seq for did in decisions if (seq := audit.verify_subject(s, "decision", did)) is not None}
        assert not broken, f"decision audit chains broken at: {broken}"


def assert_rounds(db: Database, api: Api, run: Run) -> None:
    """Every round closed with nine ballots, the counts as voted, its sealed keys gone, verified over the API."""
    assert len(run.rounds) == ROUNDS and sorted(n for agenda in run.rounds.values() for n in agenda) == sorted(run.nominations)
    with db.read() as s:
        rounds = {r.id: r for r in s.scalars(select(CouncilRound).where(CouncilRound.id.in_(run.rounds)))}
        assert {(r.state, r.ballots_cast, r.members_called) for r in rounds.values()} == {("closed", 9, 9)}
        agree = {(d.round_id, d.nomination_id): d.agree for d in s.scalars(select(RoundDossier)
                                                                           .where(RoundDossier.round_id.in_(run.rounds)))}
        assert s.scalar(select(func.count()).select_from(RoundSealedKey).where(RoundSealedKey.round_id.in_(run.rounds))) == 0
    assert agree == {(rid, nid): REJECTED_AGREE if nid == agenda[-1] else len(COUNCIL)
                     for rid, agenda in run.rounds.items() for nid in agenda}
    for rid in run.rounds:
        assert api.verify_round(run.tokens["auditor"], rid) == {"round_id": rid, "verified": True, "problems": []}


def assert_decision_numbers(db: Database, run: Run, numbered_before: int) -> None:
    """One decision per round, of its passed dossiers; their numbers the next after the demo's, without gap or
    duplicate; every dossier of a decision awarded under its number, once in the registry."""
    decisions = run.decisions
    assert len(decisions) == ROUNDS and sorted(rid for rid, _, _ in decisions.values()) == sorted(run.rounds)
    assert sorted(nid for _, nids, _ in decisions.values() for nid in nids) == \
        sorted(nid for nid in run.nominations if run.passed[nid])
    with db.read() as s:
        rows = {d.id: (d.state, d.round_id, d.number) for d in s.scalars(select(Decision).where(Decision.id.in_(decisions)))}
        numbered = s.scalars(select(Decision.number).where(Decision.number.is_not(None))).all()
        noms = dict(s.execute(select(Nomination.id, Nomination.decision_number)
                              .where(Nomination.id.in_(run.nominations))).all())
        registry = s.execute(select(AwardRecord.nomination_id, AwardRecord.decision_id, AwardRecord.decision_number)).all()
    assert rows == {did: ("registered", rid, number) for did, (rid, _, number) in decisions.items()}
    ours = sorted(number for _, _, number in decisions.values())
    assert ours == sorted(decision_number(v) for v in range(numbered_before + 1, numbered_before + ROUNDS + 1)), ours
    assert sorted(numbered) == sorted(decision_number(v) for v in range(1, numbered_before + ROUNDS + 1)), numbered
    assert noms == {nid: next((number for _, nids, number in decisions.values() if nid in nids), None)
                    for nid in run.nominations}
    ours_in_registry = sorted((nid, did, number) for nid, did, number in registry if did in decisions)
    assert ours_in_registry == sorted((nid, did, number) for did, (_, nids, number) in decisions.items() for nid in nids)
    assert {number for _, _, number in registry} <= set(numbered)
    assert len({nid for nid, _, _ in registry}) == len(registry)


def assert_timers_fired_once(db: Database, drafts: list[int]) -> None:
    """Each draft: both timers fired, one reminder and one escalation event, one notification each."""
    with db.read() as s:
        states = Counter(s.scalars(select(Timer.state).where(Timer.nomination_id.in_(drafts))))
        assert states == {"fired": 2 * len(drafts)}
        events = Counter(s.execute(select(AuditEvent.nomination_id, AuditEvent.action)
                                   .where(AuditEvent.nomination_id.in_(drafts))).all())
        assert events == {(nid, action): 1 for nid in drafts for action in ("created", *TIMER_ACTIONS)}
        notes = Counter(s.execute(select(Notification.kind, User.username).join(User, User.id == Notification.user_id)
                                  .where(Notification.nomination_id.in_(drafts))).all())
        assert notes == {("reminder", "clerk1"): len(drafts), ("escalation", "head1"): len(drafts)}


def test_honcho_notices_a_worker_killed_by_sigkill(system_redis: str, products: Callable[..., Product], tmp_path):
    """A worker killed by SIGKILL (the OOM killer's way) must end its honcho group, so that whatever
    supervises the group restarts it; no process of the killed worker may live on."""
    product = products(f"sqlite:///{tmp_path / 'unused.db'}", system_redis)
    group = product.honcho("worker", concurrency={"worker": 1})
    redis = Redis.from_url(system_redis)
    worker = wait_until(lambda: next((w for w in Worker.all(connection=redis) if w.pid in marked_pids(product.run_id)),
                                     None), 30, "the RQ worker to register", product)
    os.kill(worker.pid, signal.SIGKILL)
    deadline = time.monotonic() + NOTICE_TIMEOUT
    while group.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in marked_pids(product.run_id) if pid != group.pid]
    assert not group.alive(), f"honcho still runs {NOTICE_TIMEOUT:.0f} s after its worker was killed; " \
                              f"processes of the group left: {left}"
