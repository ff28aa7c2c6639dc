"""The Procfile under load: 100 nominations through the whole route by 20 concurrent API clients,
while an RQ worker is SIGKILLed mid-job and its processes are started again.

The Procfile is run by honcho, from the project root, in two groups: ``honcho start -f Procfile
-c web=1,scheduler=1 web scheduler`` (gunicorn with ``WEB_CONCURRENCY=4`` workers of 4 threads, and
the one scheduler) and ``honcho start -f Procfile -c worker=2 worker`` (two ``rq worker`` processes).
Two groups, because honcho stops every process it runs as soon as one of them exits: a killed
worker takes down its own group only, which is then started again, as a supervisor restarts a
crashed worker dyno. The database is a fresh PostgreSQL database migrated by the Procfile's
``release`` line and loaded by ``seed-demo``; Redis is the test database (``TEST_REDIS_URL``).

Twenty client threads each take the next of 100 nominations, create it (``POST
/api/v1/nominations``) and drive it to "awarded", finding every task in the actor's own list
(``GET /api/v1/tasks``). Each role-wide step (draft, unit head, secretariat, appraisal, minister) is
sent twice at once, as two people acting on the same dossier, and so is one ballot per
nomination: exactly one of each pair must succeed and the other get 409, the expected answer to a
race (a 409 is followed by a fresh read of the list, and a retry if the task is still there). The
nine ballots of a nomination are cast concurrently. Any 5xx, or any other unexpected answer, fails
the test.

Meanwhile, at about a third of the run, the test creates drafts whose reminder and escalation
timers are already due (in this process, with the clock moved 40 days back), so the workers
have real work; an RQ worker is SIGKILLed while it is busy firing them, and its honcho group is
started again. At the end: every nomination "awarded" with no ready task row and exactly the
route's task rows, each completed once and by its own actor; every audit event unique by
(nomination, seq) and the route's actions each once per nomination; every audit chain intact
(``verify_nomination``); decision numbers consecutive, without gap or duplicate; every due timer
fired exactly once despite the kill. Timings are printed, never asserted; the timeouts only catch
a hang.
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
from workflows.persistence.model import AuditEvent, AwardRecord, Nomination, Notification, TaskItem, Timer, User

from ..support import DOSSIER, Driver
from ..workers.helpers import PAST, TIMER_ACTIONS
from .product import APPROVE, AUDIT_TRAIL, COUNCIL, DECISION_STEP, ROUTE, Api, Product, ProductError, free_port, marked_pids

pytestmark = [pytest.mark.system, pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("honcho")]

NOMINATIONS = 100
CLIENTS = 20
DUE_DRAFTS = 60  # drafts with two due timers each, created mid-run for the workers
RACED = {"draft", "head_review", "secretariat_check", "appraisal"}  # and one ballot, and the minister's signature
COMPLETIONS = NOMINATIONS * (len(ROUTE) + 1)  # the route's steps and the signature of each one's decision
RUN_TIMEOUT = 240.0  # seconds for the clients; only catches a hang
TIMERS_TIMEOUT = 90.0
NOTICE_TIMEOUT = 10.0  # honcho polls every 0.1 s
ORG = "BKHCN"


class Run:
    """The clients' shared record: every answer, the races, the failures, the progress."""

    def __init__(self, api: Api, tokens: dict[str, str]) -> None:
        self.api, self.tokens = api, tokens
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, int]] = Counter()
        self.races: Counter[tuple[int, int]] = Counter()
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self.completions = 0
        self.nominations: list[int] = []
        self.started = 0
        self.stop = threading.Event()
        self.voters = ThreadPoolExecutor(CLIENTS, thread_name_prefix="voter")
        self.rivals = ThreadPoolExecutor(CLIENTS, thread_name_prefix="rival")

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)
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
                self.drive(body["id"])
        except Exception as exc:
            self.fail(f"client crashed: {type(exc).__name__}: {exc}")

    def drive(self, nid: int) -> None:
        raced_ballot = random.choice(COUNCIL)
        for step, actor, data in ROUTE:
            if self.stop.is_set():
                return
            if step != "council_vote":
                self.step(nid, step, actor, data, step in RACED)
            elif actor == COUNCIL[0]:  # the whole council votes at once
                futures = [self.voters.submit(self.step, nid, s, member, choice, member == raced_ballot)
                           for s, member, choice in ROUTE if s == "council_vote"]
                for future in futures:
                    future.result()
        if not self.stop.is_set():
            self.decide(nid)

    def decide(self, nid: int) -> None:
        """A decision for this dossier alone: drafted and sent, signed by two racing calls, registered."""
        try:
            decision_id, sign_task = self.api.draft_and_send(self.tokens, [nid])
        except ProductError as exc:
            return self.fail(str(exc))
        rival = self.rivals.submit(self.post, "minister", sign_task, APPROVE)
        statuses = sorted((self.post("minister", sign_task, APPROVE), rival.result()))
        with self.lock:
            self.races[tuple(statuses)] += 1
        if statuses != [200, 409]:
            return self.fail(f"nomination {nid}: decision {decision_id} signed {statuses}")
        try:
            self.api.register(self.tokens, decision_id)
        except ProductError as exc:
            self.fail(str(exc))

    def post(self, actor: str, item: int, data: dict) -> int:
        started = time.perf_counter()
        status, body = self.api.complete(self.tokens[actor], item, data)
        elapsed = time.perf_counter() - started
        self.answer("complete", status, body)
        with self.lock:
            self.latencies.append(elapsed)
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
                rival = self.rivals.submit(self.post, actor, item, data)
                statuses = sorted((self.post(actor, item, data), rival.result()))
                with self.lock:
                    self.races[tuple(statuses)] += 1
                if statuses == [200, 200]:
                    return self.fail(f"nomination {nid}: {step} task {item} completed twice")
                done = 200 in statuses
            else:
                done = self.post(actor, item, data) == 200
            if done or self.stop.is_set():
                return
        self.fail(f"nomination {nid}: {actor} could not complete {step} in 5 attempts")

    def progress(self) -> int:
        with self.lock:
            return self.completions


