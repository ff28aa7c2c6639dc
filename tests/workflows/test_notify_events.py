"""Who is told what: work that arrives, a dossier returned, awarded or rejected; never the actor; e-mail per preference."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update

from workflows.persistence.db import Database
from workflows.persistence.model import Notification, OutboxMessage, User
from workflows.services import people

from ..support import APPROVE, COUNCIL, Driver, returned


def told(db: Database, since: int = 0) -> set[tuple[str, str]]:
    """(username, kind) of every notification after id ``since``."""
    with db.read() as s:
        return set(s.execute(select(User.username, Notification.kind).join(User, User.id == Notification.user_id)
                             .where(Notification.id > since)).all())


def last_id(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) or 0


def messages(db: Database, username: str, kind: str) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(Notification.message).join(User, User.id == Notification.user_id)
                              .where(User.username == username, Notification.kind == kind).order_by(Notification.id)))


def add_user(db: Database, username: str, unit: str, roles: list[str], email: str | None = None) -> None:
    with db.write() as s:
        people.add_user(s, None, username, f"Người dùng {username}", unit, roles, "x", email=email)


def test_a_new_draft_tells_nobody_and_its_submission_tells_the_unit_head(driver: Driver):
    db = driver.db
    add_user(db, "clerk1b", "CUC_BDDT", ["unit_clerk"])
    nid = driver.create()
    assert told(db) == set()  # the draft is its creator's own work
    driver.act(nid, "clerk1", {})
    assert told(db) == {("head1", "task")}  # CUC_BDDT's head only: not head2 of another unit, not the clerk
    [message] = messages(db, "head1", "task")
    assert "Thủ trưởng đơn vị duyệt" in message and "Nguyễn Văn An" in message


def test_a_shared_task_tells_every_holder_of_the_role_but_not_the_actor(driver: Driver):
    db = driver.db
    add_user(db, "secretary2", "VU_TCCB", ["secretariat"])
    add_user(db, "head1b", "CUC_BDDT", ["unit_head"])
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    assert told(db) == {("head1", "task"), ("head1b", "task")}
    mark = last_id(db)
    driver.act(nid, "head1", APPROVE)
    assert told(db, mark) == {("secretary", "task"), ("secretary2", "task")}  # head1b did not act: not told again


def test_a_return_tells_the_units_clerks_and_creator_with_its_reason_once(driver: Driver):
    db = driver.db
    add_user(db, "clerk1b", "CUC_BDDT", ["unit_clerk"])
    nid = driver.create()
    driver.submit(nid)
    mark = last_id(db)
    driver.act(nid, "secretary", returned("Thiếu báo cáo thành tích có xác nhận"))
    assert told(db, mark) == {("clerk1", "returned"), ("clerk1b", "returned")}  # not clerk2 (another unit)
    [message] = messages(db, "clerk1", "returned")
    assert "bị trả lại" in message and "Thiếu báo cáo thành tích có xác nhận" in message


def test_the_council_members_are_called_to_the_rounds_ballot(driver: Driver):
    db = driver.db
    nid = driver.waiting()
    driver.ensure_passphrase()
    mark = last_id(db)
    round_id = driver.open([nid], title="Đợt xét tháng 12/2026")
    assert told(db, mark) == {(member, "task") for member in COUNCIL}  # the chair does not vote on this form
    assert "Mời bỏ phiếu" in messages(db, "council1", "task")[-1]
    for member in COUNCIL:
        driver.ballot(round_id, member, {nid: "agree"})
    mark = last_id(db)
    driver.close(round_id)
    assert ("reviewer", "task") in told(db, mark)  # the appraisal arrives
    driver.to_decision(nid)
    mark = last_id(db)
    driver.decide([nid], number="15/QĐ-BKHCN")
    got = told(db, mark)
    assert {("clerk1", "awarded"), ("head1", "awarded")} <= got
    assert ("clerk2", "awarded") not in got and ("secretary", "awarded") not in got
    assert "15/QĐ-BKHCN" in messages(db, "clerk1", "awarded")[0]


def test_a_rejection_tells_the_unit_why(driver: Driver):
    db = driver.db
    nid = driver.create()
    driver.submit(nid)
    mark = last_id(db)
    driver.act(nid, "secretary", {"decision": "reject", "comment": "Không đủ thời gian công tác"})
    assert driver.nomination(nid).state == "rejected"
    assert told(db, mark) == {("clerk1", "rejected"), ("head1", "rejected")}
    assert "Không đủ thời gian công tác" in messages(db, "head1", "rejected")[0]


@pytest.fixture
def mail_db(db: Database):
    original = db.settings
    db.settings = replace(original, smtp_host="smtp.example.test", public_url="https://vinhdanh.example.test")
    yield db
    db.settings = original


def test_per_event_e_mail_goes_to_the_outbox_and_a_digest_user_waits(mail_db: Database):
    driver = Driver(mail_db)
    add_user(mail_db, "head1b", "CUC_BDDT", ["unit_head"], email="head1b@example.test")
    add_user(mail_db, "head1c", "CUC_BDDT", ["unit_head"], email="head1c@example.test")
    add_user(mail_db, "head1d", "CUC_BDDT", ["unit_head"], email="head1d@example.test")
    with mail_db.write() as s:
        s.execute(update(User).where(User.username == "head1c").values(notify_mode="digest"))
        s.execute(update(User).where(User.username == "head1d").values(notify_mode="none"))
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    with mail_db.read() as s:
        mails = s.scalars(select(OutboxMessage)).all()
        emailed = dict(s.execute(select(User.username, Notification.emailed_at).select_from(Notification)
                                 .join(User, User.id == Notification.user_id)).all())
    assert [m.to_address for m in mails] == ["head1b@example.test"]
    assert f"https://vinhdanh.example.test/nominations/{nid}" in mails[0].body
    assert "Kính gửi Người dùng head1b" in mails[0].body
    assert emailed["head1b"] is not None and emailed["head1c"] is None and emailed["head1d"] is None
    assert set(emailed) == {"head1", "head1b", "head1c", "head1d"}  # every one sees it on the page


def test_one_step_writes_its_notifications_in_one_statement(driver: Driver):
    """Fifteen holders of the role: one insert, not fifteen (PostgreSQL: inside the step's one batch statement)."""
    from sqlalchemy import event

    db = driver.db
    for n in range(15):
        add_user(db, f"sec{n}", "VU_TCCB", ["secretariat"])
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO notifications" in statement:
            inserts.append(executemany)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        driver.act(nid, "head1", APPROVE)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    assert len([u for u, k in told(db) if u.startswith("sec")]) == 16


def test_the_actor_is_not_told_of_the_work_their_own_step_opened(driver: Driver):
    """The secretariat's check opens the wait for a council round, a secretariat task: the other secretary is told."""
    db = driver.db
    add_user(db, "secretary2", "VU_TCCB", ["secretariat"])
    nid = driver.create()
    driver.submit(nid)
    mark = last_id(db)
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["council_round"]
    assert told(db, mark) == {("secretary2", "task")}
