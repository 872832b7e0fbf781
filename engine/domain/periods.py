"""Calendar periods for per-period limits, in the union's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

UNION_TZ = ZoneInfo("Asia/Shanghai")


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def period_id(period: Period, now: datetime) -> str:
    """A name for the period containing `now`: d20250120, w2025-04, m202501."""
    local = now.astimezone(UNION_TZ)
    if period is Period.DAY:
        return local.strftime("d%Y%m%d")
    if period is Period.WEEK:
        year, week, _ = local.isocalendar()
        return f"w{year}-{week:02d}"
    return local.strftime("m%Y%m")


def period_ttl_s(period: Period) -> int:
    """How long a period's counters must live: the period plus a day of margin."""
    return {Period.DAY: 2, Period.WEEK: 8, Period.MONTH: 32}[period] * 86400


def union_day(now: datetime) -> date:
    return now.astimezone(UNION_TZ).date()


def union_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the union's time zone (a till's day)."""
    start = datetime.combine(day, time(), UNION_TZ)
    return start, datetime.combine(day + timedelta(days=1), time(), UNION_TZ)
