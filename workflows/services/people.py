"""Creating units and accounts, each audited (the CLI's ``create-unit``/``create-user`` and the demo seed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Invalid
from workflows.domain.labels import ROLES
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import Unit, User, UserRole
from workflows.services.accounts import hash_password, new_session_token


def create_unit(db: Database, actor: Actor | None, code: str, name: str, is_ministry_office: bool = False) -> int:
    with db.write() as s:
        return add_unit(s, actor, code, name, is_ministry_office)


def add_unit(s: Session, actor: Actor | None, code: str, name: str, is_ministry_office: bool = False) -> int:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise Invalid("Mã và tên đơn vị là bắt buộc.", {"code": "Bắt buộc.", "name": "Bắt buộc."})
    if s.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"Đã có đơn vị mã {code}.")
    unit = Unit(code=code, name=name, is_ministry_office=is_ministry_office)
    s.add(unit)
    s.flush()
    audit.record_subject(s, "unit", unit.id, at=clock.now(), actor=actor, action="unit_created",
                         changes={"code": [None, code], "name": [None, name], "is_ministry_office": [None, is_ministry_office]})
    return unit.id


def create_user(db: Database, actor: Actor | None, username: str, full_name: str, unit_code: str, roles: list[str],
                password: str, email: str | None = None) -> int:
    password_hash = hash_password(password)  # outside the write transaction: hashing is slow
    with db.write() as s:
        return add_user(s, actor, username, full_name, unit_code, roles, password_hash, email)


def add_user(s: Session, actor: Actor | None, username: str, full_name: str, unit_code: str, roles: list[str],
             password_hash: str, email: str | None = None, is_demo: bool = False) -> int:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise Invalid("Vai trò không hợp lệ.", {"roles": f"Không có vai trò: {', '.join(unknown) or '(trống)'}."})
    unit = s.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise Invalid(f"Không có đơn vị mã {unit_code}.", {"unit": "Không có đơn vị này."})
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"Đã có tài khoản {username}.")
    user = User(username=username, full_name=full_name, password_hash=password_hash, unit_id=unit.id,
                session_token=new_session_token(), is_demo=is_demo, email=email)
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    s.add(user)
    s.flush()
    audit.record_subject(s, "user", user.id, at=clock.now(), actor=actor, action="user_created",
                         changes={"username": [None, username], "full_name": [None, full_name],
                                  "unit": [None, unit_code], "roles": [None, sorted(set(roles))], "email": [None, email]})
    return user.id
