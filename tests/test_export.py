"""Open-data exports: small counts suppressed per borough, and never recoverable by subtraction."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT, DataPaths
from pipeline.export import export_open_data
from pipeline.suppression import PRIMARY, SECONDARY, suppress_group


def _cells(**counts):
    cells = [{"area_type": "borough", "area_code": code, "count": n} for code, n in counts.items()]
    total = sum(n for n in counts.values() if n is not None)
    return cells + [{"area_type": "region", "area_code": "R", "count": total}]


def test_counts_below_the_threshold_are_suppressed_but_zero_is_not():
    """1..threshold-1 is a small count; 0 and counts at the threshold are published."""
    reasons = suppress_group(_cells(A=0, B=3, C=10, D=9, E=50), threshold=10)
    assert reasons == {1: PRIMARY, 3: PRIMARY}


def test_a_lone_suppressed_borough_takes_the_next_smallest_with_it():
    """Region minus the others would reveal it: the smallest other borough is suppressed too."""
    reasons = suppress_group(_cells(A=3, B=40, C=12, D=12), threshold=10)
    assert reasons == {0: PRIMARY, 2: SECONDARY}


def test_with_no_other_borough_to_hide_it_the_region_total_is_suppressed():
    """No other borough has a count to hide a lone small cell with: the region total goes."""
    cells = [
        {"area_type": "borough", "area_code": "A", "count": 4},
        {"area_type": "borough", "area_code": "B", "count": None},
        {"area_type": "region", "area_code": "R", "count": 46},
    ]
    assert suppress_group(cells, threshold=10) == {0: PRIMARY, 2: SECONDARY}
    assert suppress_group(_cells(A=4), threshold=10) == {0: PRIMARY, 1: PRIMARY}


def test_no_secondary_suppression_for_medians():
    """A region median cannot be taken apart: only the small cell itself is hidden."""
    assert suppress_group(_cells(A=3, B=40), threshold=10, additive=False) == {0: PRIMARY}


@pytest.mark.parametrize(
    "counts", [(1, 50, 60), (1, 2, 60), (5, 5, 5, 100), (0, 9, 0, 11), (3,), (12, 1)]
)
def test_no_suppressed_borough_can_be_recovered_from_the_region_total(counts):
    """Whenever the region total is published, zero or at least two boroughs are hidden."""
    cells = _cells(**{f"A{i}": n for i, n in enumerate(counts)})
    reasons = suppress_group(cells, threshold=10)
    region_published = len(cells) - 1 not in reasons
    hidden = [i for i in reasons if cells[i]["area_type"] == "borough"]
    assert not region_published or len(hidden) != 1
    assert all(
        cells[i]["count"] in (0, None) or cells[i]["count"] >= 10
        for i in range(len(cells))
        if i not in reasons
    )


def test_the_threshold_is_validated_on_load(tmp_path):
    """open_data.min_cell_count below 1 stops the catalogue load, naming the key."""
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    data = yaml.safe_load((config / "pipeline.yml").read_text())
    data["open_data"]["min_cell_count"] = 0
    (config / "pipeline.yml").write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogueError, match="open_data.min_cell_count"):
        load_catalogue(config)


def _published(paths: DataPaths) -> None:
    """A published warehouse with just the two open-data marts the export reads."""
    paths.published.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.published)) as con:
        con.execute("create schema analytics")
        con.execute("""create table analytics.open_data_city_metrics as select metric_id,
            metric_id || ' name' as metric_name, 'd' as domain, area_code, area_name, area_type, period_type,
            period_start::date as period_start, period_end::date as period_end, days_covered::bigint as days_covered,
            value::double as value, numerator::double as numerator, denominator::double as denominator,
            'u' as unit, 'lower_is_better' as direction, null::double as target,
            covered::bigint as boroughs_covered, 3::bigint as boroughs_expected,
            false as is_complete, days_covered > 30 as is_period_complete,
            case when area_type = 'region' and covered < 3 then 'Three' end as missing_boroughs,
            case when area_type = 'region' then 'computed from ' || covered || ' of 3 boroughs' end as coverage,
            metric_id || ' definition' as definition, dataset, aggregation, true as has_better_direction,
            cell_count is not null as counts_people, aggregation <> 'median' as is_additive,
            cell_count::double as cell_count, null::date as first_data_day, null::date as last_data_day
            from (values
              ('ksi_per_100k', 'road_casualties', 'ratio', 'A1', 'One', 'borough', 'month', '2026-11-01', '2026-11-30', 2, 2.0, 2.0, 100000.0, 1, 2),
              ('ksi_per_100k', 'road_casualties', 'ratio', 'A2', 'Two', 'borough', 'month', '2026-11-01', '2026-11-30', 2, 30.0, 30.0, 100000.0, 1, 30),
              ('ksi_per_100k', 'road_casualties', 'ratio', 'A3', 'Three', 'borough', 'month', '2026-11-01', '2026-11-30', 2, 45.0, 45.0, 100000.0, 1, 45),
              ('ksi_per_100k', 'road_casualties', 'ratio', 'R1', 'Region', 'region', 'month', '2026-11-01', '2026-11-30', 2, 25.666, 77.0, 300000.0, 3, 77),
              ('median_days_to_resolve', 'service_requests', 'median', 'A1', 'One', 'borough', 'month', '2026-11-01', '2026-11-30', 2, 4.0, null, null, 1, 3),
              ('median_days_to_resolve', 'service_requests', 'median', 'R1', 'Region', 'region', 'month', '2026-11-01', '2026-11-30', 2, 5.0, null, null, 2, 30),
              ('data_scorecard', null, 'ratio', 'A1', 'One', 'borough', 'month', '2026-11-01', '2026-11-30', 2, 50.0, 3.0, 6.0, 1, null),
              ('data_scorecard', null, 'ratio', 'R1', 'Region', 'region', 'month', '2026-11-01', '2026-11-30', 2, 50.0, 3.0, 6.0, 3, null),
              ('ta_per_1000_households', 'temporary_accommodation', 'ratio', 'A1', 'One', 'borough', 'quarter', '2026-07-01', '2026-09-30', 92, 0.5, 4.0, 8000.0, 1, 4),
              ('ta_per_1000_households', 'temporary_accommodation', 'ratio', 'A2', 'Two', 'borough', 'quarter', '2026-07-01', '2026-09-30', 92, 20.0, 400.0, 20000.0, 1, 400),
              ('ta_per_1000_households', 'temporary_accommodation', 'ratio', 'A3', 'Three', 'borough', 'quarter', '2026-07-01', '2026-09-30', 92, 25.0, 500.0, 20000.0, 1, 500),
              ('ta_per_1000_households', 'temporary_accommodation', 'ratio', 'R1', 'Region', 'region', 'quarter', '2026-07-01', '2026-09-30', 92, 18.875, 904.0, 48000.0, 3, 904),
              ('recycling_rate', 'household_waste', 'ratio', 'A1', 'One', 'borough', 'quarter', '2026-07-01', '2026-09-30', 92, 50.0, 5.5, 11.0, 1, null),
              ('recycling_rate', 'household_waste', 'ratio', 'R1', 'Region', 'region', 'quarter', '2026-07-01', '2026-09-30', 92, 50.0, 5.5, 11.0, 1, null)
            ) t(metric_id, dataset, aggregation, area_code, area_name, area_type, period_type, period_start,
                period_end, days_covered, value, numerator, denominator, covered, cell_count)""")
        con.execute("""create table analytics.open_data_record_counts as select dataset, area_code, area_name,
            area_type, 'R1' as region_code, period_start::date as period_start, records::bigint as records
            from (values
              ('road_casualties', 'A1', 'One', 'borough', '2026-11-01', 1),
              ('road_casualties', 'A2', 'Two', 'borough', '2026-11-01', 1),
              ('road_casualties', 'R1', 'Region', 'region', '2026-11-01', 2),
              ('service_requests', 'A1', 'One', 'borough', '2026-11-01', 3),
              ('service_requests', 'R1', 'Region', 'region', '2026-11-01', 3)
            ) t(dataset, area_code, area_name, area_type, period_start, records)""")


def _read(path: Path, period_type: str = "month") -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            (r.get("metric_id", ""), r["area_code"]): r
            for r in csv.DictReader(handle)
            if r.get("period_type", period_type) == period_type
        }


def test_the_export_blanks_small_cells_flags_them_and_says_the_coverage(tmp_path):
    """city_metrics.csv: A1's 2 KSI hidden with A2 (next smallest); medians judged on their records."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    catalogue = load_catalogue()
    summary = export_open_data(catalogue, paths)
    assert summary["min_cell_count"] == catalogue.settings.open_data.min_cell_count == 10
    rows = _read(paths.published.parent / "open_data" / "city_metrics.csv")
    a1, a2, a3, region = (rows[("ksi_per_100k", c)] for c in ("A1", "A2", "A3", "R1"))
    assert (a1["value"], a1["numerator"], a1["suppressed"], a1["suppression_reason"]) == (
        "",
        "",
        "True",
        PRIMARY,
    )
    assert (a2["value"], a2["suppressed"], a2["suppression_reason"]) == ("", "True", SECONDARY)
    assert (a3["numerator"], a3["suppressed"]) == ("45.0", "False")
    assert region["numerator"] == "77.0" and region["coverage"] == "computed from 3 of 3 boroughs"
    median = rows[("median_days_to_resolve", "A1")]
    assert (median["value"], median["suppressed"]) == ("", "True")  # 3 requests behind it
    assert rows[("data_scorecard", "A1")]["value"] == "50.0"  # counts no people: feed-days


