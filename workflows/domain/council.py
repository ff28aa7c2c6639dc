"""Council vote arithmetic: quorum and pass thresholds, in integers.

The numbers come from the version's DMN rule set (the legacy ``council_rules``
table for versions deployed before it): data, not code; this module only applies them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CouncilRuleData:
    quorum_num: int
    quorum_den: int
    threshold_kind: str  # pct_of_all | majority_of_present
    threshold_pct: int | None


@dataclass(frozen=True)
class CouncilResult:
    members: int
    present: int
    agree: int
    disagree: int
    quorum_required: int
    quorum_met: bool
    threshold_kind: str
    threshold_pct: int | None
    agree_required: int
    passed: bool

    def as_dict(self) -> dict:
        return asdict(self)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def agree_required(rule: CouncilRuleData, members: int, present: int) -> int:
    if rule.threshold_kind == "pct_of_all":
        return ceil_div((rule.threshold_pct or 0) * members, 100)
    if rule.threshold_kind == "majority_of_present":
        return present // 2 + 1
    raise ValueError(f"unknown threshold kind {rule.threshold_kind!r}")


def evaluate(rule: CouncilRuleData, members: int, agree: int, disagree: int) -> CouncilResult:
    present = agree + disagree
    quorum_required = ceil_div(rule.quorum_num * members, rule.quorum_den)
    quorum_met = present >= quorum_required
    required = agree_required(rule, members, present)
    return CouncilResult(
        members=members,
        present=present,
        agree=agree,
        disagree=disagree,
        quorum_required=quorum_required,
        quorum_met=quorum_met,
        threshold_kind=rule.threshold_kind,
        threshold_pct=rule.threshold_pct,
        agree_required=required,
        passed=quorum_met and agree >= required,
    )
