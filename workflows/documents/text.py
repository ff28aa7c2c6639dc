"""How official documents print dates, times and shares (Nghị định 30/2020/NĐ-CP on administrative documents)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal


def _day(d: date) -> str:
    return f"{d.day:02d}"


def _month(d: date) -> str:
    # The decree writes days below 10 and the months 1 and 2 with a leading zero (so none can be extended).
    return f"{d.month:02d}" if d.month < 3 else str(d.month)


def vn_date(d: date | None) -> str:
    """``ngày 05 tháng 12 năm 2026``; without a date, the blanks a clerk fills in by hand."""
    if d is None:
        return "ngày ...... tháng ...... năm ........"
    return f"ngày {_day(d)} tháng {_month(d)} năm {d.year}"


def vn_datetime(moment: datetime | date) -> str:
    """``17 giờ 00 ngày 04 tháng 12 năm 2026`` (a plain date prints as :func:`vn_date`)."""
    if not isinstance(moment, datetime):
        return vn_date(moment)
    return f"{moment.hour} giờ {moment.minute:02d} {vn_date(moment)}"


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole`` with one decimal, rounded half up, with the decimal comma: ``88,9 %``."""
    if whole <= 0:
        return "-"
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{share:.1f}".replace(".", ",") + " %"


def count(n: int) -> str:
    """Counts in a decision's text are written with two digits at least: ``03 cá nhân``."""
    return f"{n:02d}"
