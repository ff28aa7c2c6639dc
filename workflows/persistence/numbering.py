"""Document numbers ``01/QĐ-{ORG}``: one sequence per kind and calendar year, from a locked counter row.

The clerical office's register (sổ đăng ký văn bản) is the authority on numbers: the counter only
proposes the next one. A decision signed per dossier (routes before batch decisions) still takes
its number from the counter at signature; a batch decision takes the number the clerical office
registers, which moves the counter past it (:func:`advance_to`), so proposals never fall behind.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflows.domain.clock import VN_TZ
from workflows.persistence.decision_model import Decision
from workflows.persistence.model import AwardRecord, Counter

DECISION = "decision"  # the counter of decisions (quyết định)
SUBMISSION = "submission"  # the counter of submissions (tờ trình)
CODES = {DECISION: "QĐ", SUBMISSION: "TTr"}


def _ensure(session: Session, name: str, year: int) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Counter).values(name=name, year=year, value=0).on_conflict_do_nothing())


def next_value(session: Session, name: str, year: int) -> int:
    """Atomically take the next value; concurrent callers queue on the row (never MAX()+1)."""
    _ensure(session, name, year)
    return session.execute(
        update(Counter)
        .where(Counter.name == name, Counter.year == year)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def peek(session: Session, name: str, year: int) -> int:
    """The value :func:`next_value` would take now (nothing is taken or locked)."""
    return (session.scalar(select(Counter.value).where(Counter.name == name, Counter.year == year)) or 0) + 1


def advance_to(session: Session, name: str, year: int, value: int) -> int:
    """Lock the counter row and move it to ``value`` unless it is past it already; returns the counter's value.

    Every registration of a year takes this lock first, so two clerks registering at once queue here.
    """
    _ensure(session, name, year)
    return session.execute(
        update(Counter)
        .where(Counter.name == name, Counter.year == year)
        .values(value=case((Counter.value < value, value), else_=Counter.value))
        .returning(Counter.value)
    ).scalar_one()


def lock(session: Session, name: str, year: int) -> None:
    """Hold the year's counter row until commit (what every registration takes before checking its number)."""
    advance_to(session, name, year, 0)


def taken(session: Session, year: int, number: str) -> bool:
    """Whether a document of ``year`` holds ``number``: a registered decision, or an award signed per dossier."""
    if session.scalar(select(Decision.id).where(Decision.year == year, Decision.number == number).limit(1)) is not None:
        return True
    variants = {number}
    if match := re.match(r"^0*(\d+)/(.+)$", number):  # numbers signed per dossier were once written without padding
        variants |= {f"{int(match[1])}/{match[2]}", f"{int(match[1]):02d}/{match[2]}"}
    start, end = datetime(year, 1, 1, tzinfo=VN_TZ), datetime(year + 1, 1, 1, tzinfo=VN_TZ)
    return session.scalar(select(AwardRecord.id).where(
        AwardRecord.decision_id.is_(None), AwardRecord.decision_number.in_(sorted(variants)),
        AwardRecord.decided_at >= start, AwardRecord.decided_at < end).limit(1)) is not None


def next_free(session: Session, kind: str, year: int, org_code: str) -> tuple[int, str]:
    """The next value of the kind's sequence for ``year`` that no document of the year holds, and its text."""
    value = peek(session, kind, year)
    while taken(session, year, text := formatted(value, kind, org_code)):
        value += 1
    return value, text


def code(kind: str, org_code: str) -> str:
    """The document code after the number: ``QĐ-BKHCN`` for a decision, ``TTr-BKHCN`` for a submission."""
    return f"{CODES[kind]}-{org_code}"


def formatted(n: int, kind: str, org_code: str) -> str:
    """``01/QĐ-BKHCN``: at least two digits, so no number can be extended by hand."""
    return f"{n:02d}/{code(kind, org_code)}"


def next_decision_number(session: Session, year: int, org_code: str) -> str:
    return formatted(next_value(session, DECISION, year), DECISION, org_code)
