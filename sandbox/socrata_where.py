"""SoQL $where for the Socrata portal: day bounds on the date field and stamp tests.

Parsing only: which data days a $where names and which :created_at/:updated_at tests
it sets; sandbox/socrata.py applies them to a feed. Anything else is a WhereError.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ingest.catalogue import Dataset

__all__ = ["MAX_DAYS", "WhereError", "days_where", "parse_where"]

MAX_DAYS = 366
_CLAUSE = re.compile(
    r"\s*(?P<field>:?\w+)\s*(?:(?P<op>>=|<=|=|>|<)\s*'(?P<value>[^']*)'"
    r"|\s(?i:between)\s+'(?P<low>[^']*)'\s+(?i:and)\s+'(?P<high>[^']*)')\s*"
)
_AND = re.compile(r"(?i:and)\b")
_SYSTEM = (":id", ":created_at", ":updated_at")
_STAMPED = (":created_at", ":updated_at")  # fixed timestamps $where can compare


class WhereError(ValueError):
    """A $where the sandbox cannot answer; `code` is the SODA error code."""

    def __init__(self, message: str, code: str = "query.soql.invalid"):
        super().__init__(message)
        self.code = code


@dataclass
class _Where:
    """What a $where asks for: data days (None: not bounded by the date field), stamp tests."""

    days: list[dt.date] | None = None
    stamps: list[tuple[str, str, dt.datetime]] = field(default_factory=list)  # (field, op, moment)


def _timestamp(text: str, date_format: str) -> dt.datetime | None:
    """A SoQL timestamp literal: the borough's format, or any ISO date or date-time."""
    for parse in (lambda t: dt.datetime.strptime(t, date_format), dt.datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def days_where(where: str, dataset: Dataset, date_format: str) -> list[dt.date]:
    """The data days a $where on the date field selects (records sit at midnight of their day)."""
    days = parse_where(where, dataset, date_format).days
    if days is None:
        raise WhereError(f"$where needs both a first and a last day on {dataset.date_field}")
    return days


def parse_where(where: str, dataset: Dataset, date_format: str) -> _Where:
    """Clauses joined by `and`: bounds on the date field (both, or none) and stamp tests."""
    low, high, position, parsed = None, None, 0, _Where()
    while True:
        match = _CLAUSE.match(where, position)
        if not match:
            raise WhereError(
                f"Could not parse $where near {where[position : position + 40]!r}",
                "query.soql.malformed",
            )
        name = match.group("field")
        op = match.group("op") or "between"
        texts = (
            [match.group("value")]
            if match.group("op")
            else [match.group("low"), match.group("high")]
        )
        if name in _STAMPED:
            moments = [_moment(t) for t in texts]
            if None in moments:
                raise WhereError(
                    f"Could not parse {texts} as a fixed timestamp", "query.soql.type-mismatch"
                )
            parsed.stamps += (
                [(name, ">=", moments[0]), (name, "<=", moments[1])]
                if op == "between"
                else [(name, op, moments[0])]
            )
        else:
            if name not in dataset.column_names and name not in _SYSTEM:
                raise WhereError(f"No such column: {name}", "query.soql.no-such-column")
            if name != dataset.date_field:
                raise WhereError(
                    f"The borough API sandbox filters on {dataset.date_field} and :updated_at only, "
                    f"not {name}"
                )
            stamps = [_timestamp(t, date_format) for t in texts]
            if None in stamps:
                raise WhereError(
                    f"Could not parse {texts} as a floating timestamp", "query.soql.type-mismatch"
                )
            for bound, value in _bounds(op, stamps):
                if bound == "low":
                    low = value if low is None else max(low, value)
                else:
                    high = value if high is None else min(high, value)
        position = match.end()
        if position == len(where):
            break
        joiner = _AND.match(where, position)
        if not joiner:
            raise WhereError(
                f"Could not parse $where near {where[position : position + 40]!r}",
                "query.soql.malformed",
            )
        position = joiner.end()
    if (low is None) != (high is None) or (low is None and not parsed.stamps):
        raise WhereError(f"$where needs both a first and a last day on {dataset.date_field}")
    if low is not None:
        if (high - low).days + 1 > MAX_DAYS:
            raise WhereError(f"At most {MAX_DAYS} days per request")
        parsed.days = [low + dt.timedelta(days=n) for n in range((high - low).days + 1)]
    return parsed


def _moment(text: str) -> dt.datetime | None:
    """A fixed-timestamp literal: ISO 8601, a date or date-time; without an offset it is UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or dt.UTC).astimezone(dt.UTC)


def _bounds(op: str, stamps: list[dt.datetime]) -> list[tuple[str, dt.date]]:
    """Turn a comparison on timestamps into inclusive day bounds."""

    def first_day_from(ts: dt.datetime, inclusive: bool) -> dt.date:
        at_midnight = ts.time() == dt.time()
        return ts.date() if inclusive and at_midnight else ts.date() + dt.timedelta(days=1)

    def last_day_to(ts: dt.datetime, inclusive: bool) -> dt.date:
        at_midnight = ts.time() == dt.time()
        return ts.date() if inclusive or not at_midnight else ts.date() - dt.timedelta(days=1)

    if op == "between":
        return [("low", first_day_from(stamps[0], True)), ("high", last_day_to(stamps[1], True))]
    ts = stamps[0]
    return {
        "=": [
            ("low", first_day_from(ts, True)),
            (
                "high",
                last_day_to(ts, True)
                if ts.time() == dt.time()
                else ts.date() - dt.timedelta(days=1),
            ),
        ],
        ">=": [("low", first_day_from(ts, True))],
        ">": [("low", first_day_from(ts, False))],
        "<=": [("high", last_day_to(ts, True))],
        "<": [("high", last_day_to(ts, False))],
    }[op]
