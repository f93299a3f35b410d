"""The borough API sandbox, over real HTTP: data, paging, quirks, faults, control."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import yaml

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from ingest.periods import is_period_start, period_end
from ingest.protocols.arcgis import where_for_day
from ingest.protocols.wire import wire_date
from sandbox import SandboxServer, expected_rows, truth_records
from sandbox.quirks import same_name
from sandbox.settings import load_settings
from sandbox.volumes import Volumes

REPO = Path(__file__).resolve().parent.parent
DAY = dt.date(2024, 3, 14)
CATALOGUE = load_catalogue()
SETTINGS = load_settings(CATALOGUE)
CKAN_AREA = CATALOGUE.area("croydon")  # CKAN, dd/mm/yyyy, thousands numbers
SOCRATA_AREA = CATALOGUE.area("hackney")  # Socrata, floating timestamps, "LB Hackney"


AS_OF = dt.date(2026, 10, 31)  # bulk files are pinned to this publication day


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(CATALOGUE, as_of=AS_OF) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(sandbox):
    yield
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)


def ckan(sandbox, area, dataset_id, day=DAY, **params):
    dataset = CATALOGUE.dataset(dataset_id)
    query = {
        "resource_id": dataset.resource,
        "filters": json.dumps({dataset.date_field: day.strftime(area.portal.date_format)}),
        **params,
    }
    return requests.get(
        f"{sandbox.url}/{area.slug}/api/3/action/datastore_search", params=query, timeout=10
    )


def socrata(sandbox, area, dataset_id, day=DAY, **params):
    dataset = CATALOGUE.dataset(dataset_id)
    where = f"{dataset.date_field} = '{day.strftime(area.portal.date_format)}'"
    return requests.get(
        f"{sandbox.url}/{area.slug}/resource/{dataset.resource}.json",
        params={"$where": where, **params},
        timeout=10,
    )


def arm(sandbox, **fault):
    response = requests.post(f"{sandbox.url}/_sandbox/faults", json=fault, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def truth(dataset_id, area, day=DAY, seed=None):
    return truth_records(
        dataset_id, area, day, seed=SETTINGS.seed if seed is None else seed, catalogue=CATALOGUE
    )


def ckan_pages(sandbox, area, dataset_id, limit):
    pages, offset = [], 0
    while True:
        result = ckan(sandbox, area, dataset_id, limit=limit, offset=offset).json()["result"]
        pages.append(result)
        offset += len(result["records"])
        if not result["records"] or offset >= result["total"]:
            return pages


def published_rows(sandbox, area, dataset, day):
    """One day of a feed as the borough's portal publishes it, under the dataset's names."""
    protocol = area.portal_for(dataset.id).protocol
    if protocol == "ckan":
        return ckan(sandbox, area, dataset.id, day, limit=1000).json()["result"]["records"]
    if protocol == "socrata":
        return socrata(sandbox, area, dataset.id, day, **{"$order": dataset.key}).json()
    if protocol == "arcgis":
        return [f["attributes"] for f in arcgis(sandbox, area, dataset.id, day).json()["features"]]
    if protocol == "open311":
        wire = dataset.wire_map("open311")
        rows = open311(sandbox, area, day, page_size=100).json()
        return [
            {
                name: wire.values.get(name, {}).get(r.get(w), r.get(w))
                for name, w in wire.fields.items()
            }
            for r in rows
        ]
    response = requests.get(
        f"{sandbox.url}/{area.slug}/download/{dataset.resource}.csv", timeout=10
    )
    rows = list(
        csv.DictReader(io.StringIO(response.content.decode(SETTINGS.quirks[area.code].encoding)))
    )
    return [
        r
        for r in rows
        if r[dataset.date_field] == day.strftime(area.portal_for(dataset.id).date_format)
    ]


def arcgis(sandbox, area, dataset_id, day=DAY, **params):
    dataset = CATALOGUE.dataset(dataset_id)
    where = where_for_day(dataset.date_field, day, area.portal.timezone)
    return requests.get(
        f"{sandbox.url}/{area.slug}/arcgis/rest/services/{dataset.resource}/FeatureServer/0/query",
        params={
            "where": where,
            "outFields": "*",
            "orderByFields": dataset.key,
            "f": "json",
            **params,
        },
        timeout=10,
    )


def open311(sandbox, area, day=DAY, **params):
    zone = ZoneInfo(area.portal.timezone)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return requests.get(
        f"{sandbox.url}/{area.slug}/open311/v2/requests.json",
        timeout=10,
        params={
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(hours=23, minutes=59)).isoformat(),
            **params,
        },
    )


def decode(value, field, area, dataset_id="road_casualties"):
    """Undo a borough's quirks, as staging will: null markers, labels, dates, numbers."""
    quirk = SETTINGS.quirks[area.code]
    portal = area.portal_for(dataset_id)
    if (
        value is None
        or value == quirk.null_marker
        or (portal.protocol == "bulk_csv" and value == "")
    ):
        return None
    if field.name == "borough":
        assert any(same_name(value, n) for n in (area.name, *area.aliases)), value
        return area.name
    if field.type == "date":
        if portal.date_format in ("epoch_ms", "iso8601"):
            return dt.date.fromisoformat(wire_date(value, portal))
        return dt.datetime.strptime(value, portal.date_format).date()
    if field.type == "integer":
        return int(str(value).replace(",", ""))
    return value


