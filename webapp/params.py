"""Parsing numbers from paths, query strings, form fields and headers without surprises."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_PAGE = 100_000
# Every id and version column is PostgreSQL ``integer``: a larger bind is an error there, not "not found".
DB_INT_MAX = 2**31 - 1


class DatabaseId(IntegerConverter):
    """``<int:...>`` in a route matches only ids a column can hold, so a larger one is a 404 before any query."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = DB_INT_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def ascii_int(raw: str | None) -> int | None:
    """The value of a plain ASCII decimal the database can compare, else None.

    (``str.isdigit`` also accepts '²', which ``int`` refuses.)
    """
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if value <= DB_INT_MAX else None


def page_number(raw: str | None) -> int:
    value = ascii_int(raw)
    return min(value, MAX_PAGE) if value else 1