# ----- the workers' part --------------------------------------------------------------------------------------


def create_due_drafts(db: Database, n: int) -> list[int]:
    """``n`` drafts made as if 40 days ago: both draft timers (reminder, escalation) are due now."""
    driver = Driver(db)
    with clock.frozen(datetime.now(UTC) - PAST):
        return [driver.create() for _ in range(n)]


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
            awarded_before = s.scalar(select(func.count()).select_from(AwardRecord))
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

        assert_route_done(db, run.nominations)
        assert_decision_numbers(db, run.nominations, awarded_before)
        assert_timers_fired_once(db, drafts)
        assert run.races == {(200, 409): NOMINATIONS * (len(RACED) + 2)}
    finally:
        db.dispose()


def report(run: Run, f: dict) -> None:
    """The measured figures (printed, never asserted)."""
    latencies = sorted(run.latencies)
    print(f"\n{NOMINATIONS} nominations, {run.completions} task completions by {CLIENTS} clients in {f['run_s']:.1f} s "
          f"({run.completions / f['run_s']:.1f}/s), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"POST complete p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms")
    print(f"answers: {', '.join(f'{what} {status}: {n}' for (what, status), n in sorted(run.answers.items()))}; "
          f"races: {', '.join(f'{a}+{b}: {n}' for (a, b), n in run.races.items())}")
    print(f"RQ worker pid {f['killed_pid']} SIGKILLed running job {f['killed_job']} at {f['completions_at_kill']}/"
          f"{COMPLETIONS} completions, {f['timers_fired_at_kill']}/{2 * DUE_DRAFTS} timers fired; its group stopped "
          f"(honcho exit {f['group_exit']}) and was running again {f['restart_s']:.1f} s after the kill; every timer "
          f"fired {f['timers_done_after_kill_s']:.1f} s after the kill (at {f['completions_when_timers_done']} completions)")


# ----- what the database must say ----------------------------------------------------------------------------


def assert_route_done(db: Database, nids: list[int]) -> None:
    with db.read() as s:
        users = dict(s.execute(select(User.id, User.username)).all())
        noms = s.scalars(select(Nomination).where(Nomination.id.in_(nids))).all()
        assert Counter(n.state for n in noms) == {"awarded": len(nids)}
        assert all(n.current_step is None for n in noms)

        ready = s.scalar(select(func.count()).select_from(TaskItem)
                         .where(TaskItem.nomination_id.in_(nids), TaskItem.state == "ready"))
        assert ready == 0, f"{ready} ready task rows left"
        rows = Counter((t.nomination_id, t.name, t.state, users.get(t.completed_by_id))
                       for t in s.scalars(select(TaskItem).where(TaskItem.nomination_id.in_(nids))))
        expected = Counter((nid, step, "completed", actor) for nid in nids
                           for step, actor in [*((step, actor) for step, actor, _ in ROUTE), DECISION_STEP])
        assert rows == expected, f"task rows off: extra {list((rows - expected).items())[:5]}, " \
                                 f"missing {list((expected - rows).items())[:5]}"

        subject = (AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.seq)
        duplicated = s.execute(select(*subject, func.count()).group_by(*subject).having(func.count() > 1)).all()
        assert not duplicated, f"audit events sharing (subject, seq): {duplicated[:10]}"
        trails: dict[int, list[AuditEvent]] = {nid: [] for nid in nids}
        for event in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id.in_(nids))
                               .order_by(AuditEvent.nomination_id, AuditEvent.seq)):
            trails[event.nomination_id].append(event)
        want = Counter(AUDIT_TRAIL)
        for nid, events in trails.items():
            got = [(e.task, e.actor, e.action) for e in events]
            assert Counter(got) == want, f"nomination {nid}: repeated or missing actions {Counter(got) - want} " \
                                         f"/ {want - Counter(got)}"
            # Ballots come in any order, but the result follows the last of them.
            assert got[:4] == AUDIT_TRAIL[:4] and got[-4:] == AUDIT_TRAIL[-4:], f"nomination {nid}: {got}"
            assert [e.seq for e in events] == list(range(1, len(events) + 1))

        everyone = s.scalars(select(Nomination.id)).all()
        broken = {nid: seq for nid in everyone if (seq := audit.verify_nomination(s, nid)) is not None}
        assert not broken, f"audit chains broken at: {broken}"


def assert_decision_numbers(db: Database, nids: list[int], awarded_before: int) -> None:
    """The run's decisions take the next numbers after the demo's, without gap or duplicate."""
    with db.read() as s:
        ours = s.scalars(select(Nomination.decision_number).where(Nomination.id.in_(nids))).all()
        registry = s.execute(select(AwardRecord.nomination_id, AwardRecord.decision_number)).all()
    numbers = sorted(int(n.removesuffix(f"/QĐ-{ORG}")) for n in ours)
    assert numbers == list(range(awarded_before + 1, awarded_before + len(nids) + 1)), numbers
    assert sorted(int(n.removesuffix(f"/QĐ-{ORG}")) for _, n in registry) == list(range(1, awarded_before + len(nids) + 1))
    assert len({nid for nid, _ in registry}) == len(registry)


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