# --- data ------------------------------------------------------------------------------


def test_same_request_twice_gives_identical_bytes(sandbox):
    """The same request, asked twice, answers byte for byte the same."""
    first = ckan(sandbox, CKAN_AREA, "service_requests", limit=20, offset=5)
    second = ckan(sandbox, CKAN_AREA, "service_requests", limit=20, offset=5)
    assert first.status_code == 200 and first.content == second.content


def test_same_seed_gives_same_bytes_on_another_server(sandbox):
    """A second server with the same seed publishes the same bytes."""
    with SandboxServer(CATALOGUE, seed=sandbox.seed) as other:
        assert (
            socrata(other, SOCRATA_AREA, "service_requests").content
            == socrata(sandbox, SOCRATA_AREA, "service_requests").content
        )


def test_different_days_differ(sandbox):
    """Two data days publish different records."""
    monday = socrata(sandbox, SOCRATA_AREA, "service_requests", day=DAY).json()
    tuesday = socrata(
        sandbox, SOCRATA_AREA, "service_requests", day=DAY + dt.timedelta(days=1)
    ).json()
    assert monday and tuesday and monday != tuesday


def test_truth_uses_catalogue_labels_and_unique_keys():
    """Generated categories are the catalogue's labels; keys are unique; losses never exceed gains;
    values stay within the catalogue's bounds; periodic datasets have records on period starts only."""
    for dataset in CATALOGUE.datasets.values():
        if dataset.region_wide:
            continue  # served from real files (sandbox/downloads.py), never generated
        days = [DAY + dt.timedelta(days=n) for n in range(20 if not dataset.periodic else 200)]
        records = [r for day in days for r in truth(dataset.id, CKAN_AREA, day)]
        assert records and len({r[dataset.key] for r in records}) == len(records)
        assert {r[dataset.date_field] for r in records} <= {
            d for d in days if is_period_start(d, dataset.cadence)
        }
        for spec in dataset.fields:
            values = {r[spec.name] for r in records}
            if spec.values:
                assert values - {None} <= set(spec.values), spec.name
            if spec.required:
                assert None not in values, spec.name
            numbers = [v for v in values if isinstance(v, (int, float))]
            if numbers and spec.min is not None:
                assert spec.min <= min(numbers) and max(numbers) <= spec.max, spec.name
    for record in (
        r
        for n in range(60)
        for r in truth("housing_completions", CKAN_AREA, DAY + dt.timedelta(days=n))
    ):
        assert 0 <= record["units_lost"] <= record["units_completed"]


