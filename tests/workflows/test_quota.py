"""The yearly quota of an award form (pure): ranking by agree votes, the cut, and a tie at the cut-off."""

from __future__ import annotations

import pytest

from workflows.domain.quota import apply_quota


def test_no_quota_passes_everyone():
    outcome = apply_quota([(1, 5), (2, 9), (3, 7)], None, used=40)
    assert outcome.passed == (2, 3, 1) and outcome.cut == () and outcome.tied == ()
    assert not outcome.exceeded and outcome.ranks == {} and outcome.left is None


def test_within_the_quota_nobody_is_ranked():
    outcome = apply_quota([(1, 5), (2, 9)], 3, used=1)  # two candidates, two seats left
    assert set(outcome.passed) == {1, 2} and not outcome.exceeded and outcome.ranks == {}


def test_over_the_quota_the_most_agree_votes_pass():
    outcome = apply_quota([(10, 6), (11, 9), (12, 8), (13, 7)], 2)
    assert outcome.passed == (11, 12)
    assert outcome.cut == (13, 10)
    assert outcome.ranks == {11: 1, 12: 2, 13: 3, 10: 4}
    assert outcome.tied == () and outcome.seats == 0 and outcome.exceeded


def test_a_tie_at_the_cut_off_goes_to_the_chair():
    outcome = apply_quota([(1, 9), (2, 8), (3, 8), (4, 8), (5, 6)], 2)
    assert outcome.passed == (1,)
    assert outcome.tied == (2, 3, 4) and outcome.seats == 1
    assert outcome.cut == (5,)
    assert outcome.ranks == {1: 1, 2: 2, 3: 2, 4: 2, 5: 5}  # competition ranking: 1-2-2-2-5


def test_a_tie_not_at_the_cut_off_is_harmless():
    above = apply_quota([(1, 9), (2, 9), (3, 8), (4, 7)], 3)  # the tie is within the seats
    assert set(above.passed) == {1, 2, 3} and above.cut == (4,) and above.tied == ()
    below = apply_quota([(1, 9), (2, 8), (3, 7), (4, 7)], 2)  # the tie is among those cut
    assert below.passed == (1, 2) and below.cut == (3, 4) and below.tied == ()
    assert below.ranks[3] == below.ranks[4] == 3


def test_a_group_at_the_cut_off_that_ends_exactly_at_the_last_seat_passes():
    outcome = apply_quota([(1, 9), (2, 8), (3, 8), (4, 6)], 3)
    assert outcome.passed == (1, 2, 3) and outcome.cut == (4,) and outcome.tied == ()


def test_seats_used_by_earlier_rounds_count():
    outcome = apply_quota([(1, 9), (2, 8), (3, 7)], 5, used=3)  # 2 seats left
    assert outcome.passed == (1, 2) and outcome.cut == (3,) and outcome.left == 2
    tie = apply_quota([(1, 9), (2, 8), (3, 8)], 5, used=3)
    assert tie.passed == (1,) and tie.tied == (2, 3) and tie.seats == 1


@pytest.mark.parametrize("used", [2, 3, 7])
def test_a_quota_already_used_up_cuts_everyone(used):
    outcome = apply_quota([(1, 9), (2, 9), (3, 4)], 2, used=used)
    assert outcome.passed == () and outcome.tied == () and outcome.cut == (1, 2, 3)
    assert outcome.ranks == {1: 1, 2: 1, 3: 3} and outcome.left == 0


def test_a_quota_of_zero_cuts_everyone():
    assert apply_quota([(1, 9)], 0).cut == (1,)


def test_everyone_tied():
    outcome = apply_quota([(3, 7), (1, 7), (2, 7)], 2)
    assert outcome.passed == () and outcome.cut == ()
    assert outcome.tied == (1, 2, 3) and outcome.seats == 2
    assert set(outcome.ranks.values()) == {1}


def test_no_candidates():
    outcome = apply_quota([], 2, used=2)
    assert outcome.passed == outcome.cut == outcome.tied == () and not outcome.exceeded


def test_nonsense_is_refused():
    with pytest.raises(ValueError):
        apply_quota([(1, 9), (1, 8)], 1)
    with pytest.raises(ValueError):
        apply_quota([(1, 9)], -1)
    with pytest.raises(ValueError):
        apply_quota([(1, 9)], 1, used=-1)
