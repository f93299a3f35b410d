"""A sequence of nights, as an operator would see them, driven by calling the night's steps.

The steps are those the city_nightly DAG's tasks call (tests/night_steps.py); the DAG's own
wiring is proved by tests/test_dag_nights.py. Six boroughs: the three that send bad batches,
Newham (withholds household waste), Redbridge (temporary accommodation months late) and
Camden (Socrata, incremental); every protocol's metrics are checked by test_reference_run.py.
The sandbox is pinned to have published up to 12 November 2026:
  1. a clean night lands every feed of the day and every period owed;
  2. a night where three boroughs send bad batches quarantines exactly those, with reasons,
     loads every other feed, and leaves those boroughs' data as it was;
  3. re-running that night after the boroughs fix their feeds loads them;
  4. re-running it once more changes nothing (idempotent); then dbt builds and publishes:
     city_metrics equal the truth and equal those of the night before (dbt builds after both),
     the scorecard and open-data export say what happened;
  5. a night whose dbt tests fail publishes nothing: the analysts' file is untouched.
Along the way: every landed row is loaded or quarantined, every batch's GE result is in the
warehouse. Three dbt builds in all; everything else reads the pipeline's own warehouse.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from pathlib import Path

import duckdb
import night_steps
import pytest
from metric_truth import expected_metrics, expected_period_metrics
from night_env import metrics, partitions, pinned_night, query, raw_rows, sha256
from sandbox_control import add_fault, clear_faults

from ingest.catalogue import load_catalogue
from ingest.periods import periods_due
from pipeline.dbt_runner import DbtBuildFailed
from sandbox.settings import load_settings

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 11, 12)  # the sandbox's last published day
DAY_1, DAY_2, DAY_3 = date(2026, 11, 9), date(2026, 11, 10), date(2026, 11, 11)
BOROUGHS = ["barnet", "camden", "croydon", "enfield", "newham", "redbridge"]
BAD = {  # borough slug -> (dataset, fault, what the quarantine reason must mention)
    # bad batches from full-snapshot (CKAN) feeds: an incremental (Socrata) feed's first request
    # of the night is its changes query, which times=1 below would hit instead of the data day
    "enfield": (
        "road_casualties",
        {"kind": "wrong_type", "column": "casualty_age", "value": "abc", "rows": 2},
        "casualty_age='abc'",
    ),
    "barnet": (
        "service_requests",
        {"kind": "drop_column", "column": "channel"},
        "missing column(s) ['channel']",
    ),
    "croydon": (
        "service_requests",
        {"kind": "out_of_range", "column": "requested_date", "value": "2026-11-30", "rows": 1},
        "requested_date",
    ),
}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Run the sequence once; each test below checks one promise of it."""
    with pinned_night(tmp_path_factory.mktemp("nights"), AS_OF) as (sandbox, paths):
        catalogue = load_catalogue()
        seen: dict = {"paths": paths, "catalogue": catalogue}
        warehouse = paths.warehouse

        night_steps.land(DAY_1, BOROUGHS)
        seen["partitions_1"] = partitions(warehouse)

        for slug, (dataset, fault, _) in BAD.items():
            # times=1: only the night's first request for the feed (the data day, one page);
            # the re-fetch of day 1 that follows (run.refetch_days) is served clean.
            add_fault(sandbox, borough=slug, dataset=dataset, times=1, **fault)
        night_steps.land(DAY_2, BOROUGHS)
        clear_faults(sandbox)
        seen["partitions_2"] = partitions(warehouse)
        seen["batches_2"] = query(
            warehouse,
            "select dataset, borough_code, status, reason, quarantine_path "
            "from audit.batches where data_day = ?",
            [DAY_2],
        )
        seen["audit_2"] = query(
            warehouse,
            "select batch_id, dataset, borough_code, status, row_count, "
            "landed_path, quarantine_path from audit.batches where data_day = ?",
            [DAY_2],
        )
        seen["loaded_rows_2"] = dict(
            query(
                warehouse,
                " union all ".join(
                    f"select _batch_id, count(*) from raw.{d} where _data_day = ? group by 1"
                    for d in catalogue.datasets
                ),
                [DAY_2] * len(catalogue.datasets),
            )
        )
        seen["landed_dirs_2"] = {
            p.parent for p in paths.landing.glob(f"*/*/{DAY_2}/*/manifest.json")
        }
        seen["validation_2"] = query(
            warehouse,
            "select batch_id, success, result::varchar "
            "from audit.validation_results where data_day = ?",
            [DAY_2],
        )

        summary = night_steps.land(DAY_2, BOROUGHS)
        seen["partitions_3"], seen["raw_3"] = partitions(warehouse), raw_rows(warehouse)
        seen["report_3"] = night_steps.publish(
            DAY_2, summary
        )  # raises RunFailed if the night were red
        seen["metrics_3"] = metrics(paths.published)

        summary = night_steps.land(DAY_2, BOROUGHS)
        seen["partitions_4"], seen["raw_4"] = partitions(warehouse), raw_rows(warehouse)
        seen["report_4"] = night_steps.publish(
            DAY_2, summary
        )  # raises RunFailed if the night were red
        seen["metrics_4"] = metrics(paths.published)
        seen["published_4"] = sha256(paths.published)
        seen["scorecard_4"] = {
            (a, d): row
            for a, d, *row in query(
                paths.published,
                "select area_code, dataset, expected_feed_days, delivered_feed_days, on_time_feed_days, "
                "quarantined_batches, rows_passing_pct, freshness_status "
                "from analytics.borough_data_scorecard",
            )
        }
        seen["quarantine_view_4"] = query(
            paths.published,
            "select dataset, area_code, is_resolved, "
            "validation_result is not null "
            "from analytics.quarantined_batches",
        )
        open_data = paths.published.parent / "open_data"
        seen["open_data_4"] = {p.name: p.read_text() for p in open_data.glob("*.csv")}

        # Sabotage the pipeline's own database: a row whose borough spelling no alias
        # resolves makes a dbt test fail, so the night must not publish.
        with duckdb.connect(str(warehouse)) as con:
            con.execute(
                "insert into raw.road_casualties (casualty_ref, accident_date, borough, severity, "
                "road_user_type, casualty_age, _borough_code, _data_day, _batch_id, _loaded_at) "
                "values ('X-1', '2026-11-09', 'Gotham City', 'Slight', 'Pedestrian', '30', "
                "'E09000007', '2026-11-09', 'sabotage', now())"
            )
        summary = night_steps.land(DAY_3, BOROUGHS)
        with pytest.raises(DbtBuildFailed) as failed:
            night_steps.publish(DAY_3, summary)
        seen["failure_5"] = str(failed.value)
        seen["published_5"] = sha256(paths.published)
        seen["open_data_5"] = {p.name: p.read_text() for p in open_data.glob("*.csv")}
        yield seen