def test_periods_are_published_after_their_lag_and_late_or_withheld_as_configured():
    """On time: a period is out 3 days before it is due; a late borough later; a withholding one never."""
    dataset = CATALOGUE.dataset("temporary_accommodation")
    quarter = dt.date(2026, 4, 1)
    due = period_end(quarter, "quarterly") + dt.timedelta(days=dataset.publication.lag_days)
    on_time, late = (
        SETTINGS.quirks[CKAN_AREA.code],
        SETTINGS.quirks[CATALOGUE.area("redbridge").code],
    )
    assert not on_time.publishes(dataset, quarter, due - dt.timedelta(days=4))
    assert on_time.publishes(dataset, quarter, due - dt.timedelta(days=3))
    assert not late.publishes(dataset, quarter, due + dt.timedelta(days=60))
    assert late.publishes(dataset, quarter, due + dt.timedelta(days=147))
    newham = SETTINGS.quirks[CATALOGUE.area("newham").code]
    assert not newham.publishes(
        CATALOGUE.dataset("household_waste"), quarter, due + dt.timedelta(days=3650)
    )
    assert newham.publishes(dataset, quarter, due)


def test_expected_rows_add_up_to_annual_rows_shared_by_population():
    """Mean rows over every borough and 365 days equal annual_rows; big boroughs publish more."""
    volumes = Volumes.load(CATALOGUE)
    for dataset_id, annual in SETTINGS.annual_rows.items():
        year = (
            sum(
                expected_rows(dataset_id, a, scale=2.0, volumes=volumes)
                for a in CATALOGUE.region.areas
            )
            * 365
        )
        assert year == pytest.approx(2.0 * annual)
    city, croydon = CATALOGUE.area("city-of-london"), CATALOGUE.area("croydon")
    assert expected_rows("road_casualties", croydon, volumes=volumes) > 10 * expected_rows(
        "road_casualties", city, volumes=volumes
    )


# --- CKAN ------------------------------------------------------------------------------


def test_ckan_paging_returns_every_truth_record_once(sandbox):
    """Paging with limit/offset yields each truth record exactly once; the last page still has next."""
    pages = ckan_pages(sandbox, CKAN_AREA, "service_requests", limit=7)
    keys = [r["request_ref"] for page in pages for r in page["records"]]
    assert sorted(keys) == sorted(r["request_ref"] for r in truth("service_requests", CKAN_AREA))
    assert len(pages) > 2 and "next" in pages[-1]["_links"]


def test_ckan_total_equals_truth_count(sandbox):
    """result.total is the number of truth records for the day."""
    result = ckan(sandbox, CKAN_AREA, "road_casualties", limit=1).json()["result"]
    assert (
        result["total"] == len(truth("road_casualties", CKAN_AREA))
        and result["total_was_estimated"] is False
    )


def test_ckan_response_has_the_real_shape(sandbox):
    """The envelope, echoed parameters, _id and fields look like CKAN 2.9+."""
    body = ckan(sandbox, CKAN_AREA, "road_casualties", limit=5).json()
    result = body["result"]
    assert body["success"] is True and body["help"].endswith(
        "/api/3/action/help_show?name=datastore_search"
    )
    assert list(result) == [
        "filters",
        "include_total",
        "limit",
        "records_format",
        "resource_id",
        "total_estimation_threshold",
        "records",
        "fields",
        "_links",
        "total",
        "total_was_estimated",
    ]
    assert [f["id"] for f in result["fields"]] == [
        "_id",
        *CATALOGUE.dataset("road_casualties").column_names,
    ]
    assert [r["_id"] for r in result["records"]] == list(range(1, len(result["records"]) + 1))


def test_ckan_unknown_resource_is_a_not_found_error(sandbox):
    """An unknown resource_id answers 404 with CKAN's Not Found Error body."""
    response = requests.get(
        f"{sandbox.url}/croydon/api/3/action/datastore_search",
        params={"resource_id": "no-such-thing"},
        timeout=5,
    )
    assert response.status_code == 404
    assert response.json()["success"] is False
    assert response.json()["error"] == {
        "__type": "Not Found Error",
        "message": 'Not found: Resource "no-such-thing" was not found.',
    }


def test_ckan_bad_limit_is_a_validation_error(sandbox):
    """A negative limit answers 409 Validation Error naming the field."""
    response = ckan(sandbox, CKAN_AREA, "road_casualties", limit=-1)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "__type": "Validation Error",
        "limit": ["Must be a natural number"],
    }


# --- Socrata ---------------------------------------------------------------------------


