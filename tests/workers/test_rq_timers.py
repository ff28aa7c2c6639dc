"""Timers fired by real RQ workers: racing workers, a worker killed mid-batch, a flushed Redis, reruns.

Each test runs real ``rq worker`` processes (SimpleWorker on queue ``vinhdanh``, as in the Procfile) and,
for the flush, the real ``python -m workers.scheduler``, against the session PostgreSQL database and the
test Redis database. The workers use the real clock; the drafts are created with the clock frozen 40 days
back, so both of each draft's timers (reminder and escalation) are due.

"Fired exactly once" means: every timer row is ``fired``; each draft has exactly one ``reminder_sent`` and
one ``escalated`` audit event, one reminder notification (clerk1) and one escalation notification (head1);
every audit chain verifies; and the jobs' own counts add up to the number of timers.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from redis import Redis
from rq import Queue
from rq.cron import get_cron_job_ids
from rq.job import Job, JobStatus
from sqlalchemy import select

from workers import jobs
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database
from workflows.persistence.model import QuarterlyReport, Timer, Unit
from workflows.services import reports

from .helpers import (
    Procs,
    assert_fired_exactly_once,
    create_due,
    finished_jobs,
    fired,
    jobs_done,
    pending_due,
    settle,
    timer_states,
    wait_for,
    wait_registered,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def report(capsys: pytest.CaptureFixture[str], record_property, **measured: object) -> None:
    """Show measured numbers in the test output (and the JUnit XML)."""
    for key, value in measured.items():
        record_property(key, value)
    with capsys.disabled():
        print("\n    measured: " + ", ".join(f"{k}={v}" for k, v in measured.items()))


def test_two_workers_racing_over_200_due_timers_fire_each_once(pg: Database, rq_redis: Redis, queue: Queue,
                                                                  procs: Procs, capsys, record_property):
    """Twelve sweeps of 20 nominations over 100 due nominations, on two workers at once: sweeps that start
    together go for the same first due rows, and there is room for every nomination to be reached twice."""
    nids = create_due(pg, 100)  # 200 due timers
    workers = [procs.worker("racer-a"), procs.worker("racer-b")]
    wait_registered(rq_redis, procs, *workers)

    started = time.monotonic()
    ids = [jobs.enqueue(queue, "fire_due_timers", 20).id for _ in range(12)]
    wait_for(lambda: pending_due(pg) == 0, 60, "every due timer to fire", procs, watch=workers)
    wait_for(lambda: jobs_done(rq_redis, ids), 60, "every job to end", procs, watch=workers)
    elapsed = time.monotonic() - started

    done = finished_jobs(rq_redis, queue, ids, procs)
    assert_fired_exactly_once(pg, nids)
    results = [job.return_value() for job in done]
    assert sum(results) == 200, "the jobs' own counts must add up to the timers, each counted once"
    per_worker = Counter(job.worker_name for job in done)
    assert set(per_worker) == {w.name for w in workers}, f"both workers must have taken jobs: {per_worker}"
    assert all(w.alive() for w in workers)
    report(capsys, record_property, jobs=len(ids), seconds=round(elapsed, 2),
           jobs_per_worker=sorted(per_worker.values()), jobs_that_found_nothing=results.count(0))


def test_a_worker_killed_mid_batch_loses_nothing_and_fires_nothing_twice(pg: Database, rq_redis: Redis, queue: Queue,
                                                                          procs: Procs, capsys, record_property):
    """SIGKILL one worker while its single sweep is firing 500 timers; a fresh worker finishes the rest."""
    nids = create_due(pg, 250)  # 500 due timers
    total = 500
    doomed = procs.worker("doomed")
    wait_registered(rq_redis, procs, doomed)
    job = jobs.enqueue(queue, "fire_due_timers", 1000)
    wait_for(lambda: fired(pg) >= 100, 60, "the sweep to be well under way", procs, watch=[doomed], poll=0.01)
    doomed.kill()  # SIGKILL: no warm shutdown, no rollback by the worker; the open transaction dies with it
    killed_at = datetime.now(UTC)
    assert doomed.popen.returncode == -9
    job.refresh()
    started_at = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)

    settle(pg)  # the dead worker's backend has rolled back its transaction and let go of its row lock
    before = fired(pg)
    assert 0 < before < total, f"the kill must land mid-batch, {before} of {total} had fired"
    assert job.get_status() == JobStatus.STARTED, "the killed job never finished"
    with pg.read() as s:  # a nomination's timers fire in one transaction: none is half done
        per_nomination = Counter(tuple(sorted(states)) for states in _states_by_nomination(s).values())
    assert set(per_nomination) <= {("fired", "fired"), ("pending", "pending")}, per_nomination

    rescuer = procs.worker("rescuer")
    wait_registered(rq_redis, procs, rescuer)
    rescue_ids: list[str] = []
    for _ in range(5):  # a sweep skips a row another transaction still holds; the next sweep gets it
        rescue_ids.append(jobs.enqueue(queue, "fire_due_timers", 1000).id)
        wait_for(lambda: jobs_done(rq_redis, rescue_ids), 60, "the rescue sweep", procs, watch=[rescuer])
        if pending_due(pg) == 0:
            break
    rescued = [j.return_value() for j in finished_jobs(rq_redis, queue, rescue_ids, procs)]
    assert before + sum(rescued) == total, "what the dead worker committed plus what the rescue fired, once each"
    assert_fired_exactly_once(pg, nids)
    report(capsys, record_property, killed_after_s=round((killed_at - started_at).total_seconds(), 2), fired_before_kill=before,
           fired_by_rescue=sum(rescued), rescue_sweeps=len(rescue_ids))


def _states_by_nomination(s) -> dict[int, list[str]]:
    states: dict[int, list[str]] = {}
    for nid, state in s.execute(select(Timer.nomination_id, Timer.state)):
        states.setdefault(nid, []).append(state)
    return states


def test_after_redis_is_flushed_the_scheduler_sweep_still_fires_every_timer(pg: Database, rq_redis: Redis, queue: Queue,
                                                                            procs: Procs, capsys, record_property):
    """Sweeps for 100 due timers are enqueued and the scheduler is running (sweep every second, no worker yet);
    then the test Redis database is emptied with FLUSHDB (this database only: queues, jobs, the scheduler's
    registration all gone). One worker then starts; every timer fires, from the database's timer table,
    by sweeps the scheduler enqueued after the flush."""
    nids = create_due(pg, 50)
    lost = [jobs.enqueue(queue, "fire_due_timers", 1000).id for _ in range(3)]
    scheduler = procs.scheduler(sweep_seconds=1)
    wait_for(lambda: len(get_cron_job_ids("workers.jobs.fire_due_timers", rq_redis)) >= 2, 30,
             "the scheduler to enqueue sweeps", procs, watch=[scheduler])
    assert pending_due(pg) == 100, "no worker has run yet"

    rq_redis.flushdb()
    assert len(queue) == 0 and not any(Job.exists(i, connection=rq_redis) for i in lost)
    worker = procs.worker("after-flush")
    wait_for(lambda: pending_due(pg) == 0, 60, "every timer to fire after the flush", procs, watch=[scheduler, worker])

    sweeps = get_cron_job_ids("workers.jobs.fire_due_timers", rq_redis)  # all enqueued after the flush
    assert sweeps, "the scheduler kept enqueuing sweeps after Redis lost its state"
    wait_for(lambda: jobs_done(rq_redis, sweeps), 60, "the sweeps to end", procs, watch=[scheduler, worker])
    fired_by = [j.return_value() for j in finished_jobs(rq_redis, queue, sweeps, procs)]
    assert sum(fired_by) == 100, f"the scheduler's own sweeps fired every timer Redis had lost: {fired_by}"
    assert_fired_exactly_once(pg, nids)
    assert scheduler.stop() == 0, f"the scheduler must shut down cleanly on SIGTERM\n{scheduler.log()}"
    assert worker.stop() == 0, worker.log()
    report(capsys, record_property, sweeps_after_flush=len(sweeps))


def test_quarterly_reports_are_opened_once_per_unit_however_often_the_job_runs(pg: Database, rq_redis: Redis,
                                                                               queue: Queue, procs: Procs):
    """Four runs of ``open_quarterly_reports`` on two workers: one report per proposing unit, this quarter."""
    today = datetime.now(VN_TZ).date()
    year, quarter = reports.quarter_of(today)
    ids = [jobs.enqueue(queue, "open_quarterly_reports").id for _ in range(4)]
    workers = [procs.worker("quarterly-a", burst=True), procs.worker("quarterly-b", burst=True)]
    for w in workers:
        w.popen.wait(60)
        assert w.popen.returncode == 0, procs.logs()
    if reports.quarter_of(datetime.now(VN_TZ).date()) != (year, quarter):
        pytest.skip("the quarter changed while the test ran")

    created = [j.return_value() for j in finished_jobs(rq_redis, queue, ids, procs)]
    with pg.read() as s:
        units = set(s.scalars(select(Unit.id).where(Unit.is_ministry_office.is_(False))))
        office = set(s.scalars(select(Unit.id).where(Unit.is_ministry_office.is_(True))))
        rows = s.scalars(select(QuarterlyReport)).all()
    assert units and office
    assert sum(created) == len(units) and sorted(created)[:-1] == [0] * 3, created
    assert sorted(r.unit_id for r in rows) == sorted(units), "one report per proposing unit, none for the office"
    due = datetime(year, quarter * 3, 15, 17, 0, tzinfo=VN_TZ)
    assert {(r.year, r.quarter, r.due_at, r.state) for r in rows} == {(year, quarter, due, "open")}
    assert rows[0].due_at.astimezone(VN_TZ).hour == 17
    assert reports.create_for_quarter(pg) == 0, "a direct rerun creates nothing either"
    with pg.read() as s:
        assert len(s.scalars(select(QuarterlyReport)).all()) == len(units)
    assert timer_states(pg) == {}, "no nominations here"
