"""Fixtures for the system tests: the product run as its real processes (``tests/system/product.py``).

Each test gets fresh PostgreSQL databases of its own (``fresh_pg``: created with a unique name on the
server of ``TEST_DATABASE_URL``, dropped at the end) and, when it needs Redis, the test Redis
database (``TEST_REDIS_URL``) emptied with FLUSHDB before and after. Without a server the test is
skipped, except under CI (``CI=true``), where that is a failure. Every process a test starts is
stopped in the finalizer, even when the test fails, before its database is dropped; the processes'
logs are printed (pytest shows them when the test fails). A test that uses Redis requests ``system_redis``
before ``products``, so that its processes stop before that database is flushed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ..conftest import DEFAULT_PG, _unavailable
from .product import BIN, Product


@pytest.fixture
def fresh_pg() -> Iterator[Callable[[], str]]:
    """A factory of empty PostgreSQL databases (URLs), each dropped when the test ends."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make() -> str:
        name = f"vinhdanh_system_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server, no rights: say which
            _unavailable("PostgreSQL", f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        created.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def system_redis(redis_url: str) -> Iterator[str]:
    """The test Redis database's URL; that database only is FLUSHDB'd before and after."""
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    try:
        yield redis_url
    finally:
        connection.flushdb()
        connection.close()


@pytest.fixture
def honcho() -> Path:
    """honcho, the Procfile runner (a dev dependency); missing, the test is skipped, or fails under CI."""
    path = BIN / "honcho"
    if not path.is_file():
        _unavailable("honcho", f"not installed at {path} (pip install -e '.[dev]')")
    return path


@pytest.fixture
def products(fresh_pg, tmp_path: Path) -> Iterator[Callable[..., Product]]:
    """``products(database_url, redis_url=None, **env)`` -> a :class:`Product`; all stopped at the end
    (set up after ``fresh_pg``, so torn down before the databases are dropped)."""
    made: list[Product] = []

    def make(database_url: str, redis_url: str | None = None, **env: str) -> Product:
        product = Product(tmp_path / f"product{len(made)}", database_url, redis_url, **env)
        made.append(product)
        return product

    try:
        yield make
    finally:
        for product in made:
            leftovers = product.stop_all()
            if leftovers:
                print(f"killed processes left behind by their process manager: {leftovers}")
            print(product.logs())
