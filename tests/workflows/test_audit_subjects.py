"""Every state change is audited, nominations or not; chains are per subject and carry their encoding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from workflows.domain.actor import Actor, OnBehalfOf
from workflows.persistence import audit
from workflows.persistence.db import Database
from workflows.persistence.model import AuditEvent, AuditHead, Nomination, Notification, QuarterlyReport, User
from workflows.services import notifications, people, reports

from ..support import Driver


def subject_events(db: Database, subject_type: str, subject_id) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.subject_type == subject_type,
                                                       AuditEvent.subject_id == str(subject_id)).order_by(AuditEvent.seq)))


def test_creating_units_and_users_is_audited(db: Database):
    admin = Actor(id=1, username="admin", full_name="Quản trị", unit_id=1)
    unit_id = people.create_unit(db, admin, "VP_BO", "Văn phòng Bộ")
    user_id = people.create_user(db, None, "lan.nt", "Nguyễn Thị Lan", "VP_BO", ["unit_clerk"], "mật-khẩu-dài")
    [unit_event] = subject_events(db, "unit", unit_id)
    assert (unit_event.action, unit_event.actor, unit_event.changes["code"]) == ("unit_created", "admin", [None, "VP_BO"])
    [user_event] = subject_events(db, "user", user_id)
    assert user_event.action == "user_created" and user_event.actor == "system"
    assert user_event.changes["roles"] == [None, ["unit_clerk"]] and "password" not in str(user_event.changes)
    with db.read() as s:
        assert audit.verify_subject(s, "unit", unit_id) is None and audit.verify_subject(s, "user", user_id) is None


def test_submitting_a_quarterly_report_is_audited(driver: Driver):
    db = driver.db
    reports.create_for_quarter(db)
    with db.read() as s:
        report_id = s.scalar(select(QuarterlyReport.id).where(QuarterlyReport.unit_id == s.scalar(
            select(User.unit_id).where(User.username == "clerk1"))))
    reports.submit(db, driver.uid("clerk1"), report_id, {"summary": "Đơn vị hoàn thành các chỉ tiêu thi đua quý."})
    [event] = subject_events(db, "quarterly_report", report_id)
    assert (event.action, event.actor, event.changes["state"]) == ("report_submitted", "clerk1", ["open", "submitted"])


def test_marking_notifications_read_is_audited_and_touches_only_mine(driver: Driver):
    db = driver.db
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with db.write() as s:
        for username in ("clerk1", "clerk1", "head1"):
            s.add(Notification(user_id=driver.uid(username), kind="reminder", message="Nhắc hạn", created_at=now))
    assert notifications.mark_all_read(db, driver.uid("clerk1")) == 2
    assert notifications.mark_all_read(db, driver.uid("clerk1")) == 0  # nothing left: no event either
    [event] = subject_events(db, "notifications", driver.uid("clerk1"))
    assert event.changes == {"read": [None, 2]}
    with db.read() as s:
        unread = s.scalars(select(Notification.user_id).where(Notification.read_at.is_(None))).all()
    assert unread == [driver.uid("head1")]


def test_an_event_records_on_whose_behalf_and_the_hash_covers_it(driver: Driver):
    db = driver.db
    deputy = Actor(id=driver.uid("deputy"), username="deputy", full_name="Thứ trưởng", unit_id=1,
                   on_behalf_of=OnBehalfOf(driver.uid("minister"), "minister", "Bộ trưởng"))
    with db.write() as s:
        audit.record_subject(s, "rules", "nomination", at=datetime(2026, 12, 1, tzinfo=UTC), actor=deputy, action="edited")
    [event] = subject_events(db, "rules", "nomination")
    assert (event.actor, event.on_behalf_of, event.on_behalf_of_id, event.encoding) == (
        "deputy", "minister", driver.uid("minister"), 2)
    with db.write() as s:  # rewriting whose behalf it was breaks the chain
        s.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(on_behalf_of="auditor"))
    with db.read() as s:
        assert audit.verify_subject(s, "rules", "nomination") == 1


def test_events_hashed_before_subjects_existed_still_verify(driver: Driver):
    """Encoding 1 (nomination events written before this release) keeps verifying next to encoding 2."""
    nid = driver.create(documents=False)  # one event: the chain is its head
    with driver.db.write() as s:
        first = s.scalar(select(AuditEvent).where(AuditEvent.nomination_id == nid, AuditEvent.seq == 1))
        first.encoding = 1
        first.hash = audit._digest(first.prev_hash, audit._fields(first))
        nom = s.get(Nomination, nid)
        assert nom.audit_seq == 1
        nom.audit_hash = first.hash
    with driver.db.read() as s:
        assert audit.verify_nomination(s, nid) is None


@pytest.mark.parametrize("tamper", ["delete_head", "edit_changes"])
def test_a_subject_chain_shows_tampering(db: Database, tamper: str):
    unit_id = people.create_unit(db, None, "VP_BO", "Văn phòng Bộ")
    with db.write() as s:
        audit.record_subject(s, "unit", unit_id, at=datetime(2026, 12, 1, tzinfo=UTC), actor=None, action="renamed",
                             changes={"name": ["Văn phòng Bộ", "Văn phòng"]})
    with db.write() as s:
        newest = s.scalar(select(AuditEvent).where(AuditEvent.subject_type == "unit", AuditEvent.seq == 2))
        if tamper == "delete_head":
            s.delete(newest)
        else:
            newest.changes = {"name": ["Văn phòng Bộ", "Ban Thi đua"]}
    with db.read() as s:
        assert audit.verify_subject(s, "unit", unit_id) == 2
        assert s.get(AuditHead, ("unit", str(unit_id))).seq == 2