def test_socrata_returns_bare_array_of_strings_without_nulls(sandbox):
    """SODA bodies are a bare array of flat objects, all values strings, null fields omitted."""
    rows = socrata(sandbox, SOCRATA_AREA, "service_requests").json()
    truth_by_key = {r["request_ref"]: r for r in truth("service_requests", SOCRATA_AREA)}
    assert isinstance(rows, list) and len(rows) == len(truth_by_key)
    assert all(isinstance(v, str) for row in rows for v in row.values())
    for row in rows:
        assert ("closed_date" in row) == (
            truth_by_key[row["request_ref"]]["closed_date"] is not None
        )


def test_socrata_order_is_stable_across_pages(sandbox):
    """Paging with $order and $offset gives the sorted truth, each record once."""
    rows, offset = [], 0
    while True:
        page = socrata(
            sandbox,
            SOCRATA_AREA,
            "service_requests",
            **{"$order": "category DESC", "$limit": 9, "$offset": offset},
        ).json()
        rows += page
        offset += 9
        if len(page) < 9:
            break
    expected = sorted(truth("service_requests", SOCRATA_AREA), key=lambda r: r["request_ref"])
    expected.sort(key=lambda r: r["category"], reverse=True)
    assert [r["request_ref"] for r in rows] == [r["request_ref"] for r in expected]


def test_socrata_between_serves_every_day_in_range(sandbox):
    """$where between two timestamps serves each day of the range."""
    week = [DAY + dt.timedelta(days=n) for n in range(7)]
    response = requests.get(
        f"{sandbox.url}/hackney/resource/road-casualties.json",
        params={
            "$where": f"accident_date between '{week[0]}T00:00:00.000' and '{week[-1]}T00:00:00.000'",
            "$limit": 50000,
        },
        timeout=10,
    )
    assert len(response.json()) == sum(len(truth("road_casualties", SOCRATA_AREA, d)) for d in week)


def test_socrata_unknown_resource_is_a_soda_error(sandbox):
    """An unknown dataset answers 404 with SODA's {"error": true, "message"} body."""
    response = requests.get(f"{sandbox.url}/hackney/resource/abcd-1234.json", timeout=5)
    assert (
        response.status_code == 404
        and response.json()["error"] is True
        and response.json()["message"]
    )


# --- quirks ----------------------------------------------------------------------------


@pytest.mark.parametrize("area", CATALOGUE.region.areas, ids=lambda a: a.slug)
@pytest.mark.parametrize("dataset_id", ["road_casualties", "service_requests"])
def test_published_records_parse_back_to_the_truth(sandbox, area, dataset_id):
    """Every borough's feed, on whichever protocol it uses, undone with its own quirks, equals the truth."""
    dataset = CATALOGUE.dataset(dataset_id)
    days = [AS_OF - dt.timedelta(days=n) for n in range(3)]
    expected = sorted(
        (r for d in days for r in truth(dataset.id, area, d)), key=lambda r: r[dataset.key]
    )
    published = [row for day in days for row in published_rows(sandbox, area, dataset, day)]
    decoded = [
        {f.name: decode(row.get(f.name), f, area, dataset_id) for f in dataset.fields}
        for row in published
    ]
    assert sorted(decoded, key=lambda r: r[dataset.key]) == expected


def test_quirky_borough_uses_its_label_date_format_and_null_marker(sandbox):
    """Barking and Dagenham writes "BARKING & DAGENHAM", dd/mm/yyyy dates, and "" for unknown ages."""
    area = CATALOGUE.area("barking-and-dagenham")
    day = next(
        DAY + dt.timedelta(days=n)
        for n in range(200)
        if any(
            r["casualty_age"] is None
            for r in truth("road_casualties", area, DAY + dt.timedelta(days=n))
        )
    )
    records = ckan(sandbox, area, "road_casualties", day).json()["result"]["records"]
    assert {r["borough"] for r in records} == {"BARKING & DAGENHAM"}
    assert {r["accident_date"] for r in records} == {day.strftime("%d/%m/%Y")}
    assert "" in {r["casualty_age"] for r in records}


