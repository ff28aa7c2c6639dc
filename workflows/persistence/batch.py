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

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflows import caches
from workflows.persistence.model import Base

# One part of a batch, as a shape: ("update", table, key columns, value columns, returning) or
# ("insert", table, (), columns, returning). Statements are built once per shape, with bind
# parameters: SQLAlchemy then finds them compiled (their cache key is memoized on the object) and
# only binds values, where building a statement afresh costs more than its round trip.
Shape = tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class WriteBatch:
    """Writes to send at the end of a unit of work; :meth:`run` returns each returning part's rows."""

    def __init__(self) -> None:
        self._parts: list[tuple[Shape, list[dict[str, Any]]]] = []

    def __bool__(self) -> bool:
        return bool(self._parts)

    def update(self, table: Table, where: dict[str, Any], values: dict[str, Any], returning: tuple[str, ...] = ()) -> int:
        """Queue ``UPDATE table SET values WHERE`` each ``where`` column equals its value; returns the part's index."""
        shape = ("update", table.name, tuple(where), tuple(values), returning)
        self._parts.append((shape, [{**{f"k_{c}": v for c, v in where.items()}, **{f"v_{c}": v for c, v in values.items()}}]))
        return len(self._parts) - 1

    def insert(self, table: Table, rows: list[dict[str, Any]], returning: tuple[str, ...] = ()) -> int:
        """Queue rows to insert (each with the same columns); with ``returning``, those columns come back."""
        shape = ("insert", table.name, (), tuple(rows[0]), returning)
        self._parts.append((shape, [{f"v_{c}": v for c, v in row.items()} for row in rows]))
        return len(self._parts) - 1

    def run(self, session: Session) -> dict[int, list[tuple[Any, ...]]]:
        parts, self._parts = self._parts, []
        if session.get_bind().dialect.name == "postgresql":
            return _run_as_one(session, parts)
        answers = {}
        for i, (shape, params) in enumerate(parts):
            # SQLite runs in-process: one statement per part (an executemany for rows) costs no round trip.
            result = session.execute(_statement(shape), params if len(params) > 1 else params[0])
            answers[i] = [tuple(r) for r in result.all()] if shape[4] else []
        return answers


def _run_as_one(session: Session, parts: list[tuple[Shape, list[dict[str, Any]]]]) -> dict[int, list[tuple[Any, ...]]]:
    """Every row of every part as a data-modifying CTE of one statement; returning rows come back as JSON.

    One CTE per row, not a multi-row ``VALUES``: that would make the statement uncacheable, and
    this way the statement has one shape, compiled and prepared once, per number of rows of each kind.
    """
    shapes, params, owners = [], {}, []
    for i, (shape, rows) in enumerate(parts):
        for row in rows:
            n = len(shapes)
            shapes.append(shape)
            owners.append(i)
            params.update({f"p{n}_{k}": v for k, v in row.items()})
    row = session.execute(_composite(tuple(shapes)), params).one()
    answers: dict[int, list[tuple[Any, ...]]] = {i: [] for i in range(len(parts))}
    returning = [owner for owner, shape in zip(owners, shapes, strict=True) if shape[4]]
    for owner, value in zip(returning, row if returning else (), strict=True):
        answers[owner].extend(tuple(r) for r in value or [])
    return answers


@caches.register
def _clear() -> None:
    _statement.cache_clear()
    _composite.cache_clear()


@lru_cache(maxsize=256)
def _statement(shape: Shape, prefix: str = ""):
    kind, name, keys, columns, returning = shape
    table = Base.metadata.tables[name]

    def param(kind_: str, column: str):
        return bindparam(f"{prefix}{kind_}_{column}", type_=table.c[column].type)

    values = {c: param("v", c) for c in columns}
    if kind == "insert":
        statement = insert(table).values(values)
    else:
        statement = update(table).where(*(table.c[c] == param("k", c) for c in keys)).values(values)
    return statement.returning(*(table.c[c] for c in returning)) if returning else statement


@lru_cache(maxsize=256)
def _composite(shapes: tuple[Shape, ...]):
    ctes = [_statement(shape, f"p{n}_").cte(f"w{n}") for n, shape in enumerate(shapes)]
    columns = [select(func.json_agg(func.json_build_array(*cte.c))).scalar_subquery()
               for cte, shape in zip(ctes, shapes, strict=True) if shape[4]]
    query = select(*columns) if columns else select(literal(1))
    for cte in ctes:
        query = query.add_cte(cte)
    return query


def changed_columns(obj: Any) -> dict[str, Any]:
    """The columns of a loaded ORM object set since it was loaded or last written, by column name."""
    state = inspect(obj)
    mapper, current = state.mapper, state.dict
    changed = {}
    for key in state.committed_state:  # the attributes set since: cheaper than every attribute's history
        prop = mapper.attrs.get(key)
        if prop is not None and hasattr(prop, "columns") and key in current:
            changed[prop.columns[0].name] = current[key]
    return changed


def mark_written(obj: Any, values: dict[str, Any]) -> None:
    """Tell the session these column values are in the database (so its flush leaves the object alone)."""
    mapper = inspect(obj).mapper
    for name, value in values.items():
        set_committed_value(obj, mapper.get_property_by_column(mapper.local_table.c[name]).key, value)


def primary_key(obj: Any) -> dict[str, Any]:
    """A loaded ORM object's primary key, by column name."""
    mapper = inspect(obj).mapper
    return {col.name: getattr(obj, mapper.get_property_by_column(col).key) for col in mapper.primary_key}


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