def test_the_borough_month_counts_are_suppressed_the_same_way(tmp_path):
    """road_casualties_borough_month.csv: 1 and 1 records hidden; region 2 hidden with them."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    export_open_data(replace(load_catalogue()), paths)
    rows = _read(paths.published.parent / "open_data" / "road_casualties_borough_month.csv")
    assert {code: (r["records"], r["suppressed"]) for (_, code), r in rows.items()} == {
        "A1": ("", "True"),
        "A2": ("", "True"),
        "R1": ("", "True"),
    }
    assert (paths.published.parent / "open_data" / "housing_completions_borough_month.csv").exists()


def test_quarterly_metrics_are_exported_and_only_counts_of_people_suppressed(tmp_path):
    """TA households (people) are suppressed like casualties; recycling tonnes are exempt."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    export_open_data(load_catalogue(), paths)
    directory = paths.published.parent / "open_data"
    rows = _read(directory / "city_metrics.csv", period_type="quarter")
    a1, a2, a3, region = (rows[("ta_per_1000_households", c)] for c in ("A1", "A2", "A3", "R1"))
    assert (a1["value"], a1["suppressed"], a1["suppression_reason"]) == (
        "",
        "True",
        PRIMARY,
    )  # 4 households
    assert (a2["value"], a2["suppressed"], a2["suppression_reason"]) == ("", "True", SECONDARY)
    assert (a3["numerator"], region["numerator"], region["period_start"]) == (
        "500.0",
        "904.0",
        "2026-07-01",
    )
    assert (
        rows[("recycling_rate", "A1")]["numerator"] == "5.5"
    )  # 5.5 tonnes: exempt, not a small count
    assert (directory / "planning_applications_borough_month.csv").exists()
    assert not (
        directory / "temporary_accommodation_borough_month.csv"
    ).exists()  # rows are types, not events


