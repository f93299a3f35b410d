"""metric_truth (plain Python over the sandbox's truth) and the dbt models agree.

One warehouse landed straight from the sandbox (no server, no loader: the fixture
script publishes each borough's records with its quirks and turns them to text as the
connectors do), built with `dbt build`: 3 days of March 2024 for the daily datasets and
every period from January 2023 for the monthly and quarterly ones, so the changes on
last year have a year before (tests/published_fixture.py builds it once per test run, for
the analysts' tests too; its `dbt build` is where make test runs dbt's unit tests).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import pytest
from metric_truth import expected_metrics, expected_period_metrics
from published_fixture import build_results, published_warehouse

from ingest.catalogue import load_catalogue

START, DAYS, PERIODS_FROM = date(2024, 3, 1), 3, date(2023, 1, 1)
DAILY_METRICS = {
    "ksi_per_100k",
    "net_completions_vs_target",
    "affordable_share",
    "service_requests_per_1000",
    "median_days_to_resolve",
    "digital_channel_share",
    "resolved_within_service_level_pct",
    "major_decided_in_time_pct",
}


@pytest.fixture(scope="module")
def warehouse():
    """(catalogue, city_metrics rows by key, periodic partitions loaded, unit test results) of
    the fixture warehouse built once per test run (tests/published_fixture.py: these days)."""
    paths = published_warehouse()
    catalogue = load_catalogue()
    results = build_results(paths)
    unit_tests = {
        r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    with duckdb.connect(str(paths.published), read_only=True) as con:
        metrics = {
            (m, a, p.isoformat()): v
            for m, a, p, v in con.execute(
                "select metric_id, area_code, period_start, value from analytics.city_metrics "
                "where period_type in ('month', 'quarter')"
            ).fetchall()
        }
        loaded = {
            (d, a, p)
            for d, a, p in con.execute(
                "select dataset, borough_code, data_day from raw.feed_partitions"
            ).fetchall()
        }
    return catalogue, metrics, loaded, unit_tests


def test_the_dbt_unit_tests_run_here_once_and_pass(warehouse):
    """The nightly build leaves dbt's unit tests out (they test SQL, not a night's data): this
    build is where `make test` runs every one of them."""
    unit_tests = warehouse[3]
    assert len(unit_tests) >= 20
    assert {status for status in unit_tests.values()} == {"pass"}, unit_tests


def _same(got, want) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def test_daily_metrics_equal_the_truth(warehouse):
    """March 2024, every borough and the region: planning and service-level metrics included."""
    catalogue, metrics, _, _ = warehouse
    expected = expected_metrics(catalogue, [START + timedelta(days=n) for n in range(DAYS)])
    got = {
        (m, a): v
        for (m, a, p), v in metrics.items()
        if p == START.isoformat() and m in DAILY_METRICS
    }
    assert set(got) == set(expected)
    wrong = {k: (got[k], v) for k, v in expected.items() if not _same(got[k], v)}
    assert not wrong


def test_periodic_metrics_equal_the_truth(warehouse):
    """Every monthly and quarterly metric row, boroughs and region, from the partitions loaded."""
    catalogue, metrics, loaded, _ = warehouse
    expected = expected_period_metrics(catalogue, loaded)
    got = {k: v for k, v in metrics.items() if k[0] not in DAILY_METRICS | {"data_scorecard"}}
    assert set(got) == set(expected)
    wrong = {k: (got[k], v) for k, v in expected.items() if not _same(got[k], v)}
    assert not wrong, list(wrong.items())[:5]
    region = catalogue.region.code
    # the year-on-year changes exist from 2024 (a year after the first periods) and not before
    assert expected[("journeys_change_yoy", region, "2024-01-01")] is not None
    assert expected[("journeys_change_yoy", region, "2023-12-01")] is None
    # Newham withholds household waste: the region's recycling rate is from 32 of 33 boroughs
    assert ("household_waste", "E09000025", date(2024, 1, 1)) not in loaded
    assert ("recycling_rate", "E09000025", "2024-01-01") not in expected


def test_truth_is_not_the_warehouse(warehouse):
    """The comparison can fail: a changed loaded set changes the expected region values."""
    catalogue, metrics, loaded, _ = warehouse
    fewer = {p for p in loaded if not (p[0] == "house_prices" and p[1] == "E09000001")}
    expected = expected_period_metrics(catalogue, fewer)
    key = ("average_house_price", catalogue.region.code, "2024-03-01")
    assert not _same(metrics[key], expected[key])
