"""Quotas at a round's close: the dossiers that passed, ranked per (award form, year) against the seats
other counted rounds already took; those tied at the cut-off wait for the chair (``rounds.break_tie``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.domain.quota import apply_quota
from workflows.persistence import numbering
from workflows.persistence.model import CouncilRound, Nomination, RoundDossier
from workflows.queries.rounds import COUNTED

ENDED = ("rejected", "withdrawn")  # a nomination in these states gives its quota seat back


def apply(s: Session, round_id: int, results: dict[int, dict[str, Any]], quotas: dict[int, int | None]) -> set[int]:
    """Rank the dossiers that passed, per (award form, year) with a quota; returns the ones tied at a cut-off.

    A group's quota is the smallest its dossiers' rules give (they may date from different rule sets).
    """
    groups: dict[tuple[str, int], list[int]] = {}
    for nid, result in results.items():
        if result["passed"] and quotas[nid] is not None:
            groups.setdefault((result["award_form"], result["year"]), []).append(nid)
    tied: set[int] = set()
    for (form, year), nids in sorted(groups.items()):
        quota = min(quotas[nid] for nid in nids)
        numbering.next_value(s, f"quota:{form}"[:40], year)  # closes counting this form and year queue here
        used = seats_used(s, round_id, form, year, list(results))
        outcome = apply_quota([(nid, results[nid]["agree"]) for nid in nids], quota, used)
        if not outcome.exceeded:
            continue
        for nid in nids:
            results[nid] |= {"quota": quota, "quota_used": used, "rank": outcome.ranks[nid]}
        for nid in outcome.cut:
            results[nid] |= {"passed": False, "over_quota": True}
        for nid in outcome.tied:
            results[nid] |= {"passed": None, "tie": True, "seats": outcome.seats}  # undecided until the chair chooses
        tied |= set(outcome.tied)
    return tied


def seats_used(s: Session, round_id: int, form: str, year: int, here: list[int]) -> int:
    """Seats of (form, year) taken by other counted rounds: passed there (latest result) or held for their tie."""
    rows = s.execute(
        select(RoundDossier.nomination_id, RoundDossier.round_id, RoundDossier.result)
        .join(CouncilRound, CouncilRound.id == RoundDossier.round_id)
        .join(Nomination, Nomination.id == RoundDossier.nomination_id)
        .where(CouncilRound.state.in_(COUNTED), CouncilRound.id != round_id, Nomination.award_form == form,
               Nomination.year == year, Nomination.state.not_in(ENDED), Nomination.id.not_in(here))
        .order_by(RoundDossier.round_id)).all()
    latest = {nid: (rid, result) for nid, rid, result in rows}  # a dossier voted again counts by its last vote
    used, held = 0, {}
    for rid, result in latest.values():
        if not result or result.get("award_form", form) != form or result.get("year", year) != year:
            continue  # voted on as another form or year
        if result.get("passed") is True:
            used += 1
        elif result.get("tie") and result.get("passed") is None:
            held[rid] = result["seats"]
    return used + sum(held.values())
