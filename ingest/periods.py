"""Reporting periods: which day stands for a period, when each is due, and how sources label them.

A periodic dataset keeps the partition design of daily ones: a period is stored under
its first day. So one rule, here, says which days those are and which periods a night
owes; planning, the sandbox and the tests all ask this module.

Cadences: daily, monthly, quarterly (calendar), yearly (January to December),
financial_year (April to March, the UK public sector's year) and four_weekly (TfL's
13 periods of a financial year: period 1 runs from 1 April to the Saturday before the
first Sunday on or after 27 April, periods 2-12 are 28 days from that Sunday, and period 13
ends on 31 March: every period of tests/fixtures/realdata's TfL file, 2010-2024, fits).

Sources name periods in their own words; `period_from_label` reads the common ones
(`2011-12`, `2011/12`, `2011`, `Year ending Dec 2017`, `2011-04-01`) into the first day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = [
    "CADENCES",
    "period_start",
    "next_period_start",
    "period_end",
    "periods_due",
    "is_period_start",
    "period_from_label",
    "period_label",
    "PeriodLabelError",
]

CADENCES = ("daily", "monthly", "quarterly", "yearly", "financial_year", "four_weekly")
_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
_FY_START_MONTH = 4


class PeriodLabelError(ValueError):
    """A period label this module cannot read for the cadence."""


def period_start(day: date, cadence: str) -> date:
    """The first day of the period holding `day`."""
    if cadence == "daily":
        return day
    if cadence == "financial_year":
        return date(day.year if day.month >= _FY_START_MONTH else day.year - 1, _FY_START_MONTH, 1)
    if cadence == "four_weekly":
        return _four_weekly_start(day)
    months = _months(cadence)
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def is_period_start(day: date, cadence: str) -> bool:
    return period_start(day, cadence) == day


def next_period_start(start: date, cadence: str) -> date:
    """The first day of the period after the one starting on `start`."""
    if cadence == "daily":
        return start + timedelta(days=1)
    if cadence == "financial_year":
        return date(start.year + 1, _FY_START_MONTH, 1)
    if cadence == "four_weekly":
        starts = _four_weekly_starts(period_start(start, "financial_year"))
        later = [s for s in starts if s > start]
        return later[0] if later else date(starts[0].year + 1, _FY_START_MONTH, 1)
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


_FY_LABEL = re.compile(r"^(\d{4})\s*[-/_]\s*(\d{2}|\d{4})$")  # 2011-12, 2011/12, 2011_12, 2011/2012
_YEAR_LABEL = re.compile(r"^(?:year ending dec(?:ember)?\s+)?(\d{4})$", re.IGNORECASE)
_TFL_LABEL = re.compile(r"^(\d{1,2})_(\d{2})/(\d{2})$")  # TfL: 01_10/11 (period 1 of 2010/11)
_DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%dT%H:%M:%S")


def period_from_label(label: str, cadence: str) -> date:
    """The first day of the period a source's label names; PeriodLabelError when unreadable.

    A financial year `2011-12` (or `2011/12`) starts 2011-04-01 and its second part must
    follow the first; a plain day (`1995-01-01`, `01/01/1995`, `01-Apr-10`) stands for
    the period holding it.
    """
    text = " ".join(str(label).split())
    if cadence == "financial_year":
        match = _FY_LABEL.match(text)
        if match:
            first, second = int(match.group(1)), match.group(2)
            if (first + 1) % (100 if len(second) == 2 else 10000) != int(second):
                raise PeriodLabelError(
                    f"{label!r}: the second year of a financial year must follow the first"
                )
            return date(first, _FY_START_MONTH, 1)
    if cadence == "yearly":
        match = _YEAR_LABEL.match(text)
        if match:
            return date(int(match.group(1)), 1, 1)
    if cadence == "four_weekly":
        match = _TFL_LABEL.match(text)
        if match:
            number, year = int(match.group(1)), 2000 + int(match.group(2))
            starts = _four_weekly_starts(date(year, _FY_START_MONTH, 1))
            if not 1 <= number <= len(starts) or (int(match.group(2)) + 1) % 100 != int(
                match.group(3)
            ):
                raise PeriodLabelError(f"{label!r}: no such four-weekly period")
            return starts[number - 1]
    for fmt in _DAY_FORMATS:
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return period_start(day, cadence)
    raise PeriodLabelError(f"{label!r} is not a {cadence.replace('_', ' ')} period label")


def period_label(start: date, cadence: str) -> str:
    """How a period is named for people: 2011-12, 2011, 2011-04, 2011 Q2, 2011-12 P01."""
    if cadence == "financial_year":
        return f"{start.year}-{(start.year + 1) % 100:02d}"
    if cadence == "yearly":
        return str(start.year)
    if cadence == "monthly":
        return f"{start:%Y-%m}"
    if cadence == "quarterly":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if cadence == "four_weekly":
        fy = period_start(start, "financial_year")
        return (
            f"{period_label(fy, 'financial_year')} P{_four_weekly_starts(fy).index(start) + 1:02d}"
        )
    return start.isoformat()


def _four_weekly_starts(fy_start: date) -> list[date]:
    """The 13 period starts of the financial year beginning on `fy_start` (1 April)."""
    anchor = date(fy_start.year, 4, 27)
    second = anchor + timedelta(
        days=(6 - anchor.weekday()) % 7
    )  # the first Sunday on or after 27 April
    return [fy_start] + [second + timedelta(days=28 * n) for n in range(12)]


def _four_weekly_start(day: date) -> date:
    starts = _four_weekly_starts(period_start(day, "financial_year"))
    return max(s for s in starts if s <= day)


def _previous(start: date, cadence: str) -> date:
    return period_start(start - timedelta(days=1), cadence)


def _months(cadence: str) -> int:
    try:
        return _MONTHS[cadence]
    except KeyError:
        raise ValueError(f"unknown cadence {cadence!r}; known: {list(CADENCES)}") from None
