"""Admin changes to data the routes read: the working-day calendar's corrections."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from workflows.domain import calendar as working_days
from workflows.domain import clock
from workflows.domain.actor import Actor
from workflows.domain.calendar import weekday_name
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence import audit, calendars
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay, User
from workflows.persistence.scope import load_actor
from workflows.services.calendar import Recomputed, after_change, recompute_deadlines

KINDS = {"off": "Ngày nghỉ", "working": "Ngày làm việc"}
KIND_HINTS = {
    "off": "Ngày nghỉ — một ngày đang là ngày làm việc (thứ Hai–thứ Sáu, hoặc hủy một ngày làm bù)",
    "working": "Ngày làm việc — một ngày đang nghỉ (làm bù thứ Bảy/Chủ nhật, hoặc hủy một ngày nghỉ lễ đã dời)",
}
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _admin(session, user_id: int) -> Actor:
    actor = load_actor(session, user_id)
    if not actor.can_administer():
        raise Forbidden("Chỉ quản trị được sửa lịch làm việc.")
    return actor


def _label(day: date) -> str:
    return f"{weekday_name(day)} {day:%d/%m/%Y}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]  # str.capitalize would lower "Bảy" in "thứ Bảy"


def _why(day: date) -> str:
    """Why the calendar (without any correction on ``day``) has this day as it has it, in words."""
    announced = calendars.announcements().get(day)
    if announced is not None:
        return f"theo thông báo của Chính phủ: {announced.name}"
    name = working_days.package_days_off(day.year).get(day)
    if name is not None:
        return f"ngày lễ: {name}"
    if day in working_days.package_working_days(day.year):
        return "ngày làm việc bù theo lịch nghỉ lễ"
    return "ngày làm việc bình thường" if day.weekday() < 5 else "nghỉ cuối tuần"


def add_calendar_day(db: Database, user_id: int, day: date, kind: str, note: str) -> Recomputed:
    """Correct one day of the calendar, then move the running deadlines it changes (one transaction).

    A correction turns a working day into a day off (any weekday, or a make-up Saturday that is
    cancelled) or a day off into a working day (a make-up weekend day, or a holiday the government
    moved). A correction that would change nothing is refused: it is a mistake about the date.
    """
    if kind not in KINDS:
        raise Invalid("Loại ngày không hợp lệ.", {"kind": "Chọn ngày nghỉ hoặc ngày làm việc."})
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"Chỉ sửa lịch các năm {FIRST_YEAR}–{LAST_YEAR}.", {"day": "Năm không hợp lệ."})
    with db.write() as s:
        user = _admin(s, user_id)
        if s.get(CalendarDay, day) is not None:
            raise Conflict(f"Ngày {_label(day)} đã có điều chỉnh; xóa điều chỉnh cũ trước khi thêm điều chỉnh mới.")
        working = calendars.load(s).is_working_day(day)
        if kind == "off" and not working:
            raise Invalid(f"{_sentence(_label(day))} đã là ngày nghỉ ({_why(day)}).",
                          {"day": "Chọn một ngày đang là ngày làm việc."})
        if kind == "working" and working:
            raise Invalid(f"{_sentence(_label(day))} đã là ngày làm việc ({_why(day)}).",
                          {"day": "Chọn một ngày đang là ngày nghỉ."})
        note = note.strip()[:255]
        if not note:
            raise Invalid("Ghi rõ căn cứ (số văn bản, thông báo) hoặc lý do điều chỉnh.", {"note": "Bắt buộc."})
        now = clock.now()
        s.add(CalendarDay(day=day, kind=kind, note=note, created_by_id=user.id, created_at=now))
        calendars.changed(s)
        audit.record_subject(s, "calendar", day.year, at=now, actor=user, action="calendar_day_added",
                             changes={"day": [None, day.isoformat()], "kind": [None, kind], "note": [None, note]})
        moved = recompute_deadlines(s, user, now)
    return after_change(db, user, moved)


def remove_calendar_day(db: Database, user_id: int, day: date) -> Recomputed:
    """Withdraw a correction: the day is again as the package and the announcements have it."""
    with db.write() as s:
        user = _admin(s, user_id)
        row = s.get(CalendarDay, day)
        if row is None:
            raise NotFound("Không có ngày này trong lịch.")
        now = clock.now()
        audit.record_subject(s, "calendar", day.year, at=now, actor=user, action="calendar_day_removed",
                             changes={"day": [day.isoformat(), None], "kind": [row.kind, None], "note": [row.note, None]})
        s.delete(row)
        calendars.changed(s)
        moved = recompute_deadlines(s, user, now)
    return after_change(db, user, moved)


def calendar_year(db: Database, year: int) -> dict[str, Any]:
    """One year of the calendar by where each day comes from: the package, the announcements, the admins."""
    announced = {d: a for d, a in calendars.announcements().items() if d.year == year}
    with db.read() as s:
        rows = s.execute(
            select(CalendarDay, User.full_name).outerjoin(User, User.id == CalendarDay.created_by_id)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        ).all()
        cal = calendars.load(s)
    corrected = {row.day: row.kind for row, _ in rows}

    def now_is(day: date) -> str:
        return "working" if cal.is_working_day(day) else "off"

    package = [{"day": d, "weekday": weekday_name(d), "kind": "off", "kind_label": KINDS["off"], "name": name,
                "effective": now_is(d)} for d, name in working_days.package_days_off(year).items()]
    package += [{"day": d, "weekday": weekday_name(d), "kind": "working", "kind_label": "Ngày làm việc bù",
                 "name": "Làm việc bù cho ngày nghỉ hoán đổi", "effective": now_is(d)}
                for d in working_days.package_working_days(year)]
    announcements = [{"day": d, "weekday": weekday_name(d), "kind": a.kind, "kind_label": KINDS[a.kind], "name": a.name,
                      "source": a.source, "subject": a.subject, "effective": now_is(d),
                      # Shown so nobody "fixes" a double count that cannot happen: days are a set.
                      "in_package": working_days.package_is_working_day(d) == (a.kind == "working"),
                      "corrected": d in corrected}
                     for d, a in sorted(announced.items())]
    corrections = [{"day": r.day, "weekday": weekday_name(r.day), "kind": r.kind, "kind_label": KINDS[r.kind],
                    "note": r.note, "created_by": name or "", "created_at": r.created_at}
                   for r, name in rows]
    return {"package": sorted(package, key=lambda p: p["day"]), "announcements": announcements,
            "corrections": corrections}
