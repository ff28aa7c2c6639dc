"""A unit of work's writes, sent together: one statement on PostgreSQL, one after another on SQLite.

The rows a step changes on the hot path (the nomination, its state, inbox rows, timers, audit
events) are known only at its end, and none depends on another's result. On PostgreSQL they go as
one statement whose parts are data-modifying CTEs (one round trip instead of one per row kind,
each of which costs more than building the statement); SQLite runs in-process, so each part is
simply executed in the order it was added.

Parts must therefore be independent: PostgreSQL runs all of them on one snapshot, in no set order,
and no part sees another's changes. A part with ``RETURNING`` gets its rows back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Insert, Update


class WriteBatch:
    """Writes to send at the end of a unit of work; :meth:`run` returns each returning part's rows."""

    def __init__(self) -> None:
        # (statement, None) or (table, rows, returning columns) for inserts of many rows
        self._parts: list[tuple[Update | Insert, tuple] | tuple[Table, list[dict[str, Any]], tuple[str, ...]]] = []

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, statement: Insert | Update) -> int:
        """Queue a statement; the index names its rows in :meth:`run`'s answer if it has ``RETURNING``."""
        self._parts.append((statement, ()))
        return len(self._parts) - 1

    def insert(self, table: Table, rows: list[dict[str, Any]], returning: tuple[str, ...] = ()) -> int:
        """Queue rows to insert (each with the same columns); with ``returning``, those columns come back."""
        self._parts.append((table, rows, returning))
        return len(self._parts) - 1

    def run(self, session: Session) -> dict[int, list[tuple[Any, ...]]]:
        parts, self._parts = self._parts, []
        if session.get_bind().dialect.name == "postgresql":
            return _run_as_one(session, parts)
        answers = {}
        for i, part in enumerate(parts):
            if len(part) == 2:
                result = session.execute(part[0])
                answers[i] = [tuple(r) for r in result.all()] if part[0]._returning else []
                continue
            table, rows, returning = part
            # One executemany; SQLite runs in-process, so rows one by one cost no round trips.
            if returning:
                answers[i] = [tuple(r) for r in session.execute(insert(table).returning(*(table.c[n] for n in returning)),
                                                                  rows).all()]
            else:
                session.execute(insert(table), rows)
                answers[i] = []
        return answers


def _run_as_one(session: Session, parts) -> dict[int, list[tuple[Any, ...]]]:
    """Every part as a data-modifying CTE of one statement; each returning part's rows come back as JSON.

    A multi-row ``VALUES`` would make the statement uncacheable (SQLAlchemy compiles it afresh every
    time, which costs more than the round trips saved), so each inserted row is its own CTE: one
    statement shape, compiled and prepared once, per number of rows of each kind.
    """
    query_parts: list[tuple[int, Insert | Update]] = []
    for i, part in enumerate(parts):
        if len(part) == 2:
            query_parts.append((i, part[0]))
            continue
        table, rows, returning = part
        for row in rows:
            statement = insert(table).values(row)
            query_parts.append((i, statement.returning(*(table.c[n] for n in returning)) if returning else statement))
    ctes = [(i, statement.cte(f"w{n}")) for n, (i, statement) in enumerate(query_parts)]
    returning = [(i, cte) for (i, cte), (_i, statement) in zip(ctes, query_parts, strict=True) if statement._returning]
    columns = [select(func.json_agg(func.json_build_array(*cte.c))).scalar_subquery() for _i, cte in returning]
    query = select(*columns) if columns else select(literal(1))
    for _i, cte in ctes:
        query = query.add_cte(cte)
    row = session.execute(query).one()
    answers: dict[int, list[tuple[Any, ...]]] = {i: [] for i in range(len(parts))}
    for (i, _cte), value in zip(returning, row if columns else (), strict=True):
        answers[i].extend(tuple(r) for r in value or [])
    return answers


def changed_columns(obj: Any) -> dict[str, Any]:
    """The columns of a loaded ORM object changed since it was loaded, by column name."""
    state = inspect(obj)
    changed = {}
    for attr in state.mapper.column_attrs:
        added = state.attrs[attr.key].history.added
        if added:
            changed[attr.columns[0].name] = added[0]
    return changed


def mark_written(obj: Any, values: dict[str, Any]) -> None:
    """Tell the session these column values are in the database (so its flush leaves the object alone)."""
    mapper = inspect(obj).mapper
    for name, value in values.items():
        set_committed_value(obj, mapper.get_property_by_column(mapper.local_table.c[name]).key, value)


def row_update(obj: Any, values: dict[str, Any]) -> Update:
    """``UPDATE`` of one loaded row by its primary key (Core, on the mapped table)."""
    mapper = inspect(obj).mapper
    table = mapper.local_table
    key = [table.c[col.name] == getattr(obj, mapper.get_property_by_column(col).key) for col in mapper.primary_key]
    return update(table).where(*key).values(values)


def new_rows(objs: list[Any]) -> tuple[Table, list[dict[str, Any]]]:
    """The table and rows of new ORM objects of one class (unset columns take their scalar defaults)."""
    mapper = inspect(objs[0]).mapper
    table = mapper.local_table
    rows = []
    for obj in objs:
        row = {}
        for attr in mapper.column_attrs:
            col = attr.columns[0]
            value = getattr(obj, attr.key)
            if value is None and col.default is not None:
                if not col.default.is_scalar:
                    raise NotImplementedError(f"{col}: only scalar defaults are applied here")
                value = col.default.arg
            if value is None and col.primary_key:
                continue
            row[col.name] = value
        rows.append(row)
    return table, rows