def _daily_feeds(catalogue) -> int:
    return sum(not d.periodic for d in catalogue.borough_datasets.values()) * len(BOROUGHS)


def _codes(catalogue, slugs) -> set[str]:
    return {catalogue.area(s).code for s in slugs}


def test_a_clean_night_lands_every_feed(nights):
    """Night 1: the warehouse holds every daily feed of the day, and every period monthly and
    quarterly feeds owe, except those late or withheld boroughs have not published."""
    catalogue = nights["catalogue"]
    day_1 = {k for k in nights["partitions_1"] if k[2] == DAY_1.isoformat()}
    assert len(day_1) == _daily_feeds(catalogue)
    quirks = load_settings(catalogue).quirks
    areas = [catalogue.area(s) for s in BOROUGHS]
    owed = {
        (d.id, a.code, p.isoformat())
        for d in catalogue.borough_datasets.values()
        if d.periodic
        for p in periods_due(
            DAY_1, d.cadence, d.publication.lag_days, d.publication.history_periods
        )
        for a in areas
        if quirks[a.code].publishes(d, p, AS_OF)
    }
    periodic = {k for k in nights["partitions_1"] if catalogue.dataset(k[0]).periodic}
    assert periodic == owed
    assert ("household_waste", catalogue.area("newham").code) not in {
        k[:2] for k in periodic
    }  # withheld


