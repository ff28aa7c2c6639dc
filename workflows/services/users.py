"""Admins keep the accounts: create with a temporary password, edit, grant and revoke roles, reset the password.

Each change locks the user's row, checks the version the admin edited (409), is audited on the
user (subject ``user``; never a password or its hash), and, when it changes who the user is to the
product (unit, roles, active, password), ends every session and API token of theirs: the web
session is identified by ``session_token``, which is replaced, and the tokens are deleted. An admin
cannot deactivate themselves or take away their own admin role, so an admin always remains.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.errors import Invalid
from workflows.domain.labels import ROLES
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import ApiToken, Unit, User, UserRole
from workflows.services import people
from workflows.services.accounts import hash_password, new_session_token
from workflows.services.reference import admin_of, apply, locked, text

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MISSING = "Không tìm thấy tài khoản."


def temporary_password() -> str:
    """Shown once to the admin, who hands it over; 12 characters from an alphabet without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _email(value: Any) -> str | None:
    email = text(value, "email", max_length=255, required=False)
    if email and not EMAIL.fullmatch(email):
        raise Invalid("Địa chỉ e-mail không hợp lệ.", {"email": "Địa chỉ e-mail không hợp lệ."})
    return email or None


def _roles(values: Iterable[str]) -> list[str]:
    roles = sorted(set(values))
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise Invalid("Chọn ít nhất một vai trò trong danh sách.", {"roles": "Chọn ít nhất một vai trò hợp lệ."})
    return roles


def _unit(s: Session, unit_id: Any, current: int | None = None) -> Unit:
    """The chosen unit; an inactive one only where the user already is."""
    unit = s.get(Unit, unit_id) if isinstance(unit_id, int) and not isinstance(unit_id, bool) else None
    if unit is None:
        raise Invalid("Chọn đơn vị.", {"unit_id": "Chọn một đơn vị trong danh sách."})
    if not unit.active and unit.id != current:
        raise Invalid(f"Đơn vị {unit.name} đã ngừng hoạt động.", {"unit_id": "Chọn một đơn vị đang hoạt động."})
    return unit


def _end_sessions(s: Session, user: User) -> None:
    user.session_token = new_session_token()
    s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def create_user(db: Database, admin_id: int, *, username: Any, full_name: Any, unit_id: Any, roles: Iterable[str],
                email: Any = None) -> tuple[int, str]:
    """The new account's id and its temporary password (only its Argon2id hash is stored)."""
    username = text(username, "username", max_length=80).lower()
    if not USERNAME.fullmatch(username):
        raise Invalid("Tên đăng nhập chỉ gồm chữ thường không dấu, chữ số, “.”, “_”, “-” (2–80 ký tự).",
                      {"username": "Chữ thường không dấu, số, . _ - (2–80 ký tự)."})
    full_name, email, roles = text(full_name, "full_name", max_length=255), _email(email), _roles(roles)
    password = temporary_password()
    password_hash = hash_password(password)  # outside the write transaction: hashing is slow
    with db.write() as s:
        actor = admin_of(s, admin_id)
        unit = _unit(s, unit_id)
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise Invalid(f"Đã có tài khoản {username}.", {"username": "Tên đăng nhập này đã có."})
        user_id = people.add_user(s, actor, username, full_name, unit.code, roles, password_hash, email)
        s.get(User, user_id).must_change_password = True  # the admin saw it: the user makes their own first
        return user_id, password


def update_user(db: Database, admin_id: int, user_id: int, version: int | None, *, full_name: Any, email: Any,
                unit_id: Any, active: bool) -> dict[str, list]:
    full_name, email = text(full_name, "full_name", max_length=255), _email(email)
    with db.write() as s:
        actor = admin_of(s, admin_id)
        user = locked(s, User, user_id, version, MISSING)
        unit = _unit(s, unit_id, user.unit_id)
        if user.id == actor.id and not active:
            raise Invalid("Bạn không thể tự ngừng kích hoạt tài khoản của mình.", {"active": "Đây là tài khoản của bạn."})
        changes = apply(s, actor, user, "user", "user_updated",
                        {"full_name": full_name, "email": email, "unit_id": unit.id, "active": bool(active)})
        if "unit_id" in changes or "active" in changes:
            _end_sessions(s, user)
        return changes


def set_roles(db: Database, admin_id: int, user_id: int, version: int | None, roles: Iterable[str]) -> dict[str, list]:
    """Grant and revoke at once: the user's roles become ``roles``."""
    roles = _roles(roles)
    with db.write() as s:
        actor = admin_of(s, admin_id)
        user = locked(s, User, user_id, version, MISSING)
        old = sorted(user.roles)
        if user.id == actor.id and "admin" in old and "admin" not in roles:
            raise Invalid("Bạn không thể tự bỏ vai trò quản trị của mình.", {"roles": "Giữ vai trò Quản trị."})
        if old == roles:
            return {}
        s.execute(delete(UserRole).where(UserRole.user_id == user.id))
        s.add_all(UserRole(user_id=user.id, role=r) for r in roles)
        s.expire(user, ["role_rows"])
        user.version += 1
        changes = {"roles": [old, roles]}
        audit.record_subject(s, "user", user.id, at=clock.now(), actor=actor, action="user_roles_set", changes=changes)
        _end_sessions(s, user)
        return changes


def reset_password(db: Database, admin_id: int, user_id: int, version: int | None) -> str:
    """A new temporary password for the user, every session of theirs ended."""
    password = temporary_password()
    password_hash = hash_password(password)
    with db.write() as s:
        actor = admin_of(s, admin_id)
        user = locked(s, User, user_id, version, MISSING)
        user.password_hash, user.must_change_password = password_hash, True
        user.version += 1
        _end_sessions(s, user)
        audit.record_subject(s, "user", user.id, at=clock.now(), actor=actor, action="password_reset")
        return password
