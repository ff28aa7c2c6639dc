"""The registry's read side: a unit's people for the dossier form, search, a person's page, a dossier's check.

Scoped like unit records: a unit's people see their unit's persons and collectives, the ministry's
readers (secretariat, admin, auditor…) all of them; anything else answers "not found".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from workflows.domain import clock
from workflows.domain.eligibility import AWARD_KINDS, LEVELS, RATINGS, SCOPES
from workflows.domain.errors import NotFound
from workflows.domain.labels import STATES
from workflows.domain.registry import HOLD_KINDS, fold, in_force
from workflows.persistence import registry as reads
from workflows.persistence.db import Database
from workflows.persistence.model import Nomination, Unit
from workflows.persistence.registry_model import Collective, HeldAward, Hold, Initiative, Person, Rating
from workflows.persistence.scope import load_actor, visible_nomination

PAGE = 50


def unit_people(db: Database, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The persons and collectives of the user's units, for the clerk's choice on a new dossier."""
    with db.read() as s:
        actor = load_actor(s, user_id)
        persons = s.scalars(select(Person).where(Person.unit_id.in_(sorted(actor.units))).order_by(Person.name_key))
        groups = s.scalars(select(Collective).where(Collective.unit_id.in_(sorted(actor.units)))
                           .order_by(Collective.name_key))
        return {"persons": [{"id": p.id, "full_name": p.full_name, "birth_date": p.birth_date, "staff_id": p.staff_id}
                            for p in persons],
                "collectives": [{"id": c.id, "name": c.name} for c in groups]}


def search(db: Database, user_id: int, q: str | None, kind: str = "person") -> list[dict[str, Any]]:
    """Persons (or collectives) whose name contains the words typed, diacritics and case ignored."""
    model = Collective if kind == "collective" else Person
    with db.read() as s:
        actor = load_actor(s, user_id)
        query = select(model, Unit.name).join(Unit, Unit.id == model.unit_id)
        if not actor.reads_everything:
            query = query.where(model.unit_id.in_(sorted(actor.units)))
        words = [model.name_key.contains(word, autoescape=True) for word in fold(q or "").split()]
        if words:
            by_name = and_(*words)
            query = query.where(or_(by_name, model.staff_id == q.strip()) if model is Person else by_name)
        rows = s.execute(query.order_by(model.name_key, model.id).limit(PAGE)).all()
        return [{"id": r.id, "name": getattr(r, "full_name", None) or r.name, "unit_name": unit,
                 "birth_date": getattr(r, "birth_date", None), "staff_id": getattr(r, "staff_id", None)}
                for r, unit in rows]


def subject(db: Database, user_id: int, kind: str, subject_id: int) -> dict[str, Any]:
    """A person's (or collective's) page: awards, ratings, initiatives, holds and dossiers."""
    model = Collective if kind == "collective" else Person
    with db.read() as s:
        actor = load_actor(s, user_id)
        row = s.get(model, subject_id)
        if row is None or not actor.can_read_unit(row.unit_id):
            raise NotFound("Không tìm thấy trong sổ khen thưởng.")
        person_id, collective_id = (row.id, None) if kind != "collective" else (None, row.id)
        names = reads.form_names(s)
        today = clock.now().astimezone(clock.VN_TZ).date()
        awards = s.scalars(select(HeldAward).where(reads.subject_filter(HeldAward, person_id, collective_id))
                           .order_by(HeldAward.year.desc(), HeldAward.id))
        ratings = s.scalars(select(Rating).where(reads.subject_filter(Rating, person_id, collective_id))
                            .order_by(Rating.year.desc()))
        initiatives = (s.scalars(select(Initiative).where(Initiative.person_id == person_id)
                                 .order_by(Initiative.year.desc())) if person_id else [])
        holds = s.scalars(select(Hold).where(reads.subject_filter(Hold, person_id, collective_id))
                          .order_by(Hold.starts_on.desc()))
        dossiers = s.scalars(select(Nomination).where(reads.subject_filter(Nomination, person_id, collective_id))
                             .order_by(Nomination.id.desc()))
        return {
            "kind": kind, "id": row.id, "name": getattr(row, "full_name", None) or row.name,
            "unit_name": s.get(Unit, row.unit_id).name, "birth_date": getattr(row, "birth_date", None),
            "staff_id": getattr(row, "staff_id", None),
            "awards": [{"id": a.id, "name": names.get(a.award_form or "", a.award_name or a.award_form), "year": a.year,
                        "level": LEVELS.get(a.level, a.level), "kind": AWARD_KINDS.get(a.kind, a.kind),
                        "counts": a.kind not in ("ad_hoc", "thematic"), "decision_number": a.decision_number,
                        "decision_date": a.decision_date,
                        "source": "Do hệ thống ban hành" if a.source == "issued" else "Nhập từ dữ liệu các năm trước"}
                       for a in awards],
            "ratings": [{"year": r.year, "rating": RATINGS.get(r.rating, r.rating)} for r in ratings],
            "initiatives": [{"id": i.id, "title": i.title, "year": i.year, "scope": SCOPES.get(i.scope, i.scope)}
                            for i in initiatives],
            "holds": [{"kind": HOLD_KINDS.get(x.kind, x.kind), "starts_on": x.starts_on, "ends_on": x.ends_on,
                       "note": x.note, "in_force": in_force(x.starts_on, x.ends_on, today)} for x in holds],
            "dossiers": [{"id": n.id, "award_form_name": names.get(n.award_form, n.award_form), "year": n.year,
                          "state_label": STATES.get(n.state, n.state)} for n in dossiers],
        }


def dossier_check(db: Database, user_id: int, nomination_id: int) -> dict[str, Any]:
    """The registry's check of a dossier as it stands now (the secretariat's view): holds, duplicates, chains.

    Read, never enforced: the rule set is the one of the dossier's submission, holds those in force today."""
    with db.read() as s:
        nom = visible_nomination(s, load_actor(s, user_id), nomination_id)
        return reads.check(s, nom, clock.now(), rules_on=nom.submitted_at, enforce=False)
