"""Eligibility chains as data: does a history meet one branch of an award form's criteria?

The rules are a document (``workflows/persistence/data/eligibility.json``) of rule sets keyed by
effective date; each gives, per award form, branches (an OR) of conditions (an AND). A condition
reads the registry's facts about one person or collective (awards held, yearly ratings,
initiatives) and answers met or not with the records it used, so a page can show why.

The years counted end at the nomination's year plus the set's ``window_end_offset`` (-1: the years
before the proposal year). Awards of the kinds in ``not_counting_kinds`` (ad-hoc, thematic) never
count; an initiative another live or awarded dossier already used does not count again.

Pure: facts in, a :class:`Result` out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

RATINGS = {
    "xuat_sac": "Hoàn thành xuất sắc nhiệm vụ",
    "tot": "Hoàn thành tốt nhiệm vụ",
    "hoan_thanh": "Hoàn thành nhiệm vụ",
    "khong_hoan_thanh": "Không hoàn thành nhiệm vụ",
}
SCOPES = {"co_so": "cấp cơ sở", "bo": "cấp Bộ", "toan_quoc": "toàn quốc"}
AWARD_KINDS = {"merit": "công trạng", "movement": "phong trào", "ad_hoc": "đột xuất", "thematic": "chuyên đề",
               "contribution": "cống hiến"}
LEVELS = {"unit": "cấp đơn vị", "ministry": "cấp Bộ", "state": "cấp Nhà nước"}


@dataclass(frozen=True)
class AwardFact:
    id: int
    year: int
    award_form: str | None
    kind: str
    name: str = ""


@dataclass(frozen=True)
class RatingFact:
    id: int
    year: int
    rating: str


@dataclass(frozen=True)
class InitiativeFact:
    id: int
    year: int
    scope: str
    title: str = ""


@dataclass(frozen=True)
class History:
    """What the registry knows of one person or collective; ``used_initiatives``: counted by another dossier."""

    awards: tuple[AwardFact, ...] = ()
    ratings: tuple[RatingFact, ...] = ()
    initiatives: tuple[InitiativeFact, ...] = ()
    used_initiatives: frozenset[int] = frozenset()


@dataclass
class Condition:
    label: str
    met: bool | None  # None: not checkable from the registry (the secretariat checks it by the dossier)
    records: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "met": self.met, "records": self.records}


@dataclass
class Branch:
    label: str
    conditions: list[Condition]

    @property
    def met(self) -> bool:
        return all(c.met is not False for c in self.conditions) and any(c.met for c in self.conditions)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "met": self.met, "conditions": [c.as_dict() for c in self.conditions]}


@dataclass
class Result:
    """``status``: met (one branch met), unmet, or no_rules (the form has no chain for this kind of nominee)."""

    award_form: str
    effective_from: str | None
    basis: str
    years: tuple[int, int] | None  # the window's first and last year
    branches: list[Branch]

    @property
    def status(self) -> str:
        if not self.branches:
            return "no_rules"
        return "met" if any(b.met for b in self.branches) else "unmet"

    @property
    def used_initiatives(self) -> list[int]:
        """The initiatives the first met branch counted: this dossier uses them, no other may."""
        for branch in self.branches:
            if branch.met:
                return sorted({r["id"] for c in branch.conditions for r in c.records if r["type"] == "initiative"})
        return []

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "award_form": self.award_form, "effective_from": self.effective_from,
                "basis": self.basis, "years": list(self.years) if self.years else None,
                "branches": [b.as_dict() for b in self.branches], "used_initiatives": self.used_initiatives}


def rule_set_on(document: dict[str, Any], on: date) -> dict[str, Any] | None:
    """The rule set in force on ``on``: the latest whose ``effective_from`` is not after it."""
    in_force = [s for s in document["rule_sets"] if date.fromisoformat(s["effective_from"]) <= on]
    return max(in_force, key=lambda s: s["effective_from"]) if in_force else None


def evaluate(document: dict[str, Any], on: date, award_form: str, nominee_kind: str, year: int,
             history: History, form_names: dict[str, str] | None = None) -> Result:
    """Each branch of ``award_form``'s criteria for this kind of nominee, checked against ``history``."""
    rules = rule_set_on(document, on)
    if rules is None:
        return Result(award_form, None, "", None, [])
    end = year + int(rules.get("window_end_offset", -1))
    excluded = set(rules.get("not_counting_kinds", ()))
    counting = History(tuple(a for a in history.awards if a.kind not in excluded), history.ratings,
                       tuple(i for i in history.initiatives if i.id not in history.used_initiatives),
                       history.used_initiatives)
    names = form_names or {}
    branches, first = [], end
    for spec in rules.get("forms", {}).get(award_form, ()):
        if spec.get("subject", "individual") != nominee_kind:
            continue
        conditions = []
        for cond in spec["conditions"]:
            conditions.append(CONDITIONS[cond["kind"]](cond, end, counting, names))
            first = min(first, end - _span(cond) + 1)
        branches.append(Branch(spec["label"], conditions))
    return Result(award_form, rules["effective_from"], rules.get("basis", ""), (first, end) if branches else None,
                  branches)


def _span(cond: dict[str, Any]) -> int:
    return int(cond.get("within") or cond.get("length", 1) * cond.get("gap", 1))


