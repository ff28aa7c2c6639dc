"""Database engines and transactions for SQLite (embedded) and PostgreSQL.

Two kinds of transaction: ``read()`` for queries and ``write()`` for state
changes. On SQLite a write begins with ``BEGIN IMMEDIATE`` so that writers
queue on the database lock at the start instead of failing mid-transaction;
on PostgreSQL services lock the rows they change (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE_TIMEOUT = 30  # seconds a writer waits for the database lock


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": DEFAULT_SQLITE_TIMEOUT, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30)
    _ping_idle_connections(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one round trip of the two or three a
    whole step takes. A connection given back less than a second ago was alive then; one idle
    longer is pinged, and a dead one is replaced (the pool retries on ``DisconnectionError``).
    A server restarted within that second fails one statement per process, after which SQLAlchemy
    replaces every connection of the pool older than the failure.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new (just connected) or busy: alive a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite begins lazily).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass(frozen=True)
class Settings:
    """Product settings the service layer needs (the web app reads them from the environment)."""

    org_code: str = "BKHCN"
    upload_dir: Path = Path("instance/uploads")
    max_upload_bytes: int = 20 * 1024 * 1024
    token_lifetime_hours: int = 8
    smtp_host: str | None = None  # e-mail goes out only when set
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "vinhdanh@localhost"
    public_url: str = "http://127.0.0.1:5000"  # where the links in e-mails lead (no trailing slash)
    org_name: str = "BỘ KHOA HỌC VÀ CÔNG NGHỆ"  # printed at the head of the council's minutes and decisions
    org_title: str = "Bộ Khoa học và Công nghệ"  # the same name in running text ("... kính trình Thủ tướng")
    council_name: str = "Hội đồng Thi đua - Khen thưởng Bộ Khoa học và Công nghệ"
    city: str = "Hà Nội"
    ballot_key_bits: int = 2048  # the council rounds' Paillier keys (see workflows/domain/secret_ballot.py)


def _refuse_flush(session: Session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read session does not write: use Database.write()")


class Database:
    """The engine, the two session factories and the settings every service call uses."""

    def __init__(self, url: str, settings: Settings | None = None, **engine_kwargs) -> None:
        self.url = url
        self.settings = settings or Settings()
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # On PostgreSQL each query of a read session is its own transaction (READ COMMITTED gives each
        # statement its own snapshot anyway): no BEGIN and COMMIT round trips around a page's reads.
        read_engine = self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read = sessionmaker(read_engine, expire_on_commit=False)
        event.listen(self._read, "before_flush", _refuse_flush)
        write_engine = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries (it refuses to flush); loaded objects outlive it, unexpired.

        It ends with a commit that writes nothing, not a rollback: psycopg deallocates every prepared
        statement of the connection on ROLLBACK, so reads ending that way made every statement on the
        hot path be planned again (0.8 ms for the locking read alone). On PostgreSQL the session runs
        in autocommit, so that commit is not even a round trip.
        """
        with self._read() as session:
            yield session
            session.commit()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commit when the block ends, roll back on any error."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