def test_each_metric_has_csv_parquet_and_metadata(tmp_path):
    """metrics/<id>.csv and .parquet hold the same suppressed rows; the JSON says what they are."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    summary = export_open_data(load_catalogue(), paths)
    directory = paths.published.parent / "open_data"
    csv_rows = _read(directory / "metrics" / "ksi_per_100k.csv")
    with duckdb.connect() as con:
        parquet = con.execute(
            "select area_code, value, suppressed, period_start from read_parquet(?) order by all",
            [str(directory / "metrics" / "ksi_per_100k.parquet")],
        ).fetchall()
    assert [(code, value, hidden) for code, value, hidden, _ in parquet] == [
        ("A1", None, True),
        ("A2", None, True),
        ("A3", 45.0, False),
        ("R1", 25.666, False),
    ]
    assert str(parquet[0][3]) == "2026-11-01" and not isinstance(
        parquet[0][3], str
    )  # typed, not text
    assert {code for _, code in csv_rows} == {"A1", "A2", "A3", "R1"}
    metadata = json.loads((directory / "metrics" / "ksi_per_100k.json").read_text())
    assert metadata["definition"] == "ksi_per_100k definition" and metadata["unit"] == "u"
    assert metadata["licence"] == load_catalogue().datasets["road_casualties"].licence
    assert metadata["source_boroughs"] == ["One", "Three", "Two"]
    assert metadata["freshness"]["latest_period_end"] == "2026-11-30"
    assert metadata["freshness"]["is_period_complete"] is False
    assert metadata["small_cell_suppression"] == {
        "min_cell_count": 10,
        "counts_people": True,
        "cells_suppressed": 2,
    }
    scorecard = json.loads((directory / "metrics" / "data_scorecard.json").read_text())
    assert (
        scorecard["small_cell_suppression"]["counts_people"] is False
        and scorecard["dataset"] is None
    )
    assert summary["files"]["metrics/ksi_per_100k.csv"]["parquet"] == "metrics/ksi_per_100k.parquet"
    assert (directory / "city_metrics.parquet").exists() and (
        directory / "road_casualties_borough_month.json"
    ).exists()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The export of the dbt-built fixture warehouse (the build test_headline.py shares)."""
    from test_headline import built_warehouse

    paths = DataPaths(tmp_path_factory.mktemp("export") / "data")
    paths.published.parent.mkdir(parents=True)
    shutil.copyfile(DataPaths(built_warehouse()).published, paths.published)
    summary = export_open_data(load_catalogue(), paths)
    return paths, summary