def _form_list(codes: Iterable[str], names: dict[str, str]) -> str:
    return " hoặc ".join(names.get(c, c) for c in codes)


def _award_record(a: AwardFact, names: dict[str, str]) -> dict[str, Any]:
    return {"type": "award", "id": a.id, "year": a.year, "label": names.get(a.award_form or "", a.name or a.award_form)}


def _in_window(year: int, end: int, within: int | None) -> bool:
    return year <= end and (within is None or year > end - within)


def award_streak(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    """``length`` awards of the forms, the latest within ``gap`` years of the window's end, each next one within
    ``gap`` years before the one after it (``gap`` 1: consecutive years ending at the window's end)."""
    forms, length, gap = set(cond["award_forms"]), int(cond["length"]), int(cond.get("gap", 1))
    by_year = {a.year: a for a in sorted(history.awards, key=lambda a: a.id) if a.award_form in forms and a.year <= end}
    chain: list[AwardFact] = []
    upper = end
    while len(chain) < length:
        found = next((by_year[y] for y in range(upper, upper - gap, -1) if y in by_year), None)
        if found is None:
            break
        chain.append(found)
        upper = found.year - 1
    what = _form_list(cond["award_forms"], names)
    label = (f"{length} năm liên tục {what}" if gap == 1 else f"{length} lần liên tục {what}") + f" (đến năm {end})"
    return Condition(label, len(chain) >= length, [_award_record(a, names) for a in chain])


def award_count(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    forms, count, within = set(cond["award_forms"]), int(cond["count"]), cond.get("within")
    found = sorted((a for a in history.awards if a.award_form in forms and _in_window(a.year, end, within)),
                   key=lambda a: (-a.year, a.id))
    period = f" trong {within} năm đến năm {end}" if within else f" đến năm {end}"
    label = f"{'Có ' if count == 1 else f'{count} lần '}{_form_list(cond['award_forms'], names)}{period}"
    return Condition(label, len(found) >= count, [_award_record(a, names) for a in found[:max(count, len(found))]])


def rating_streak(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    ratings, length = set(cond["ratings"]), int(cond["length"])
    by_year = {r.year: r for r in history.ratings}
    chain = []
    for y in range(end, end - length, -1):
        if y not in by_year or by_year[y].rating not in ratings:
            break
        chain.append(by_year[y])
    best = min(ratings, key=list(RATINGS).index)
    what = RATINGS[best].lower() + (" trở lên" if len(ratings) > 1 else "")
    return Condition(f"{length} năm liên tục {what} (đến năm {end})", len(chain) >= length,
                     [{"type": "rating", "id": r.id, "year": r.year, "label": RATINGS.get(r.rating, r.rating)}
                      for r in chain])


def rating_count(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    ratings, count, within = set(cond["ratings"]), int(cond["count"]), cond.get("within")
    found = sorted((r for r in history.ratings if r.rating in ratings and _in_window(r.year, end, within)),
                   key=lambda r: -r.year)
    best = min(ratings, key=list(RATINGS).index)
    what = RATINGS[best].lower() + (" trở lên" if len(ratings) > 1 else "")
    period = f"năm {end}" if within == 1 else (f"trong {within} năm đến năm {end}" if within else f"đến năm {end}")
    return Condition(f"Ít nhất {count} năm {what} ({period})", len(found) >= count,
                     [{"type": "rating", "id": r.id, "year": r.year, "label": RATINGS.get(r.rating, r.rating)}
                      for r in found])


def initiative_count(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    """Initiatives of the scopes not already used by another dossier; the oldest count first."""
    scopes, count, within = cond["scopes"], int(cond["count"]), cond.get("within")
    found = sorted((i for i in history.initiatives if i.scope in scopes and _in_window(i.year, end, within)),
                   key=lambda i: (i.year, i.id))[:count]
    what = " hoặc ".join(SCOPES[s] for s in scopes)
    period = f" trong {within} năm đến năm {end}" if within else ""
    note = " (sáng kiến đã dùng cho hồ sơ khác không tính lại)" if history.used_initiatives else ""
    return Condition(f"{count} sáng kiến {what}{period}{note}", len(found) >= count,
                     [{"type": "initiative", "id": i.id, "year": i.year, "label": i.title} for i in found])


def manual(cond: dict[str, Any], end: int, history: History, names: dict[str, str]) -> Condition:
    return Condition(cond["label"], None)


CONDITIONS: dict[str, Callable[[dict[str, Any], int, History, dict[str, str]], Condition]] = {
    "award_streak": award_streak, "award_count": award_count, "rating_streak": rating_streak,
    "rating_count": rating_count, "initiative_count": initiative_count, "manual": manual,
}


def check_document(document: dict[str, Any]) -> list[str]:
    """What is wrong with a rules document (unknown condition kinds, bad dates): empty when it loads."""
    problems = []
    for rules in document.get("rule_sets", ()):
        try:
            date.fromisoformat(rules["effective_from"])
        except (KeyError, ValueError):
            problems.append(f"rule set without a valid effective_from: {rules.get('effective_from')!r}")
        for form, branches in rules.get("forms", {}).items():
            for branch in branches:
                for cond in branch.get("conditions", ()):
                    if cond.get("kind") not in CONDITIONS:
                        problems.append(f"{form}: unknown condition kind {cond.get('kind')!r}")
    return problems
