"""Reads of the registry for eligibility: the rules document, a subject's history, holds, competing dossiers, and
the proposal's check built on them (:func:`check`: the services enforce it, the queries show it)."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import caches
from workflows.domain import clock, eligibility
from workflows.domain.errors import Invalid
from workflows.domain.labels import STATES
from workflows.domain.registry import LIVE_STATES, hold_message, in_force, same_achievement
from workflows.persistence.model import AwardForm, AwardRecord, Nomination
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


UNLINKED = "Không đối chiếu được với sổ khen thưởng: hồ sơ chưa gắn với cá nhân hoặc tập thể trong sổ."


def check(session: Session, nom: Nomination, on: datetime, *, rules_on: datetime | None = None,
          enforce: bool = True) -> dict[str, Any]:
    """The proposal's check on ``on``: holds in force then and duplicates refuse it (``enforce``: Invalid naming
    them); the chains' result (the rule set of ``rules_on``, default ``on``) is returned, with the clerk's warnings.

    Checks of one subject run one at a time when enforced: its row is locked first, so two clerks
    proposing the same person at once cannot both pass the duplicate check."""
    if nom.person_id is None and nom.collective_id is None:
        return {"status": "unlinked", "branches": [], "used_initiatives": [], "warnings": [UNLINKED], "blocks": []}
    day = on.astimezone(clock.VN_TZ).date()
    if enforce:
        model, key = (Person, nom.person_id) if nom.person_id is not None else (Collective, nom.collective_id)
        session.execute(select(model.id).where(model.id == key).with_for_update())
    name = subject_name(session, nom.person_id, nom.collective_id)
    blocks = [hold_message(name, h.kind, h.starts_on, h.ends_on, h.note)
              for h in holds(session, nom.person_id, nom.collective_id) if in_force(h.starts_on, h.ends_on, day)]
    blocks += _duplicates(session, nom, name)
    if blocks and enforce:
        raise Invalid(blocks[0], {"nominee_name": " ".join(blocks)})
    rules_day = (rules_on or on).astimezone(clock.VN_TZ).date()
    result = evaluate(session, award_form=nom.award_form, nominee_kind=nom.nominee_kind, year=nom.year, on=rules_day,
                            person_id=nom.person_id, collective_id=nom.collective_id, exclude_nomination=nom.id)
    out = result.as_dict()
    warnings = []
    if result.status == "unmet":
        warnings.append("Chưa đáp ứng điều kiện nào của hình thức khen thưởng theo sổ khen thưởng (xem từng điều kiện); "
                        "hồ sơ vẫn được gửi, Vụ Tổ chức cán bộ sẽ xem xét các tiêu chuẩn khác.")
    elif result.status == "no_rules":
        warnings.append("Hình thức này không có chuỗi điều kiện để sổ khen thưởng tự kiểm tra.")
    return out | {"warnings": warnings, "blocks": blocks, "checked_on": day.isoformat()}


def _duplicates(session: Session, nom: Nomination, name: str) -> list[str]:
    form = session.get(AwardForm, nom.award_form)
    form_name = form.name if form else nom.award_form
    found = []
    for other in competing(session, nom.person_id, nom.collective_id, nom.id):
        state = STATES.get(other.state, other.state)
        if other.award_form == nom.award_form and other.year == nom.year:
            found.append(f"Trùng hồ sơ: {name} đã được đề nghị {form_name} năm {nom.year} tại hồ sơ số {other.id} "
                         f"({state}).")
        elif same_achievement(other.achievements or "", nom.achievements or ""):
            found.append(f"Trùng thành tích: thành tích này đã được đề nghị tại hồ sơ số {other.id} ({state}); "
                         "một thành tích chỉ được khen thưởng một lần.")
    for award in held(session, nom.person_id, nom.collective_id, nom.award_form, nom.year):
        if award.award_record_id is not None and session.get(AwardRecord, award.award_record_id).nomination_id == nom.id:
            continue
        number = f" (quyết định số {award.decision_number})" if award.decision_number else ""
        found.append(f"Trùng khen thưởng: {name} đã được tặng {form_name} năm {nom.year}{number} theo sổ khen thưởng.")
    return found
