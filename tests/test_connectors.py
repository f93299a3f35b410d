"""Connectors against the running sandbox over real HTTP: paging, retries, clear failures.

Parametrised over every protocol name of the registry, so a new protocol is tested on
the same terms the day it is registered.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from datetime import date

import pytest
from sandbox_control import add_fault, clear_faults, clear_request_log, request_log

from ingest.catalogue import PROTOCOLS
from ingest.errors import FatalFetchError, RetriableFetchError
from ingest.fetch import fetch_feed
from ingest.http import build_session
from ingest.landing import latest_batch
from ingest.protocols import PROTOCOL_CLASSES
from sandbox.generator import truth_records
from sandbox.settings import load_settings

DAY = date(2026, 11, 10)
FAST_HTTP = {
    "connect_timeout_s": 2,
    "read_timeout_s": 5,
    "retries": 3,
    "backoff_factor_s": 0.05,
    "backoff_max_s": 0.2,
    "retry_after_max_s": 2,
    "max_pages": 1000,
}


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    clear_faults(sandbox)
    clear_request_log(sandbox)
    yield
    clear_faults(sandbox)


def _area(catalogue, protocol, dataset="service_requests"):
    """A borough publishing the dataset through that protocol (the last, so big enough to page)."""
    return [a for a in catalogue.region.areas if a.portal_for(dataset).protocol == protocol][-1]


def _pages_expected(protocol, rows, size=7):
    """How many pages paging `rows` in pages of `size` takes, by the protocol's stop rule."""
    if protocol == "bulk_csv":
        return 1  # one whole file
    if protocol == "arcgis":
        return math.ceil(rows / size)  # the last page says so (no exceededTransferLimit)
    return rows // size + 1  # a short (or empty) page ends it


def _small_pages(catalogue, size=7):
    """The catalogue with a tiny page size, so every feed spans several pages."""
    return replace(
        catalogue, settings=replace(catalogue.settings, page_size={p: size for p in PROTOCOLS})
    )


def _truth(catalogue, dataset, area, day=DAY):
    return truth_records(
        dataset, area, day, seed=load_settings(catalogue).seed, catalogue=catalogue
    )


def test_every_protocol_has_a_connector_and_the_sandbox_serves_it(catalogue):
    """The registry, the catalogue's protocol list and the boroughs' portals agree."""
    assert set(PROTOCOL_CLASSES) == set(PROTOCOLS) == {f.portal.protocol for f in catalogue.feeds()}


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
def test_every_page_is_fetched_and_rows_match_the_truth(catalogue, data_dir, protocol):
    """Paging runs to the end: landed rows equal the sandbox's truth, every page kept."""
    area = _area(catalogue, protocol)
    feed = catalogue.feed(f"service_requests/{area.code}")
    batch = fetch_feed(_small_pages(catalogue), feed, DAY, data_dir.landing)
    truth = _truth(catalogue, "service_requests", area)
    assert len(truth) > 14, "the test needs a feed of several pages"
    assert batch.row_count == len(truth)
    landed = [json.loads(line) for line in batch.records_path.read_text().splitlines()]
    assert sorted(r["request_ref"] for r in landed) == sorted(r["request_ref"] for r in truth)
    manifest = json.loads((batch.records_path.parent / "manifest.json").read_text())
    assert len(manifest["pages"]) == _pages_expected(protocol, len(truth))
    assert sum(p["records"] for p in manifest["pages"]) == len(truth)
    assert all(
        len(p["sha256"]) == 64 and p["url"].startswith("http://127.0.0.1")
        for p in manifest["pages"]
    )