def test_sandbox_config_rejects_mistakes(tmp_path):
    """A region's sandbox file with an unknown borough, numbers mode or label fails to load, saying which."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    catalogue = load_catalogue(tmp_path / "config")
    path = tmp_path / "config" / "sandbox" / "london.yml"
    original = yaml.safe_load(path.read_text())
    for quirk, message in (
        ({"E0900009": {"numbers": "strings"}}, "not a GSS borough code"),
        ({"E08000003": {"numbers": "strings"}}, "not a borough of this region"),
        ({"E09000003": {"numbers": "roman"}}, "unknown mode 'roman'"),
        ({"E09000003": {"borough_label": "Barnett"}}, "not 'Barnet' or one of its aliases"),
    ):
        path.write_text(yaml.safe_dump({**original, "quirks": quirk}))
        with pytest.raises(CatalogueError, match=message):
            load_settings(catalogue)


# --- faults ----------------------------------------------------------------------------


def test_status_fault_answers_429_with_retry_after(sandbox):
    """A status fault answers its status, a Retry-After header and the portal's error body."""
    arm(sandbox, kind="status", borough="croydon", status=429, retry_after=7)
    response = ckan(sandbox, CKAN_AREA, "road_casualties")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["success"] is False


def test_fault_expires_after_times_requests(sandbox):
    """A fault with times=2 hits two matching requests, then the feed recovers."""
    arm(
        sandbox,
        kind="status",
        borough=SOCRATA_AREA.code,
        dataset="road_casualties",
        status=503,
        times=2,
    )
    other_dataset = socrata(sandbox, SOCRATA_AREA, "service_requests").status_code
    statuses = [socrata(sandbox, SOCRATA_AREA, "road_casualties").status_code for _ in range(3)]
    assert other_dataset == 200 and statuses == [503, 503, 200]
    assert requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()["faults"] == []


def test_offline_borough_answers_503_html_for_every_dataset(sandbox):
    """An offline borough answers its proxy's 503 page; other boroughs are unaffected."""
    arm(sandbox, kind="offline", borough="croydon")
    for dataset_id in CATALOGUE.datasets:
        response = ckan(sandbox, CKAN_AREA, dataset_id)
        assert response.status_code == 503 and response.headers["Content-Type"] == "text/html"
    assert ckan(sandbox, CATALOGUE.area("barnet"), "road_casualties").status_code == 200


def test_drop_column_removes_the_field(sandbox):
    """drop_column removes the column from every record and from the field list."""
    arm(sandbox, kind="drop_column", dataset="road_casualties", column="severity")
    result = ckan(sandbox, CKAN_AREA, "road_casualties").json()["result"]
    assert result["records"] and all("severity" not in r for r in result["records"])
    assert "severity" not in [f["id"] for f in result["fields"]]


def test_rename_column_renames_the_field(sandbox):
    """rename_column publishes the column under its new name."""
    arm(sandbox, kind="rename_column", borough="hackney", column="casualty_ref", to="CasualtyRef")
    rows = socrata(sandbox, SOCRATA_AREA, "road_casualties").json()
    assert rows and all("CasualtyRef" in r and "casualty_ref" not in r for r in rows)


def test_wrong_type_puts_the_value_in_the_first_rows(sandbox):
    """wrong_type writes its value into the column of the first `rows` records only."""
    arm(sandbox, kind="wrong_type", borough="croydon", column="category", value=12345, rows=2)
    records = ckan(sandbox, CKAN_AREA, "service_requests").json()["result"]["records"]
    assert [r["category"] for r in records[:2]] == [12345, 12345]
    assert all(r["category"] != 12345 for r in records[2:])


def test_out_of_range_is_rendered_the_borough_way(sandbox):
    """out_of_range values go through the borough's quirks (Croydon writes thousands)."""
    arm(sandbox, kind="out_of_range", borough="croydon", column="casualty_age", value=5000)
    records = ckan(sandbox, CKAN_AREA, "road_casualties").json()["result"]["records"]
    assert records and {r["casualty_age"] for r in records} == {"5,000"}


def test_duplicate_rows_repeats_the_first_records(sandbox):
    """duplicate_rows publishes the first k records a second time, counted in total."""
    arm(sandbox, kind="duplicate_rows", borough="croydon", rows=3)
    result = ckan(sandbox, CKAN_AREA, "service_requests", limit=1000).json()["result"]
    keys = [r["request_ref"] for r in result["records"]]
    assert result["total"] == len(truth("service_requests", CKAN_AREA)) + 3
    assert keys[-3:] == keys[:3] and len(set(keys)) == len(keys) - 3


