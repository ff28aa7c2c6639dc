"""Jinja filters that turn stored codes and times into what a Vietnamese reader expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.domain import forms
from workflows.domain.labels import ACTIONS, NOMINEE_KINDS, ROLES, STATES
from workflows.persistence.reference import AWARD_FORMS
from workflows.queries import iso

_AWARD_NAMES = {code: name for code, name, *_ in AWARD_FORMS}
_FIELD_TITLES = {name: prop.get("title", name) for name, prop in forms.load("dossier")["properties"].items()} | {
    "state": "Trạng thái",
    "decision_number": "Số quyết định",
    "return_count": "Số lần trả lại",
    "council_result": "Kết quả bỏ phiếu",
    "attachment": "Tệp đính kèm",
    "due_at": "Hạn xử lý",
    "reminder_at": "Nhắc hạn lúc",
}
_TIMES = {"due_at", "reminder_at"}  # ISO strings in the audit data


def vn_datetime(value: datetime | None) -> str:
    if not value:
        return ""
    if value.tzinfo is None:  # libraries such as RQ hand out naive UTC
        value = value.replace(tzinfo=UTC)
    return iso(value)[:16].replace("T", " ")


def vn_duration(value: timedelta) -> str:
    days, hours = value.days, value.seconds // 3600
    if days:
        return f"{days} ngày {hours} giờ"
    if hours:
        return f"{hours} giờ"
    return f"{max(value.seconds // 60, 1)} phút"


def _council(result: dict[str, Any]) -> str:
    verdict = "Đạt" if result.get("passed") else "Không đạt"
    quorum = "" if result.get("quorum_met") else ", không đủ túc số"
    return (f"{result.get('agree')} đồng ý, {result.get('disagree')} không đồng ý; có mặt {result.get('present')}/"
            f"{result.get('members')}{quorum}; cần {result.get('agree_required')} phiếu đồng ý → {verdict}")


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "award_form":
        return _AWARD_NAMES.get(value, value)
    if key == "nominee_kind":
        return NOMINEE_KINDS.get(value, value)
    if key == "state":
        return STATES.get(value, value)
    if key == "council_result" and isinstance(value, dict):
        return _council(value)
    if key in _TIMES and isinstance(value, str):
        return vn_datetime(datetime.fromisoformat(value))
    if key == "attachment" and isinstance(value, dict):
        return str(value.get("name", ""))
    return str(value)


def change_rows(changes: dict[str, list[Any]] | None) -> list[tuple[str, str, str]]:
    """(field title, old, new) for each change of an audit event."""
    return [(_FIELD_TITLES.get(key, key), _value(key, pair[0]), _value(key, pair[1])) for key, pair in (changes or {}).items()]


ALL = {
    "vn_datetime": vn_datetime,
    "vn_duration": vn_duration,
    "state_label": lambda s: STATES.get(s, s),
    "action_label": lambda a: ACTIONS.get(a, a),
    "role_label": lambda r: ROLES.get(r, r) if r else "Hệ thống",
    "kind_label": lambda k: NOMINEE_KINDS.get(k, k),
    "change_rows": change_rows,
}
