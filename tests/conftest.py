"""Fixtures: a real database per backend (SQLite file and PostgreSQL), migrated once per session.

Tests that take ``db`` run on both backends. PostgreSQL tests use a database
created for this session (so parallel runs never collide) on the server at
``TEST_DATABASE_URL``; without that server they are skipped with a reason,
except under CI (``CI=true``), where a missing server or tool is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import Table, create_engine, select, text
from sqlalchemy.engine import make_url

from workflows import caches
from workflows.persistence import migrate, reference, versions
from workflows.persistence.db import Database, Settings
from workflows.persistence.decision_model import Decision
from workflows.persistence.model import AwardRecord, Base, CouncilRound, Nomination, ProcessModel
from workflows.persistence.registry_model import HeldAward
from workflows.services import rounds
from workflows.services.demo import seed_people

from .support import PASSPHRASE, Driver, RoundDriver, per_dossier_route_xml

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Reference data and deployed routes survive between tests; everything else is emptied.
KEPT_TABLES = {"alembic_version", "award_forms", "council_rules", "step_deadlines", "escalation_rules", "process_models"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cold-caches", action="store_true",
        help="drop every in-process cache before each transaction, as if each step ran in a fresh process",
    )


@pytest.fixture(autouse=True)
def _cold_caches(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In cold mode every read and write starts as a new web or RQ worker would: nothing parsed, nothing cached."""
    if not request.config.getoption("--cold-caches"):
        return
    for name in ("read", "write"):
        opened = getattr(Database, name)

        def cold(self, _opened=opened):
            caches.clear_all()
            return _opened(self)

        monkeypatch.setattr(Database, name, cold)


def _unavailable(what: str, reason: str) -> None:
    message = f"{what} unavailable ({reason})"
    if IN_CI:
        pytest.fail(f"{message}: under CI a missing server or tool is a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"vinhdanh_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, no rights: say which
        admin.dispose()
        _unavailable("PostgreSQL", f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _own_redis_database(url: str) -> str:
    """Each pytest-xdist worker (gw0, gw1, ...) counts down from the configured Redis database, so that one
    worker's FLUSHDB never empties another's queues."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base, index = int(parts.path.strip("/") or 0), int(worker[2:])
    if index > base:
        raise pytest.UsageError(f"{url}: too few Redis databases below it for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{base - index}"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = _own_redis_database(os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS))
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        _unavailable("Redis", f"{type(exc).__name__}: {exc}")
    return url


def _settings(tmp: Path) -> Settings:
    # 1024-bit round keys keep the suite fast; tests/workflows/test_secret_ballot.py tries 2048
    return Settings(org_code="BKHCN", upload_dir=tmp / "uploads", max_upload_bytes=2 * 1024 * 1024, ballot_key_bits=1024)


@pytest.fixture(scope="session")
def _sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    tmp = tmp_path_factory.mktemp("sqlite")
    db = Database(f"sqlite:///{tmp / 'test.db'}", _settings(tmp))
    migrate.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def _pg_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = request.getfixturevalue("pg_url")
    db = Database(url, _settings(tmp_path_factory.mktemp("pg")), pool_size=10, max_overflow=30)
    migrate.upgrade(db)
    yield db
    db.dispose()


_EMPTIED = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
# Per database URL: the rows the first real seed wrote, table by table in insertion order, and on PostgreSQL
# the sequence of each emptied table's id column. Loading them again costs one INSERT per table, where the
# seed's services cost a few hundred milliseconds a test.
_SEEDED: dict[str, list[tuple[Table, list[dict]]]] = {}
_SEQUENCES: dict[str, dict[str, str]] = {}


def _empty(db: Database) -> None:
    """Every row but the kept reference data and deployed routes, ids starting again from 1.

    DELETE, not TRUNCATE: PostgreSQL's TRUNCATE gives every table and index a new file (about a second a
    test here); these tables hold a few rows."""
    caches.clear_database_keyed()  # counters restart with the tables: a revision-keyed cache would lie
    with db.engine.begin() as conn:
        for table in _EMPTIED:
            conn.execute(table.delete())
        if not db.is_sqlite:
            _restart_ids(conn, db.url, {})


def _restart_ids(conn, url: str, next_after: dict[str, int]) -> None:
    """Each emptied table's id sequence restarts after ``next_after[table]`` (from 1 when absent)."""
    if url not in _SEQUENCES:
        names = [t.name for t in _EMPTIED]
        _SEQUENCES[url] = {table: seq for table, seq in conn.execute(text(
            "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' "
            "AND table_name = ANY(:names)"), {"names": names}) if seq}
    calls = [f"setval('{seq}', {next_after.get(table, 1)}, {'true' if table in next_after else 'false'})"
             for table, seq in _SEQUENCES[url].items()]
    if calls:
        conn.execute(text("SELECT " + ", ".join(calls)))


def _seed(db: Database) -> None:
    """The demo people, and the reference rows tests may change (fields): emptied with the rest, loaded again."""
    if db.url not in _SEEDED:
        seed_people(db)
        with db.write() as s:
            reference.ensure_fields(s)
        with db.engine.connect() as conn:
            _SEEDED[db.url] = [(t, [dict(r) for r in conn.execute(select(t)).mappings()]) for t in reversed(_EMPTIED)]
        return
    with db.engine.begin() as conn:
        for table, rows in _SEEDED[db.url]:
            if rows:
                conn.execute(table.insert(), rows)
        if not db.is_sqlite:
            _restart_ids(conn, db.url, {t.name: max(r["id"] for r in rows) for t, rows in _SEEDED[db.url]
                                        if rows and "id" in rows[0]})


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """An empty database with the demo people (units and accounts), on each backend."""
    database = request.getfixturevalue("_sqlite_db" if request.param == "sqlite" else "_pg_db")
    _empty(database)
    _seed(database)
    return database


@pytest.fixture
def sqlite_db(_sqlite_db: Database) -> Database:
    _empty(_sqlite_db)
    _seed(_sqlite_db)
    return _sqlite_db


@pytest.fixture
def driver(db: Database) -> Driver:
    return Driver(db)


@pytest.fixture
def app(db: Database):
    from webapp import create_app

    application = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db.url}, db=db)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rd(db) -> Iterator[RoundDriver]:
    """A driver on the shipped route (its council step waits for a round), the chair's ballot passphrase set."""
    driver = RoundDriver(db)
    rounds.set_officer_passphrase(db, driver.uid("minister"), PASSPHRASE)
    yield driver
    _drop_deployed(db)  # for tests that deploy a new version


def _drop_deployed(db: Database) -> None:
    """Later tests expect only the bundled version: what ran on the extra one goes with it."""
    with db.write() as s:
        for table in (HeldAward, AwardRecord, Decision, CouncilRound, Nomination):  # registry rows name their award
            s.execute(table.__table__.delete())
        s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


@pytest.fixture
def per_dossier(db) -> Iterator[Driver]:
    """A driver on the route versions before council rounds and batch decisions deployed: each dossier has its
    own ballot (council_vote) and its own signature (minister_sign)."""
    with db.write() as s:
        versions.deploy(s, versions.current_bundle(s, per_dossier_route_xml()))
    yield Driver(db)
    _drop_deployed(db)


@pytest.fixture
def legacy(per_dossier: Driver) -> Driver:
    """The same route, by the name the batch decision tests use: the minister signs each dossier."""
    return per_dossier