def test_landed_batch_can_be_replayed_without_the_api(catalogue, data_dir):
    """The latest complete batch of a day is found on disk, read-only, with its manifest."""
    feed = catalogue.feed(f"road_casualties/{_area(catalogue, 'ckan').code}")
    batch = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    again = latest_batch(data_dir.landing, feed.dataset.id, feed.area.code, DAY.isoformat())
    assert again == batch
    assert not (batch.records_path.stat().st_mode & 0o222), "landed files must be read-only"


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
def test_429_with_retry_after_is_retried_then_succeeds(catalogue, data_dir, sandbox, protocol):
    """Two 429s with Retry-After: 1 are waited out, then the feed lands in full."""
    area = _area(catalogue, protocol)
    add_fault(
        sandbox,
        kind="status",
        status=429,
        retry_after=1,
        borough=area.slug,
        dataset="service_requests",
        times=2,
    )
    session = build_session(FAST_HTTP)
    started = time.monotonic()
    batch = fetch_feed(
        catalogue, catalogue.feed(f"service_requests/{area.code}"), DAY, data_dir.landing, session
    )
    assert time.monotonic() - started >= 2.0, "Retry-After was not honoured"
    assert batch.row_count == len(_truth(catalogue, "service_requests", area))
    statuses = [r["status"] for r in request_log(sandbox) if r.get("dataset") == "service_requests"]
    assert statuses[:3] == [429, 429, 200]


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_burst_of_server_errors_is_retried(catalogue, data_dir, sandbox, status, protocol):
    """A short burst of 5xx does not lose the feed, whatever the protocol."""
    dataset = "service_requests" if protocol == "open311" else "housing_completions"
    area = _area(catalogue, protocol, dataset)
    add_fault(sandbox, kind="status", status=status, borough=area.slug, dataset=dataset, times=2)
    batch = fetch_feed(
        catalogue,
        catalogue.feed(f"{dataset}/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(FAST_HTTP),
    )
    assert batch.row_count == len(_truth(catalogue, dataset, area))


def test_a_borough_offline_fails_clearly_after_retries(catalogue, data_dir, sandbox):
    """When retries run out the error names dataset, borough, URL and reason; nothing is landed."""
    area = _area(catalogue, "ckan")
    add_fault(sandbox, kind="offline", borough=area.slug)
    with pytest.raises(RetriableFetchError) as error:
        fetch_feed(
            catalogue,
            catalogue.feed(f"road_casualties/{area.code}"),
            DAY,
            data_dir.landing,
            build_session(FAST_HTTP),
        )
    message = str(error.value)
    assert "road_casualties" in message and area.name in message
    assert f"{sandbox.url}/{area.slug}/api/3/action/datastore_search" in message
    assert "503" in message
    attempts = [r for r in request_log(sandbox) if r.get("borough") in (area.code, area.slug)]
    assert len(attempts) == FAST_HTTP["retries"] + 1
    assert latest_batch(data_dir.landing, "road_casualties", area.code, DAY.isoformat()) is None


def test_a_client_error_is_not_retried(catalogue, data_dir, sandbox):
    """A 404 will not change by retrying: one request, a FatalFetchError with the API's message."""
    area = _area(catalogue, "ckan")
    dataset = replace(catalogue.dataset("road_casualties"), resource="no-such-resource")
    feed = replace(catalogue.feed(f"road_casualties/{area.code}"), dataset=dataset)
    with pytest.raises(FatalFetchError, match="404.*Not Found"):
        fetch_feed(catalogue, feed, DAY, data_dir.landing, build_session(FAST_HTTP))
    assert len(request_log(sandbox)) == 1


def test_a_body_cut_off_mid_json_is_a_clear_error(catalogue, data_dir, sandbox):
    """A truncated response is reported as invalid JSON, never landed as a short batch."""
    area = _area(catalogue, "socrata")
    add_fault(sandbox, kind="truncate", bytes=50, borough=area.slug, dataset="road_casualties")
    with pytest.raises(RetriableFetchError, match="not valid JSON"):
        fetch_feed(
            catalogue,
            catalogue.feed(f"road_casualties/{area.code}"),
            DAY,
            data_dir.landing,
            build_session(FAST_HTTP),
        )


def test_retry_after_is_capped():
    """A server asking for an hour's wait is waited on for at most retry_after_max seconds."""

    class Reply:
        headers = {"Retry-After": "3600"}

        def getheader(self, name, default=None):
            return self.headers.get(name, default)

    retry = build_session(FAST_HTTP | {"retry_after_max_s": 7}).get_adapter("http://x").max_retries
    assert retry.get_retry_after(Reply()) == 7
    assert retry.new(total=0).get_retry_after(Reply()) == 7


def test_records_served_twice_are_landed_once(catalogue, data_dir, sandbox):
    """Identical records repeated by the server land once; the pages keep both, the manifest counts them."""
    area = _area(catalogue, "ckan")
    add_fault(sandbox, kind="duplicate_rows", rows=3, borough=area.slug, dataset="service_requests")
    batch = fetch_feed(
        catalogue,
        catalogue.feed(f"service_requests/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(FAST_HTTP),
    )
    truth = _truth(catalogue, "service_requests", area)
    assert batch.row_count == len(truth)
    manifest = json.loads((batch.records_path.parent / "manifest.json").read_text())
    assert manifest["exact_duplicates_dropped"] >= 3
    assert (
        sum(p["records"] for p in manifest["pages"])
        == len(truth) + manifest["exact_duplicates_dropped"]
    )


def test_a_connection_dropped_mid_body_is_retried(catalogue, data_dir, sandbox):
    """A reset while the body streams in (beyond urllib3's reach) is tried again, and the feed lands whole."""
    area = _area(catalogue, "socrata", "road_casualties")
    add_fault(
        sandbox, kind="truncate", mode="drop", borough=area.slug, dataset="road_casualties", times=1
    )
    batch = fetch_feed(
        catalogue,
        catalogue.feed(f"road_casualties/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(FAST_HTTP),
    )
    assert batch.row_count == len(_truth(catalogue, "road_casualties", area))
    assert len([r for r in request_log(sandbox) if r.get("dataset") == "road_casualties"]) >= 2


def test_a_connection_that_keeps_dropping_fails_clearly(catalogue, data_dir, sandbox):
    """When every try is cut off, the error is transient, names the feed, and nothing is landed."""
    area = _area(catalogue, "socrata", "road_casualties")
    add_fault(sandbox, kind="truncate", mode="drop", borough=area.slug, dataset="road_casualties")
    with pytest.raises(RetriableFetchError, match="connection broken mid-response") as error:
        fetch_feed(
            catalogue,
            catalogue.feed(f"road_casualties/{area.code}"),
            DAY,
            data_dir.landing,
            build_session(FAST_HTTP),
        )
    assert area.name in str(error.value)
    assert latest_batch(data_dir.landing, "road_casualties", area.code, DAY.isoformat()) is None


# --- servers without pagination, timeouts, resets, empty and repeated pages --------------

# A slow fault holds its answer far longer than read_timeout_s, and read_timeout_s is far longer
# than an ordinary answer takes even on a loaded machine: only the faulted request times out.
SLOW_HTTP = FAST_HTTP | {"read_timeout_s": 1.5}
SLOW_DELAY_S = 6.0
NO_PAGING = (
    "hounslow"  # config/sandbox/sandbox.yml: a 10.2-era ArcGIS server (supports_pagination: false)
)
# Boroughs whose protocol can tell an empty page from the end: a total (CKAN), a count (Socrata,
# ArcGIS returnCountOnly) or an id list (ArcGIS without pagination). Open311 has none of these.
COUNTABLE = {"ckan": None, "socrata": None, "arcgis": None, "arcgis-object-ids": NO_PAGING}


def _countable_area(catalogue, variant):
    slug = COUNTABLE[variant]
    return catalogue.area(slug) if slug else _area(catalogue, variant)


def _fetch(catalogue, area, data_dir, http=FAST_HTTP, dataset="service_requests"):
    return fetch_feed(
        _small_pages(catalogue),
        catalogue.feed(f"{dataset}/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(http),
    )


def _nothing_landed(data_dir, area, dataset="service_requests"):
    return latest_batch(data_dir.landing, dataset, area.code, DAY.isoformat()) is None


def test_arcgis_without_pagination_is_paged_by_object_ids(catalogue, data_dir, sandbox):
    """The 10.2-style borough's layer declares no pagination: ids first, then objectIds chunks, all rows."""
    area = catalogue.area(NO_PAGING)
    batch = _fetch(catalogue, area, data_dir)
    truth = _truth(catalogue, "service_requests", area)
    assert batch.row_count == len(truth) > 14
    manifest = json.loads((batch.records_path.parent / "manifest.json").read_text())
    assert [p["records"] for p in manifest["pages"]][0] == 0 and manifest["pages"][0][
        "reported_total"
    ] == len(truth)
    assert len(manifest["pages"]) == 1 + math.ceil(len(truth) / 7)
    paths = [r["path"] for r in request_log(sandbox)]
    assert "returnIdsOnly=true" in paths[1] and all("objectIds=" in p for p in paths[2:])
    assert not any("resultOffset" in p for p in paths)


TRANSIENT = {  # fault armed -> session it is tried with, and the faults the feed's requests met
    "read_timeout": ({"kind": "slow", "delay_s": SLOW_DELAY_S, "times": 1}, SLOW_HTTP, ["slow"]),
    "reset": ({"kind": "reset", "times": 2}, FAST_HTTP, ["reset", "reset"]),
}


def _lands_whole(catalogue, area, data_dir, http=FAST_HTTP):
    """Fetch the area's service requests; every row of the truth must have landed."""
    batch = _fetch(catalogue, area, data_dir, http)
    assert batch.row_count == len(_truth(catalogue, "service_requests", area))


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
@pytest.mark.parametrize("failure", sorted(TRANSIENT))
def test_a_timeout_or_reset_is_retried_then_succeeds(
    catalogue, data_dir, sandbox, protocol, failure
):
    """A response slower than read_timeout_s, or a connection reset without an answer, is asked again:
    the faulted requests happened, and every row landed all the same (whatever order the log shows)."""
    fault, http, met = TRANSIENT[failure]
    area = _area(catalogue, protocol)
    add_fault(sandbox, **fault, borough=area.slug, dataset="service_requests")
    _lands_whole(catalogue, area, data_dir, http)
    assert sorted(f for r in request_log(sandbox) for f in r["faults"]) == met


def test_a_portal_that_never_answers_in_time_fails_clearly(catalogue, data_dir, sandbox):
    """Every try times out: a transient error naming dataset, borough and the limit hit; nothing landed."""
    area = _area(catalogue, "ckan")
    add_fault(
        sandbox, kind="slow", delay_s=SLOW_DELAY_S, borough=area.slug, dataset="service_requests"
    )
    with pytest.raises(
        RetriableFetchError, match=r"timed out: no response within read_timeout_s=1.5 s, 4 tries"
    ) as error:
        _fetch(catalogue, area, data_dir, SLOW_HTTP)
    assert str(error.value).startswith(f"service_requests from {area.name} failed")
    assert _nothing_landed(data_dir, area)


def test_a_connection_reset_every_time_fails_clearly(catalogue, data_dir, sandbox):
    """Every try is reset: a transient error naming the borough, after the session's retries; nothing landed."""
    area = _area(catalogue, "socrata")
    add_fault(sandbox, kind="reset", borough=area.slug, dataset="service_requests")
    with pytest.raises(RetriableFetchError, match="reset") as error:
        _fetch(catalogue, area, data_dir)
    assert area.name in str(error.value) and _nothing_landed(data_dir, area)
    assert len(request_log(sandbox)) == FAST_HTTP["retries"] + 1


@pytest.mark.parametrize("variant", sorted(COUNTABLE))
def test_an_empty_page_mid_feed_is_asked_again(catalogue, data_dir, sandbox, variant):
    """A later page comes back empty once while more are due: it is asked again, and every row lands."""
    area = _countable_area(catalogue, variant)
    add_fault(sandbox, kind="empty_page", borough=area.slug, dataset="service_requests", times=1)
    _lands_whole(catalogue, area, data_dir)
    assert ["empty_page"] in [r["faults"] for r in request_log(sandbox)]


@pytest.mark.parametrize("variant", sorted(COUNTABLE))
def test_a_page_that_stays_empty_fails_rather_than_land_part_of_the_feed(
    catalogue, data_dir, sandbox, variant
):
    """A later page stays empty though more are due: a transient error, and no partial batch is landed."""
    area = _countable_area(catalogue, variant)
    add_fault(sandbox, kind="empty_page", borough=area.slug, dataset="service_requests")
    with pytest.raises(
        RetriableFetchError,
        match=r"page \d came back empty 3 times although the server says "
        r"\d+ more records are due",
    ) as error:
        _fetch(catalogue, area, data_dir)
    assert str(error.value).startswith(f"service_requests from {area.name} failed")
    assert _nothing_landed(data_dir, area)
    assert [r["faults"] for r in request_log(sandbox)].count(["empty_page"]) == 3


def test_an_empty_last_page_after_a_full_one_is_the_end(catalogue, data_dir, sandbox):
    """Socrata: a day of exactly one full page ends on an empty page; the count confirms it, nothing is re-asked."""
    area = _area(catalogue, "socrata")
    rows = len(_truth(catalogue, "service_requests", area))
    batch = fetch_feed(
        _small_pages(catalogue, size=rows),
        catalogue.feed(f"service_requests/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(FAST_HTTP),
    )
    assert batch.row_count == rows
    paths = [r["path"] for r in request_log(sandbox)]
    assert len(paths) == 3 and "%24offset=0" in paths[0] and f"%24offset={rows}" in paths[1]
    assert "%24select=count" in paths[2]


@pytest.mark.parametrize("protocol", ["ckan", "socrata", "arcgis", "open311"])
def test_a_page_that_repeats_the_previous_one_is_refused(catalogue, data_dir, sandbox, protocol):
    """The server ignores the offset and sends page 1 again: refused at once, never looped on or landed."""
    area = _area(catalogue, protocol)
    add_fault(sandbox, kind="repeat_page", borough=area.slug, dataset="service_requests")
    with pytest.raises(FatalFetchError, match="page 2 repeats the previous page") as error:
        _fetch(catalogue, area, data_dir)
    assert area.name in str(error.value) and _nothing_landed(data_dir, area)
    assert [r["faults"] for r in request_log(sandbox)].count(["repeat_page"]) == 1


def test_ckan_package_show_is_recorded_in_the_manifest(catalogue, data_dir, sandbox):
    """After the pages, one package_show: title, licence and last modified go into the manifest."""
    area = _area(catalogue, "ckan")
    batch = _fetch(catalogue, area, data_dir)
    said = json.loads((batch.records_path.parent / "manifest.json").read_text())["source_metadata"]
    assert said["title"] == f"{catalogue.dataset('service_requests').title} ({area.name})"
    assert (
        said["licence"] == "UK Open Government Licence (OGL)"
        and said["resource_id"] == "service-requests"
    )
    assert said["metadata_modified"] == said["resource_last_modified"] and "error" not in said
    paths = [r["path"] for r in request_log(sandbox)]
    assert sum("package_show" in p for p in paths) == 1 and "package_show" in paths[-1]


def test_a_failed_package_show_lands_the_data_and_says_why(catalogue, data_dir, sandbox):
    """package_show for a package the portal does not have: the feed lands, the manifest says what failed."""
    area = _area(catalogue, "ckan")
    feed = catalogue.feed(f"service_requests/{area.code}")
    wrong = replace(
        feed.area,
        dataset_portals={"service_requests": replace(area.portal, package="no-such-package")},
    )
    batch = fetch_feed(
        catalogue, replace(feed, area=wrong), DAY, data_dir.landing, build_session(FAST_HTTP)
    )
    assert batch.row_count == len(_truth(catalogue, "service_requests", area))
    said = json.loads((batch.records_path.parent / "manifest.json").read_text())["source_metadata"]
    assert said["error"].startswith("HTTP 404") and "id=no-such-package" in said["url"]


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            {"protocol": "arcgis", "base_url": "x", "paging": "cursor"},
            r"paging: 'cursor' is not one of \['auto'",
        ),
        (
            {"protocol": "ckan", "base_url": "x", "date_format": "%Y", "paging": "offset"},
            "ckan pages one way only",
        ),
        (
            {"protocol": "ckan", "base_url": "x", "date_format": "%Y", "package": "p"},
            "per-dataset entry",
        ),
    ],
)
def test_portal_paging_and_package_are_validated(raw, message):
    """A wrong paging choice, or a package outside a CKAN dataset entry, stops the config load."""
    from pathlib import Path

    from ingest.errors import CatalogueError
    from ingest.portals import parse_portal

    with pytest.raises(CatalogueError, match=message):
        parse_portal(raw, Path("london.yml"), "areas[0].portal", str, "Europe/London")


def test_portal_paging_defaults_to_the_layer_and_package_to_the_resource():
    from pathlib import Path

    from ingest.portals import parse_portal

    arcgis = parse_portal(
        {"protocol": "arcgis", "base_url": "x"}, Path("l.yml"), "p", str, "Europe/London"
    )
    ckan = parse_portal(
        {"protocol": "ckan", "base_url": "x", "date_format": "%Y"},
        Path("l.yml"),
        "p",
        str,
        "Europe/London",
    )
    entry = parse_portal(
        {"package": "road-casualties-2026"},
        Path("l.yml"),
        "p.datasets.d",
        str,
        "Europe/London",
        parent=ckan,
    )
    assert (arcgis.paging, ckan.paging, ckan.package, entry.package) == (
        "auto",
        None,
        None,
        "road-casualties-2026",
    )
