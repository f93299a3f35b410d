"""The headline says only what the data supports (issue #12), read from analytics.headline_metrics.

One fixture warehouse (dbt_project/scripts/make_fixture_warehouse.py: 1-2 March 2024 for
the daily datasets, a few boroughs each, Hackney never delivering road casualties), built
once per test session with `dbt build` (about 40 s) and shared with tests/test_export.py.
The build runs the mart's unit tests too (headline_metrics preferring a complete month to a
later partial one, _marts.yml); these tests read the built mart and the printed headline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from shared_build import built_once

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command
from pipeline.headline import headline_lines, headline_rows


def built_warehouse() -> Path:
    """The hand-made fixture warehouse after `dbt build`, published (copied); built once per
    test run and shared with test_export.py (tests/shared_build.py)."""
    return built_once("marts-fixture", _build) / "data"


def _build(folder: Path) -> None:
    paths = DataPaths(folder / "data")
    paths.warehouse.parent.mkdir(parents=True)
    script = DBT_PROJECT_DIR / "scripts" / "make_fixture_warehouse.py"
    subprocess.run(
        [sys.executable, str(script), str(paths.warehouse)], check=True, capture_output=True
    )
    command, env = dbt_command(load_catalogue(), paths, "build", "--exclude", "test_type:unit")
    built = subprocess.run(command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:]
    paths.published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.warehouse, paths.published)


@pytest.fixture(scope="module")
def headline():
    """{metric_id: headline row} and {metric_id: its printed lines}."""
    rows = headline_rows(DataPaths(built_warehouse()))
    lines = headline_lines(rows)
    printed = {
        row["metric_id"]: "\n".join(lines[2 + 3 * i : 5 + 3 * i]) for i, row in enumerate(rows)
    }
    return {row["metric_id"]: row for row in rows}, printed


@pytest.mark.parametrize("metric_id", ["daily_journeys", "average_house_price"])
def test_volumes_and_prices_are_highest_and_lowest_never_best_and_worst(headline, metric_id):
    """Journeys follow a borough's size and no price is 'better': no best or worst is named."""
    rows, printed = headline
    row = rows[metric_id]
    assert (
        row["ranking"] == "highest_lowest"
        and row["best_area"] is None
        and row["worst_area"] is None
    )
    assert row["highest_value"] > row["lowest_value"]
    assert "highest: " in printed[metric_id] and "best" not in printed[metric_id]
    assert "worst" not in printed[metric_id]


def test_daily_journeys_highest_is_the_biggest_borough(headline):
    """Tower Hamlets' journeys a day top City of London's (the fixture's two boroughs)."""
    rows, printed = headline
    assert (rows["daily_journeys"]["highest_area"], rows["daily_journeys"]["lowest_area"]) == (
        "Tower Hamlets",
        "City of London",
    )


def test_a_metric_with_a_direction_names_best_and_worst_by_it(headline):
    """Temporary accommodation (lower is better): best is the lowest rate, worst the highest."""
    rows, printed = headline
    row = rows["ta_per_1000_households"]
    assert row["ranking"] == "best_worst"
    assert (row["best_area"], row["worst_area"]) == ("Kensington and Chelsea", "Hackney")
    assert (row["best_area"], row["worst_area"]) == (row["lowest_area"], row["highest_area"])
    assert "best: Kensington and Chelsea" in printed["ta_per_1000_households"]


def test_net_homes_too_few_to_rank_leave_that_borough_out(headline):
    """Net completions: a borough with fewer than 10 net homes is not named best or worst."""
    rows, printed = headline
    row = rows["net_completions_vs_target"]
    assert (row["boroughs_ranked"], row["boroughs_too_small_to_rank"]) == (2, 1)
    assert "Brent" not in printed["net_completions_vs_target"].splitlines()[-1]
    assert "1 borough with fewer than 10 events not ranked" in printed["net_completions_vs_target"]


def test_counts_too_small_to_rank_say_so_instead_of_naming_a_worst_borough(headline):
    """KSI over a few days rests on 0-3 casualties a borough: no borough is called worst."""
    rows, printed = headline
    row = rows["ksi_per_100k"]
    assert row["ranking"] == "not_ranked" and row["worst_area"] is None
    assert (
        row["boroughs_too_small_to_rank"] == row["boroughs_covered"] and row["boroughs_ranked"] == 0
    )
    assert "too small to rank" in printed["ksi_per_100k"] and "worst" not in printed["ksi_per_100k"]


def test_a_partial_month_is_labelled_with_the_days_it_covers(headline):
    """Service requests: 2 of March's 31 days loaded."""
    rows, printed = headline
    row = rows["service_requests_per_1000"]
    assert not row["is_period_complete"]
    assert row["period_label"] == "1–2 Mar 2024, 2 of 31 days"
    assert "1–2 Mar 2024, 2 of 31 days" in printed["service_requests_per_1000"]


def test_the_rolling_window_is_preferred_where_the_metric_has_one(headline):
    """KSI shows its rolling 12 months (with the days it covers), not March to date."""
    row = headline[0]["ksi_per_100k"]
    assert row["period_type"] == "rolling_12m"
    assert row["period_label"].startswith("12 months to March 2024, ") and row[
        "period_label"
    ].endswith(" of 366 days")


def test_a_monthly_dataset_period_is_complete_and_labelled_by_its_month(headline):
    """A monthly dataset delivers whole months: 'March 2024', no days."""
    row = headline[0]["daily_journeys"]
    assert row["is_period_complete"] and row["period_label"] == "March 2024"


def test_missing_boroughs_are_named(headline):
    """Hackney never delivers road casualties: the KSI headline names it."""
    rows, printed = headline
    row = rows["ksi_per_100k"]
    assert "Hackney" in row["missing_boroughs"].split(", ")
    assert (
        len(row["missing_boroughs"].split(", "))
        == row["boroughs_expected"] - row["boroughs_covered"]
    )
    assert "missing: " in printed["ksi_per_100k"] and "Hackney" in printed["ksi_per_100k"]


def test_city_metrics_says_whether_a_period_is_complete_and_who_is_missing():
    """The two columns come after the recorded ones; region rows name the missing boroughs."""
    with duckdb.connect(str(DataPaths(built_warehouse()).published), read_only=True) as con:
        columns = [
            c[0] for c in con.execute("select * from analytics.city_metrics limit 0").description
        ]
        region, borough = con.execute(
            "select max(missing_boroughs) filter (where area_type = 'region'), "
            "count(missing_boroughs) filter (where area_type = 'borough') from analytics.city_metrics "
            "where metric_id = 'ksi_per_100k' and period_type = 'month' and period_start = date '2024-03-01'"
        ).fetchone()
        complete = con.execute(
            "select bool_or(is_period_complete) from analytics.city_metrics "
            "where metric_id = 'service_requests_per_1000'"
        ).fetchone()[0]
    assert columns[-2:] == ["is_period_complete", "missing_boroughs"]
    assert "Hackney" in region.split(", ") and borough == 0
    assert complete is False
