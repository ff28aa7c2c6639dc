"""The yearly quota of an award form (chỉ tiêu): who passes, who is over it, and a tie at the cut-off.

Pure arithmetic on the dossiers of one award form and one emulation year that passed the council's
threshold: over the quota, they are ranked by agree votes (competition ranking: equal votes, equal
rank; the next rank skips, 1-2-2-4) and the seats left go down the ranking. When the last seats fall
inside a group of equal votes, that group is tied at the cut-off: the chair of the council decides
which of them take the seats left [domain.md: "a tie at the cut-off is broken by the chair"].
A tie anywhere else in the ranking changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuotaOutcome:
    """Where each candidate stands. ``ranks`` is filled only when the quota was exceeded (a ranking happened)."""

    quota: int | None
    used: int  # seats taken before these candidates (earlier rounds of the same form and year)
    passed: tuple[int, ...] = ()  # pass outright, best ranked first
    cut: tuple[int, ...] = ()  # over the quota
    tied: tuple[int, ...] = ()  # tied at the cut-off: the chair picks ``seats`` of them
    seats: int = 0  # seats left for the tied group (0 when there is no tie)
    ranks: dict[int, int] = field(default_factory=dict)

    @property
    def exceeded(self) -> bool:
        return bool(self.cut or self.tied)

    @property
    def left(self) -> int | None:
        """Seats left before these candidates (None: no quota)."""
        return None if self.quota is None else max(0, self.quota - self.used)


def apply_quota(candidates: Iterable[tuple[int, int]], quota: int | None, used: int = 0) -> QuotaOutcome:
    """``candidates`` are ``(id, agree votes)`` of the dossiers that passed the threshold.

    ``quota`` is the yearly number for the form (None: no quota), ``used`` how many of it earlier
    rounds already took. Everyone passes while they fit in the seats left; otherwise they are ranked.
    """
    ranked = sorted(candidates, key=lambda c: (-c[1], c[0]))
    ids = [i for i, _agree in ranked]
    if len(set(ids)) != len(ids):
        raise ValueError("a candidate appears twice")
    if (quota is not None and quota < 0) or used < 0:
        raise ValueError("quota and used are not negative")
    if quota is None or len(ranked) <= quota - used:
        return QuotaOutcome(quota, used, passed=tuple(ids))
    left = max(0, quota - used)
    ranks = {i: 1 + sum(1 for _other, votes in ranked if votes > agree) for i, agree in ranked}
    if left == 0:
        return QuotaOutcome(quota, used, cut=tuple(ids), ranks=ranks)
    cutoff = ranked[left - 1][1]  # the votes of the last seat
    above = tuple(i for i, agree in ranked if agree > cutoff)
    at = tuple(i for i, agree in ranked if agree == cutoff)
    below = tuple(i for i, agree in ranked if agree < cutoff)
    if len(above) + len(at) <= left:  # the group at the cut-off fits: the first one out has fewer votes
        return QuotaOutcome(quota, used, passed=above + at, cut=below, ranks=ranks)
    return QuotaOutcome(quota, used, passed=above, cut=below, tied=at, seats=left - len(above), ranks=ranks)
