"""The follow-up reminder while a dossier waits for the outside result, fired by real racing RQ workers.

A repeating timer keeps one row that moves to its next period when one fires: two ``rq worker``
processes sweeping at once send each due period once, and sweeps after that find nothing due (the
row and the engine moved together). The dossiers are taken to the outside result with the clock
frozen months back, so their first period is due by the real clock the workers use.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from workers import jobs
from workflows.domain import clock
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, Notification, Timer, User

from ..support import Driver
from .helpers import Procs, finished_jobs, jobs_done, wait_for, wait_registered

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def follow_ups(db: Database) -> dict[int, tuple[str, datetime, datetime]]:
    with db.read() as s:
        return {t.nomination_id: (t.state, t.due_at, t.created_at)
                for t in s.scalars(select(Timer).where(Timer.name == "outside_result_reminder"))}


def test_racing_workers_send_each_follow_up_once(pg: Database, rq_redis: Redis, queue: Queue, procs: Procs):
    driver = Driver(pg)
    with clock.frozen(datetime.now(UTC) - timedelta(days=120)) as advance:
        nids = [driver.submitted_above(advance, nominee_name=f"Nguyễn Văn {i}") for i in "ABCD"]
    started = datetime.now(UTC)
    assert all(state == "pending" and due < started for state, due, _ in follow_ups(pg).values())

    workers = [procs.worker("follow-a"), procs.worker("follow-b")]
    wait_registered(rq_redis, procs, *workers)
    ids = [jobs.enqueue(queue, "fire_due_timers", 20).id for _ in range(8)]
    wait_for(lambda: jobs_done(rq_redis, ids), 60, "every sweep to end", procs, watch=workers)
    results = [job.return_value() for job in finished_jobs(rq_redis, queue, ids, procs)]
    assert sum(results) == len(nids), results  # one period each, however many sweeps raced

    rows = follow_ups(pg)
    assert set(rows) == set(nids)
    for state, due, period_start in rows.values():
        assert state == "pending" and due > datetime.now(UTC) + timedelta(days=7)  # the next period, 10 working days on
        assert started <= period_start <= datetime.now(UTC)
    with pg.read() as s:
        sent = s.scalars(select(AuditEvent.nomination_id).where(AuditEvent.action == "reminder_sent",
                                                                AuditEvent.task == "outside_result")).all()
        told = s.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                         .where(Notification.kind == "reminder")).all()
    assert sorted(sent) == sorted(nids) and told == ["secretary"] * len(nids)

    again = [jobs.enqueue(queue, "fire_due_timers", 20).id for _ in range(3)]
    wait_for(lambda: jobs_done(rq_redis, again), 60, "the later sweeps to end", procs, watch=workers)
    assert [job.return_value() for job in finished_jobs(rq_redis, queue, again, procs)] == [0, 0, 0]
