"""Nights through the failures real borough APIs have, driven by calling the night's steps.

  - a borough offline for two nights keeps its last good data; when it is back, the next
    night fills the gap (catch-up) without duplicating a row;
  - a night with ~10% of requests failing transiently (500s and 429s) still loads every
    row exactly once;
  - records published late reach the warehouse the next night.
A few boroughs, a sandbox of their own pinned to 12 November 2026, and a config copy with
short backoffs, so each night takes seconds. Only the offline scenario builds with dbt
(its gap must show in city_metrics); the others read the pipeline's warehouse.
"""

from __future__ import annotations

from datetime import date

import night_steps
import pytest
from night_env import pinned_night, query, raw_counts, truth_count
from sandbox_control import add_fault, clear_faults

from ingest.catalogue import load_catalogue

pytestmark = pytest.mark.slow  # builds a warehouse with dbt or runs nights

AS_OF = date(2026, 11, 12)
BOROUGHS = ["camden", "barnet", "croydon", "hackney", "bexley"]  # 1 of 5 offline stays under 25%
DAYS = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)]
DAILY = ("road_casualties", "housing_completions", "service_requests")


@pytest.fixture
def night_env(fast_config, tmp_path):
    """A sandbox of this test's own (faults cannot leak between tests) and a fresh data directory."""
    with pinned_night(tmp_path, AS_OF, config_dir=fast_config) as (sandbox, paths):
        yield sandbox, paths


def test_an_offline_borough_keeps_its_data_and_catches_up_without_duplicates(night_env):
    """Camden offline for nights 2-3: its day-1 data stays, the city stays green and the gap shows
    in days_covered; night 4 loads days 2, 3 and 4 once each. The daily datasets only: the
    periodic ones would add 13 months of first-night history and prove nothing more here."""
    sandbox, paths = night_env
    catalogue = load_catalogue()
    camden = catalogue.area("camden").code
    night_steps.land(DAYS[0], BOROUGHS, list(DAILY))
    after_first = raw_counts(paths.warehouse)

    add_fault(sandbox, kind="offline", borough="camden")
    night_steps.land(DAYS[1], BOROUGHS, list(DAILY))
    report = night_steps.night(
        DAYS[2], BOROUGHS, list(DAILY)
    )  # raises RunFailed if one borough offline turned the city red
    assert "published: " in report
    during = raw_counts(paths.published)
    for dataset in DAILY:
        key = (dataset, camden, DAYS[0].isoformat())
        assert during.get(key) == after_first.get(key), "last good data must stay"
        assert (dataset, camden, DAYS[1].isoformat()) not in during
    failed = query(
        paths.published,
        "select count(*) from audit.batches where borough_code = ? and status = 'fetch_failed'",
        [camden],
    )[0][0]
    covered = dict(
        query(
            paths.published,
            "select area_code, days_covered from analytics.city_metrics "
            "where metric_id = 'service_requests_per_1000'",
        )
    )
    assert failed >= 6  # 3 datasets x 2 nights (night 3 also retried night 2's day)
    assert covered[camden] == 1 and covered[catalogue.region.code] == 3, (
        "the gap shows in days_covered"
    )

    clear_faults(sandbox)
    night_steps.land(DAYS[3], BOROUGHS, list(DAILY))
    after = raw_counts(paths.warehouse)
    for dataset in DAILY:
        for day in DAYS:
            truth = truth_count(dataset, "camden", day)
            rows, keys = after.get((dataset, camden, day.isoformat()), (0, 0))
            assert (rows, keys) == (truth, truth), (dataset, day, rows, keys, truth)


def test_ten_percent_of_requests_failing_still_loads_every_row_once(night_env):
    """With ~10% of requests answered 500 or 429, a night loads every row of every feed exactly once."""
    sandbox, paths = night_env
    add_fault(sandbox, kind="flaky", rate=0.1)
    night_steps.land(DAYS[0], BOROUGHS)
    counts = raw_counts(paths.warehouse)
    catalogue = load_catalogue()
    for dataset in catalogue.datasets:
        for slug in BOROUGHS:
            truth = truth_count(dataset, slug, DAYS[0])
            got = counts.get((dataset, catalogue.area(slug).code, DAYS[0].isoformat()), (0, 0))
            assert got == (truth, truth), (dataset, slug, got, truth)
    assert (
        query(paths.warehouse, "select count(*) from audit.batches where status = 'loaded'")[0][0]
        > 0
    )
    assert (
        query(paths.warehouse, "select count(*) from audit.batches where status <> 'loaded'")[0][0]
        == 0
    )


def test_records_published_late_reach_the_warehouse_the_next_night(night_env):
    """A day loaded without its late records is completed the next night: fetched again blindly
    from Barnet (CKAN, a full snapshot), found through its watermark from Camden (Socrata)."""
    sandbox, paths = night_env
    catalogue = load_catalogue()
    barnet, camden = catalogue.area("barnet").code, catalogue.area("camden").code
    assert (
        catalogue.area("camden").portal_for("service_requests").protocol
        in catalogue.settings.incremental
    )
    for slug in ("barnet", "camden"):
        add_fault(sandbox, kind="late", rows=4, borough=slug, dataset="service_requests")
    night_steps.land(DAYS[0], BOROUGHS)
    truth = {code: truth_count("service_requests", code, DAYS[0]) for code in (barnet, camden)}
    for code in (barnet, camden):
        assert (
            raw_counts(paths.warehouse)[("service_requests", code, DAYS[0].isoformat())]
            == (truth[code] - 4,) * 2
        )
    first_mark = _watermark(paths, camden)
    assert first_mark is not None, "the first night starts Camden's watermark"

    clear_faults(sandbox)
    night_steps.land(DAYS[1], BOROUGHS)
    counts = raw_counts(paths.warehouse)
    for code in (barnet, camden):
        assert counts[("service_requests", code, DAYS[0].isoformat())] == (truth[code], truth[code])
    assert _watermark(paths, camden) > first_mark, (
        "the load moved Camden's watermark past the late records"
    )
    reloaded = dict(
        query(
            paths.warehouse,
            "select borough_code, count(*) from audit.batches where dataset = "
            "'service_requests' and data_day = ? and status = 'loaded' group by all",
            [DAYS[0]],
        )
    )
    others = query(
        paths.warehouse,
        "select count(*) from audit.batches where data_day = ? and status = 'loaded'",
        [DAYS[0]],
    )[0][0]
    assert reloaded[barnet] == reloaded[camden] == 2, (
        "the late records were loaded by a second batch"
    )
    daily = sum(not d.periodic for d in catalogue.datasets.values())
    assert others == len(BOROUGHS) * daily + 2, "unchanged days are not loaded again"


def _watermark(paths, code: str):
    found = query(
        paths.warehouse,
        "select watermark from raw.feed_watermarks where dataset = 'service_requests' "
        "and borough_code = ?",
        [code],
    )
    return found[0][0] if found else None
