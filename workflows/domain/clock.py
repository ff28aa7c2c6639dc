"""One clock for the whole product, so tests move time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _source()


@contextmanager
def frozen(at: datetime) -> Iterator[Callable[[timedelta], None]]:
    """Stop the clock at ``at``; the yielded function moves it forward."""
    global _source
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    current = [at.astimezone(UTC)]
    previous = _source

    def advance(delta: timedelta) -> None:
        current[0] += delta

    _source = lambda: current[0]  # noqa: E731
    try:
        yield advance
    finally:
        _source = previous
