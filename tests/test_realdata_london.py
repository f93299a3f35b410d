"""Real London data, as published, through the sandbox and the pipeline to dbt staging.

Four London Datastore files (tests/fixtures/realdata/PROVENANCE.md) are served by the sandbox
as region-wide downloads; each dataset is landed for a night whose due periods hold the
figures ../SOURCES.md quotes, then `dbt build` runs the staging models. The warehouse must
reproduce every published London figure, or show the difference the data itself has
(B3's years where London exceeds the borough sum; P1E's rounding to 10).
"""

from __future__ import annotations

import os
import subprocess
from datetime import date

import duckdb
import night_steps
import pytest

from ingest.catalogue import load_catalogue
from ingest.paths import DataPaths
from pipeline.dbt_runner import DBT_PROJECT_DIR, dbt_command

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

NIGHTS = {  # data day -> datasets whose due periods (config/datasets.yml publication) hold the figures
    date(2018, 7, 1): ["homelessness"],  # 2013-14 .. 2017-18
    date(2020, 1, 31): ["house_sales"],  # 2018-11 .. 2019-11
    date(2024, 12, 1): [
        "affordable_housing_supply",
        "tfl_journeys",
    ],  # 2012-13 .. 2023-24; 13 TfL periods
}
# The scorecard counts what is owed over the days the pipeline ran (days with daily feeds):
# one borough's daily feed on the last night makes it a run day.
RUN_DAY = (date(2024, 12, 1), ["barnet"], ["road_casualties"])


@pytest.fixture(scope="module")
def warehouse(sandbox, tmp_path_factory):
    """One warehouse with the four datasets landed and the staging models built; a connection to it."""
    saved = os.environ.get("CITY_DATA_DIR")
    paths = DataPaths(tmp_path_factory.mktemp("realdata") / "data")
    os.environ["CITY_DATA_DIR"] = str(paths.root)
    try:
        summaries = {
            day: night_steps.land(day, datasets=datasets) for day, datasets in NIGHTS.items()
        }
        night_steps.land(*RUN_DAY)
        command, env = dbt_command(
            load_catalogue(),
            paths,
            "build",
            "--select",
            "+path:models/staging/london_datastore",
            "+int_data_scorecard__borough_month",
            "+int_feed_coverage__by_month",
            "--indirect-selection",
            "cautious",
            "--exclude",
            "test_type:unit",
        )
        built = subprocess.run(
            command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True
        )
        assert built.returncode == 0, built.stdout[-3000:]
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            yield con, summaries
    finally:
        if saved is None:
            os.environ.pop("CITY_DATA_DIR", None)
        else:
            os.environ["CITY_DATA_DIR"] = saved


def _sums(con, model: str, value: str, period: str) -> tuple[int, int]:
    """(sum over the 33 borough rows, the published London row) for one period."""
    return con.execute(
        f"""
        select sum({value}) filter (where area_level = 'borough'),
               sum({value}) filter (where area_level = 'region')
        from staging.{model} where period_start = ?""",
        [period],
    ).fetchone()


def test_every_night_loaded_all_it_landed_from_one_download_each(warehouse):
    con, summaries = warehouse
    for day, summary in summaries.items():
        assert summary["fetch_failed"] == [], day
        assert summary["landed_rows"] == summary["loaded_rows"] + summary["quarantined_rows"]
    assert len(summaries[date(2020, 1, 31)]["quarantined"]) == 0
    assert len(summaries[date(2024, 12, 1)]["quarantined"]) == 0


def test_affordable_housing_london_total_and_borough_sum_as_published(warehouse):
    """B3: the London total equals the borough sum in most years; in the years SOURCES.md lists,
    London exceeds it (units not attributed to a borough), and the warehouse shows exactly that."""
    con, _ = warehouse
    model = "stg_london_datastore__affordable_housing_supply"
    assert _sums(con, model, "affordable_homes", "2020-04-01") == (10714, 10863)
    assert _sums(con, model, "affordable_homes", "2021-04-01") == (11816, 11889)
    assert _sums(con, model, "affordable_homes", "2023-04-01") == (12561, 12611)
    differing = {
        row[0]
        for row in con.execute(f"""
        select financial_year from staging.{model} group by financial_year
        having sum(affordable_homes) filter (where area_level = 'borough')
            <> sum(affordable_homes) filter (where area_level = 'region')""").fetchall()
    }
    assert differing == {"2013-14", "2014-15", "2019-20", "2020-21", "2021-22", "2023-24"}
    over = con.execute(f"""
        select bool_and(london > boroughs) from (
            select sum(affordable_homes) filter (where area_level = 'region') as london,
                   sum(affordable_homes) filter (where area_level = 'borough') as boroughs
            from staging.{model} group by financial_year) where london <> boroughs""").fetchone()[0]
    assert over is True
    years = con.execute(f"select count(distinct financial_year) from staging.{model}").fetchone()[0]
    assert years == 12


