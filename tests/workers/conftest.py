"""Fixtures for tests that run real ``rq worker`` and ``python -m workers.scheduler`` subprocesses.

They need Redis (the ``redis_url`` fixture: ``TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``)
and PostgreSQL (the session database of ``_pg_db``, emptied and seeded for each test). Only the test
Redis database is ever cleared, with ``FLUSHDB`` (never ``FLUSHALL``), before and after each test.

Every subprocess runs in its own session; a finalizer stops it (SIGTERM, then SIGKILL of its process
group) even when the test fails, so no worker outlives its test and touches the next test's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from workers import QUEUE
from workflows.persistence.db import Database
from workflows.services.demo import seed_people

from ..conftest import _empty
from .helpers import Procs


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Database:
    """The session PostgreSQL database, emptied, with the demo people."""
    database: Database = request.getfixturevalue("_pg_db")
    _empty(database)
    seed_people(database)
    return database


@pytest.fixture
def rq_redis(redis_url: str) -> Iterator[Redis]:
    """A client on the test Redis database, which is FLUSHDB'd (that database only) before and after."""
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def queue(rq_redis: Redis) -> Queue:
    return Queue(QUEUE, connection=rq_redis)


@pytest.fixture
def procs(pg: Database, rq_redis: Redis, redis_url: str, tmp_path: Path) -> Iterator[Procs]:
    """Set up after the database and Redis, torn down before them: no process outlives the test."""
    started = Procs(tmp_path, pg.url, redis_url)
    try:
        yield started
    finally:
        started.stop_all()
