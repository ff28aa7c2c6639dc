"""The worker process's database handle, created lazily and never shared across a fork."""

from __future__ import annotations

import os

from workflows import config
from workflows.persistence.db import Database

_db: Database | None = None


def database() -> Database:
    global _db
    if _db is None:
        _db = Database(config.database_url(), config.settings(), pool_size=2, max_overflow=2)
    return _db


def _forget_after_fork() -> None:
    # A forked work-horse must not reuse the parent's pooled connections.
    global _db
    if _db is not None:
        _db.engine.dispose(close=False)
        _db = None


os.register_at_fork(after_in_child=_forget_after_fork)
