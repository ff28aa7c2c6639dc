"""Admin changes to data the routes read: the working-day calendar's corrections."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from workflows.domain import clock
from workflows.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.persistence.db import Database
from workflows.persistence.model import CalendarDay, User

KINDS = {"off": "Ngày nghỉ (thêm)", "working": "Ngày làm việc bù"}


def _admin(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or "admin" not in user.roles:
        raise Forbidden("Chỉ quản trị được sửa lịch làm việc.")
    return user


def calendar_days(db: Database, year: int) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
                         .order_by(CalendarDay.day)).all()
        return [{"day": r.day, "kind": r.kind, "kind_label": KINDS[r.kind], "note": r.note} for r in rows]


def add_calendar_day(db: Database, user_id: int, day: date, kind: str, note: str) -> None:
    """Deadlines computed from now on use it; running deadlines keep the dates they were given."""
    if kind not in KINDS:
        raise Invalid("Loại ngày không hợp lệ.", {"kind": "Chọn ngày nghỉ hoặc ngày làm việc bù."})
    if kind == "working" and day.weekday() < 5:
        raise Invalid("Ngày làm việc bù phải là thứ Bảy hoặc Chủ nhật.", {"day": "Chọn một ngày cuối tuần."})
    if kind == "off" and day.weekday() >= 5:
        raise Invalid("Ngày nghỉ thêm phải là ngày trong tuần.", {"day": "Chọn một ngày từ thứ Hai đến thứ Sáu."})
    with db.write() as s:
        user = _admin(s, user_id)
        if s.get(CalendarDay, day) is not None:
            raise Conflict("Ngày này đã có trong lịch.")
        s.add(CalendarDay(day=day, kind=kind, note=note.strip()[:255], created_by_id=user.id, created_at=clock.now()))


def remove_calendar_day(db: Database, user_id: int, day: date) -> None:
    with db.write() as s:
        _admin(s, user_id)
        row = s.get(CalendarDay, day)
        if row is None:
            raise NotFound("Không có ngày này trong lịch.")
        s.delete(row)
