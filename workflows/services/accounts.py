"""Users, passwords (Argon2id), API tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import AuthFailed, Conflict, Invalid, RateLimited
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.grants import load_grants
from workflows.persistence.model import ApiToken, LoginAttempt, User
from workflows.persistence.scope import actor_of

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("vinhdanh-no-such-user")
MAX_FAILURES = 10  # per username
MAX_CLIENT_FAILURES = 100  # per client address, across usernames (password spraying)
FAILURE_WINDOW = timedelta(minutes=15)
# First key of PostgreSQL's two-key advisory locks, so login keys never meet another feature's locks.
_LOCK_SPACE = 0x4C4F47  # "LOG"
_WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
_KEY_LENGTH = LoginAttempt.__table__.c.key.type.length


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def new_session_token() -> str:
    return secrets.token_hex(32)


def _password_ok(stored_hash: str | None, password: str) -> bool:
    """Always runs one verification, so an unknown user costs the same time as a wrong password."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, username: str, password: str, client: str = "",
                 known_users: Collection[int] = ()) -> Actor:
    """The active user with these credentials; failures are counted per username and per client.

    ``known_users`` are the users this browser has logged in as before (its signed device cookie):
    for them the per-username limit does not apply, so an attacker's guesses cannot lock the real
    user out of a browser they already use. The per-client limit applies to every attempt.
    """
    if "\x00" in username or "\x00" in password:
        raise AuthFailed(_WRONG)  # no such user can exist
    principal, stored_hash, reserved = _reserve(db, username, client, known_users, clock.now())
    # Outside any transaction: on SQLite a login must never hold the write lock while hashing.
    if not _password_ok(stored_hash, password) or principal is None:
        raise AuthFailed(_WRONG)  # the reserved rows stay: they are this failure
    with db.write() as s:
        s.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(reserved)))
    return principal


def _reserve(db: Database, username: str, client: str, known_users: Collection[int],
             now: datetime) -> tuple[Actor | None, str | None, list[int]]:
    """Count this attempt as a failure before its password is checked, or refuse it.

    Reading the count, hashing, then writing the failure lets every guess fired at once through
    (all read the same count). Counting and recording in one transaction, serialized per key,
    makes the limit the number of password checks, however many requests race.
    """
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        principal = actor_of(user) if user is not None and user.active else None
        stored_hash = user.password_hash if principal else None
        limits = {_key("client", client): MAX_CLIENT_FAILURES}
        if principal is None or principal.id not in known_users:
            limits[_key("user", username.lower())] = MAX_FAILURES
        keys = sorted(limits)  # one order for everyone: two logins never wait on each other's second key
        if not db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serializes every writer
            for key in keys:
                s.execute(select(func.pg_advisory_xact_lock(_LOCK_SPACE, _lock_id(key))))
        lifts = [lift for key in keys if (lift := _limited_until(s, key, limits[key], now)) is not None]
        if lifts:
            raise _refusal(now, max(lifts))
        rows = [LoginAttempt(key=key, at=now) for key in keys]
        s.add_all(rows)
        # Old rows of any key; SKIP LOCKED so that concurrent logins never wait on, or deadlock over, them.
        expired = s.scalars(select(LoginAttempt.id).where(LoginAttempt.at <= now - FAILURE_WINDOW)
                            .limit(500).with_for_update(skip_locked=True)).all()
        if expired:
            s.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(expired)))
        s.flush()
        return principal, stored_hash, [row.id for row in rows]


def _limited_until(s: Session, key: str, limit: int, now: datetime) -> datetime | None:
    """When ``key`` may try again, if it has reached its limit within the window."""
    recent = s.scalars(
        select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at > now - FAILURE_WINDOW)
        .order_by(LoginAttempt.at.desc()).limit(limit)
    ).all()
    # Below the limit again once the oldest of the latest ``limit`` failures leaves the window.
    return recent[-1] + FAILURE_WINDOW if len(recent) >= limit else None


def _refusal(now: datetime, until: datetime) -> RateLimited:
    wait = until - now
    # Rounded up to the minute: the time shown must never be one at which the lock still holds.
    shown = until.astimezone(clock.VN_TZ)
    if shown.second or shown.microsecond:
        shown = shown.replace(second=0, microsecond=0) + timedelta(minutes=1)
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return RateLimited(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút (lúc {shown:%H:%M}).",
                       retry_after=wait)


def _key(kind: str, value: str) -> str:
    """The counter's key; a value too long for the column (no real username or address is) by its digest."""
    key = f"{kind}:{value}"
    if len(key) > _KEY_LENGTH:
        key = f"{kind}#{hashlib.sha256(value.encode('utf-8')).hexdigest()}"
    return key