def test_truncate_cuts_the_body_mid_json(sandbox):
    """truncate (short) ends the body early; (drop) closes the connection mid-body."""
    arm(sandbox, kind="truncate", borough="croydon", bytes=200, times=1)
    response = ckan(sandbox, CKAN_AREA, "service_requests")
    assert len(response.content) == 200
    with pytest.raises(ValueError):
        response.json()
    arm(sandbox, kind="truncate", borough="croydon", mode="drop", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        ckan(sandbox, CKAN_AREA, "service_requests")


def test_slow_fault_delays_the_response(sandbox):
    """slow holds the response back delay_s seconds (a client timeout fires)."""
    arm(sandbox, kind="slow", borough="hackney", delay_s=0.6, times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            f"{sandbox.url}/hackney/resource/road-casualties.json",
            timeout=0.2,
            params={"$where": f"accident_date = '{DAY}T00:00:00.000'"},
        )


def test_flaky_fault_fails_a_share_of_requests_deterministically(sandbox):
    """flaky fails about `rate` of requests with 500/429, identically on a replay."""

    def run():
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
        arm(sandbox, kind="flaky", rate=0.3)
        return [
            ckan(sandbox, CKAN_AREA, "road_casualties", day=DAY + dt.timedelta(days=n)).status_code
            for n in range(40)
        ]

    first = run()
    assert first == run()
    assert set(first) <= {200, 429, 500} and 4 <= sum(s != 200 for s in first) <= 20


def test_bad_fault_is_refused_with_a_reason(sandbox):
    """A malformed fault is refused with 400 and a message naming the key."""
    response = requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"kind": "status", "borough": "atlantis"}, timeout=5
    )
    assert response.status_code == 400 and "atlantis" in response.json()["error"]


# --- control ---------------------------------------------------------------------------


def test_request_log_records_requests(sandbox):
    """The request log lists each borough request with its status, borough, dataset and faults."""
    arm(sandbox, kind="status", borough="hackney", status=500, times=1)
    socrata(sandbox, SOCRATA_AREA, "road_casualties")
    ckan(sandbox, CKAN_AREA, "housing_completions")
    log = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5).json()["requests"]
    assert [(e["status"], e["borough"], e["dataset"], e["faults"]) for e in log] == [
        (500, SOCRATA_AREA.code, "road_casualties", ["status"]),
        (200, CKAN_AREA.code, "housing_completions", []),
    ]
    assert log[1]["method"] == "GET" and log[1]["path"].startswith(
        "/croydon/api/3/action/datastore_search?"
    )


def test_cli_serves_until_sigterm(tmp_path):
    """python -m sandbox writes its ready file, serves, and exits 0 on SIGTERM."""
    ready, pidfile = tmp_path / "ready", tmp_path / "pid"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--faults",
            "demo",
            "--ready-file",
            str(ready),
            "--pidfile",
            str(pidfile),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine starts Python slowly
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        url = ready.read_text().strip()
        assert int(pidfile.read_text()) == process.pid
        assert requests.get(f"{url}/_sandbox/health", timeout=5).json()["ok"] is True
        assert (
            requests.get(f"{url}/bexley/api/3/action/datastore_search", timeout=5).status_code
            == 503
        )
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert url in process.stdout.read() and not ready.exists() and not pidfile.exists()
    finally:
        if process.poll() is None:
            process.kill()


def test_each_region_has_its_own_quirks_and_fault_profiles():
    """Greater Manchester's file names its districts; London's profiles are not offered there."""
    manchester = load_catalogue(region="greater-manchester")
    settings = load_settings(manchester)
    assert (
        settings.quirks[manchester.area("manchester").code].borough_label
        == "Manchester City Council"
    )
    assert {"none", "flaky", "demo"} <= set(settings.fault_profiles)
    assert [f.borough for f in settings.fault_profiles["demo"]] == [manchester.area("bolton").code]
    assert SETTINGS.fault_profiles["demo"] != settings.fault_profiles["demo"]