def test_house_sales_london_and_borough_sum_as_published(warehouse):
    """B2: 2019-01 London 6,031 against a borough sum of 6,008; 2019-07 8,081 for both; Inner plus
    Outer London always equal the borough sum."""
    con, _ = warehouse
    model = "stg_london_datastore__house_sales"
    assert _sums(con, model, "sales", "2019-01-01") == (6008, 6031)
    assert _sums(con, model, "sales", "2019-07-01") == (8081, 8081)
    mismatched = con.execute(f"""
        select count(*) from (
            select period_start,
                   sum(sales) filter (where area_level = 'borough') as boroughs,
                   sum(sales) filter (where area_level = 'part_of_region') as inner_outer
            from staging.{model} group by period_start) where boroughs <> inner_outer""").fetchone()[
        0
    ]
    assert mismatched == 0
    months = con.execute(f"select count(distinct period_start) from staging.{model}").fetchone()[0]
    assert months == 13


def test_homelessness_figures_and_the_2017_18_source_error(warehouse):
    """B6: 2016-17 TA 54,283 summed against London's rounded 54,280, accepted 18,063 against
    18,060; 2014-15 TA 48,238 against 48,240, accepted 17,530 both. In 2017-18 Barking and
    Dagenham's row holds London's totals: that partition was quarantined, so the year's borough
    sum leaves it out instead of doubling London (106,843 against 54,540)."""
    con, summaries = warehouse
    model = "stg_london_datastore__homelessness"
    assert _sums(con, model, "households_in_ta", "2016-04-01") == (54283, 54280)
    assert _sums(con, model, "accepted", "2016-04-01") == (18063, 18060)
    assert _sums(con, model, "households_in_ta", "2014-04-01") == (48238, 48240)
    assert _sums(con, model, "accepted", "2014-04-01") == (17530, 17530)
    boroughs, london = _sums(con, model, "households_in_ta", "2017-04-01")
    assert london == 54540 and boroughs == 106843 - 54540
    [reason] = summaries[date(2018, 7, 1)]["quarantined"]
    assert reason.startswith("homelessness from Barking and Dagenham (2017-04-01)")
    suppressed = con.execute(f"""select count(*) filter (where households_in_bed_and_breakfast_suppressed),
                                        count(*) filter (where households_in_bed_and_breakfast is null)
                                 from staging.{model} where period_start = '2016-04-01'""").fetchone()
    assert suppressed == (
        10,
        10,
    )  # '--' (under 5): null and flagged suppressed, never zero or an error


def test_tfl_journeys_are_london_wide_only(warehouse):
    """B8: every row is London's (no borough partition); a period's modes add up as published."""
    con, _ = warehouse
    model = "stg_london_datastore__tfl_journeys"
    assert con.execute(
        f"select distinct area_level, area_code from staging.{model}"
    ).fetchall() == [("region", "E12000007")]
    first = dict(
        con.execute(
            f"select transport_mode, journeys_millions from staging.{model} "
            "where period_start = '2024-04-01'"
        ).fetchall()
    )
    assert {k: float(v) for k, v in first.items()} == {
        "Bus": 137.4,
        "Underground": 89.4,
        "DLR": 7.2,
        "Tram": 0.7,
        "Overground": 13.5,
        "Cable car": 0.1,
        "TfL Rail": 16.4,
    }
    ends = con.execute(f"select min(period_start), max(period_end) from staging.{model}").fetchone()
    # 2023-24 P4 .. 2024-25 P3: the file's latest 13 periods (the calendar owes later ones
    # too, which the file does not hold yet)
    assert ends == (date(2023, 6, 25), date(2024, 6, 22))


def test_scorecard_counts_each_borough_share_of_a_region_wide_file(warehouse):
    """A region-wide file split by borough is owed by every borough, period by period; the
    region's own partition is no borough's delivery, and a city-wide series is owed by none."""
    con, _ = warehouse
    catalogue = load_catalogue()
    history = catalogue.datasets["affordable_housing_supply"].publication.history_periods
    boroughs = len(catalogue.region.areas)
    delivered = set(
        con.execute(
            """select area_code, period_start from staging.stg_london_datastore__affordable_housing_supply
            where area_level = 'borough' group by all"""
        ).fetchall()
    )
    scored = con.execute(
        """select area_code, data_day, is_delivered, is_on_time
        from intermediate.int_feed_days__scored where dataset = 'affordable_housing_supply'"""
    ).fetchall()
    assert len(scored) == boroughs * history  # every borough owes 2012-13 .. 2023-24
    assert {(a, d) for a, d, *_ in scored} >= delivered
    assert {(a, d) for a, d, is_delivered, _ in scored if is_delivered} == delivered
    assert all(on_time for _, _, is_delivered, on_time in scored if is_delivered)
    assert catalogue.region.code not in {a for a, *_ in scored}
    assert con.execute(
        "select count(*) from intermediate.int_feed_days__scored where dataset = 'tfl_journeys'"
    ).fetchone() == (0,)
    # coverage: one row per borough and financial year, April to March, and the region's
    region = con.execute(
        """select period_type, period_start, period_end, boroughs_covered, boroughs_expected
        from intermediate.int_feed_coverage__by_month
        where dataset = 'affordable_housing_supply' and area_type = 'region'
        and period_start = '2023-04-01'"""
    ).fetchone()
    covered = len({a for a, d in delivered if d == date(2023, 4, 1)})
    assert region == ("financial_year", date(2023, 4, 1), date(2024, 3, 31), covered, boroughs)
