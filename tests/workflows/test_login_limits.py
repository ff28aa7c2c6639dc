"""Login rate limits under concurrency: guesses fired at once get no more password checks than the limit allows.

Each test releases its threads together (a barrier) and counts the Argon2 verifications that really ran,
so a read-then-check-then-write race shows as extra checks, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from workflows.domain import clock
from workflows.domain.errors import AuthFailed, RateLimited
from workflows.persistence.db import Database
from workflows.persistence.model import LoginAttempt, User
from workflows.services import accounts

THREADS = 40
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội


class CountingHasher:
    """The real hasher, counting the verifications it runs."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.verified = 0

    def verify(self, stored_hash: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        return self._inner.verify(stored_hash, password)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def at_once(attempts: list[tuple[str, str, str]], db: Database) -> Counter[str]:
    """Run every (username, password, client) login at the same moment; count the outcomes by error code."""
    barrier = threading.Barrier(len(attempts))

    def attempt(args: tuple[str, str, str]) -> str:
        username, password, client = args
        barrier.wait()
        try:
            accounts.authenticate(db, username, password, client)
        except (AuthFailed, RateLimited) as exc:
            return exc.code
        return "ok"

    with clock.frozen(T0), ThreadPoolExecutor(len(attempts)) as pool:
        return Counter(pool.map(attempt, attempts))


def attempts_of(db: Database, key: str) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.key == key))


def test_forty_parallel_guesses_for_one_username_get_at_most_ten_password_checks(db: Database, hasher: CountingHasher):
    outcomes = at_once([("clerk1", f"doan-{i}", f"10.0.0.{i}") for i in range(THREADS)], db)
    assert hasher.verified == accounts.MAX_FAILURES
    assert outcomes == {"unauthorized": accounts.MAX_FAILURES, "rate_limited": THREADS - accounts.MAX_FAILURES}
    assert attempts_of(db, "user:clerk1") == accounts.MAX_FAILURES
    with clock.frozen(T0), pytest.raises(RateLimited):
        accounts.authenticate(db, "clerk1", "demo", "10.0.1.1")  # the right password too, from any new address
    assert hasher.verified == accounts.MAX_FAILURES


def test_parallel_right_passwords_are_not_counted_as_failures(db: Database, hasher: CountingHasher):
    """A reservation is provisional: a login that succeeds takes its rows back (while in flight it counts)."""
    outcomes = at_once([("head1", "demo", "10.0.0.1")] * accounts.MAX_FAILURES, db)
    assert outcomes == {"ok": accounts.MAX_FAILURES} and hasher.verified == accounts.MAX_FAILURES
    assert attempts_of(db, "user:head1") == 0 and attempts_of(db, "client:10.0.0.1") == 0


def test_spraying_usernames_from_one_client_is_stopped_at_the_client_limit(db: Database, hasher: CountingHasher,
                                                                             monkeypatch: pytest.MonkeyPatch):
    limit = 8  # the product's 100 would cost 100 Argon2 checks per backend; the counting is the same
    monkeypatch.setattr(accounts, "MAX_CLIENT_FAILURES", limit)
    with db.read() as s:
        real = list(s.scalars(select(User.username).order_by(User.id)))
    usernames = real + [f"khach{i}" for i in range(THREADS - len(real))]  # real and unknown names alike
    outcomes = at_once([(name, "Matkhau@2026", "203.0.113.9") for name in usernames], db)
    assert hasher.verified == limit
    assert outcomes == {"unauthorized": limit, "rate_limited": THREADS - limit}
    assert attempts_of(db, "client:203.0.113.9") == limit
    with clock.frozen(T0) as advance:
        with pytest.raises(RateLimited) as refused:
            accounts.authenticate(db, "auditor", "demo", "203.0.113.9")  # a right password is refused from there too
        assert "15 phút (lúc 08:45)" in refused.value.message
        assert accounts.authenticate(db, "auditor", "demo", "198.51.100.7").username == "auditor"  # not elsewhere
        advance(accounts.FAILURE_WINDOW)
        assert accounts.authenticate(db, "auditor", "demo", "203.0.113.9").username == "auditor"
    assert hasher.verified == limit + 2


def test_a_lock_lifts_when_the_oldest_failure_leaves_the_window(db: Database):
    with clock.frozen(T0) as advance:
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(AuthFailed):
                accounts.authenticate(db, "clerk2", "sai", "10.0.0.2")
            advance(timedelta(minutes=1))
        # 08:40: failures at 08:30 … 08:39; the first one leaves the window at 08:45.
        with pytest.raises(RateLimited) as refused:
            accounts.authenticate(db, "clerk2", "demo", "10.0.0.3")
        assert refused.value.message == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 5 phút (lúc 08:45)."
        assert refused.value.retry_after == timedelta(minutes=5)
        advance(timedelta(minutes=4, seconds=30))
        with pytest.raises(RateLimited) as refused:
            accounts.authenticate(db, "clerk2", "demo", "10.0.0.3")
        assert refused.value.message == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 phút (lúc 08:45)."
        advance(timedelta(seconds=30))
        assert accounts.authenticate(db, "clerk2", "demo", "10.0.0.3").username == "clerk2"
