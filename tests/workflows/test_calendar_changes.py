"""An admin's calendar correction: what it accepts, and the running deadlines it moves everywhere they live.

A deadline lives in the inbox row, the timer table and the engine's own timer value; each test checks
all three, and the engine by letting the product's clock pass the old time and the new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import select

from workflows import engine, services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Conflict, Forbidden, Invalid
from workflows.persistence import versions
from workflows.persistence.model import AuditEvent, InstanceState, Nomination, Notification, TaskItem, Timer, User
from workflows.services import admin
from workflows.services.calendar import recompute_deadlines

from ..support import Driver

START = datetime(2026, 11, 30, 9, 0, tzinfo=VN_TZ)  # Monday; the draft (10 working days) is due Mon 14/12 17:00


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN_TZ)


@pytest.fixture
def advance() -> Iterator:
    with clock.frozen(START) as move:
        yield move


def move_to(advance, when: datetime) -> None:
    advance(when - clock.now())


def inbox_due(driver: Driver, nid: int) -> list[datetime]:
    with driver.db.read() as s:
        return list(s.scalars(select(TaskItem.due_at).where(TaskItem.nomination_id == nid, TaskItem.state == "ready")))


def timer_rows(driver: Driver, nid: int) -> dict[str, tuple[str, datetime]]:
    with driver.db.read() as s:
        return {t.name: (t.state, t.due_at) for t in s.scalars(select(Timer).where(Timer.nomination_id == nid))}


def engine_timers(driver: Driver, nid: int) -> dict[str, datetime]:
    """The due times the engine itself holds, read back from the stored workflow."""
    with driver.db.read() as s:
        nom = s.get(Nomination, nid)
        route = versions.route_for(s, nom.process_model_id)
        state = s.get(InstanceState, nid).state
        workflow = engine.loads(route, state)  # reading the kept values needs no deadline helpers
        return {t.name: t.due_at for t in engine.pending_timers(workflow, route)}


def notified(driver: Driver, kind: str) -> list[str]:
    with driver.db.read() as s:
        return sorted(s.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                                .where(Notification.kind == kind)))


def test_a_due_day_that_becomes_a_holiday_moves_the_deadline_everywhere(driver: Driver, advance):
    nid = driver.create()
    assert inbox_due(driver, nid) == [at(14, 17)]
    moved = admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 12, 14), "off", "Nghỉ đột xuất")
    assert (moved.nominations, moved.tasks, moved.timers, moved.failed) == ([nid], 1, 1, [])

    # Tue 15/12 is the next working day; the reminder, two working days before it, stays Thu 10/12.
    assert inbox_due(driver, nid) == [at(15, 17)]
    assert timer_rows(driver, nid) == {"draft_reminder": ("pending", at(10, 8)), "draft_escalation": ("pending", at(15, 17))}
    assert engine_timers(driver, nid) == {"draft_reminder": at(10, 8), "draft_escalation": at(15, 17)}

    # Past the old deadline: the sweep takes the nomination for its (moved) reminder, and the engine,
    # asked to fire whatever is due, fires only that: its escalation is no longer at 14/12 17:00.
    move_to(advance, at(14, 17, 1))
    assert services.fire_due_timers(driver.db) == 1
    assert timer_rows(driver, nid)["draft_reminder"][0] == "fired"
    assert timer_rows(driver, nid)["draft_escalation"][0] == "pending"
    assert notified(driver, "escalation") == []
    move_to(advance, at(15, 17, 1))
    assert services.fire_due_timers(driver.db) == 1
    assert notified(driver, "escalation") == ["head1"]
    with driver.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid, AuditEvent.action == "deadline_moved")).one()
    assert (event.actor, event.task) == ("admin", "draft")
    assert event.changes["due_at"] == ["2026-12-14T17:00:00+07:00", "2026-12-15T17:00:00+07:00"]


def test_a_cancelled_holiday_brings_the_deadline_forward_and_withdrawing_it_moves_it_back(driver: Driver, advance):
    move_to(advance, at(16, 9, month=11))  # Mon 16/11: 10 working days skip the Cultural Day (Tue 24/11)
    nid = driver.create()
    assert inbox_due(driver, nid) == [at(1, 17)]
    admin_id = driver.uid("admin")
    moved = admin.add_calendar_day(driver.db, admin_id, date(2026, 11, 24), "working", "Giả định: Chính phủ dời ngày nghỉ")
    assert moved.nominations == [nid]
    assert inbox_due(driver, nid) == [at(30, 17, month=11)]
    assert engine_timers(driver, nid) == {"draft_reminder": at(26, 8, month=11), "draft_escalation": at(30, 17, month=11)}

    admin.remove_calendar_day(driver.db, admin_id, date(2026, 11, 24))
    assert inbox_due(driver, nid) == [at(1, 17)]
    assert engine_timers(driver, nid) == {"draft_reminder": at(27, 8, month=11), "draft_escalation": at(1, 17)}

    admin.add_calendar_day(driver.db, admin_id, date(2026, 11, 24), "working", "Giả định: Chính phủ dời ngày nghỉ")
    move_to(advance, at(30, 17, 1, month=11))  # the new deadline, a day before the old one
    assert services.fire_due_timers(driver.db) == 2  # the reminder and, at its new time, the escalation
    assert notified(driver, "escalation") == ["head1"]


def test_only_nominations_whose_deadlines_move_are_touched_and_a_second_run_moves_nothing(driver: Driver, advance):
    early = driver.create()
    move_to(advance, at(15, 9))  # starts after the day that changes
    late = driver.create()
    with driver.db.read() as s:
        late_version = s.get(Nomination, late).version
    moved = admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 12, 14), "off", "Nghỉ đột xuất")
    assert moved.nominations == [early]
    with driver.db.write() as s:
        assert recompute_deadlines(s, None, clock.now()).nominations == []
    with driver.db.read() as s:
        assert s.get(Nomination, late).version == late_version
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.nomination_id == late,
                                                    AuditEvent.action == "deadline_moved")) is None


@pytest.mark.usefixtures("per_dossier")  # the ballot of versions before rounds
def test_every_council_members_vote_and_the_ballots_timers_move(driver: Driver, advance):
    nid = driver.create()
    driver.accept(nid)  # same Monday: the vote (10 working days) is due 14/12 17:00
    assert set(inbox_due(driver, nid)) == {at(14, 17)}
    admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 12, 14), "off", "Nghỉ đột xuất")
    assert inbox_due(driver, nid) == [at(15, 17)] * 9
    assert engine_timers(driver, nid) == {"council_vote_reminder": at(10, 8), "council_vote_escalation": at(15, 17)}


def test_the_disclosure_window_closes_at_its_new_time(driver: Driver, advance):
    nid = driver.create(award_form="huan_chuong_lao_dong_hang_ba")
    driver.accept(nid)
    assert timer_rows(driver, nid)["disclosure_window"] == ("pending", at(14, 17))
    admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 12, 14), "off", "Nghỉ đột xuất")
    assert timer_rows(driver, nid)["disclosure_window"] == ("pending", at(15, 17))
    assert engine_timers(driver, nid) == {"disclosure_window": at(15, 17)}
    move_to(advance, at(15, 16, 59))
    assert services.fire_due_timers(driver.db) == 0
    move_to(advance, at(15, 17, 1))
    assert services.fire_due_timers(driver.db) == 1
    assert driver.ready_steps(nid) == ["council_round"]


def test_a_nomination_that_cannot_be_restored_keeps_its_dates_and_the_others_move(driver: Driver, advance):
    broken, fine = driver.create(), driver.create()
    with driver.db.write() as s:
        s.get(InstanceState, broken).state = '{"tasks": "not a workflow"}'
    moved = admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 12, 14), "off", "Nghỉ đột xuất")
    assert (moved.nominations, moved.failed) == ([fine], [broken])
    assert inbox_due(driver, broken) == [at(14, 17)]  # its savepoint rolled back whole: inbox and timers alike
    assert timer_rows(driver, broken)["draft_escalation"] == ("pending", at(14, 17))
    assert inbox_due(driver, fine) == [at(15, 17)]


# --- what an admin may correct ---------------------------------------------------------------------

@pytest.mark.parametrize(("day", "kind"), [
    (date(2026, 12, 2), "off"),  # any weekday off
    (date(2026, 12, 5), "working"),  # any weekend day worked
    (date(2026, 11, 24), "working"),  # a package holiday cancelled (the government moved it)
    (date(2026, 1, 2), "working"),  # an announced day off cancelled
    (date(2026, 1, 10), "off"),  # an announced make-up Saturday cancelled
    (date(2025, 4, 26), "off"),  # a make-up Saturday the package knows, cancelled
])
def test_an_admin_may_turn_any_day_around(driver: Driver, day: date, kind: str):
    admin.add_calendar_day(driver.db, driver.uid("admin"), day, kind, "Theo Công văn số 1/VPCP-KGVX")
    corrections = admin.calendar_year(driver.db, day.year)["corrections"]
    assert [(c["day"], c["kind"], c["note"]) for c in corrections] == [(day, kind, "Theo Công văn số 1/VPCP-KGVX")]


@pytest.mark.parametrize(("day", "kind", "message"), [
    (date(2026, 12, 5), "off", "Thứ Bảy 05/12/2026 đã là ngày nghỉ (nghỉ cuối tuần)"),
    (date(2026, 12, 2), "working", "Thứ Tư 02/12/2026 đã là ngày làm việc (ngày làm việc bình thường)"),
    (date(2026, 1, 1), "off", "đã là ngày nghỉ (ngày lễ: Tết Dương lịch)"),
    (date(2026, 1, 2), "off", "đã là ngày nghỉ (theo thông báo của Chính phủ"),
    (date(2026, 8, 22), "working", "đã là ngày làm việc (theo thông báo của Chính phủ"),
])
def test_a_correction_that_changes_nothing_is_refused(driver: Driver, day: date, kind: str, message: str):
    with pytest.raises(Invalid) as caught:
        admin.add_calendar_day(driver.db, driver.uid("admin"), day, kind, "x")
    assert message in caught.value.message
    assert admin.calendar_year(driver.db, day.year)["corrections"] == []


def test_a_correction_needs_its_grounds_and_one_per_day(driver: Driver):
    admin_id = driver.uid("admin")
    with pytest.raises(Invalid, match="căn cứ"):
        admin.add_calendar_day(driver.db, admin_id, date(2026, 12, 2), "off", "  ")
    admin.add_calendar_day(driver.db, admin_id, date(2026, 12, 2), "off", "Nghỉ bù")
    with pytest.raises(Conflict, match="đã có điều chỉnh"):
        admin.add_calendar_day(driver.db, admin_id, date(2026, 12, 2), "off", "Nghỉ bù")
    with pytest.raises(Forbidden):
        admin.add_calendar_day(driver.db, driver.uid("secretary"), date(2026, 12, 3), "off", "Nghỉ bù")


def test_the_year_shows_each_source(driver: Driver):
    admin.add_calendar_day(driver.db, driver.uid("admin"), date(2026, 1, 10), "off", "Hủy làm bù")
    year = admin.calendar_year(driver.db, 2026)
    package = {p["day"]: p for p in year["package"]}
    assert package[date(2026, 11, 24)]["name"] == "Ngày Văn hóa Việt Nam"
    assert package[date(2026, 8, 22)]["kind"] == "working"
    announced = {a["day"]: a for a in year["announcements"]}
    assert announced[date(2026, 1, 2)]["in_package"] is False and announced[date(2026, 2, 17)]["in_package"] is True
    assert "12729/VPCP-KGVX" in announced[date(2026, 1, 10)]["source"]
    assert (announced[date(2026, 1, 10)]["effective"], announced[date(2026, 1, 10)]["corrected"]) == ("off", True)
    assert [c["day"] for c in year["corrections"]] == [date(2026, 1, 10)]


def test_no_announcements_for_a_year_without_them(driver: Driver):
    assert admin.calendar_year(driver.db, 2030)["announcements"] == []
