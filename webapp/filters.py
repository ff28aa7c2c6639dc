"""Jinja filters that turn stored codes and times into what a Vietnamese reader expects."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from workflows.documents.text import percent
from workflows.domain.labels import ACTIONS, NOMINEE_KINDS, ROLES, STATES
from workflows.queries import iso


def vn_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM, Vietnam's time (the API keeps ISO 8601)."""
    if not value:
        return ""
    if value.tzinfo is None:  # libraries such as RQ hand out naive UTC
        value = value.replace(tzinfo=UTC)
    return datetime.fromisoformat(iso(value)).strftime("%d/%m/%Y %H:%M")


def vn_date(value: datetime | None) -> str:
    """dd/mm/yyyy, the day in Vietnam (a deadline at close of office hours reads as its day)."""
    if not value:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return datetime.fromisoformat(iso(value)).strftime("%d/%m/%Y")


def vn_duration(value: timedelta) -> str:
    days, hours = value.days, value.seconds // 3600
    if days:
        return f"{days} ngày {hours} giờ"
    if hours:
        return f"{hours} giờ"
    return f"{max(value.seconds // 60, 1)} phút"


def vn_day(value: str | date | None) -> str:
    """``05/12/2026`` from a date or its ISO text."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d/%m/%Y}"


ALL = {
    "vn_datetime": vn_datetime,
    "vn_date": vn_date,
    "vn_day": vn_day,
    "vn_duration": vn_duration,
    "state_label": lambda s: STATES.get(s, s),
    "action_label": lambda a: ACTIONS.get(a, a),
    "role_label": lambda r: ROLES.get(r, r) if r else "Hệ thống",
    "kind_label": lambda k: NOMINEE_KINDS.get(k, k),
    "vn_percent": percent,  # 4|vn_percent(9) -> "44,4 %"
}
