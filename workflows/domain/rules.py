"""The rule tables a version bundle runs with: award forms, council thresholds, step deadlines, escalations.

Admins keep the tables in the database; deploying snapshots them into the bundle, so a running
nomination keeps the thresholds, deadlines and routing flags it started with whatever is edited
later. A :class:`RuleSet` round-trips through plain JSON (``as_dict``/``from_dict``) for storage
and hashing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from workflows.domain.council import CouncilRuleData
from workflows.domain.errors import Invalid


@dataclass(frozen=True)
class AwardFormRule:
    code: str
    name: str
    subject: str  # individual | collective | both
    level: str  # unit | ministry | above
    needs_vote: bool
    needs_disclosure: bool
    sort_order: int = 0

    def routing_flags(self) -> dict[str, bool]:
        """What the route's gateways read for a dossier of this form."""
        return {"needs_vote": self.needs_vote, "needs_disclosure": self.needs_disclosure,
                "above_ministry": self.level == "above"}


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
    quota: int | None = None  # how many of this form the ministry may award (or propose) per emulation year; None: no quota

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.effective_from)

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

    def proposable(self) -> list[AwardFormRule]:
        """Forms proposed through the ministry's route, in display order (unit-level ones are decided below)."""
        return sorted((a for a in self.award_forms.values() if a.level != "unit"), key=lambda a: a.sort_order)

    def council_rule(self, award_form: str, on: datetime) -> CouncilRule:
        """The rule in force on ``on`` for this form: the latest that started on or before it."""
        found = [r for r in self.council if r.award_form == award_form and r.starts <= on]
        if not found:
            raise Invalid("Chưa cấu hình ngưỡng biểu quyết cho hình thức khen thưởng này.")
        return max(found, key=lambda r: r.starts)

    def step_days(self, award_form: str) -> dict[str, int]:
        """Working days per step for one award form: its own rows over the general ones."""
        days = {d.step: d.working_days for d in self.deadlines if d.award_form is None}
        days.update({d.step: d.working_days for d in self.deadlines if d.award_form == award_form})
        return days

    def superiors(self, role: str) -> tuple[str, ...]:
        return self.escalations.get(role, ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "award_forms": [asdict(a) for a in sorted(self.award_forms.values(), key=lambda a: (a.sort_order, a.code))],
            "council": [_without_no_quota(asdict(r))
                        for r in sorted(self.council, key=lambda r: (r.award_form, r.effective_from))],
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


def _without_no_quota(row: dict[str, Any]) -> dict[str, Any]:
    """A rule without a quota stores as before quotas existed: bundles deployed then keep their hash."""
    if row.get("quota") is None:
        row.pop("quota", None)
    return row


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
