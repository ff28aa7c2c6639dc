"""The rules a version bundle runs with: award forms, council thresholds, step deadlines, escalations.

What the route asks is :class:`RuleSet`'s methods, each for an award form on a date: ``level``,
``routing_flags``, ``council_rule``, ``step_days``; plus ``superiors`` and the catalogue of award
forms (names, subjects, display order). The date is the dossier's (:meth:`RuleSet.date_for`).

This class answers them from the plain rule tables a bundle pinned before the rules moved to DMN
(``award_forms`` with ``level``/``needs_vote``/``needs_disclosure``, ``council``, ``deadlines``):
versions deployed then keep running on exactly those. Bundles that pin DMN decision tables get
:class:`workflows.engine.decisions.DecisionRuleSet`, which keeps only the catalogue and the
escalations here and answers the rest from the table in force on the date. A :class:`RuleSet`
round-trips through plain JSON (``as_dict``/``from_dict``) for storage and hashing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from workflows.domain.council import CouncilRuleData
from workflows.domain.errors import Invalid


@dataclass(frozen=True)
class AwardFormRule:
    """One award form of the catalogue. The last three rule fields are the legacy tables' (None in a DMN bundle:
    ask the :class:`RuleSet`, which answers by date)."""

    code: str
    name: str
    subject: str  # individual | collective | both
    level: str | None = None  # unit | ministry | above
    needs_vote: bool | None = None
    needs_disclosure: bool | None = None
    sort_order: int = 0


class CouncilRuleLike(Protocol):
    """What a council rule gives the services, from the legacy tables or from a DMN row."""

    quorum_num: int
    quorum_den: int
    threshold_kind: str | None
    threshold_pct: int | None
    chair_votes: bool
    quota: int | None

    def arithmetic(self) -> CouncilRuleData: ...


@dataclass(frozen=True)
class CouncilRule:
    """Quorum and pass threshold for one award form, from a date (the dossier's submission date decides)."""

    award_form: str
    effective_from: str  # ISO 8601 with offset
    quorum_num: int
    quorum_den: int
    threshold_kind: str  # pct_of_all | majority_of_present
    threshold_pct: int | None
    chair_votes: bool = False  # the council chair is called to the ballot too

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.effective_from)

    @property
    def quota(self) -> int | None:
        return None  # the legacy tables had no quota: not a field, so their JSON (and hash) stays as it was

    def arithmetic(self) -> CouncilRuleData:
        return CouncilRuleData(self.quorum_num, self.quorum_den, self.threshold_kind, self.threshold_pct)


@dataclass(frozen=True)
class StepDeadline:
    step: str
    award_form: str | None  # None: every form without its own row
    working_days: int


@dataclass(frozen=True)
class RuleSet:
    award_forms: dict[str, AwardFormRule] = field(default_factory=dict)
    council: tuple[CouncilRule, ...] = ()
    deadlines: tuple[StepDeadline, ...] = ()
    escalations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> superior roles

    def award(self, code: str) -> AwardFormRule:
        rule = self.award_forms.get(code)
        if rule is None:
            raise Invalid("Hình thức khen thưởng không hợp lệ.", {"award_form": "Không có hình thức khen thưởng này."})
        return rule

    def date_for(self, created_at: datetime, submitted_at: datetime | None, now: datetime) -> datetime:
        """The moment whose rules a dossier follows. The legacy tables: its creation, as they were always read."""
        return created_at

    def level(self, code: str, on: datetime) -> str:
        """unit | ministry | above: who decides the form (a unit-level form is not proposed through the ministry)."""
        return self.award(code).level

    def proposable(self, on: datetime) -> list[AwardFormRule]:
        """Forms proposed through the ministry's route, in display order (unit-level ones are decided below)."""
        return sorted((a for a in self.award_forms.values() if self.level(a.code, on) != "unit"), key=lambda a: a.sort_order)

    def routing_flags(self, code: str, on: datetime) -> dict[str, bool]:
        """What the route's gateways read for a dossier of this form."""
        award = self.award(code)
        return {"needs_vote": bool(award.needs_vote), "needs_disclosure": bool(award.needs_disclosure),
                "above_ministry": award.level == "above"}

    def council_rule(self, award_form: str, on: datetime) -> CouncilRuleLike:
        """The rule in force on ``on`` for this form: the latest that started on or before it."""
        found = [r for r in self.council if r.award_form == award_form and r.starts <= on]
        if not found:
            raise Invalid("Chưa cấu hình ngưỡng biểu quyết cho hình thức khen thưởng này.")
        return max(found, key=lambda r: r.starts)

    def step_days(self, award_form: str, on: datetime) -> dict[str, int]:
        """Working days per step for one award form: its own rows over the general ones (the legacy tables have no dates)."""
        days = {d.step: d.working_days for d in self.deadlines if d.award_form is None}
        days.update({d.step: d.working_days for d in self.deadlines if d.award_form == award_form})
        return days

    def timed_steps(self) -> set[str]:
        """The steps the rules give working days to (what a route may name as a deadline)."""
        return {d.step for d in self.deadlines}

    def superiors(self, role: str) -> tuple[str, ...]:
        return self.escalations.get(role, ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "award_forms": [catalogue_entry(a) for a in sorted(self.award_forms.values(), key=lambda a: (a.sort_order, a.code))],
            "council": [asdict(r) for r in sorted(self.council, key=lambda r: (r.award_form, r.effective_from))],
            "deadlines": [asdict(d) for d in sorted(self.deadlines, key=lambda d: (d.step, d.award_form or ""))],
            "escalations": {role: sorted(sup) for role, sup in sorted(self.escalations.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleSet:
        return cls(
            award_forms={a["code"]: AwardFormRule(**a) for a in data.get("award_forms", [])},
            council=tuple(CouncilRule(**r) for r in data.get("council", [])),
            deadlines=tuple(StepDeadline(**d) for d in data.get("deadlines", [])),
            escalations={role: tuple(sup) for role, sup in data.get("escalations", {}).items()},
        )


def catalogue_entry(award: AwardFormRule) -> dict[str, Any]:
    """One award form as JSON: the fields it has (a DMN bundle's catalogue leaves the rule fields out)."""
    return {k: v for k, v in asdict(award).items() if v is not None}


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
