"""Open-data exports: small counts suppressed per borough, and never recoverable by subtraction."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from pipeline.export import export_open_data
from ingest.paths import REPO_ROOT, DataPaths
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
    cells = [{"area_type": "borough", "area_code": "A", "count": 4},
             {"area_type": "borough", "area_code": "B", "count": None},
             {"area_type": "region", "area_code": "R", "count": 46}]
    assert suppress_group(cells, threshold=10) == {0: PRIMARY, 2: SECONDARY}
    assert suppress_group(_cells(A=4), threshold=10) == {0: PRIMARY, 1: PRIMARY}


def test_no_secondary_suppression_for_medians():
    """A region median cannot be taken apart: only the small cell itself is hidden."""
    assert suppress_group(_cells(A=3, B=40), threshold=10, additive=False) == {0: PRIMARY}


@pytest.mark.parametrize("counts", [(1, 50, 60), (1, 2, 60), (5, 5, 5, 100), (0, 9, 0, 11), (3,), (12, 1)])
def test_no_suppressed_borough_can_be_recovered_from_the_region_total(counts):
    """Whenever the region total is published, zero or at least two boroughs are hidden."""
    cells = _cells(**{f"A{i}": n for i, n in enumerate(counts)})
    reasons = suppress_group(cells, threshold=10)
    region_published = len(cells) - 1 not in reasons
    hidden = [i for i in reasons if cells[i]["area_type"] == "borough"]
    assert not region_published or len(hidden) != 1
    assert all(cells[i]["count"] in (0, None) or cells[i]["count"] >= 10 for i in range(len(cells)) if i not in reasons)


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
    """A published warehouse with just the tables the export reads."""
    paths.published.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.published)) as con:
        con.execute("create schema analytics")
        con.execute("create table analytics.dim_areas as select * from (values "
                    "('A1', 'One', 'borough', 'R1'), ('A2', 'Two', 'borough', 'R1'), ('A3', 'Three', 'borough', 'R1'), "
                    "('R1', 'Region', 'region', 'R1')) t(area_code, area_name, area_type, region_code)")
        con.execute("create table analytics.dim_metrics as select * from (values "
                    "('ksi_per_100k', 'ratio', 'road_casualties'), ('median_days_to_resolve', 'median', "
                    "'service_requests'), ('data_scorecard', 'ratio', null), "
                    "('ta_per_1000_households', 'ratio', 'temporary_accommodation'), "
                    "('recycling_rate', 'ratio', 'household_waste'), "
                    "('daily_journeys', 'per_day', 'public_transport_journeys')) t(metric_id, aggregation, dataset)")
        con.execute("""create table analytics.city_metrics as select metric_id, metric_id as metric_name, 'd' as domain,
            area_code, area_name, area_type, period_type, period_start::date as period_start,
            date '2026-11-30' as period_end, 2 as days_covered, value::double as value, numerator::double as numerator,
            denominator::double as denominator, 'u' as unit,
            'lower_is_better' as direction, null as target, covered as boroughs_covered, 3 as boroughs_expected,
            false as is_complete
            from (values
              ('ksi_per_100k', 'A1', 'One', 'borough', 2.0, 2.0, 100000.0, 1),
              ('ksi_per_100k', 'A2', 'Two', 'borough', 30.0, 30.0, 100000.0, 1),
              ('ksi_per_100k', 'A3', 'Three', 'borough', 45.0, 45.0, 100000.0, 1),
              ('ksi_per_100k', 'R1', 'Region', 'region', 25.666, 77.0, 300000.0, 3),
              ('median_days_to_resolve', 'A1', 'One', 'borough', 4.0, null, null, 1),
              ('median_days_to_resolve', 'R1', 'Region', 'region', 5.0, null, null, 2),
              ('data_scorecard', 'A1', 'One', 'borough', 50.0, 3.0, 6.0, 1),
              ('data_scorecard', 'R1', 'Region', 'region', 50.0, 3.0, 6.0, 3)
            ) t(metric_id, area_code, area_name, area_type, value, numerator, denominator, covered),
            (values ('month', '2026-11-01')) p(period_type, period_start)
            union all by name
            select metric_id, metric_id as metric_name, 'd' as domain, area_code, area_name, area_type,
            'quarter' as period_type, date '2026-07-01' as period_start, date '2026-09-30' as period_end,
            92 as days_covered, value::double as value, numerator::double as numerator,
            denominator::double as denominator, 'u' as unit, 'lower_is_better' as direction, null as target,
            covered as boroughs_covered, 3 as boroughs_expected, true as is_complete
            from (values
              ('ta_per_1000_households', 'A1', 'One', 'borough', 0.5, 4.0, 8000.0, 1),
              ('ta_per_1000_households', 'A2', 'Two', 'borough', 20.0, 400.0, 20000.0, 1),
              ('ta_per_1000_households', 'A3', 'Three', 'borough', 25.0, 500.0, 20000.0, 1),
              ('ta_per_1000_households', 'R1', 'Region', 'region', 18.875, 904.0, 48000.0, 3),
              ('recycling_rate', 'A1', 'One', 'borough', 50.0, 5.5, 11.0, 1),
              ('recycling_rate', 'R1', 'Region', 'region', 50.0, 5.5, 11.0, 1)
            ) t(metric_id, area_code, area_name, area_type, value, numerator, denominator, covered)""")
        con.execute("create table analytics.fct_road_casualties as select * from (values "
                    "('A1', date '2026-11-01'), ('A2', date '2026-11-01')) t(area_code, period_start)")
        con.execute("create table analytics.fct_housing_completions (area_code varchar, period_start date)")
        con.execute("create table analytics.fct_service_requests as select 'A1' as area_code, "
                    "date '2026-11-01' as period_start from range(3)")
        con.execute("create table analytics.fct_planning_applications (area_code varchar, period_start date)")


def _read(path: Path, period_type: str = "month") -> dict[tuple[str, str], dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {(r.get("metric_id", ""), r["area_code"]): r for r in csv.DictReader(handle)
                if r.get("period_type", period_type) == period_type}


def test_the_export_blanks_small_cells_flags_them_and_says_the_coverage(tmp_path):
    """city_metrics.csv: A1's 2 KSI hidden with A2 (next smallest); medians judged on their records."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    catalogue = load_catalogue()
    summary = export_open_data(catalogue, paths)
    assert summary["min_cell_count"] == catalogue.settings.open_data.min_cell_count == 10
    rows = _read(paths.published.parent / "open_data" / "city_metrics.csv")
    a1, a2, a3, region = (rows[("ksi_per_100k", c)] for c in ("A1", "A2", "A3", "R1"))
    assert (a1["value"], a1["numerator"], a1["suppressed"], a1["suppression_reason"]) == ("", "", "True", PRIMARY)
    assert (a2["value"], a2["suppressed"], a2["suppression_reason"]) == ("", "True", SECONDARY)
    assert (a3["numerator"], a3["suppressed"]) == ("45.0", "False")
    assert region["numerator"] == "77.0" and region["coverage"] == "computed from 3 of 3 boroughs"
    median = rows[("median_days_to_resolve", "A1")]
    assert (median["value"], median["suppressed"]) == ("", "True")  # 3 requests behind it
    assert rows[("data_scorecard", "A1")]["value"] == "50.0"  # exempt: feed-days, not people