def test_bad_batches_are_quarantined_and_the_rest_of_the_city_loads(nights):
    """Night 2: exactly the three bad batches are quarantined, with reasons; every other feed loads."""
    catalogue = nights["catalogue"]
    quarantined = {
        (d, b): (reason, where)
        for d, b, status, reason, where in nights["batches_2"]
        if status == "quarantined"
    }
    expected = {(dataset, catalogue.area(slug).code) for slug, (dataset, _, _) in BAD.items()}
    assert set(quarantined) == expected
    for slug, (dataset, _, mention) in BAD.items():
        reason, where = quarantined[(dataset, catalogue.area(slug).code)]
        assert mention in reason
        reason_file = Path(where) / "reason.txt"
        assert (
            catalogue.area(slug).name in reason_file.read_text()
            and (Path(where) / "validation.json").exists()
        )
    day_2 = {k for k in nights["partitions_2"] if k[2] == DAY_2.isoformat()}
    assert len(day_2) == _daily_feeds(catalogue) - 3
    assert all(
        (dataset, catalogue.area(slug).code, DAY_2.isoformat()) not in day_2
        for slug, (dataset, _, _) in BAD.items()
    )


def test_a_quarantined_borough_keeps_its_last_good_data(nights):
    """The bad boroughs' earlier partitions are exactly as night 1 left them."""
    catalogue = nights["catalogue"]
    for slug, (dataset, _, _) in BAD.items():
        key = (dataset, catalogue.area(slug).code, DAY_1.isoformat())
        assert nights["partitions_2"][key] == nights["partitions_1"][key]


def test_rerunning_after_the_fix_loads_the_boroughs(nights):
    """Night 2 re-run with the feeds fixed: every daily feed of the day is loaded."""
    assert len({k for k in nights["partitions_3"] if k[2] == DAY_2.isoformat()}) == _daily_feeds(
        nights["catalogue"]
    )


def test_rerunning_a_day_changes_nothing(nights):
    """Running the same data day again gives identical partitions, rows and metric values; both
    nights are green and publish."""
    assert nights["partitions_4"] == nights["partitions_3"]
    assert nights["raw_4"] == nights["raw_3"]
    assert nights["metrics_4"] == nights["metrics_3"]
    assert "published: " in nights["report_3"] and "published: " in nights["report_4"]


def test_city_metrics_equal_the_truth_computed_independently(nights):
    """Every borough and region value equals the sandbox's truth, region values as ratios of sums
    over the boroughs loaded."""
    catalogue = nights["catalogue"]
    expected = expected_metrics(catalogue, [DAY_1, DAY_2], BOROUGHS)
    month = DAY_1.replace(day=1).isoformat()
    published = {
        (m, a): row
        for (m, a, period_type, period), row in nights["metrics_3"].items()
        if period_type == "month"
        and period == month
        and m != "data_scorecard"
        and (m, a) in expected
    }
    assert set(published) == set(expected)
    for key, value in expected.items():
        got = published[key][0]
        if value is None:
            assert got is None, key
        else:
            assert got is not None and math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9), (
                key,
                got,
                value,
            )
    region = catalogue.region.code
    assert published[("ksi_per_100k", region)][4] == len(BOROUGHS)  # boroughs_covered
    assert published[("ksi_per_100k", region)][3] == 2  # days_covered
    # the rolling 12 months to November hold only the two loaded days of November
    rolling = nights["metrics_3"][("ksi_per_100k", region, "rolling_12m", "2025-12-01")]
    assert rolling[:3] == published[("ksi_per_100k", region)][:3] and rolling[3:] == (
        2,
        len(BOROUGHS),
    )


def test_no_metric_for_a_borough_that_was_not_run(nights):
    """Only the boroughs loaded (and the region) have daily metric rows."""
    catalogue = nights["catalogue"]
    month = DAY_1.replace(day=1).isoformat()
    areas = {
        a
        for (m, a, period_type, period) in nights["metrics_4"]
        if period_type == "month" and period == month and m == "ksi_per_100k"
    }
    assert areas == _codes(catalogue, BOROUGHS) | {catalogue.region.code}