def _lock_id(key: str) -> int:
    """A stable signed 32-bit id for ``key`` (a collision only makes two keys wait on each other)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big", signed=True)


def issue_token(db: Database, user_id: int) -> tuple[str, datetime]:
    """A random bearer token; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(hours=db.settings.token_lifetime_hours)
    with db.write() as s:
        s.add(ApiToken(user_id=user_id, token_hash=_token_hash(token), created_at=now, expires_at=expires))
        s.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    return token, expires


def user_for_token(db: Database, token: str) -> Actor | None:
    with db.read() as s:
        user = s.scalar(
            select(User).join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.token_hash == _token_hash(token), ApiToken.expires_at > clock.now(), User.active.is_(True)
            )
        )
        return actor_of(user, load_grants(s, user.id)) if user else None


def user_for_session(db: Database, session_token: str) -> Actor | None:
    with db.read() as s:
        # one read for the user, unit and roles (every request makes it), one for today's windows
        user = s.scalars(select(User).options(joinedload(User.role_rows))
                         .where(User.session_token == session_token, User.active.is_(True))).unique().one_or_none()
        return actor_of(user, load_grants(s, user.id)) if user else None  # a request acts with today's windows


# Long enough that guessing is hopeless, short enough that hashing a pasted novel costs nothing; the username,
# or the temporary password again, are refused by name (the checks people meet, not a composition rule).
PASSWORD_MIN, PASSWORD_MAX = 10, 128


def change_password(db: Database, actor: Actor, current: Any, new: Any, confirm: Any, client: str = "",
                    known_users: Collection[int] = ()) -> str:
    """The user's own new password (the current one proves it is them, checked as a login is: its failures count
    toward the same limits, so a borrowed session cannot guess the password); clears a temporary password's flag
    and ends every other session and API token. Returns the new session token, which keeps this browser signed in."""
    fields = {}
    current = current if isinstance(current, str) else ""
    new = new if isinstance(new, str) else ""
    if not current:
        fields["current_password"] = "Nhập mật khẩu đang dùng."
    if len(new) < PASSWORD_MIN:
        fields["new_password"] = f"Mật khẩu mới cần ít nhất {PASSWORD_MIN} ký tự."
    elif len(new) > PASSWORD_MAX:
        fields["new_password"] = f"Mật khẩu mới dài tối đa {PASSWORD_MAX} ký tự."
    elif new.casefold() == actor.username.casefold():
        fields["new_password"] = "Mật khẩu mới không được trùng tên đăng nhập."
    elif "\x00" in new:
        fields["new_password"] = "Mật khẩu chứa ký tự không hợp lệ."
    if not fields.get("new_password") and confirm != new:
        fields["confirm_password"] = "Nhập lại đúng mật khẩu mới."
    if fields:
        raise Invalid("Chưa đổi được mật khẩu.", fields)
    with db.read() as s:
        old_hash = s.scalar(select(User.password_hash).where(User.id == actor.id, User.active.is_(True)))
    try:  # RateLimited passes through: too many wrong passwords for this account or client
        authenticate(db, actor.username, current, client, known_users)
    except AuthFailed as exc:
        raise Invalid("Chưa đổi được mật khẩu.", {"current_password": "Mật khẩu đang dùng không đúng."}) from exc
    if old_hash is None:  # deactivated between the two reads
        raise Conflict("Tài khoản không còn hiệu lực.")
    if _password_ok(old_hash, new):
        raise Invalid("Chưa đổi được mật khẩu.", {"new_password": "Mật khẩu mới phải khác mật khẩu đang dùng."})
    new_hash, token = hash_password(new), new_session_token()
    with db.write() as s:
        # Guarded on the hash read above: an admin's reset (or another change) in between wins, this one is refused.
        changed = s.execute(update(User).where(User.id == actor.id, User.password_hash == old_hash)
                            .values(password_hash=new_hash, must_change_password=False, session_token=token,
                                    version=User.version + 1))
        if changed.rowcount != 1:
            raise Conflict("Mật khẩu vừa được thay đổi ở nơi khác; đăng nhập lại rồi thử lại.")
        s.execute(delete(ApiToken).where(ApiToken.user_id == actor.id))
        audit.record_subject(s, "user", actor.id, at=clock.now(), actor=actor, action="password_changed")
    return token


def rotate_session_token(db: Database, user_id: int) -> None:
    """Log the user out of every web session."""
    with db.write() as s:
        user = s.get(User, user_id)
        if user is not None:
            user.session_token = new_session_token()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
