"""Alembic environment: runs on the caller's connection when given one (tests, CLI)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from workflows.persistence.model import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.attributes.get("url") or os.environ.get("DATABASE_URL") or "sqlite:///instance/vinhdanh.db"
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
