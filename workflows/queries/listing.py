"""The inbox's and the nominations list's filters, search, sort and keyset paging.

A page is read from an opaque cursor (base64 of JSON: the sort, the last row's sort key and id),
never by OFFSET, so page 2,000 costs what page 1 costs: each sort is a (key, id) order that an
index serves as a range scan from the cursor (see the indexes of migration 0009). A sort key that
may be NULL (a task without a deadline) sorts after every value in both directions; its page is
read as two range scans, the rows with a value and then the NULL rows by id.

The search folds the query like the stored name (:mod:`workflows.domain.folding`), so it ignores
diacritics and case on both databases, and finds names with a word run starting with it ("trinh",
"van bao", "TRỊNH VĂN BẢO"; :mod:`workflows.persistence.search_model`, an index range scan); it also
matches a dossier code ("HS-000123", "123") and the units whose folded name contains the query.

"Returned" means the dossier was returned for supplementation at least once (``return_count > 0``),
wherever it is now: the clerk redoing it and the secretariat checking it again both want to know.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, or_, select, tuple_, union
from sqlalchemy.orm import Session

from workflows.domain.errors import Invalid
from workflows.domain.folding import fold
from workflows.engine import Route
from workflows.persistence import search_model
from workflows.persistence.model import AwardForm, Nomination, TaskItem, Unit

PAGE_SIZE = 50
COUNT_CAP = 1000  # a list counts its matches up to this many ("1000+")
CODE_PREFIX = "HS-"
MAX_Q = 100
MAX_CURSOR = 2000
_CODE = re.compile(r"^(?:hs-?)?0*(\d{1,9})$")


def dossier_code(nomination_id: int) -> str:
    """The dossier's code as people quote it: its id, zero-padded ("HS-000123")."""
    return f"{CODE_PREFIX}{nomination_id:06d}"


@dataclass(frozen=True)
class SortKey:
    column: Any  # what the rows are ordered by (then by id, the same way)
    kind: str  # how its value travels in a cursor: "datetime", "str" or "int"
    nullable: bool = False
    flip: bool = False  # ascending reads as the column descending ("waiting": shortest first = newest)


# "-x" is x descending. The default is first.
INBOX_SORTS: dict[str, SortKey] = {
    "due": SortKey(TaskItem.due_at, "datetime", nullable=True),
    "waiting": SortKey(TaskItem.created_at, "datetime", flip=True),
    "code": SortKey(Nomination.id, "int"),
    "nominee": SortKey(Nomination.search_text, "str", nullable=True),
    "unit": SortKey(Unit.name, "str"),
    "award_form": SortKey(AwardForm.name, "str"),
    "step": SortKey(TaskItem.title, "str"),
}
INBOX_DEFAULT_SORT = "due"
NOMINATION_SORTS: dict[str, SortKey] = {
    "updated": SortKey(Nomination.updated_at, "datetime"),
    "code": SortKey(Nomination.id, "int"),
    "nominee": SortKey(Nomination.search_text, "str", nullable=True),
    "unit": SortKey(Unit.name, "str"),
    "award_form": SortKey(AwardForm.name, "str"),
    "year": SortKey(Nomination.year, "int"),
    "state": SortKey(Nomination.state, "str"),
}
NOMINATIONS_DEFAULT_SORT = "-updated"


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; every field optional. ``q`` is already folded."""

    q: str = ""
    step: str | None = None
    unit_id: int | None = None
    award_form: str | None = None
    overdue: bool = False
    returned: bool = False
    year: int | None = None
    state: str | None = None

    @property
    def nomination_only(self) -> bool:
        """Filters that only a nomination's rows can meet (a ballot or a signature has no nominee, year, return)."""
        return bool(self.q or self.returned or self.year is not None)


