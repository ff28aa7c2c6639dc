"""Helpers for the worker tests: subprocesses (``rq worker``, the scheduler), waiting, and the
database facts that say "every timer fired exactly once"."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus
from sqlalchemy import func, select, text

from workers import QUEUE
from workflows.domain import clock
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, Notification, Timer, User

from ..support import Driver

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).parent / "rq")
# Nominations created this long ago (by the frozen clock) have both draft timers due in real time.
PAST = timedelta(days=40)
# What one draft's two timers produce when they fire.
TIMER_ACTIONS = ("reminder_sent", "escalated")
TIMER_NOTES = {("reminder", "clerk1"), ("escalation", "head1")}
DONE = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.SCHEDULED, JobStatus.STOPPED, JobStatus.CANCELED}
# Environment a test must not inherit: the processes get exactly the URLs and settings given here.
SCRUBBED = ("REDIS_URL", "DATABASE_URL", "TIMER_SWEEP_SECONDS", "SMTP_HOST", "UPLOAD_DIR")


class Proc:
    """One subprocess, its log file, and how to stop it."""

    def __init__(self, name: str, popen: subprocess.Popen, log_path: Path) -> None:
        self.name, self.popen, self.log_path = name, popen, log_path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 2000) -> str:
        """The first traceback in the log, if any, and the log's end."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        first = text.find("Traceback")
        error = text[first:first + 3000] + "\n[...]\n" if 0 <= first < len(text) - tail else ""
        return error + text[-tail:]

    def send(self, sig: int) -> None:
        """Signal the process group this process leads (it was started in its own session)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def kill(self) -> int:
        self.send(signal.SIGKILL)
        return self.popen.wait(10)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM (a warm shutdown for RQ and the scheduler), SIGKILL if it has not exited in time."""
        if self.alive():
            self.send(signal.SIGTERM)
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.send(signal.SIGKILL)  # also reaps anything left in its group
        return self.popen.wait(10)


class Procs:
    """Starts workers and schedulers for one test; ``stop_all`` runs in the fixture's finalizer."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str) -> None:
        self.tmp, self.redis_url = tmp, redis_url
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        self.env = env | {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
                          "UPLOAD_DIR": str(tmp / "uploads")}
        self.started: list[Proc] = []

    def start(self, name: str, argv: list[str], **env: str) -> Proc:
        log_path = self.tmp / f"{name}.log"
        with log_path.open("wb") as out:
            popen = subprocess.Popen(argv, cwd=ROOT, env=self.env | env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        proc = Proc(name, popen, log_path)
        self.started.append(proc)
        return proc

    def worker(self, name: str, *, burst: bool = False) -> Proc:
        """``rq worker`` as the Procfile runs it (SimpleWorker, queue ``vinhdanh``), under a unique name."""
        worker_name = f"{name}-{uuid.uuid4().hex[:8]}"
        argv = [RQ, "worker", "--url", self.redis_url, "--worker-class", "rq.worker.SimpleWorker", "--name", worker_name]
        proc = self.start(worker_name, [*argv, *(["--burst"] if burst else []), QUEUE])
        proc.name = worker_name
        return proc

    def scheduler(self, sweep_seconds: int = 1) -> Proc:
        """``python -m workers.scheduler`` on the test Redis (RQ cron mode)."""
        return self.start(f"scheduler-{uuid.uuid4().hex[:8]}", [sys.executable, "-m", "workers.scheduler"],
                          REDIS_URL=self.redis_url, TIMER_SWEEP_SECONDS=str(sweep_seconds))

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} (pid {p.pid}, rc {p.popen.poll()}) -----\n{p.log()}" for p in self.started)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()


# ----- waiting -------------------------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, procs: Procs | None = None,
             watch: Iterable[Proc] = (), poll: float = 0.05) -> float:
    """Poll until ``predicate()``; returns the seconds it took. Fails with the processes' logs on timeout,
    or at once if a process in ``watch`` (one that should keep running) exits."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        died = [p for p in watch if not p.alive()]
        elapsed = time.monotonic() - started
        if died or elapsed > timeout:
            reason = f"{', '.join(p.name for p in died)} exited" if died else f"timed out after {timeout:.0f}s"
            pytest.fail(f"{reason} waiting for {what}\n{procs.logs() if procs else ''}", pytrace=False)
        time.sleep(poll)


