"""What an attachment is to the dossier (its kind), and which kinds a dossier still lacks.

Pure: the kinds each award form requires are data (``workflows/persistence/data/required_documents.json``,
read by :mod:`workflows.persistence.required_documents`); this module only names the kinds and compares.
"""

from __future__ import annotations

from collections.abc import Iterable

KINDS = {
    "to_trinh": "Tờ trình",
    "bao_cao_thanh_tich": "Báo cáo thành tích",
    "bien_ban": "Biên bản họp xét",
    "chung_nhan_sang_kien": "Chứng nhận sáng kiến",
    "khac": "Khác",
}
DEFAULT_KIND = "khac"  # what rows uploaded before kinds existed are


def label(kind: str) -> str:
    return KINDS.get(kind, kind)


def missing(required: Iterable[str], present: Iterable[str]) -> list[str]:
    """The required kinds not among ``present``, in the order the requirement lists them."""
    have = set(present)
    return [kind for kind in required if kind not in have]


def missing_message(kinds: list[str]) -> str:
    return "Còn thiếu: " + ", ".join(label(k) for k in kinds) + "."