def test_monthly_and_quarterly_metrics_equal_the_truth(nights):
    """Every period the warehouse loaded gives the values the sandbox's truth implies, last year's
    month included for the year-on-year changes; late and withheld boroughs are left out."""
    catalogue = nights["catalogue"]
    loaded = {
        (d, b, date.fromisoformat(day))
        for d, b, day in nights["partitions_4"]
        if catalogue.dataset(d).periodic
    }
    expected = expected_period_metrics(catalogue, loaded)
    published = {
        (m, a, period): row
        for (m, a, period_type, period), row in nights["metrics_3"].items()
        if period_type in ("month", "quarter") and m in {k[0] for k in expected}
    }
    assert set(published) == set(expected)
    for key, value in expected.items():
        got = published[key][0]
        if value is None:
            assert got is None, key
        else:
            assert got is not None and math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9), (
                key,
                got,
                value,
            )
    region = catalogue.region.code
    prices, waste = catalogue.dataset("house_prices"), catalogue.dataset("household_waste")
    latest_month = periods_due(DAY_2, prices.cadence, prices.publication.lag_days, 1)[0].isoformat()
    assert expected[("house_price_change_yoy", region, latest_month)] is not None
    latest_quarter = periods_due(DAY_2, waste.cadence, waste.publication.lag_days, 1)[0].isoformat()
    assert (
        published[("recycling_rate", region, latest_quarter)][4] == len(BOROUGHS) - 1
    )  # Newham withholds


def test_a_failed_dbt_test_publishes_nothing(nights):
    """When dbt's tests fail the build raises before publish: the analysts' file is byte-for-byte
    unchanged and the open-data files are as the last green night left them."""
    assert "dbt build failed" in nights["failure_5"]
    # the failing test and its rows are named: the unknown borough has no reported_area_code
    assert "columns_not_null_stg_borough_feeds__road_casualties" in nights["failure_5"]
    assert "column_name='reported_area_code', null_rows=1" in nights["failure_5"]
    assert nights["published_5"] == nights["published_4"]
    assert nights["open_data_5"] == nights["open_data_4"]


def test_every_landed_row_is_loaded_or_quarantined(nights):
    """Night 2: rows in the manifests of the night's batches = rows loaded + rows kept in quarantine."""
    audit = nights["audit_2"]
    assert {Path(row[5]).resolve() for row in audit if row[5]} == {
        p.resolve() for p in nights["landed_dirs_2"]
    }
    landed = loaded = quarantined = 0
    for batch_id, _dataset, _borough, status, row_count, landed_path, quarantine_path in audit:
        manifest = json.loads((Path(landed_path) / "manifest.json").read_text())
        records = sum(1 for line in (Path(landed_path) / "records.jsonl").open() if line.strip())
        assert manifest["row_count"] == records == row_count, batch_id
        landed += records
        if status == "loaded":
            assert nights["loaded_rows_2"].get(batch_id, 0) == records, batch_id
            loaded += nights["loaded_rows_2"].get(batch_id, 0)
        else:
            assert status == "quarantined", (batch_id, status)
            quarantined += sum(
                1 for line in (Path(quarantine_path) / "records.jsonl").open() if line.strip()
            )
    assert quarantined > 0 and landed == loaded + quarantined


def test_every_batch_has_its_validation_result_in_the_warehouse(nights):
    """audit.validation_results holds the GE result of each of night 2's daily batches, history bounds filled in."""
    results = {
        batch_id: (success, json.loads(result))
        for batch_id, success, result in nights["validation_2"]
    }
    statuses = {row[0]: row[3] for row in nights["audit_2"]}
    assert set(results) == set(statuses) and len(results) == _daily_feeds(nights["catalogue"])
    bounded = 0
    for batch_id, (success, result) in results.items():
        assert success == (statuses[batch_id] == "loaded") == result["success"]
        history = [
            r
            for r in result["results"]
            if r["expectation_config"]["type"] == "expect_table_row_count_to_be_between"
            and "max_value" in r["expectation_config"]["kwargs"]
            and r["expectation_config"]["kwargs"]["max_value"] != 100000
        ]
        bounded += len(history)
    assert bounded == len(
        results
    )  # night 1 is every feed's history: every batch of night 2 is bounded


