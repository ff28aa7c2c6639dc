"""Fields, emulation blocks and clusters, units: admins change them, audited and version-checked; others cannot."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, Unit
from workflows.persistence.reference import FIELDS
from workflows.persistence.reference_model import Field
from workflows.queries import reference as ref_queries
from workflows.services import reference
from workflows.services import users as user_service

from ..support import Driver


def uid(db: Database, username: str) -> int:
    return Driver(db).uid(username)


def events(db: Database, subject: str, subject_id: int) -> list[AuditEvent]:
    with db.read() as s:
        found = s.scalars(select(AuditEvent).where(AuditEvent.subject_type == subject,
                                                   AuditEvent.subject_id == str(subject_id)).order_by(AuditEvent.seq)).all()
        assert audit.verify_subject(s, subject, subject_id) is None
        return found


def field(db: Database, name: str) -> Field:
    with db.read() as s:
        return s.scalar(select(Field).where(Field.name == name))


def test_the_post_merger_fields_are_loaded_in_order(db):
    listed = ref_queries.fields(db, uid(db, "auditor"))
    assert [f["name"] for f in listed] == FIELDS
    assert FIELDS[:8] == ["Bưu chính", "Viễn thông", "Ứng dụng CNTT / Chuyển đổi số", "An toàn thông tin mạng", "Kinh tế số",
                          "Công nghiệp ICT", "Báo chí – truyền thông", "Xuất bản"]
    assert all(f["active"] for f in listed)


def test_admin_adds_renames_and_deactivates_a_field_each_audited(db):
    admin = uid(db, "admin")
    fid = reference.create_field(db, admin, "  Khoa học và công nghệ ")
    assert field(db, "Khoa học và công nghệ").sort_order == len(FIELDS)  # appended after the shipped ones
    changes = reference.update_field(db, admin, fid, 1, name="Khoa học, công nghệ", sort_order=3, active=False)
    assert changes == {"name": ["Khoa học và công nghệ", "Khoa học, công nghệ"], "sort_order": [len(FIELDS), 3],
                       "active": [True, False]}
    row = field(db, "Khoa học, công nghệ")
    assert (row.version, row.active) == (2, False)
    assert [e.action for e in events(db, "field", fid)] == ["field_created", "field_updated"]
    assert events(db, "field", fid)[1].actor == "admin"


def test_field_validation_and_duplicates_are_422_and_change_nothing(db):
    admin = uid(db, "admin")
    with pytest.raises(Invalid) as exc:
        reference.create_field(db, admin, "Bưu chính")
    assert exc.value.fields == {"name": "Tên này đã có trong danh mục."}
    for bad in ("", "   ", "a\nb", "x" * 121):
        with pytest.raises(Invalid):
            reference.create_field(db, admin, bad)
    assert len(ref_queries.fields(db, admin)) == len(FIELDS)


def test_a_stale_version_is_a_conflict(db):
    admin = uid(db, "admin")
    fid = field(db, "Xuất bản").id
    reference.update_field(db, admin, fid, 1, name="Xuất bản", sort_order=1, active=True)
    with pytest.raises(Conflict) as exc:
        reference.update_field(db, admin, fid, 1, name="Xuất bản", sort_order=2, active=False)
    assert "tải lại" in exc.value.message
    assert (field(db, "Xuất bản").sort_order, field(db, "Xuất bản").active) == (1, True)


def test_two_admins_editing_at_once_one_wins(db):
    """Both read version 1; the row lock serializes them, and the second finds version 2."""
    admin = uid(db, "admin")
    second = user_service.create_user(db, admin, username="admin2", full_name="Quản trị 2", unit_id=_unit(db, "VU_TCCB"),
                                      roles=["admin"])[0]
    fid = field(db, "Kinh tế số").id
    barrier, results = threading.Barrier(2), []

    def edit(who: int, order: int) -> None:
        barrier.wait()
        try:
            reference.update_field(db, who, fid, 1, name="Kinh tế số", sort_order=order, active=True)
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=edit, args=(who, n)) for n, who in ((10, admin), (20, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    assert field(db, "Kinh tế số").version == 2


def test_a_field_dossiers_use_cannot_be_renamed_only_deactivated(db, driver):
    admin = uid(db, "admin")
    driver.create(field="Viễn thông")
    fid = field(db, "Viễn thông").id
    with pytest.raises(Invalid) as exc:
        reference.update_field(db, admin, fid, 1, name="Viễn thông số", sort_order=1, active=True)
    assert "đã có hồ sơ" in exc.value.message
    reference.update_field(db, admin, fid, 1, name="Viễn thông", sort_order=1, active=False)
    assert next(f for f in ref_queries.fields(db, admin) if f["id"] == fid)["dossiers"] == 1


@pytest.mark.parametrize("who", ["auditor", "secretary", "clerk1"])
def test_only_admins_change_reference_data(db, who):
    actor = uid(db, who)
    with pytest.raises(Forbidden):
        reference.create_field(db, actor, "Năng lượng")
    with pytest.raises(Forbidden):
        reference.create_block(db, actor, "K1", "Khối 1")
    with pytest.raises(Forbidden):
        reference.update_unit(db, actor, _unit(db, "CUC_VT"), 1, name="Cục VT", cluster_id=None, active=True)
    if who == "auditor":
        assert ref_queries.units(db, actor)  # auditors read every list
    else:
        with pytest.raises(Forbidden):
            ref_queries.units(db, actor)


def _unit(db: Database, code: str) -> int:
    with db.read() as s:
        return s.scalar(select(Unit.id).where(Unit.code == code))


def test_blocks_clusters_units_and_the_cluster_leader(db):
    admin = uid(db, "admin")
    block = reference.create_block(db, admin, "khoi-1", "Khối các cục quản lý")
    cluster = reference.create_cluster(db, admin, "cum_1", "Cụm các cục", block_id=block)
    bddt, vt = _unit(db, "CUC_BDDT"), _unit(db, "CUC_VT")
    reference.update_unit(db, admin, bddt, 1, name="Cục Bưu điện Trung ương", cluster_id=cluster, active=True)
    new_unit = reference.create_unit(db, admin, "vien_cl", "Viện Chiến lược", cluster_id=cluster)
    with pytest.raises(Invalid):  # a leader from outside the cluster
        reference.set_cluster_leader(db, admin, cluster, 1, 2026, vt)
    reference.set_cluster_leader(db, admin, cluster, 1, 2026, bddt)
    with pytest.raises(Conflict):
        reference.set_cluster_leader(db, admin, cluster, 1, 2026, new_unit)
    listed = ref_queries.clusters(db, admin, 2026)
    assert listed[0]["code"] == "CUM_1" and listed[0]["block_name"] == "Khối các cục quản lý"
    assert {u["name"] for u in listed[0]["units"]} == {"Cục Bưu điện Trung ương", "Viện Chiến lược"}
    assert listed[0]["leader"]["id"] == bddt
    assert ref_queries.clusters(db, admin, 2025)[0]["leader"] is None
    assert [e.action for e in events(db, "emulation_cluster", cluster)] == ["cluster_created", "cluster_leader_set"]
    assert [e.action for e in events(db, "unit", new_unit)] == ["unit_created", "unit_updated"]
    assert events(db, "unit", bddt)[-1].changes == {"cluster_id": [None, cluster]}
    with pytest.raises(Invalid):
        reference.create_unit(db, admin, "CUC_VT", "Trùng mã")
    with pytest.raises(Invalid):
        reference.create_cluster(db, admin, "cụm 2", "Mã có dấu")
    with pytest.raises(Invalid):
        reference.update_unit(db, admin, vt, 1, name="Cục Viễn thông", cluster_id=9999, active=True)


def test_an_admin_cannot_deactivate_their_own_unit_and_an_inactive_unit_gets_no_report(db):
    from workflows.services import reports

    admin = uid(db, "admin")
    with pytest.raises(Invalid):
        reference.update_unit(db, admin, _unit(db, "VU_TCCB"), 1, name="Vụ Tổ chức cán bộ", cluster_id=None, active=False)
    reference.update_unit(db, admin, _unit(db, "TT_CNTT"), 1, name="Trung tâm Công nghệ thông tin", cluster_id=None,
                          active=False)
    assert reports.create_for_quarter(db) == 2
