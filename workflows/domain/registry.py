"""The registry's pure rules: how names fold for search and keys, natural keys, holds in force.

A person is one person per staff id when the unit gives one, else per (folded name, date of birth,
unit); the other kinds of record are one per subject and what identifies them in the law's sense
(an award: its form or name and year; a rating: its year; an initiative: its folded title and year;
a hold: its kind and start). These keys make a re-import change nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

HOLD_KINDS = {
    "discipline": "đang bị xem xét kỷ luật",
    "investigation": "đang bị điều tra",
    "inspection": "đang bị thanh tra, kiểm tra",
    "complaint": "có đơn khiếu nại, tố cáo đang được giải quyết",
}
LIVE_STATES = ("in_progress", "submitted", "awarded")  # a dossier that still proposes, or has awarded


def fold(text: str) -> str:
    """Lower case without diacritics or repeated spaces: "Trịnh  Văn Bảo" and "trinh van bao" fold alike."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain).strip().lower()


def person_key(full_name: str, birth_date: date | None, unit_id: int, staff_id: str | None) -> str:
    if staff_id:
        return f"staff:{staff_id.strip()}"
    return f"person:{unit_id}:{fold(full_name)}:{birth_date.isoformat() if birth_date else '-'}"


def collective_key(name: str, unit_id: int) -> str:
    return f"collective:{unit_id}:{fold(name)}"


def subject_key(person_id: int | None, collective_id: int | None) -> str:
    return f"p{person_id}" if person_id is not None else f"c{collective_id}"


def award_key(subject: str, award_form: str | None, award_name: str | None, year: int) -> str:
    return f"{subject}:{award_form or 'name:' + fold(award_name or '')}:{year}"


def rating_key(subject: str, year: int) -> str:
    return f"{subject}:{year}"


def initiative_key(person_id: int, title: str, year: int) -> str:
    return f"p{person_id}:{fold(title)}:{year}"


def hold_key(subject: str, kind: str, starts_on: date) -> str:
    return f"{subject}:{kind}:{starts_on.isoformat()}"


def in_force(starts_on: date, ends_on: date | None, on: date) -> bool:
    """A hold binds from its first day to its last (an open-ended one until it is lifted)."""
    return starts_on <= on and (ends_on is None or on <= ends_on)


def hold_message(name: str, kind: str, starts_on: date, ends_on: date | None, note: str | None) -> str:
    until = f" đến ngày {ends_on:%d/%m/%Y}" if ends_on else " (chưa có ngày kết thúc)"
    reason = f": {note}" if note else ""
    return (f"Không thể đề nghị khen thưởng: {name} {HOLD_KINDS.get(kind, kind)} từ ngày {starts_on:%d/%m/%Y}"
            f"{until}{reason}.")


def same_achievement(a: str, b: str) -> bool:
    """Identical achievement reports, ignoring case, spacing and how the diacritics are encoded."""
    return _plain(a) == _plain(b)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()