def test_the_scorecard_tells_the_story_of_the_nights(nights):
    """After the fix every daily feed-day is delivered; the three bad feeds were late (not on time)
    once; every monthly and quarterly feed delivered what it owes except the late and withheld ones."""
    catalogue, scorecard = nights["catalogue"], nights["scorecard_4"]
    run = _codes(catalogue, BOROUGHS)
    assert {key for key in scorecard if key[0] in run} == {
        (a, d) for a in run for d in catalogue.datasets_owed_by_boroughs
    }
    bad = {(catalogue.area(slug).code, dataset) for slug, (dataset, _, _) in BAD.items()}
    missing = {
        (catalogue.area("newham").code, "household_waste"),  # withheld
        (catalogue.area("redbridge").code, "temporary_accommodation"),
    }  # months late
    for key, (expected, delivered, on_time, quarantined, rows_pct, freshness) in scorecard.items():
        if key[0] not in run:
            continue
        if catalogue.dataset(key[1]).region_wide:  # fetched by a region's night, not these
            assert (expected, delivered) == (0, 0), key  # borough-narrowed ones: owed nothing yet
            continue
        if catalogue.dataset(key[1]).periodic:
            assert (delivered < expected) == (key in missing) and quarantined == 0, key
            assert (freshness == "fresh") == (key not in missing), key
            continue
        assert (expected, delivered, freshness) == (2, 2, "fresh"), key
        assert (on_time, quarantined) == ((1, 1) if key in bad else (2, 0)), key
        assert (rows_pct < 100) if key in bad else (rows_pct in (None, 100)), key
    region = catalogue.region.code
    month = DAY_1.replace(day=1).isoformat()
    # every borough of the region is owed its feed-days, the boroughs not run tonight included
    value, _, owed_in_region, days, covered = nights["metrics_3"][
        ("data_scorecard", region, "month", month)
    ]
    assert (days, covered) == (2, len(catalogue.region.areas))
    scored = [nights["metrics_3"][("data_scorecard", code, "month", month)] for code in run]
    delivered, owed = sum(row[1] for row in scored), sum(row[2] for row in scored)
    assert 95 < 100 * delivered / owed < 100  # all but the late and withheld periods
    assert math.isclose(
        value, 100 * delivered / owed_in_region, rel_tol=1e-9
    )  # nothing from boroughs not run
    view = nights["quarantine_view_4"]
    assert {(d, a) for d, a, _, _ in view} == {(d, a) for a, d in bad}
    assert all(resolved and has_result for _, _, resolved, has_result in view)


def test_open_data_is_exported_with_small_counts_suppressed(nights):
    """city_metrics.csv: no published count below the threshold, no lone hidden borough beside a region total."""
    threshold = nights["catalogue"].settings.open_data.min_cell_count
    files = nights["open_data_4"]
    assert {"city_metrics.csv", "road_casualties_borough_month.csv"} <= set(files)
    rows = list(csv.DictReader(io.StringIO(files["city_metrics.csv"])))
    assert all(r["coverage"].startswith("computed from ") for r in rows)
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["metric_id"], r["period_type"], r["period_start"]), []).append(r)
        if r["suppressed"] == "True":
            assert r["value"] == "" and r["numerator"] == ""
        elif r["numerator"] and r["metric_id"] in _people_counting_metrics():
            assert (
                float(r["numerator"]) == 0
                or abs(float(r["numerator"])) >= threshold
                or float(r["numerator"]) < 0
            ), r
    assert any(r["suppressed"] == "True" for r in rows)
    for (metric, _, _), members in groups.items():
        region_shown = any(
            r["area_type"] == "region" and r["suppressed"] == "False" for r in members
        )
        hidden = [r for r in members if r["area_type"] == "borough" and r["suppressed"] == "True"]
        if metric != "median_days_to_resolve":
            assert not region_shown or len(hidden) != 1, metric


def test_analysts_can_query_every_schema_of_the_published_copy(nights):
    """Staging and intermediate views resolve inside the published file, not only the analytics tables."""
    published = nights["paths"].published
    views = query(published, "select schema_name, view_name from duckdb_views() where not internal")
    assert {schema for schema, _ in views} >= {"staging", "intermediate"}
    for schema, view in views:
        query(published, f'select count(*) from "{schema}"."{view}"')


def _people_counting_metrics() -> set[str]:
    """Metrics whose numerator counts people (seed metric_publication): the ones suppressed."""
    seed = (
        Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "metric_publication.csv"
    )
    with seed.open(newline="", encoding="utf-8") as handle:
        return {
            row["metric_id"] for row in csv.DictReader(handle) if row["counts_people"] == "true"
        }
