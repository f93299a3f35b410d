"""Reporting periods: which day stands for a month or a quarter, and when each is due.

A monthly or quarterly dataset keeps the partition design of daily ones: a period is
stored under its first day. So one rule, here, says which days those are and which
periods a night owes; planning, the sandbox and the tests all ask this module.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["CADENCES", "period_start", "next_period_start", "period_end", "periods_due", "is_period_start"]

CADENCES = ("daily", "monthly", "quarterly")
_MONTHS = {"monthly": 1, "quarterly": 3}


def period_start(day: date, cadence: str) -> date:
    """The first day of the period holding `day`."""
    if cadence == "daily":
        return day
    months = _months(cadence)
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def is_period_start(day: date, cadence: str) -> bool:
    return period_start(day, cadence) == day


def next_period_start(start: date, cadence: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if cadence == "daily":
        return start + timedelta(days=1)
    month = start.month - 1 + _months(cadence)
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_end(start: date, cadence: str) -> date:
    """The last day of the period starting on `start`."""
    return next_period_start(start, cadence) - timedelta(days=1)


def periods_due(data_day: date, cadence: str, lag_days: int, count: int) -> list[date]:
    """The `count` latest periods due by the night of `data_day`, oldest first.

    A period is due once `lag_days` have passed since it ended: a borough that has not
    published it by then is late.
    """
    latest = period_start(data_day - timedelta(days=lag_days), cadence)
    if period_end(latest, cadence) + timedelta(days=lag_days) > data_day:
        latest = _previous(latest, cadence)
    starts = [latest]
    while len(starts) < count:
        starts.append(_previous(starts[-1], cadence))
    return sorted(starts)


def _previous(start: date, cadence: str) -> date:
    return period_start(start - timedelta(days=1), cadence)


def _months(cadence: str) -> int:
    try:
        return _MONTHS[cadence]
    except KeyError:
        raise ValueError(f"unknown cadence {cadence!r}; known: {list(CADENCES)}") from None
