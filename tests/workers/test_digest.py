"""The daily digest: one e-mail per digest user and day, never empty, idempotent across reruns and racing schedulers."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from workers import jobs, scheduler
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database
from workflows.persistence.model import Notification, OutboxMessage, User
from workflows.persistence.notify_model import NotificationDigest
from workflows.services import digest, notifications

from ..support import Driver

DAY = datetime(2026, 12, 2, 7, 5, tzinfo=VN_TZ)  # a Wednesday, just past the digest hour


@pytest.fixture
def digest_db(db: Database):
    original = db.settings
    db.settings = replace(original, smtp_host="smtp.example.test", public_url="https://vinhdanh.example.test")
    with db.write() as s:
        s.execute(update(User).values(email=User.username + "@bo.example.test"))
    yield db
    db.settings = original


def outbox(db: Database) -> list[OutboxMessage]:
    with db.read() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def a_day_of_work(driver: Driver) -> int:
    """head1 chose the digest; the day before brings them two tasks (one of two dossiers each)."""
    notifications.set_mode(driver.db, driver.uid("head1"), "digest")
    with clock.frozen(DAY - timedelta(hours=20)):
        first, second = driver.create(), driver.create(nominee_name="Trịnh Văn Bảo")
        driver.act(first, "clerk1", {})
        driver.act(second, "clerk1", {})
    return first


def test_a_digest_user_gets_one_e_mail_with_the_days_notifications_and_a_rerun_sends_nothing(digest_db: Database):
    driver = Driver(digest_db)
    first = a_day_of_work(driver)
    assert outbox(digest_db) == []  # no per-event mail for a digest user
    with clock.frozen(DAY - timedelta(minutes=10)):  # 06:55: not yet
        assert digest.send_digests(digest_db) == 0
    with clock.frozen(DAY):
        assert digest.send_digests(digest_db) == 1
        assert digest.send_digests(digest_db) == 0  # the rerun
    [mail] = outbox(digest_db)
    assert mail.to_address == "head1@bo.example.test"
    assert mail.subject == "[Vinh danh] Tóm tắt thông báo ngày 02/12/2026: 2 thông báo mới"
    assert "Kính gửi Trần Văn Hùng" in mail.body and "Trịnh Văn Bảo" in mail.body
    assert f"https://vinhdanh.example.test/nominations/{first}" in mail.body
    with digest_db.read() as s:
        pending = s.scalar(select(Notification.id).join(User, User.id == Notification.user_id)
                           .where(User.username == "head1", Notification.emailed_at.is_(None)))
    assert pending is None


def test_an_empty_day_sends_no_digest(digest_db: Database):
    driver = Driver(digest_db)
    notifications.set_mode(digest_db, driver.uid("head1"), "digest")
    with clock.frozen(DAY):
        assert digest.send_digests(digest_db) == 0
    assert outbox(digest_db) == []


def test_without_smtp_there_is_no_digest(db: Database):
    driver = Driver(db)
    a_day_of_work(driver)
    with clock.frozen(DAY):
        assert digest.send_digests(db) == 0
    assert outbox(db) == []


def test_two_schedulers_racing_write_one_digest(digest_db: Database):
    driver = Driver(digest_db)
    a_day_of_work(driver)
    barrier, results, errors = threading.Barrier(4), [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(digest.send_digests(digest_db, DAY))
        except Exception as exc:  # a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 1]
    assert len(outbox(digest_db)) == 1
    with digest_db.read() as s:
        assert len(s.scalars(select(NotificationDigest)).all()) == 1


def test_the_digest_job_is_on_the_schedule():
    assert (jobs.send_digests, 600) in scheduler.SCHEDULE
    assert "send_digests" in jobs.RETRIES
