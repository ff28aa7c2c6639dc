"""Admins keep the reference data: fields (lĩnh vực), emulation blocks and clusters, units.

Each change is one write transaction: the row is locked, its ``version`` must be the one the admin
edited (else 409), the change is applied with ``version + 1`` and audited on its subject
(``field``, ``emulation_block``, ``emulation_cluster``, ``unit``), or nothing happens. Nothing is
deleted: a field or a unit that is no longer used is deactivated, so the dossiers and reports that
name it still read it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.domain.forms import text_problem
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, Unit
from workflows.persistence.reference_model import ClusterLeader, EmulationBlock, EmulationCluster, Field
from workflows.persistence.scope import load_actor
from workflows.services import people

STALE = "Dữ liệu đã được người khác sửa trong lúc bạn sửa; vui lòng tải lại trang và sửa lại."
FIRST_YEAR, LAST_YEAR = 2000, 2100


def admin_of(session: Session, user_id: int) -> Actor:
    """The acting admin; anyone else (auditors included: they read, never change) is refused."""
    actor = load_actor(session, user_id)
    if not actor.can_administer():
        raise Forbidden("Chỉ quản trị được thay đổi dữ liệu danh mục.")
    return actor


def text(value: Any, name: str, *, max_length: int, required: bool = True) -> str:
    """A single-line text input, stripped, or Invalid naming the field."""
    value = value.strip() if isinstance(value, str) else ""
    problem = text_problem(value, multiline=False)
    if problem:
        raise Invalid(problem, {name: problem})
    if required and not value:
        raise Invalid("Vui lòng điền đủ các trường bắt buộc.", {name: "Trường này là bắt buộc."})
    if len(value) > max_length:
        raise Invalid(f"Tối đa {max_length} ký tự.", {name: f"Tối đa {max_length} ký tự."})
    return value


def _order(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9999:
        raise Invalid("Thứ tự phải là số từ 0 đến 9999.", {"sort_order": "Số từ 0 đến 9999."})
    return value


def locked(session: Session, model: type, row_id: int, version: int | None, missing: str) -> Any:
    """The row, locked for this transaction, at the version the admin edited."""
    row = session.execute(select(model).where(model.id == row_id).with_for_update(of=model)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound(missing)
    if version is None or row.version != version:
        raise Conflict(STALE)
    return row


def apply(session: Session, actor: Actor, row: Any, subject: str, action: str, new: dict[str, Any]) -> dict[str, list]:
    """Set the changed attributes, move the version, audit what changed (nothing changed: nothing written)."""
    changes = {k: [getattr(row, k), v] for k, v in new.items() if getattr(row, k) != v}
    if changes:
        for key, (_old, value) in changes.items():
            setattr(row, key, value)
        row.version += 1
        audit.record_subject(session, subject, row.id, at=clock.now(), actor=actor, action=action, changes=changes)
    return changes


# --- fields -------------------------------------------------------------------------------------

def create_field(db: Database, user_id: int, name: Any, sort_order: Any = None) -> int:
    with db.write() as s:
        actor = admin_of(s, user_id)
        name = text(name, "name", max_length=120)
        if s.scalar(select(Field.id).where(Field.name == name)) is not None:
            raise Invalid(f"Đã có lĩnh vực “{name}”.", {"name": "Tên này đã có trong danh mục."})
        order = _order(sort_order) if sort_order not in (None, "") else (s.scalar(select(func.max(Field.sort_order))) or 0) + 1
        row = Field(name=name, sort_order=order, active=True, version=1)
        s.add(row)
        s.flush()
        audit.record_subject(s, "field", row.id, at=clock.now(), actor=actor, action="field_created",
                             changes={"name": [None, name], "sort_order": [None, order], "active": [None, True]})
        return row.id


def update_field(db: Database, user_id: int, field_id: int, version: int | None, *, name: Any, sort_order: Any,
                 active: bool) -> dict[str, list]:
    """Rename, reorder, (de)activate. A field dossiers already name keeps its name: they store it."""
    with db.write() as s:
        actor = admin_of(s, user_id)
        name = text(name, "name", max_length=120)
        row = locked(s, Field, field_id, version, "Không tìm thấy lĩnh vực.")
        if name != row.name:
            if s.scalar(select(Field.id).where(Field.name == name, Field.id != row.id)) is not None:
                raise Invalid(f"Đã có lĩnh vực “{name}”.", {"name": "Tên này đã có trong danh mục."})
            if s.scalar(select(Nomination.id).where(Nomination.field == row.name).limit(1)) is not None:
                raise Invalid("Lĩnh vực này đã có hồ sơ sử dụng nên không đổi tên được; hãy ngừng sử dụng và thêm lĩnh vực mới.",
                              {"name": "Đã có hồ sơ dùng tên này."})
        return apply(s, actor, row, "field", "field_updated",
                     {"name": name, "sort_order": _order(sort_order), "active": bool(active)})


# --- blocks and clusters ------------------------------------------------------------------------

def _code(value: Any) -> str:
    code = text(value, "code", max_length=40)
    if not all(c.isascii() and (c.isalnum() or c in "_-") for c in code):
        raise Invalid("Mã chỉ gồm chữ không dấu, chữ số, “_” và “-”.", {"code": "Chữ không dấu, số, _ hoặc -."})
    return code.upper()


def create_block(db: Database, user_id: int, code: Any, name: Any, sort_order: Any = None) -> int:
    with db.write() as s:
        actor = admin_of(s, user_id)
        code, name = _code(code), text(name, "name", max_length=255)
        if s.scalar(select(EmulationBlock.id).where(EmulationBlock.code == code)) is not None:
            raise Invalid(f"Đã có khối mã {code}.", {"code": "Mã này đã có."})
        row = EmulationBlock(code=code, name=name, sort_order=_order(sort_order), active=True, version=1)
        s.add(row)
        s.flush()
        audit.record_subject(s, "emulation_block", row.id, at=clock.now(), actor=actor, action="block_created",
                             changes={"code": [None, code], "name": [None, name]})
        return row.id


def update_block(db: Database, user_id: int, block_id: int, version: int | None, *, name: Any, sort_order: Any,
                 active: bool) -> dict[str, list]:
    with db.write() as s:
        actor = admin_of(s, user_id)
        name = text(name, "name", max_length=255)
        row = locked(s, EmulationBlock, block_id, version, "Không tìm thấy khối thi đua.")
        return apply(s, actor, row, "emulation_block", "block_updated",
                     {"name": name, "sort_order": _order(sort_order), "active": bool(active)})


def _block(s: Session, block_id: int | None) -> int | None:
    if block_id is None:
        return None
    if s.get(EmulationBlock, block_id) is None:
        raise Invalid("Không có khối thi đua này.", {"block_id": "Chọn một khối trong danh sách."})
    return block_id


def create_cluster(db: Database, user_id: int, code: Any, name: Any, block_id: int | None = None,
                   sort_order: Any = None) -> int:
    with db.write() as s:
        actor = admin_of(s, user_id)
        code, name = _code(code), text(name, "name", max_length=255)
        block_id = _block(s, block_id)
        if s.scalar(select(EmulationCluster.id).where(EmulationCluster.code == code)) is not None:
            raise Invalid(f"Đã có cụm mã {code}.", {"code": "Mã này đã có."})
        row = EmulationCluster(code=code, name=name, block_id=block_id, sort_order=_order(sort_order), active=True,
                               version=1)
        s.add(row)
        s.flush()
        audit.record_subject(s, "emulation_cluster", row.id, at=clock.now(), actor=actor, action="cluster_created",
                             changes={"code": [None, code], "name": [None, name], "block_id": [None, block_id]})
        return row.id


def update_cluster(db: Database, user_id: int, cluster_id: int, version: int | None, *, name: Any,
                   block_id: int | None, sort_order: Any, active: bool) -> dict[str, list]:
    with db.write() as s:
        actor = admin_of(s, user_id)
        name = text(name, "name", max_length=255)
        block_id = _block(s, block_id)
        row = locked(s, EmulationCluster, cluster_id, version, "Không tìm thấy cụm thi đua.")
        return apply(s, actor, row, "emulation_cluster", "cluster_updated",
                     {"name": name, "block_id": block_id, "sort_order": _order(sort_order), "active": bool(active)})


def set_cluster_leader(db: Database, user_id: int, cluster_id: int, version: int | None, year: Any,
                       unit_id: int | None) -> None:
    """Name (or clear, with ``unit_id`` None) the cluster's leading unit of ``year``: one of its own units.

    Guarded by the cluster's version, which it moves, so two admins naming different leaders cannot both win.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"Năm phải từ {FIRST_YEAR} đến {LAST_YEAR}.", {"year": "Năm không hợp lệ."})
    with db.write() as s:
        actor = admin_of(s, user_id)
        cluster = locked(s, EmulationCluster, cluster_id, version, "Không tìm thấy cụm thi đua.")
        if unit_id is not None:
            unit = s.get(Unit, unit_id)
            if unit is None or unit.cluster_id != cluster.id:
                raise Invalid("Đơn vị dẫn đầu phải thuộc cụm này.", {"unit_id": "Chọn một đơn vị của cụm."})
        row = s.get(ClusterLeader, (cluster.id, year))
        old = row.unit_id if row else None
        if old == unit_id:
            return
        if row is None:
            s.add(ClusterLeader(cluster_id=cluster.id, year=year, unit_id=unit_id))
        elif unit_id is None:
            s.delete(row)
        else:
            row.unit_id = unit_id
        cluster.version += 1
        audit.record_subject(s, "emulation_cluster", cluster.id, at=clock.now(), actor=actor, action="cluster_leader_set",
                             changes={f"leader_{year}": [old, unit_id]})


