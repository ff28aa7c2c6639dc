"""Jobs run in-process: quarterly report reminders, e-mail delivery from the outbox, the embedded scheduler."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from workers import runtime, scheduler
from workflows import services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.db import Database
from workflows.persistence.model import Notification, OutboxMessage, QuarterlyReport, Timer, User
from workflows.services import outbox, reports

from ..support import Driver


def notifications(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.execute(select(User.username, Notification.kind).join(Notification, Notification.user_id == User.id))
        return sorted(rows.all())


def test_quarterly_reports_are_reminded_and_escalated_once(db: Database):
    with clock.frozen(datetime(2026, 10, 1, 9, 0, tzinfo=VN_TZ)) as advance:
        assert reports.create_for_quarter(db) == 3
        assert reports.remind_due(db) == 0  # due 15/12: too early
        advance(datetime(2026, 12, 11, 8, 1, tzinfo=VN_TZ) - clock.now())  # two working days before Tue 15/12
        assert reports.remind_due(db) == 3
        assert reports.remind_due(db) == 0
        assert ("clerk1", "reminder") in notifications(db) and ("clerk2", "reminder") in notifications(db)
        advance(timedelta(days=5))
        assert reports.remind_due(db) == 3
        assert reports.remind_due(db) == 0
    kinds = notifications(db)
    assert ("head1", "escalation") in kinds and ("head2", "escalation") in kinds
    assert not any(user.startswith("council") or user == "secretary" for user, _ in kinds)


def test_a_submitted_report_is_not_chased(db: Database, driver: Driver):
    with clock.frozen(datetime(2026, 10, 1, tzinfo=UTC)) as advance:
        reports.create_for_quarter(db)
        with db.read() as s:
            unit1 = s.scalar(select(User.unit_id).where(User.username == "clerk1"))
            rid = s.scalar(select(QuarterlyReport.id).where(QuarterlyReport.unit_id == unit1))
        reports.submit(db, driver.uid("clerk1"), rid, {"summary": "Đã hoàn thành báo cáo quý IV năm 2026."})
        advance(timedelta(days=90))
        reports.remind_due(db)
    assert ("clerk1", "reminder") not in notifications(db) and ("head1", "escalation") not in notifications(db)


@pytest.fixture
def smtp_db(db: Database):
    """The same database, with SMTP configured so notifications also write e-mail to the outbox."""
    original = db.settings
    db.settings = replace(original, smtp_host="smtp.example.test")
    with db.write() as s:
        for user in s.scalars(select(User)):
            user.email = f"{user.username}@bo.example.test"
    yield db
    db.settings = original


FIRED_AT = datetime(2026, 12, 11, 9, 0, tzinfo=VN_TZ)  # past the draft's reminder (10/12 08:00)


def reminder_mail(driver: Driver) -> None:
    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)) as advance:
        driver.create()
        advance(FIRED_AT - clock.now())
        assert services.fire_due_timers(driver.db) == 1


def test_outbox_mail_is_sent_after_commit_and_marked(smtp_db: Database, driver: Driver):
    reminder_mail(driver)
    sent: list[tuple[str, ...]] = []
    with clock.frozen(FIRED_AT + timedelta(minutes=1)):
        assert outbox.deliver(smtp_db, lambda to, subject, body: sent.append((to, subject, body))) == 1
        assert outbox.deliver(smtp_db, lambda *a: sent.append(a)) == 0  # nothing is sent twice
    assert sent[0][0] == "clerk1@bo.example.test" and "Nhắc hạn" in sent[0][1] and "Kính gửi" in sent[0][2]
    with smtp_db.read() as s:
        message = s.scalar(select(OutboxMessage))
    assert message.sent_at is not None and message.attempts == 1


def test_a_failed_delivery_is_retried_later_with_its_reason(smtp_db: Database, driver: Driver):
    reminder_mail(driver)

    def refuse(*_args: str) -> None:
        raise ConnectionRefusedError("smtp down")

    with clock.frozen(FIRED_AT + timedelta(minutes=1)):
        assert outbox.deliver(smtp_db, refuse) == 0
        with smtp_db.read() as s:
            message = s.scalar(select(OutboxMessage))
        assert message.sent_at is None and message.attempts == 1 and "smtp down" in message.last_error
        assert message.next_attempt_at > clock.now()
        assert outbox.deliver(smtp_db, lambda *a: None) == 0  # not before its next attempt
    with clock.frozen(message.next_attempt_at + timedelta(seconds=1)):
        assert outbox.deliver(smtp_db, lambda *a: None) == 1


def test_without_smtp_nothing_goes_to_the_outbox(db: Database, driver: Driver):
    reminder_mail(driver)
    with db.read() as s:
        assert s.scalar(select(OutboxMessage)) is None
        assert s.scalar(select(Notification)) is not None  # the web UI still has it


def test_the_embedded_scheduler_fires_due_timers_without_redis(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch):
    driver = Driver(sqlite_db)
    with clock.frozen(datetime.now(UTC) - timedelta(days=40)):
        nid = driver.create()
    monkeypatch.setenv("DATABASE_URL", sqlite_db.url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(runtime, "_db", None)
    scheduler.run_embedded(stop_after=1.5)
    with sqlite_db.read() as s:
        states = sorted(s.scalars(select(Timer.state).where(Timer.nomination_id == nid)))
    assert states == ["fired", "fired"]
    runtime.database().dispose()
