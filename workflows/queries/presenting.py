"""How recorded values read in Vietnamese: the changes of an audit event, a council result."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflows.domain.clock import VN_TZ
from workflows.domain.labels import NOMINEE_KINDS, STATES

FIELD_TITLES = {
    "state": "Trạng thái",
    "decision_number": "Số quyết định",
    "return_count": "Số lần trả lại",
    "council_result": "Kết quả bỏ phiếu",
    "round": "Đợt xét",
    "attachment": "Tệp đính kèm",
    "due_at": "Hạn xử lý",
    "reminder_at": "Nhắc hạn lúc",
    "outside_result": "Kết quả của cấp trên",
    "claimed_by": "Người xử lý",
}
_TIMES = {"due_at", "reminder_at"}  # ISO strings in the audit data


def council(result: dict[str, Any]) -> str:
    verdict = "Đạt" if result.get("passed") else "Không đạt"
    if not result.get("quorum_met"):
        return (f"Không đủ túc số: có mặt {result.get('present')}/{result.get('members')}, "
                f"cần {result.get('quorum_required')} → {verdict}")
    return (f"{result.get('agree')} đồng ý, {result.get('disagree')} không đồng ý; có mặt {result.get('present')}/"
            f"{result.get('members')}; cần {result.get('agree_required')} phiếu đồng ý → {verdict}")


def _value(key: str, value: Any, award_names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if key == "award_form":
        return award_names.get(value, value)
    if key == "nominee_kind":
        return NOMINEE_KINDS.get(value, value)
    if key == "state":
        return STATES.get(value, value)
    if key == "council_result" and isinstance(value, dict):
        return council(value)
    if key in _TIMES and isinstance(value, str):
        return datetime.fromisoformat(value).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    if key == "round" and isinstance(value, dict):
        return str(value.get("title", ""))
    if key == "attachment" and isinstance(value, dict):
        kind = value.get("kind_label")
        return f"{value.get('name', '')} ({kind})" if kind else str(value.get("name", ""))
    if key == "outside_result" and isinstance(value, dict):
        return outside(value)
    return str(value)


def outside(result: dict[str, Any]) -> str:
    """The outside result as people read it (what the nomination page and the history show)."""
    if result.get("result") == "awarded":
        try:
            day = date.fromisoformat(str(result.get("decision_date"))).strftime("%d/%m/%Y")
        except ValueError:
            day = str(result.get("decision_date"))
        return f"Được khen thưởng: Quyết định số {result.get('decision_number')} ngày {day} của {result.get('issuer')}"
    return f"Không được khen thưởng. Lý do: {result.get('reason', '')}"


def change_rows(changes: dict[str, list[Any]] | None, field_titles: dict[str, str],
                award_names: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field title, old, new) for each change of an audit event."""
    titles = FIELD_TITLES | field_titles
    return [(titles.get(key, key), _value(key, pair[0], award_names), _value(key, pair[1], award_names))
            for key, pair in (changes or {}).items()]
