"""How borough text is read: null markers, whitespace, names, days, integers, decimals.

Validation reads a landed batch with these functions; dbt staging reads the loaded rows
with the macros of the same names (dbt_project/macros/). Both are held to one table of
cases, dbt_project/tests/fixtures/borough_text_cases.csv: tests/test_borough_text.py
runs it here and, as the dbt unit test `borough_text_cases`, in SQL. So a value
validation accepts is the value staging loads. Change a rule on both sides, and the
table with it.

The null markers and date layouts come from config/pipeline.yml (`raw_text`); dbt gets
them as vars from pipeline.dbt_runner, and dbt_project.yml holds the same defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

__all__ = ["TextReader", "WHITESPACE", "INTEGER_TEXT", "DECIMAL_TEXT"]

# The whitespace clean_text collapses (ASCII whitespace and the no-break space that
# spreadsheets write); the same class as collapse_whitespace in clean_text.sql.
WHITESPACE = re.compile("[\t\n\v\f\r \u00a0]+")
# Number layouts (parse_integer.sql, parse_decimal.sql): ASCII digits, thousands
# separated by commas in groups of three or not at all, so '1,5' is no number (it is
# not 15). An integer's fraction may only be zeros ('12.0'); a decimal may have an
# exponent ('1e-05', as JSON encoders write small floats).
INTEGER_TEXT = re.compile(r"[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.0*)?")
DECIMAL_TEXT = re.compile(
    r"[+-]?(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
)
_BIGINT = (-(2**63), 2**63 - 1)
_DECIMAL_PLACES = Decimal("0.000001")  # decimal(38, 6): at most 32 digits before the point
_DECIMAL_LIMIT = Decimal(10) ** 32
_EARLIEST_YEAR = 1000  # DuckDB's %Y takes '24' as year 24; Python's needs 4 digits


@dataclass(frozen=True)
class TextReader:
    """The reading rules with the configured null markers (lower case) and date layouts."""

    null_markers: tuple[str, ...]
    date_formats: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Any) -> TextReader:
        return cls(tuple(m.lower() for m in settings.null_markers), tuple(settings.date_formats))

    def clean_text(self, value: Any) -> str | None:
        """Whitespace runs to one space, ends trimmed; a null marker (any case) is None."""
        if value is None:
            return None
        text = WHITESPACE.sub(" ", str(value)).strip(" ")
        return None if text.lower() in self.null_markers else text

    def normalise_name(self, value: Any) -> str | None:
        """A name as a matching key: cleaned and lower-cased ('CITY  OF London' -> 'city of london')."""
        text = self.clean_text(value)
        return None if text is None else text.lower()

    def parse_day(self, value: Any) -> date | None:
        """The day of the first configured layout that fits; the time of day is dropped."""
        text = self.clean_text(value)
        if text is None:
            return None
        for layout in self.date_formats:
            try:
                day = datetime.strptime(text, layout).date()
            except ValueError:
                continue
            return day if day.year >= _EARLIEST_YEAR else None
        return None

    def parse_integer(self, value: Any) -> int | None:
        """'12', '1,234', '12.0' -> int; a fraction ('12.5'), '1e3' or text -> None (never rounded)."""
        text = self.clean_text(value)
        if text is None or not INTEGER_TEXT.fullmatch(text):
            return None
        number = int(text.replace(",", "").split(".")[0])
        return number if _BIGINT[0] <= number <= _BIGINT[1] else None

    def parse_decimal(self, value: Any) -> Decimal | None:
        """Exact decimal rounded half away from zero to 6 places, as decimal(38, 6) in DuckDB."""
        text = self.clean_text(value)
        if text is None or not DECIMAL_TEXT.fullmatch(text):
            return None
        with localcontext(Context(prec=80)):
            try:
                number = Decimal(text.replace(",", "")).quantize(
                    _DECIMAL_PLACES, rounding=ROUND_HALF_UP
                )
            except InvalidOperation:  # an exponent too large to hold
                return None
        if number.copy_abs() >= _DECIMAL_LIMIT:  # copy_abs: abs() would round to 28 digits
            return None
        return number.copy_abs() if number.is_zero() else number

    def read(self, value: Any, kind: str) -> Any:
        """A value of a catalogue field type (string, date, integer, number)."""
        if kind == "string":
            return self.clean_text(value)
        if kind == "date":
            return self.parse_day(value)
        if kind == "integer":
            return self.parse_integer(value)
        if kind == "number":
            return self.parse_decimal(value)
        raise ValueError(f"unknown field type {kind!r}; known: string, date, integer, number")