def test_the_marts_decide_what_is_counted_and_the_export_hides_small_people_counts(exported):
    """On the built marts: a cell of a people-counting metric below 10 is hidden; others never are."""
    paths, summary = exported
    with duckdb.connect(str(paths.published), read_only=True) as con:
        cells = {
            (m, a, pt, str(p)): (c, people)
            for m, a, pt, p, c, people in con.execute(
                "select metric_id, area_code, period_type, period_start, cell_count, counts_people "
                "from analytics.open_data_city_metrics"
            ).fetchall()
        }
        metrics = [
            m
            for (m,) in con.execute(
                "select distinct metric_id from analytics.open_data_city_metrics"
            ).fetchall()
        ]
    with (paths.published.parent / "open_data" / "city_metrics.csv").open(
        newline="", encoding="utf-8"
    ) as handle:
        exported_rows = list(csv.DictReader(handle))
    assert len(exported_rows) == len(cells)
    for row in exported_rows:
        count, people = cells[
            (row["metric_id"], row["area_code"], row["period_type"], row["period_start"])
        ]
        if not people:
            assert row["suppressed"] == "False", row
        elif count is not None and 0 < count < 10:
            assert (row["suppressed"], row["value"]) == ("True", ""), row
    assert any(row["suppressed"] == "True" for row in exported_rows)  # the fixture has small counts
    for metric in metrics:
        assert {f"metrics/{metric}.csv", f"metrics/{metric}.parquet"} <= set(
            summary["files"][f"metrics/{metric}.csv"].values()
        )


def test_record_counts_come_from_the_fact_tables_with_the_region_total(exported):
    """open_data_record_counts: each borough's casualties per month, the region their sum."""
    paths, _ = exported
    with duckdb.connect(str(paths.published), read_only=True) as con:
        got = dict(
            con.execute(
                "select area_code || '/' || period_start, records from analytics.open_data_record_counts "
                "where dataset = 'road_casualties'"
            ).fetchall()
        )
        want = dict(
            con.execute(
                "select area_code || '/' || period_start, count(*) from analytics.fct_road_casualties "
                "group by all"
            ).fetchall()
        )
        region = con.execute(
            "select area_code from analytics.dim_areas where area_type = 'region'"
        ).fetchone()[0]
        periodic = con.execute(
            "select count(*) from analytics.open_data_record_counts "
            "where dataset in ('house_prices', 'temporary_accommodation')"
        ).fetchone()[0]
    boroughs = {k: v for k, v in got.items() if not k.startswith(region)}
    assert boroughs == want
    for key in {k.split("/")[1] for k in want}:
        assert got[f"{region}/{key}"] == sum(v for k, v in want.items() if k.endswith(key))
    assert periodic == 0  # a monthly or quarterly dataset's rows are categories, not events