def _int_arg(raw: str | None, message: str, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise Invalid(message, {name: message})
    return int(raw)


def _flag(raw: str | None, name: str) -> bool:
    if raw in (None, "", "0", "false"):
        return False
    if raw in ("1", "true", "on"):
        return True
    raise Invalid("Giá trị bộ lọc không hợp lệ (dùng 1 hoặc 0).", {name: "Dùng 1 hoặc 0."})


def _code_arg(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if len(raw) > 60 or not re.fullmatch(r"[A-Za-z0-9_]+", raw):
        raise Invalid("Giá trị bộ lọc không hợp lệ.", {name: "Không có lựa chọn này."})
    return raw


def filters_from_args(args: Mapping[str, str], *, step_key: str = "step") -> Filters:
    """Filters from a query string (the page's and the API's alike); a malformed value is Invalid (422)."""
    q = (args.get("q") or "").replace("\x00", "")
    if len(q) > MAX_Q:
        raise Invalid(f"Từ khóa tìm kiếm quá dài (tối đa {MAX_Q} ký tự).", {"q": f"Tối đa {MAX_Q} ký tự."})
    return Filters(
        q=fold(q),
        step=_code_arg(args.get(step_key), step_key),
        unit_id=_int_arg(args.get("unit"), "Đơn vị không hợp lệ.", "unit"),
        award_form=_code_arg(args.get("award_form"), "award_form"),
        overdue=_flag(args.get("overdue"), "overdue"),
        returned=_flag(args.get("returned"), "returned"),
        year=_int_arg(args.get("year"), "Năm không hợp lệ.", "year"),
        state=_code_arg(args.get("state"), "state"),
    )


def parse_sort(raw: str | None, sorts: Mapping[str, SortKey], default: str) -> tuple[str, SortKey, bool]:
    """The sort's name, its key and whether it runs descending; an unknown one is Invalid."""
    name = raw or default
    descending = name.startswith("-")
    key = sorts.get(name.removeprefix("-"))
    if key is None:
        allowed = ", ".join(sorted(sorts))
        raise Invalid(f"Không sắp xếp được theo «{name[:40]}». Chọn một trong: {allowed} (thêm '-' để giảm dần).",
                      {"sort": "Cách sắp xếp không hợp lệ."})
    return name, key, descending != key.flip


# --- cursors ----------------------------------------------------------------------------------

BAD_CURSOR = "Con trỏ phân trang không hợp lệ hoặc không thuộc cách sắp xếp này; hãy mở lại trang đầu."


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps({"s": sort, "k": value, "i": row_id}, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str, key: SortKey) -> tuple[Any, int] | None:
    """The (key value, id) a page starts after, or None for the first page; anything else is Invalid."""
    if not cursor:
        return None
    bad = Invalid(BAD_CURSOR, {"cursor": "Không hợp lệ."})
    if len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("s") != sort or set(data) != {"s", "k", "i"}:
        raise bad
    row_id, value = data["i"], data["k"]
    if type(row_id) is not int or not 0 <= row_id < 2**31:
        raise bad
    if value is None:
        if not key.nullable:
            raise bad
        return None, row_id
    try:
        if key.kind == "datetime" and isinstance(value, str):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise bad
            return parsed, row_id
        if key.kind == "int" and type(value) is int and abs(value) < 2**31:
            return value, row_id
        if key.kind == "str" and isinstance(value, str) and len(value) <= 255:
            return value, row_id
    except ValueError:
        pass
    raise bad


# --- search ---------------------------------------------------------------------------------

def search_clause(session: Session, folded: str) -> ColumnElement[bool]:
    """Nominations whose folded name, dossier code or unit's folded name contains the folded query."""
    clauses = [search_model.matching(folded)]
    code = _CODE.match(folded.replace(" ", ""))
    if code:
        clauses.append(Nomination.id == int(code.group(1)))
    # The units are few: folding their names here costs less than a column kept in step with renames.
    units = [uid for uid, name in session.execute(select(Unit.id, Unit.name)) if folded in fold(name)]
    if units:
        clauses.append(Nomination.unit_id.in_(units))
    return or_(false(), *clauses)


def nomination_filters(session: Session, filters: Filters) -> list[ColumnElement[bool]]:
    """The filters that read the nomination (both lists)."""
    where: list[ColumnElement[bool]] = []
    if filters.q:
        where.append(search_clause(session, filters.q))
    if filters.unit_id is not None:
        where.append(Nomination.unit_id == filters.unit_id)
    if filters.award_form:
        where.append(Nomination.award_form == filters.award_form)
    if filters.returned:
        where.append(Nomination.return_count > 0)
    if filters.year is not None:
        where.append(Nomination.year == filters.year)
    return where


# --- keyset paging ------------------------------------------------------------------------------

def keyset_page(session: Session, query: Select, key: SortKey, id_column: Any, descending: bool,
                after: tuple[Any, int] | None, size: int = PAGE_SIZE,
                branches: list[ColumnElement[bool]] | None = None) -> tuple[list[Any], Any]:
    """Up to ``size`` rows of ``query`` after the cursor position, and the position to continue from (None: the end).

    ``query`` must select the sort key as its last column; NULL keys come after every value. ``branches`` are
    conditions whose union the rows must meet: each branch's page is read on its own (an index range scan where
    one OR of them would filter a scan of everything) and the pages merged (a row in two once) in the database's
    order.
    """
    column = key.column
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    id_order = (id_column.desc(),) if descending else (id_column.asc(),)

    def beyond(left, right):
        return left < right if descending else left > right

    def fetch(part: Select, by: tuple, limit: int) -> list[Any]:
        if not branches or len(branches) == 1:
            found = list(session.execute(part.where(*(branches or [])).order_by(*by).limit(limit)))
            seen[0] += len(found)
            return found
        firsts = union(*[
            select(part.where(branch).with_only_columns(id_column.label("row_id"), column.label("row_key"))
                   .order_by(*by).limit(limit).subquery())
            for branch in branches]).subquery()
        merged = [firsts.c.row_key.desc(), firsts.c.row_id.desc()] if descending else [firsts.c.row_key, firsts.c.row_id]
        if len(by) == 1:  # the NULL keys: by id alone
            merged = merged[1:]
        ids = list(session.scalars(select(firsts.c.row_id).order_by(*merged).limit(limit)))
        seen[0] += len(ids)
        rows = {_row_id(r): r for r in session.execute(part.where(id_column.in_(ids)))} if ids else {}
        # Each statement sees the rows committed before it (READ COMMITTED): a task completed between the two
        # reads is no longer ready, so it is left out of this page rather than looked for.
        return [rows[i] for i in ids if i in rows]

    rows: list[Any] = []
    seen = [0]  # rows the page's reads found (a next page exists when more than ``size``), vanished ones included
    limit = size + 1  # one more tells whether a next page exists
    in_nulls = after is not None and after[0] is None
    if not in_nulls:
        part = query.where(column.is_not(None)) if key.nullable else query
        if after is not None:
            # typed binds: a cursor's time goes through the column's own conversion (UTC, SQLite's text form)
            bound = tuple_(literal(after[0], column.type), literal(after[1], id_column.type))
            part = part.where(beyond(tuple_(column, id_column), bound))
        rows = fetch(part, order, limit)
    if key.nullable and seen[0] < limit:
        part = query.where(column.is_(None))
        if in_nulls:
            part = part.where(beyond(id_column, after[1]))
        rows += fetch(part, id_order, limit - seen[0])
    more = seen[0] > size
    rows = rows[:size]
    return rows, (rows[-1][-1], _row_id(rows[-1])) if more and rows else None


def count_capped(session: Session, query: Select, id_column: Any, branches: list[ColumnElement[bool]]) -> int:
    """How many rows of ``query`` meet any branch, counted up to ``COUNT_CAP + 1``: one bounded scan per branch."""
    cap = COUNT_CAP + 1
    parts = [query.where(b).with_only_columns(id_column.label("row_id")).limit(cap) for b in branches]
    ids = (union(*[select(p.subquery()) for p in parts]) if len(parts) > 1 else parts[0]).subquery()
    return session.scalar(select(func.count()).select_from(select(ids).limit(cap).subquery()))


def _row_id(row: Any) -> int:
    head = row[0]
    return head.id if hasattr(head, "id") else head


# --- what the filters offer -------------------------------------------------------------------

def step_choices(route: Route) -> list[dict[str, str]]:
    """The route's user steps (a task's ``name``) with their titles, for the step filter."""
    return [{"code": step_id, "name": route.titles.get(step_id, step_id)} for step_id in route.steps]


def unit_choices(session: Session, units: frozenset[int] | None) -> list[dict[str, Any]]:
    """The units the unit filter offers: all of them (``units`` None) or those given."""
    query = select(Unit.id, Unit.name).order_by(Unit.name)
    if units is not None:
        query = query.where(Unit.id.in_(sorted(units)))
    return [{"id": uid, "name": name} for uid, name in session.execute(query)]
