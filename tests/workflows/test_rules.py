"""Council arithmetic in integers (domain.md): quorum 2/3 of all members, thresholds per award form."""

from __future__ import annotations

import pytest

from workflows.domain.council import CouncilRuleData, evaluate

PCT = lambda p: CouncilRuleData(2, 3, "pct_of_all", p)  # noqa: E731
MAJORITY = CouncilRuleData(2, 3, "majority_of_present", None)


@pytest.mark.parametrize(("rule", "members", "agree", "disagree", "required", "passed"), [
    (PCT(90), 9, 9, 0, 9, True),      # Chiến sĩ thi đua cấp Bộ: 90 % of 9 = 8.1 → 9
    (PCT(90), 9, 8, 1, 9, False),
    (PCT(80), 9, 8, 1, 8, True),      # Cờ thi đua của Bộ: 80 % of 9 = 7.2 → 8
    (PCT(80), 9, 7, 0, 8, False),
    (MAJORITY, 9, 5, 4, 5, True),     # Bằng khen: 5 of 9 present
    (MAJORITY, 9, 4, 4, 5, False),    # a tie is not a majority
    (MAJORITY, 9, 4, 2, 4, True),     # 6 present: 4 needed
    (PCT(90), 10, 9, 1, 9, True),     # exactly 90 %
    (PCT(80), 5, 4, 1, 4, True),
])
def test_thresholds(rule, members, agree, disagree, required, passed):
    result = evaluate(rule, members, agree, disagree)
    assert (result.agree_required, result.passed) == (required, passed)


@pytest.mark.parametrize(("members", "present", "met"), [(9, 6, True), (9, 5, False), (7, 5, True), (7, 4, False),
                                                         (10, 7, True), (10, 6, False), (3, 2, True)])
def test_quorum_is_two_thirds_of_all_members(members, present, met):
    result = evaluate(MAJORITY, members, present, 0)
    assert result.quorum_met is met


def test_without_quorum_nothing_passes():
    result = evaluate(MAJORITY, 9, 5, 0)  # 5 agree of 5 present, but 5 < 6
    assert result.quorum_met is False and result.passed is False
