"""Parsing numbers from query strings, form fields and headers without surprises."""

from __future__ import annotations

MAX_PAGE = 100_000


def ascii_int(raw: str | None) -> int | None:
    """The value of a plain ASCII decimal, else None (``str.isdigit`` also accepts '²', which ``int`` refuses)."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def page_number(raw: str | None) -> int:
    value = ascii_int(raw)
    return min(value, MAX_PAGE) if value else 1
