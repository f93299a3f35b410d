"""Planning and the data scorecard owe the same periods.

ingest.periods.periods_due plans which periods a night fetches; the dbt macro periods_due
(int_feed_periods__due) says which the scorecard counts as owed. Both are held to one table
of cases, dbt_project/tests/fixtures/periods_due_cases.csv: here the Python rule over every
row, and the dbt unit test `periods_due_cases` over the same rows (run by
tests/test_borough_text.py::test_dbt_reads_every_case_alike).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import pytest

from ingest.periods import period_end, periods_due
from pipeline.dbt_runner import DBT_PROJECT_DIR

CASES = DBT_PROJECT_DIR / "tests" / "fixtures" / "periods_due_cases.csv"
TFL = DBT_PROJECT_DIR.parent / "tests" / "fixtures" / "realdata" / "tfl-journeys-type.csv"


def _cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    "case", _cases(), ids=lambda c: f"{c['cadence']}-{c['night']}-lag{c['lag_days']}"
)
def test_planning_owes_each_case_as_the_table_says(case):
    """periods_due gives the case's periods, oldest first."""
    due = periods_due(
        date.fromisoformat(case["night"]),
        case["cadence"],
        int(case["lag_days"]),
        int(case["history_periods"]),
    )
    assert " ".join(d.isoformat() for d in due) == case["periods"], case["note"]


@pytest.mark.parametrize(
    "case", _cases(), ids=lambda c: f"{c['cadence']}-{c['night']}-lag{c['lag_days']}"
)
def test_each_expected_period_is_due_and_the_next_is_not(case):
    """The table itself keeps the rule: the latest period is lag_days past its end, the next is not."""
    night, cadence, lag = date.fromisoformat(case["night"]), case["cadence"], int(case["lag_days"])
    periods = [date.fromisoformat(p) for p in case["periods"].split()]
    assert len(periods) == int(case["history_periods"])
    assert period_end(periods[-1], cadence) + timedelta(days=lag) <= night
    following = period_end(periods[-1], cadence) + timedelta(days=1)
    assert period_end(following, cadence) + timedelta(days=lag) > night


def test_four_weekly_cases_are_periods_tfl_published():
    """The table's four-weekly periods start where TfL's own file (2010-11 to 2024-25 P3) does.

    So the SQL rule, held to the table by the dbt unit test, keeps TfL's calendar too,
    53-week years (period 1 of 2015-16 and 2020-21 runs to 2 May) included.
    """
    with TFL.open(encoding="utf-8", newline="") as handle:
        published = {
            datetime.strptime(row["Period beginning"], "%d-%b-%y").date()
            for row in csv.DictReader(handle)
        }
    in_file = [
        date.fromisoformat(start)
        for case in _cases()
        if case["cadence"] == "four_weekly"
        for start in case["periods"].split()
        if date.fromisoformat(start) <= max(published)
    ]
    assert {date(2015, 4, 1), date(2015, 5, 3), date(2020, 4, 1), date(2016, 3, 6)} <= set(in_file)
    assert sorted(set(in_file) - published) == []
