"""Pooled PostgreSQL connections: a dead one is replaced before use, a busy one is not pinged each time."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from workflows.persistence import db as dbmodule
from workflows.persistence.db import Database


def _kill_backends(url: str, database: Database) -> int:
    """Terminate every server process of ``database``'s pool (what a server restart does to it)."""
    with database.read() as s:
        pids = {s.scalar(text("SELECT pg_backend_pid()"))}
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    return len(pids)


@pytest.fixture
def pooled(pg_url: str):
    database = Database(pg_url, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_when_dead(pg_url, pooled, monkeypatch):
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _kill_backends(pg_url, pooled) == 1
    with pooled.read() as s:  # the pool's one connection is dead: the ping finds it, the pool reconnects
        assert s.scalar(select(1)) == 1
    with pooled.write() as s:
        assert s.scalar(select(1)) == 1


def test_without_the_ping_the_dead_connection_fails_its_first_statement(pg_url, pooled, monkeypatch):
    """The control: it is the ping that saves the first statement above."""
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE_SECONDS", 3600.0)
    _kill_backends(pg_url, pooled)
    with pytest.raises(OperationalError, match=r"terminat|closed|connection"), pooled.read() as s:
        s.scalar(select(1))
    with pooled.read() as s:  # SQLAlchemy replaced the pool's connections after the failure
        assert s.scalar(select(1)) == 1


def test_a_busy_connection_is_not_pinged(pooled, monkeypatch):
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with pooled.read() as s:
        s.scalar(select(1))
    pings = []
    original = pooled.engine.dialect.do_ping
    monkeypatch.setattr(pooled.engine.dialect, "do_ping", lambda conn: pings.append(1) or original(conn))
    for _ in range(5):
        with pooled.read() as s:
            s.scalar(select(1))
    assert pings == []
    monkeypatch.setattr(dbmodule, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pooled.read() as s:
        s.scalar(select(1))
    assert pings == [1]