def wait_registered(connection: Redis, procs: Procs, *workers: Proc, timeout: float = 30) -> None:
    names = {w.name for w in workers}
    wait_for(lambda: names <= {w.name for w in Worker.all(connection=connection)}, timeout,
             f"workers {sorted(names)} to register", procs, watch=workers)


def jobs_done(connection: Redis, ids: list[str]) -> bool:
    return all(job is not None and job.get_status(refresh=False) in DONE for job in Job.fetch_many(ids, connection))


def finished_jobs(connection: Redis, queue: Queue, ids: list[str], procs: Procs) -> list[Job]:
    """All ``ids`` as finished jobs; otherwise fails with each unfinished job's status and the workers' logs."""
    fetched = Job.fetch_many(ids, connection)
    bad = [f"{i}: {'missing' if j is None else j.get_status(refresh=False)} {_error(j)}"
           for i, j in zip(ids, fetched, strict=True) if j is None or j.get_status(refresh=False) != JobStatus.FINISHED]
    assert not bad, "jobs not finished:\n" + "\n".join(bad[:10]) + "\n" + procs.logs()
    assert queue.failed_job_registry.count == 0, queue.failed_job_registry.get_job_ids()
    assert queue.scheduled_job_registry.count == 0, "a job failed and was scheduled for a retry"
    return [j for j in fetched if j is not None]


def _error(job: Job | None) -> str:
    result = job.latest_result() if job is not None else None
    return (result.exc_string or "")[-1500:] if result is not None else ""


# ----- the database -------------------------------------------------------------------------------------------


def create_due(db: Database, n: int) -> list[int]:
    """``n`` drafts created ``PAST`` ago: ``2n`` timers, all pending and already due by the real clock."""
    driver = Driver(db)
    with clock.frozen(datetime.now(UTC) - PAST):
        nids = [driver.create(documents=False) for _ in range(n)]  # drafts that only wait for their timers
    assert timer_states(db) == {"pending": 2 * n}
    assert pending_due(db) == 2 * n, "every timer must be due by the real clock"
    return nids


def timer_states(db: Database) -> Counter[str]:
    with db.read() as s:
        return Counter(dict(s.execute(select(Timer.state, func.count()).group_by(Timer.state)).all()))


def pending_due(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Timer)
                        .where(Timer.state == "pending", Timer.due_at < datetime.now(UTC)))


def fired(db: Database) -> int:
    return timer_states(db)["fired"]


def settle(db: Database, timeout: float = 15) -> None:
    """Wait until no other session on this database is running or holds a transaction open
    (a killed worker's backend rolls back and lets go of its row locks)."""
    def quiet() -> bool:
        with db.engine.connect() as conn:
            return not conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"))
    wait_for(quiet, timeout, "other database sessions to finish")


def assert_fired_exactly_once(db: Database, nids: list[int]) -> None:
    """Every timer row fired; each draft has one reminder and one escalation audit event and notification;
    every audit chain verifies."""
    n = len(nids)
    with db.read() as s:
        rows = s.execute(select(Timer.state, Timer.closed_at)).all()
        assert Counter(state for state, _ in rows) == {"fired": 2 * n}
        assert all(closed is not None for _, closed in rows)
        events = Counter(s.execute(select(AuditEvent.nomination_id, AuditEvent.action)
                                   .where(AuditEvent.subject_type == "nomination")).all())
        expected = {(nid, action): 1 for nid in nids for action in ("created", *TIMER_ACTIONS)}
        extra = {k: v for k, v in events.items() if expected.get(k) != v}
        missing = expected.keys() - events.keys()
        assert not extra and not missing, f"audit events off: duplicated/unexpected {list(extra.items())[:10]}, " \
                                          f"missing {sorted(missing)[:10]}"
        notes = Counter(s.execute(select(Notification.kind, User.username)
                                  .join(User, User.id == Notification.user_id)).all())
        assert notes == dict.fromkeys(TIMER_NOTES, n)
        broken = {nid: bad for nid in nids if (bad := audit.verify_nomination(s, nid)) is not None}
        assert not broken, f"audit chains broken at: {broken}"
