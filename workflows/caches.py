"""Every in-process cache registers here, so tests can prove nothing the route needs lives only in one.

The product runs as many processes (web workers, RQ workers, the scheduler) that restart during a
10-day vote. A cache may make a step faster, never different: ``clear_all()`` drops them all, and
the test suite's cold mode (``pytest --cold-caches``) calls it before every transaction.
"""

from __future__ import annotations

from collections.abc import Callable

_clearers: list[Callable[[], None]] = []
_database_keyed: list[Callable[[], None]] = []


def register(clear: Callable[[], None]) -> Callable[[], None]:
    """Record how to drop one cache (returns ``clear`` so it can decorate a function)."""
    _clearers.append(clear)
    return clear


def register_database_keyed(clear: Callable[[], None]) -> Callable[[], None]:
    """Record a cache keyed by something the database counts (a revision number), not by content: a database
    emptied and started again would count the same numbers for other data, so it is dropped with it."""
    _database_keyed.append(clear)
    return register(clear)


def clear_all() -> None:
    for clear in _clearers:
        clear()


def clear_database_keyed() -> None:
    """What must go when the database is emptied; caches keyed by content (a route's SHA-256, a shipped file,
    a statement's shape) stay right whatever the database holds."""
    for clear in _database_keyed:
        clear()
