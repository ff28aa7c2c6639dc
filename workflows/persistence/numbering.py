"""Decision numbers ``{n}/QĐ-{ORG}``: one sequence per calendar year from a locked counter row."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows.persistence.model import Counter


def next_value(session: Session, name: str, year: int) -> int:
    """Atomically take the next value; concurrent callers queue on the row (never MAX()+1)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Counter).values(name=name, year=year, value=0).on_conflict_do_nothing())
    return session.execute(
        update(Counter)
        .where(Counter.name == name, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def next_decision_number(session: Session, year: int, org_code: str) -> str:
    return f"{next_value(session, 'decision', year)}/QĐ-{org_code}"