def test_the_borough_month_counts_are_suppressed_the_same_way(tmp_path):
    """road_casualties_borough_month.csv: 1 and 1 records hidden; region 2 hidden with them."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    export_open_data(replace(load_catalogue()), paths)
    rows = _read(paths.published.parent / "open_data" / "road_casualties_borough_month.csv")
    assert {code: (r["records"], r["suppressed"]) for (_, code), r in rows.items()} == {
        "A1": ("", "True"), "A2": ("", "True"), "R1": ("", "True")}
    assert (paths.published.parent / "open_data" / "housing_completions_borough_month.csv").exists()


def test_quarterly_metrics_are_exported_and_only_counts_of_people_suppressed(tmp_path):
    """TA households (people) are suppressed like casualties; recycling tonnes are exempt."""
    paths = DataPaths(tmp_path / "data")
    _published(paths)
    export_open_data(load_catalogue(), paths)
    directory = paths.published.parent / "open_data"
    rows = _read(directory / "city_metrics.csv", period_type="quarter")
    a1, a2, a3, region = (rows[("ta_per_1000_households", c)] for c in ("A1", "A2", "A3", "R1"))
    assert (a1["value"], a1["suppressed"], a1["suppression_reason"]) == ("", "True", PRIMARY)  # 4 households
    assert (a2["value"], a2["suppressed"], a2["suppression_reason"]) == ("", "True", SECONDARY)
    assert (a3["numerator"], region["numerator"], region["period_start"]) == ("500.0", "904.0", "2026-07-01")
    assert rows[("recycling_rate", "A1")]["numerator"] == "5.5"  # 5.5 tonnes: exempt, not a small count
    assert (directory / "planning_applications_borough_month.csv").exists()
    assert not (directory / "temporary_accommodation_borough_month.csv").exists()  # rows are types, not events
