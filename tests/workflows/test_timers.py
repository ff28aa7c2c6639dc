"""Timers in working days: reminders, escalation, the disclosure window; fired once, by the product's clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from workflows import services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.persistence.model import AuditEvent, CalendarDay, InstanceState, Notification, TaskItem, Timer, User

from ..support import APPROVE, Driver

START = datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)  # a Monday morning in Hà Nội


@pytest.fixture
def advance() -> Iterator:
    with clock.frozen(START) as move:
        yield move


def timers(driver: Driver, nid: int) -> dict[str, tuple[str, datetime]]:
    with driver.db.read() as s:
        return {t.name: (t.state, t.due_at) for t in s.scalars(select(Timer).where(Timer.nomination_id == nid))}


def notified(driver: Driver, kind: str) -> list[str]:
    with driver.db.read() as s:
        return sorted(s.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                                .where(Notification.kind == kind)))


def actions(driver: Driver, nid: int) -> list[str]:
    with driver.db.read() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.nomination_id == nid).order_by(AuditEvent.seq)))


def move_to(advance, when: datetime) -> None:
    advance(when - clock.now())


def test_deadlines_are_working_days_and_the_engine_uses_the_same_clock(driver: Driver, advance):
    nid = driver.create()
    pending = timers(driver, nid)
    # draft: 10 working days from Mon 30/11 → Mon 14/12 17:00; reminder two working days before, at 08:00.
    assert pending == {"draft_reminder": ("pending", datetime(2026, 12, 10, 8, 0, tzinfo=VN_TZ)),
                       "draft_escalation": ("pending", datetime(2026, 12, 14, 17, 0, tzinfo=VN_TZ))}
    with driver.db.read() as s:
        item = s.scalar(select(TaskItem).where(TaskItem.nomination_id == nid))
    assert item.due_at == datetime(2026, 12, 14, 17, 0, tzinfo=VN_TZ)  # the inbox shows the escalation's time


def test_reminder_fires_once_two_working_days_before(driver: Driver, advance):
    nid = driver.create()
    move_to(advance, datetime(2026, 12, 10, 7, 59, tzinfo=VN_TZ))
    assert services.fire_due_timers(driver.db) == 0
    advance(timedelta(minutes=2))
    assert services.fire_due_timers(driver.db) == 1
    assert services.fire_due_timers(driver.db) == 0  # a second sweep finds nothing
    assert timers(driver, nid)["draft_reminder"][0] == "fired"
    assert timers(driver, nid)["draft_escalation"][0] == "pending"
    assert notified(driver, "reminder") == ["clerk1"]
    assert actions(driver, nid)[-1] == "reminder_sent"
    assert driver.ready_steps(nid) == ["draft"]  # a reminder does not move the dossier


def test_escalation_tells_the_superior_and_flags_the_task(driver: Driver, advance):
    nid = driver.create()
    move_to(advance, datetime(2026, 12, 14, 17, 1, tzinfo=VN_TZ))
    assert services.fire_due_timers(driver.db) == 2  # the reminder too, if nobody swept before
    assert notified(driver, "escalation") == ["head1"]  # the clerk's unit head, not head2
    with driver.db.read() as s:
        item = s.scalar(select(TaskItem).where(TaskItem.nomination_id == nid))
    assert item.state == "ready" and item.escalated_at is not None
    assert actions(driver, nid)[-2:] == ["reminder_sent", "escalated"]
    driver.act(nid, "clerk1", {})  # still possible after the deadline
    assert driver.ready_steps(nid) == ["head_review"]


def test_completing_a_step_cancels_its_timers(driver: Driver, advance):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    states = timers(driver, nid)
    assert states["draft_reminder"][0] == states["draft_escalation"][0] == "cancelled"
    assert states["head_review_reminder"][0] == "pending"
    move_to(advance, datetime(2026, 12, 14, 17, 1, tzinfo=VN_TZ))
    services.fire_due_timers(driver.db)
    assert notified(driver, "reminder") == ["head1"] and notified(driver, "escalation") == ["secretary"]


def test_an_admin_day_off_moves_the_deadline(driver: Driver, advance):
    with driver.db.write() as s:
        s.add(CalendarDay(day=datetime(2026, 12, 2).date(), kind="off", note="Nghỉ bù", created_at=clock.now()))
    nid = driver.create()
    assert timers(driver, nid)["draft_escalation"][1] == datetime(2026, 12, 15, 17, 0, tzinfo=VN_TZ)


def disclosed(driver: Driver) -> int:
    nid = driver.create(award_form="huan_chuong_lao_dong_hang_ba")  # an order: published first (the DMN's disclosure_days)
    driver.accept(nid)
    assert driver.ready_steps(nid) == ["disclosure"]
    return nid


def test_disclosure_window_passes_then_the_council_votes(driver: Driver, advance):
    nid = disclosed(driver)
    window_end = timers(driver, nid)["disclosure_window"][1]
    assert window_end == datetime(2026, 12, 14, 17, 0, tzinfo=VN_TZ)  # 10 working days
    move_to(advance, window_end - timedelta(minutes=1))
    assert services.fire_due_timers(driver.db) == 0
    advance(timedelta(minutes=2))
    assert services.fire_due_timers(driver.db) == 1
    assert driver.ready_steps(nid) == ["council_round"]
    assert notified(driver, "window") == ["secretary"]
    with driver.db.read() as s:  # told once: the window's message names the council's step it opens
        told_now = s.scalars(select(Notification.kind).where(Notification.created_at == clock.now())).all()
    assert told_now == ["window"], told_now
    driver.vote(nid, ["agree"] * 9)
    driver.act(nid, "reviewer", APPROVE)
    driver.sign(nid)
    assert driver.nomination(nid).state == "submitted"


def test_an_objection_inside_the_window_sends_it_back_to_the_secretariat(driver: Driver, advance):
    nid = disclosed(driver)
    advance(timedelta(days=3))
    driver.act(nid, "secretary", {"decision": "objection", "comment": "Có đơn phản ánh về thành tích năm 2025"})
    assert driver.ready_steps(nid) == ["secretariat_check"]
    assert timers(driver, nid)["disclosure_window"][0] == "cancelled"
    move_to(advance, datetime(2026, 12, 20, tzinfo=VN_TZ))
    services.fire_due_timers(driver.db)
    assert driver.ready_steps(nid) == ["secretariat_check"]  # the window's end no longer matters
    driver.act(nid, "secretary", APPROVE)
    assert driver.ready_steps(nid) == ["disclosure"]  # checked again, published again


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_a_ballot_reminder_goes_to_members_who_have_not_voted(driver: Driver, advance):
    nid = driver.create()
    driver.accept(nid)
    driver.vote(nid, ["agree"] * 3)
    reminder = timers(driver, nid)["council_vote_reminder"][1]
    move_to(advance, reminder + timedelta(minutes=1))
    services.fire_due_timers(driver.db)
    assert notified(driver, "reminder") == [f"council{i}" for i in range(4, 10)]


def engine_due_times(driver: Driver, nid: int) -> dict[str, str]:
    """The due time each timer task of the saved engine state fires on (its ``event_value``), as saved."""
    with driver.db.read() as s:
        state = json.loads(s.scalar(select(InstanceState.state).where(InstanceState.nomination_id == nid)))
    found: dict[str, str] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            value = (node.get("internal_data") or {}).get("event_value") if "task_spec" in node else None
            if isinstance(value, str):
                found[node["task_spec"]] = value
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(state)
    return found


def test_timers_are_stored_in_utc_with_their_offset_kept(driver: Driver, advance):
    """The engine keeps a deadline as ISO text with the ministry's +07:00; the timers table holds the same
    instant in UTC (SQLite's text shows the UTC wall time); the product reads it back aware."""
    nid = driver.create()
    escalation = datetime(2026, 12, 14, 17, 0, tzinfo=VN_TZ)
    assert engine_due_times(driver, nid)["draft_escalation"] == "2026-12-14T17:00:00+07:00"
    with driver.db.read() as s:
        raw = s.execute(text("SELECT due_at FROM timers WHERE nomination_id = :nid AND name = 'draft_escalation'"),
                        {"nid": nid}).scalar_one()
    if driver.db.is_sqlite:
        assert raw == "2026-12-14 10:00:00.000000"
    else:
        assert raw == escalation and raw.utcoffset() is not None  # timestamptz: the instant, aware
    state, due = timers(driver, nid)["draft_escalation"]
    assert state == "pending" and due == escalation and due.utcoffset() == timedelta(0)


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_a_timer_due_before_a_users_action_is_still_reported_once(driver: Driver, advance):
    """The engine fires due timers at the end of any step, so a vote can fire the ballot reminder itself."""
    nid = driver.create()
    driver.accept(nid)
    reminder = timers(driver, nid)["council_vote_reminder"][1]
    move_to(advance, reminder + timedelta(seconds=2))
    driver.vote(nid, ["agree"])  # no sweep ran in between
    assert timers(driver, nid)["council_vote_reminder"][0] == "fired"
    assert notified(driver, "reminder") == [f"council{i}" for i in range(2, 10)]
    assert services.fire_due_timers(driver.db) == 0  # and the sweep does not send it again
    assert actions(driver, nid).count("reminder_sent") == 1