# --- units --------------------------------------------------------------------------------------

def _cluster(s: Session, cluster_id: int | None) -> int | None:
    if cluster_id is None:
        return None
    if s.get(EmulationCluster, cluster_id) is None:
        raise Invalid("Không có cụm thi đua này.", {"cluster_id": "Chọn một cụm trong danh sách."})
    return cluster_id


def create_unit(db: Database, user_id: int, code: Any, name: Any, cluster_id: int | None = None,
                is_ministry_office: bool = False) -> int:
    with db.write() as s:
        actor = admin_of(s, user_id)
        code, name = _code(code), text(name, "name", max_length=255)
        cluster_id = _cluster(s, cluster_id)
        if s.scalar(select(Unit.id).where(Unit.code == code)) is not None:
            raise Invalid(f"Đã có đơn vị mã {code}.", {"code": "Mã này đã có."})
        unit_id = people.add_unit(s, actor, code, name, is_ministry_office)
        if cluster_id is not None:
            unit = s.get(Unit, unit_id)
            unit.cluster_id = cluster_id
            audit.record_subject(s, "unit", unit_id, at=clock.now(), actor=actor, action="unit_updated",
                                 changes={"cluster_id": [None, cluster_id]})
        return unit_id


def update_unit(db: Database, user_id: int, unit_id: int, version: int | None, *, name: Any, cluster_id: int | None,
                active: bool) -> dict[str, list]:
    """Rename, move to another cluster, (de)activate. A unit is never deleted: its dossiers and reports stay its."""
    with db.write() as s:
        actor = admin_of(s, user_id)
        name = text(name, "name", max_length=255)
        cluster_id = _cluster(s, cluster_id)
        row = locked(s, Unit, unit_id, version, "Không tìm thấy đơn vị.")
        if not active and row.id == actor.unit_id:
            raise Invalid("Không ngừng hoạt động đơn vị của chính mình.", {"active": "Đây là đơn vị của bạn."})
        return apply(s, actor, row, "unit", "unit_updated", {"name": name, "cluster_id": cluster_id, "active": bool(active)})
