"""Reference data and accounts as the admin pages list them: admins and auditors read, nobody else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.domain.actor import Actor
from workflows.domain.errors import Forbidden, NotFound
from workflows.domain.labels import ROLES
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, Unit, User, UserRole
from workflows.persistence.reference_model import ClusterLeader, EmulationBlock, EmulationCluster, Field
from workflows.persistence.scope import actor_of, load_actor

USER_PAGE = 100


def may_read(actor: Actor) -> bool:
    return actor.can_administer() or actor.has("auditor")


def _reader(s: Session, user_id: int) -> Actor:
    actor = load_actor(s, user_id)
    if not may_read(actor):
        raise Forbidden("Chỉ quản trị và thanh tra xem được danh mục này.")
    return actor


def fields(db: Database, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        _reader(s, user_id)
        used = dict(s.execute(select(Nomination.field, func.count(Nomination.id)).where(Nomination.field.is_not(None))
                              .group_by(Nomination.field)).all())
        rows = s.scalars(select(Field).order_by(Field.sort_order, Field.id)).all()
        return [{"id": f.id, "name": f.name, "sort_order": f.sort_order, "active": f.active, "version": f.version,
                 "dossiers": used.get(f.name, 0)} for f in rows]


def blocks(db: Database, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        _reader(s, user_id)
        counts = dict(s.execute(select(EmulationCluster.block_id, func.count(EmulationCluster.id))
                                .group_by(EmulationCluster.block_id)).all())
        return [{"id": b.id, "code": b.code, "name": b.name, "sort_order": b.sort_order, "active": b.active,
                 "version": b.version, "clusters": counts.get(b.id, 0)}
                for b in s.scalars(select(EmulationBlock).order_by(EmulationBlock.sort_order, EmulationBlock.code))]


def clusters(db: Database, user_id: int, year: int) -> list[dict[str, Any]]:
    """Every cluster with its block, its units and its leading unit of ``year``."""
    with db.read() as s:
        _reader(s, user_id)
        block_names = dict(s.execute(select(EmulationBlock.id, EmulationBlock.name)).all())
        leaders = dict(s.execute(select(ClusterLeader.cluster_id, ClusterLeader.unit_id)
                                 .where(ClusterLeader.year == year)).all())
        members: dict[int, list[dict[str, Any]]] = {}
        for unit in s.scalars(select(Unit).where(Unit.cluster_id.is_not(None)).order_by(Unit.name)):
            members.setdefault(unit.cluster_id, []).append({"id": unit.id, "code": unit.code, "name": unit.name,
                                                            "active": unit.active})
        result = []
        for c in s.scalars(select(EmulationCluster).order_by(EmulationCluster.sort_order, EmulationCluster.code)):
            units = members.get(c.id, [])
            leader = next((u for u in units if u["id"] == leaders.get(c.id)), None)
            result.append({"id": c.id, "code": c.code, "name": c.name, "block_id": c.block_id,
                           "block_name": block_names.get(c.block_id, ""), "sort_order": c.sort_order, "active": c.active,
                           "version": c.version, "units": units, "leader": leader})
        return result


def units(db: Database, user_id: int) -> list[dict[str, Any]]:
    with db.read() as s:
        _reader(s, user_id)
        names = dict(s.execute(select(EmulationCluster.id, EmulationCluster.name)).all())
        people = dict(s.execute(select(User.unit_id, func.count(User.id)).group_by(User.unit_id)).all())
        return [{"id": u.id, "code": u.code, "name": u.name, "is_ministry_office": u.is_ministry_office,
                 "cluster_id": u.cluster_id, "cluster_name": names.get(u.cluster_id, ""), "active": u.active,
                 "version": u.version, "users": people.get(u.id, 0)}
                for u in s.scalars(select(Unit).order_by(Unit.is_ministry_office.desc(), Unit.name))]


def users(db: Database, user_id: int, *, q: str = "", unit_id: int | None = None, role: str | None = None,
          active: bool | None = None) -> list[dict[str, Any]]:
    """Accounts matching the search (username, name or e-mail, any case) and filters, by username."""
    with db.read() as s:
        _reader(s, user_id)
        query = select(User).order_by(User.username).limit(USER_PAGE)
        if q.strip():
            pattern = f"%{q.strip().lower()}%"
            query = query.where(or_(func.lower(User.username).like(pattern), func.lower(User.full_name).like(pattern),
                                    func.lower(User.email).like(pattern)))
        if unit_id is not None:
            query = query.where(User.unit_id == unit_id)
        if role in ROLES:
            query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
        if active is not None:
            query = query.where(User.active.is_(active))
        return [_user(u) for u in s.scalars(query)]


def user(db: Database, user_id: int, subject_id: int) -> dict[str, Any]:
    with db.read() as s:
        _reader(s, user_id)
        found = s.get(User, subject_id)
        if found is None:
            raise NotFound("Không tìm thấy tài khoản.")
        return _user(found)


def actor(db: Database, user_id: int) -> Actor | None:
    """The account as it is now (its new session token included), if still active."""
    with db.read() as s:
        found = s.get(User, user_id)
        return actor_of(found) if found is not None and found.active else None


def _user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "full_name": u.full_name, "email": u.email or "", "unit_id": u.unit_id,
            "unit_name": u.unit.name, "roles": sorted(u.roles), "role_labels": [ROLES[r] for r in sorted(u.roles) if r in ROLES],
            "active": u.active, "version": u.version}
