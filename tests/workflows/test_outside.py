"""A higher award from proposal to the outside result, and a refusal; the follow-up reminders while it waits.

A form decided above the ministry (``huan_chuong_lao_dong_hang_ba``) is published, voted, appraised and its
submission (tờ trình) signed by the minister; it then waits for the outside result, shown as
``submitted``, the secretariat reminded every 10 working days. The secretariat records the decision of
the Prime Minister (number, date, issuer) or the refusal (reason): the dossier ends ``awarded`` with a
registry row carrying the outside decision, or ``rejected``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows import engine, services
from workflows.domain import clock
from workflows.domain.clock import VN_TZ
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence import versions
from workflows.persistence.model import (
    AuditEvent,
    AwardRecord,
    Counter,
    InstanceState,
    Nomination,
    Notification,
    ProcessModel,
    Timer,
    User,
)
from workflows.services import admin

from ..support import APPROVE, Driver, submitted_end_route_xml

START = datetime(2027, 1, 4, 9, 0, tzinfo=VN_TZ)  # a Monday; the disclosure window ends Mon 18/1 17:00
SUBMITTED = datetime(2027, 1, 18, 17, 1, tzinfo=VN_TZ)  # when the minister signs the submission (just after)
AWARD = {"result": "awarded", "decision_number": "215/QĐ-TTg", "decision_date": "2027-03-02",
         "issuer": "Thủ tướng Chính phủ"}
REFUSAL = {"result": "refused", "reason": "Thành tích chưa đủ tiêu chuẩn theo Điều 71 Nghị định 152/2025/NĐ-CP."}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=VN_TZ)


@pytest.fixture
def advance() -> Iterator:
    with clock.frozen(START) as move:
        yield move


def move_to(advance, when: datetime) -> None:
    advance(when - clock.now())


def waiting(driver: Driver, advance) -> int:
    nid = driver.submitted_above(advance)
    nom = driver.nomination(nid)
    assert (nom.state, nom.current_step, nom.submitted_above_at) == ("submitted", "outside_result", SUBMITTED)
    return nid


def record(driver: Driver, nid: int, data: Any, user: str = "secretary") -> services.Outcome:
    return services.record_outside_result(driver.db, driver.uid(user), nid, data)


def actions(driver: Driver, nid: int) -> list[tuple[str, str | None, str]]:
    with driver.db.read() as s:
        return [(e.action, e.task, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid)
                                                               .order_by(AuditEvent.seq))]


def notes(driver: Driver, kind: str) -> list[tuple[str, str]]:
    with driver.db.read() as s:
        return sorted(s.execute(select(User.username, Notification.message).join(User, User.id == Notification.user_id)
                                .where(Notification.kind == kind)).all())


def follow_up_row(driver: Driver, nid: int) -> tuple[str, datetime, datetime]:
    with driver.db.read() as s:
        [row] = s.scalars(select(Timer).where(Timer.nomination_id == nid, Timer.name == "outside_result_reminder")).all()
        return row.state, row.due_at, row.created_at


def engine_follow_up(driver: Driver, nid: int) -> datetime:
    """The next follow-up the stored engine state holds (what the engine compares with the clock)."""
    with driver.db.read() as s:
        nom = s.get(Nomination, nid)
        route = versions.route_for(s, nom.process_model_id)
        workflow = engine.loads(route, s.get(InstanceState, nid).state)
        [timer] = [t for t in engine.pending_timers(workflow, route) if t.name == "outside_result_reminder"]
        return timer.due_at


def registry(driver: Driver, nid: int) -> AwardRecord | None:
    with driver.db.read() as s:
        return s.scalar(select(AwardRecord).where(AwardRecord.nomination_id == nid))


def stored(driver: Driver) -> dict[str, Any]:
    """What recording a result could change."""
    with driver.db.read() as s:
        return {
            "nominations": [tuple(r) for r in s.execute(select(Nomination.id, Nomination.version, Nomination.state,
                                                               Nomination.outside_result).order_by(Nomination.id))],
            "states": [tuple(r) for r in s.execute(select(InstanceState.nomination_id, InstanceState.state))],
            "events": s.scalar(select(func.count(AuditEvent.id))),
            "registry": s.scalar(select(func.count(AwardRecord.id))),
            "notifications": s.scalar(select(func.count(Notification.id))),
            "timers": [tuple(r) for r in s.execute(select(Timer.id, Timer.state, Timer.due_at).order_by(Timer.id))],
        }


def test_a_higher_award_from_proposal_to_the_outside_result(driver: Driver, advance):
    nid = waiting(driver, advance)
    assert driver.ready_steps(nid) == []  # nobody's task: the dossier waits for the outside
    assert ("submitted_above", "outside_result", "system") in actions(driver, nid)[-2:]  # then the tờ trình's number
    assert registry(driver, nid) is None

    move_to(advance, at(3, 3, 10))
    outcome = record(driver, nid, AWARD | {"decision_number": "  215/QĐ-TTg "})
    assert outcome.state == "awarded"
    nom = driver.nomination(nid)
    assert nom.state == "awarded" and nom.current_step is None
    assert nom.outside_result == AWARD
    assert nom.decision_number is None  # the ministry numbers only its own decisions
    row = registry(driver, nid)
    assert (row.decision_number, row.decision_date, row.issuer) == ("215/QĐ-TTg", date(2027, 3, 2), "Thủ tướng Chính phủ")
    assert (row.award_form, row.nominee_name, row.year) == ("huan_chuong_lao_dong_hang_ba", nom.nominee_name, 2026)
    with driver.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Counter).where(Counter.name == "decision")) == 0
    assert actions(driver, nid)[-2:] == [("outside_result", "outside_result", "secretary"),
                                          ("awarded_above", "set_awarded_outside", "system")]
    with driver.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid,
                                                   AuditEvent.action == "outside_result")).one()
        last = s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid,
                                                  AuditEvent.action == "awarded_above")).one()
    assert event.role == "secretariat" and event.changes == {"outside_result": [None, AWARD]}
    assert last.changes == {"state": ["submitted", "awarded"]}
    told = notes(driver, "outside_result")
    assert [u for u, _ in told] == ["clerk1", "head1"]  # the proposing unit, not Cục Viễn thông
    assert "Quyết định số 215/QĐ-TTg ngày 02/03/2027 của Thủ tướng Chính phủ" in told[0][1]
    assert follow_up_row(driver, nid)[0] == "cancelled"  # the wait ended: no more reminders


def test_a_refusal_ends_rejected_with_its_reason(driver: Driver, advance):
    nid = waiting(driver, advance)
    outcome = record(driver, nid, REFUSAL | {"decision_number": "", "decision_date": None})  # empty = not given
    assert outcome.state == "rejected"
    nom = driver.nomination(nid)
    assert nom.state == "rejected" and nom.outside_result == REFUSAL
    assert registry(driver, nid) is None
    assert actions(driver, nid)[-2:] == [("outside_result", "outside_result", "secretary"),
                                          ("refused_above", "set_rejected_outside", "system")]
    with driver.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.nomination_id == nid,
                                                   AuditEvent.action == "outside_result")).one()
    assert event.comment == REFUSAL["reason"]
    told = notes(driver, "outside_result")
    assert [u for u, _ in told] == ["clerk1", "head1"] and REFUSAL["reason"] in told[0][1]


def test_the_secretariat_is_reminded_every_ten_working_days_across_tet(driver: Driver, advance):
    """Submitted Mon 18/1/2027: reminders on Mon 1/2 (10 working days) and, Tết (Thu 4/2 – Wed 10/2) not counted, on
    Mon 22/2, not on 15/2 as two calendar weeks would have it. Each period reminds once, whatever the sweeps."""
    nid = waiting(driver, advance)
    first, second, third = at(2, 1, 8), at(2, 22, 8), at(3, 8, 8)
    assert follow_up_row(driver, nid) == ("pending", first, SUBMITTED)
    assert engine_follow_up(driver, nid) == first

    move_to(advance, first - timedelta(minutes=1))
    assert services.fire_due_timers(driver.db) == 0
    move_to(advance, first + timedelta(seconds=5))
    assert services.fire_due_timers(driver.db) == 1
    for _ in range(3):
        assert services.fire_due_timers(driver.db) == 0  # the row moved to the next period with the engine
    assert follow_up_row(driver, nid) == ("pending", second, first + timedelta(seconds=5))
    assert engine_follow_up(driver, nid) == second

    move_to(advance, at(2, 16, 9))  # two calendar weeks on: still inside the period (Tết is not counted)
    assert services.fire_due_timers(driver.db) == 0
    move_to(advance, second + timedelta(minutes=3))
    assert services.fire_due_timers(driver.db) == 1
    assert services.fire_due_timers(driver.db) == 0
    assert follow_up_row(driver, nid)[:2] == ("pending", third)

    reminders = [a for a in actions(driver, nid) if a[0] == "reminder_sent" and a[1] == "outside_result"]
    assert reminders == [("reminder_sent", "outside_result", "system")] * 2
    told = notes(driver, "reminder")
    assert [u for u, _ in told] == ["secretary", "secretary"]
    assert "đã trình cấp trên từ ngày 18/01/2027, chưa có kết quả" in told[0][1]
    assert driver.nomination(nid).state == "submitted"


def test_a_late_sweep_sends_one_reminder_and_the_next_period_counts_from_it(driver: Driver, advance):
    """Workers down for six weeks: one reminder when they come back, not one per missed period."""
    nid = waiting(driver, advance)
    move_to(advance, at(3, 15, 10))  # Mon 15/3, three periods after the submission
    assert services.fire_due_timers(driver.db) == 1
    assert services.fire_due_timers(driver.db) == 0
    assert follow_up_row(driver, nid)[:2] == ("pending", at(3, 29, 8))  # 10 working days after 15/3
    assert [u for u, _ in notes(driver, "reminder")] == ["secretary"]


def test_two_sweeps_at_once_send_one_reminder(driver: Driver, advance):
    nid = waiting(driver, advance)
    move_to(advance, at(2, 1, 8, 1))
    barrier, counts = threading.Barrier(2), []

    def sweep() -> None:
        barrier.wait()
        counts.append(services.fire_due_timers(driver.db))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 1]
    assert len(notes(driver, "reminder")) == 1
    assert follow_up_row(driver, nid)[:2] == ("pending", at(2, 22, 8))


def test_a_day_off_added_inside_the_period_moves_the_next_reminder(driver: Driver, advance):
    nid = waiting(driver, advance)
    moved = admin.add_calendar_day(driver.db, driver.uid("admin"), date(2027, 1, 25), "off", "Nghỉ đột xuất")
    assert moved.nominations == [nid] and moved.failed == []
    assert follow_up_row(driver, nid)[:2] == ("pending", at(2, 2, 8))  # one working day later than Mon 1/2
    assert engine_follow_up(driver, nid) == at(2, 2, 8)
    move_to(advance, at(2, 1, 8, 30))
    assert services.fire_due_timers(driver.db) == 0
    move_to(advance, at(2, 2, 8, 1))
    assert services.fire_due_timers(driver.db) == 1


BAD = [
    ({}, {"result": "Trường này là bắt buộc."}),
    ({"result": "granted"}, {"result": "Giá trị không nằm trong danh sách cho phép."}),
    ({"result": "awarded"}, {"decision_number": "Trường này là bắt buộc.", "decision_date": "Trường này là bắt buộc.",
                             "issuer": "Trường này là bắt buộc."}),
    (AWARD | {"decision_number": "   "}, {"decision_number": "Trường này là bắt buộc."}),
    (AWARD | {"decision_date": "02/03/2027"}, {"decision_date": "Ngày quyết định phải theo dạng YYYY-MM-DD (ví dụ 2027-03-15)."}),
    (AWARD | {"decision_date": "2027-02-30"}, {"decision_date": "Ngày quyết định không có thật."}),
    (AWARD | {"decision_date": "2027-03-04"}, {"decision_date": "Ngày quyết định không được sau hôm nay (03/03/2027)."}),
    (AWARD | {"decision_date": "2027-01-17"},
     {"decision_date": "Ngày quyết định không được trước ngày trình cấp trên (18/01/2027)."}),
    (AWARD | {"decision_number": "2" * 61}, {"decision_number": "Tối đa 60 ký tự."}),
    (AWARD | {"issuer": "Thủ tướng\nChính phủ"}, {"issuer": "Không được xuống dòng."}),
    (AWARD | {"reason": "không rõ"}, {"reason": "Chỉ nhập khi không được khen thưởng."}),
    (AWARD | {"decision_date": 20270302}, {"decision_date": "Phải là chuỗi ký tự."}),
    ({"result": "refused"}, {"reason": "Trường này là bắt buộc."}),
    (REFUSAL | {"issuer": "Chủ tịch nước"}, {"issuer": "Chỉ nhập khi được khen thưởng."}),
    (AWARD | {"outcome": "awarded"}, {"outcome": "Trường không thuộc biểu mẫu này."}),
    (["awarded"], {"": "Dữ liệu phải là một đối tượng JSON."}),
]


@pytest.mark.parametrize(("data", "fields"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_is_refused_naming_each_field_and_nothing_is_stored(driver: Driver, advance, data, fields):
    nid = waiting(driver, advance)
    move_to(advance, at(3, 3, 10))
    before = stored(driver)
    with pytest.raises(Invalid) as refused:
        record(driver, nid, data)
    assert refused.value.fields == fields
    assert stored(driver) == before
    assert driver.nomination(nid).state == "submitted"


@pytest.mark.parametrize("user", ["clerk1", "head1", "reviewer", "minister", "council1", "admin", "auditor"])
def test_only_the_secretariat_records_the_outside_result(driver: Driver, advance, user: str):
    nid = waiting(driver, advance)
    before = stored(driver)
    with pytest.raises(Forbidden):
        record(driver, nid, AWARD, user=user)
    assert stored(driver) == before


def test_another_units_people_do_not_even_see_it(driver: Driver, advance):
    nid = waiting(driver, advance)
    with pytest.raises(NotFound):
        record(driver, nid, AWARD, user="clerk2")


def test_a_second_result_is_a_conflict_and_changes_nothing(driver: Driver, advance):
    nid = waiting(driver, advance)
    move_to(advance, at(3, 3, 10))
    record(driver, nid, AWARD)
    before = stored(driver)
    for again in (AWARD, REFUSAL):
        with pytest.raises(Conflict) as conflict:
            record(driver, nid, again)
        assert "Đã ghi nhận kết quả của cấp trên" in conflict.value.message
    assert stored(driver) == before


def test_a_dossier_not_yet_submitted_above_is_a_conflict(driver: Driver, advance):
    nid = driver.create(award_form="bang_khen_thu_tuong")
    with pytest.raises(Conflict) as conflict:
        record(driver, nid, AWARD)
    assert "chưa trình cấp trên" in conflict.value.message
    ministry = driver.create()
    driver.accept(ministry)
    driver.vote(ministry, ["agree"] * 9)
    driver.act(ministry, "reviewer", APPROVE)
    driver.sign(ministry)
    with pytest.raises(Conflict) as conflict:
        record(driver, ministry, AWARD)
    assert "đã kết thúc (Đã khen thưởng)" in conflict.value.message


@pytest.fixture
def old_version(driver: Driver) -> Iterator[int]:
    """A version deployed before the outside result: its route ends when submitted above."""
    with driver.db.write() as s:
        pm, _ = versions.deploy(s, versions.current_bundle(s, submitted_end_route_xml()))
        pm_id = pm.id
    yield pm_id
    with driver.db.write() as s:  # later tests expect only the bundled version
        s.execute(Nomination.__table__.delete())
        s.execute(ProcessModel.__table__.delete().where(ProcessModel.version > 1))


def test_an_old_version_dossier_stays_submitted_and_answers_409(driver: Driver, advance, old_version: int):
    nid = driver.submitted_above(advance)
    nom = driver.nomination(nid)
    assert nom.process_model_id == old_version
    assert nom.state == "submitted" and ("submitted_above", "set_submitted", "system") in actions(driver, nid)[-2:]
    with driver.db.read() as s:  # it ended: no follow-up reminders either
        assert s.scalar(select(func.count()).select_from(Timer).where(Timer.nomination_id == nid,
                                                                      Timer.state == "pending")) == 0
    before = stored(driver)
    with pytest.raises(Conflict) as conflict:
        record(driver, nid, AWARD | {"decision_date": "2027-01-20"})
    assert "phiên bản quy trình cũ" in conflict.value.message
    assert stored(driver) == before
    assert driver.nomination(nid).state == "submitted"


def test_the_registry_numbers_the_ministrys_decisions_uniquely_but_lists_many_under_one_outside_decision(
        driver: Driver, advance):
    first, second = waiting(driver, advance), driver.submitted_above(advance, nominee_name="Trần Thị Bình")
    move_to(advance, at(3, 3, 10))
    record(driver, first, AWARD)
    record(driver, second, AWARD)
    with driver.db.read() as s:
        listed = s.scalars(select(AwardRecord.nominee_name).where(AwardRecord.decision_number == "215/QĐ-TTg")
                           .order_by(AwardRecord.id)).all()
    assert listed == ["Nguyễn Văn An", "Trần Thị Bình"]


