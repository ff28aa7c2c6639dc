"""Users, passwords (Argon2id), API tokens and login rate limiting."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import AuthFailed, RateLimited
from workflows.persistence.db import Database
from workflows.persistence.model import ApiToken, LoginAttempt, User
from workflows.persistence.scope import actor_of

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("vinhdanh-no-such-user")
MAX_FAILURES = 10  # per username
MAX_CLIENT_FAILURES = 100  # per client address, across usernames (password spraying)
FAILURE_WINDOW = timedelta(minutes=15)


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


def authenticate(db: Database, username: str, password: str, client: str = "") -> Actor:
    """The active user with these credentials; failures are counted per username and client.

    The slow password check runs outside any transaction so that, on SQLite, logins
    never hold the database's write lock while hashing.
    """
    if "\x00" in username or "\x00" in password:
        raise AuthFailed("Tên đăng nhập hoặc mật khẩu không đúng.")  # no such user can exist
    keys = [f"user:{username.lower()}", f"client:{client}"]
    now = clock.now()
    with db.read() as s:
        recent = dict(s.execute(
            select(LoginAttempt.key, func.count(LoginAttempt.id))
            .where(LoginAttempt.key.in_(keys), LoginAttempt.at > now - FAILURE_WINDOW)
            .group_by(LoginAttempt.key)
        ).all())
        user = s.scalar(select(User).where(User.username == username))
        principal = actor_of(user) if user is not None and user.active else None
        stored_hash = user.password_hash if principal else None
    if recent.get(keys[0], 0) >= MAX_FAILURES or recent.get(keys[1], 0) >= MAX_CLIENT_FAILURES:
        raise RateLimited("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.")
    if not _password_ok(stored_hash, password) or principal is None:
        with db.write() as s:
            s.add_all([LoginAttempt(key=key, at=now) for key in keys])
            s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - FAILURE_WINDOW))
        raise AuthFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    return principal


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
        return actor_of(user) if user else None


def user_for_session(db: Database, session_token: str) -> Actor | None:
    with db.read() as s:
        user = s.scalar(select(User).where(User.session_token == session_token, User.active.is_(True)))
        return actor_of(user) if user else None


def rotate_session_token(db: Database, user_id: int) -> None:
    """Log the user out of every web session."""
    with db.write() as s:
        user = s.get(User, user_id)
        if user is not None:
            user.session_token = new_session_token()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
