"""Reads of the registry for eligibility: the rules document, a subject's history, holds, competing dossiers."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import caches
from workflows.domain import eligibility
from workflows.domain.registry import LIVE_STATES
from workflows.persistence.model import AwardForm, Nomination
from workflows.persistence.registry_model import Collective, HeldAward, Hold, Initiative, Person, Rating

RULES_FILE = Path(__file__).resolve().parent / "data" / "eligibility.json"


@lru_cache(maxsize=1)
def rules_document() -> dict[str, Any]:
    document = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    problems = eligibility.check_document(document)
    if problems:
        raise RuntimeError(f"{RULES_FILE.name}: " + "; ".join(problems))
    return document


caches.register(rules_document.cache_clear)


def subject_filter(model, person_id: int | None, collective_id: int | None):
    return model.person_id == person_id if person_id is not None else model.collective_id == collective_id


def subject_name(session: Session, person_id: int | None, collective_id: int | None) -> str:
    if person_id is not None:
        return session.get(Person, person_id).full_name
    return session.get(Collective, collective_id).name


def used_initiatives(session: Session, person_id: int | None, exclude_nomination: int | None) -> frozenset[int]:
    """Initiatives the met branch of another live or awarded dossier of this person counted."""
    if person_id is None:
        return frozenset()
    query = select(Nomination.eligibility).where(Nomination.person_id == person_id, Nomination.state.in_(LIVE_STATES))
    if exclude_nomination is not None:
        query = query.where(Nomination.id != exclude_nomination)
    return frozenset(i for result in session.scalars(query) if result for i in result.get("used_initiatives", ()))


def history(session: Session, person_id: int | None, collective_id: int | None,
            exclude_nomination: int | None = None) -> eligibility.History:
    awards = tuple(eligibility.AwardFact(a.id, a.year, a.award_form, a.kind, a.award_name or "")
                   for a in session.scalars(select(HeldAward).where(subject_filter(HeldAward, person_id, collective_id))))
    ratings = tuple(eligibility.RatingFact(r.id, r.year, r.rating)
                    for r in session.scalars(select(Rating).where(subject_filter(Rating, person_id, collective_id))))
    initiatives: tuple[eligibility.InitiativeFact, ...] = ()
    if person_id is not None:
        initiatives = tuple(eligibility.InitiativeFact(i.id, i.year, i.scope, i.title)
                            for i in session.scalars(select(Initiative).where(Initiative.person_id == person_id)))
    return eligibility.History(awards, ratings, initiatives, used_initiatives(session, person_id, exclude_nomination))


def form_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(AwardForm.code, AwardForm.name)).all())


def evaluate(session: Session, *, award_form: str, nominee_kind: str, year: int, on: date, person_id: int | None,
             collective_id: int | None, exclude_nomination: int | None = None) -> eligibility.Result:
    return eligibility.evaluate(rules_document(), on, award_form, nominee_kind, year,
                                history(session, person_id, collective_id, exclude_nomination), form_names(session))


def holds(session: Session, person_id: int | None, collective_id: int | None) -> list[Hold]:
    return list(session.scalars(select(Hold).where(subject_filter(Hold, person_id, collective_id))
                                .order_by(Hold.starts_on)))


def competing(session: Session, person_id: int | None, collective_id: int | None,
              exclude_nomination: int | None) -> list[Nomination]:
    """The subject's other dossiers that still propose or have awarded."""
    query = select(Nomination).where(subject_filter(Nomination, person_id, collective_id),
                                     Nomination.state.in_(LIVE_STATES)).order_by(Nomination.id)
    if exclude_nomination is not None:
        query = query.where(Nomination.id != exclude_nomination)
    return list(session.scalars(query))


def held(session: Session, person_id: int | None, collective_id: int | None, award_form: str, year: int) -> list[HeldAward]:
    return list(session.scalars(select(HeldAward).where(subject_filter(HeldAward, person_id, collective_id),
                                                        HeldAward.award_form == award_form, HeldAward.year == year)))
