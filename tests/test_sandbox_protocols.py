"""The sandbox's ArcGIS, Open311 and bulk CSV portals speak their real protocols."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from ingest.catalogue import load_catalogue
from ingest.protocols.arcgis import where_for_day
from sandbox import SandboxServer, truth_records
from sandbox.settings import load_settings

CATALOGUE = load_catalogue()
SETTINGS = load_settings(CATALOGUE)
DAY = dt.date(2026, 10, 20)
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(CATALOGUE, as_of=AS_OF) as server:
        yield server


def truth(dataset_id, slug, day=DAY):
    return truth_records(
        dataset_id, CATALOGUE.area(slug), day, seed=SETTINGS.seed, catalogue=CATALOGUE
    )


def query(sandbox, slug="lambeth", resource="service-requests", **params):
    return requests.get(
        f"{sandbox.url}/{slug}/arcgis/rest/services/{resource}/FeatureServer/0/query",
        params={"f": "json", **params},
        timeout=10,
    )


def test_arcgis_flags_more_pages_only_while_rows_remain(sandbox):
    """exceededTransferLimit is true on full pages and absent on the last one."""
    rows = len(truth("service_requests", "lambeth"))
    where = where_for_day("requested_date", DAY, "Europe/London")
    first = query(
        sandbox, where=where, resultRecordCount=rows - 1, orderByFields="request_ref"
    ).json()
    last = query(
        sandbox,
        where=where,
        resultRecordCount=rows - 1,
        resultOffset=rows - 1,
        orderByFields="request_ref",
    ).json()
    assert first["exceededTransferLimit"] is True and len(first["features"]) == rows - 1
    assert "exceededTransferLimit" not in last and len(last["features"]) == 1
    assert first["objectIdFieldName"] == "OBJECTID"


def test_arcgis_caps_pages_at_max_record_count(sandbox):
    """A page never exceeds the layer's maxRecordCount, whatever is asked."""
    layer = requests.get(
        f"{sandbox.url}/lambeth/arcgis/rest/services/service-requests/FeatureServer/0",
        params={"f": "json"},
        timeout=10,
    ).json()
    week = (
        f"requested_date >= timestamp '{DAY - dt.timedelta(days=30)} 00:00:00' AND "
        f"requested_date < timestamp '{DAY} 00:00:00'"
    )
    page = query(sandbox, where=week, resultRecordCount=50000).json()
    assert (
        len(page["features"]) == layer["maxRecordCount"] and page["exceededTransferLimit"] is True
    )


def test_arcgis_errors_come_with_http_200(sandbox):
    """A bad where clause answers HTTP 200 with an error object, as ArcGIS Server does."""
    response = query(sandbox, where="requested_date > 'yesterday'")
    assert response.status_code == 200 and response.json()["error"]["code"] == 400


def test_open311_services_and_page_size_cap(sandbox):
    """services.json lists the categories; page_size is capped at the server's maximum."""
    services = requests.get(f"{sandbox.url}/merton/open311/v2/services.json", timeout=10).json()
    categories = next(
        f for f in CATALOGUE.dataset("service_requests").fields if f.name == "category"
    ).values
    assert {s["service_name"] for s in services} == set(categories)
    window = {"start_date": "2026-10-01T00:00:00+01:00", "end_date": "2026-10-20T23:59:59+01:00"}
    page = requests.get(
        f"{sandbox.url}/merton/open311/v2/requests.json",
        params={**window, "page_size": 5000},
        timeout=10,
    ).json()
    assert len(page) == 100
    assert {
        "service_request_id",
        "status",
        "service_name",
        "service_code",
        "requested_datetime",
    } <= set(page[0])
    assert page[0]["status"] in ("open", "closed") and page[0]["requested_datetime"].endswith(
        "+01:00"
    )


def test_open311_rejects_a_window_over_90_days(sandbox):
    """start_date/end_date more than 90 days apart answer 400 with Open311's error array."""
    response = requests.get(
        f"{sandbox.url}/merton/open311/v2/requests.json",
        timeout=10,
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"},
    )
    assert response.status_code == 400 and response.json()[0]["code"] == 400


def test_open311_borough_does_not_serve_service_requests_on_its_main_portal(sandbox):
    """Merton publishes service requests through Open311 only; its CKAN says not found."""
    response = requests.get(
        f"{sandbox.url}/merton/api/3/action/datastore_search",
        params={"resource_id": "service-requests"},
        timeout=10,
    )
    assert response.status_code == 404


def test_bulk_file_answers_conditional_gets(sandbox):
    """ETag and Last-Modified are sent; If-None-Match or If-Modified-Since answer 304."""
    url = f"{sandbox.url}/sutton/download/road-casualties.csv"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200 and first.headers["ETag"].startswith('"')
    assert (
        requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10).status_code
        == 304
    )
    assert (
        requests.get(
            url, headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=10
        ).status_code
        == 304
    )
    assert (
        requests.get(
            url,
            headers={
                "If-None-Match": '"other"',
                "If-Modified-Since": first.headers["Last-Modified"],
            },
            timeout=10,
        ).status_code
        == 200
    )


def test_bulk_file_holds_every_day_to_the_publication_day(sandbox):
    """The file's rows are all days from first_day to as_of, nothing later."""
    text = requests.get(f"{sandbox.url}/sutton/download/road-casualties.csv", timeout=10).text
    lines = text.splitlines()
    days = {line.split(",")[1] for line in lines[1:]}
    assert max(days) <= AS_OF.isoformat() and min(days) >= SETTINGS.bulk_first_day.isoformat()
    expected = sum(
        len(truth("road_casualties", "sutton", SETTINGS.bulk_first_day + dt.timedelta(days=n)))
        for n in range((AS_OF - SETTINGS.bulk_first_day).days + 1)
    )
    assert len(lines) - 1 == expected and text.endswith("\r\n")


def test_arcgis_borough_without_pagination_answers_like_a_10_2_server(sandbox):
    """Hounslow (supports_pagination: false): no advancedQueryCapabilities, resultOffset ignored,
    every id on returnIdsOnly, records by objectIds, the count on returnCountOnly."""
    layer = requests.get(
        f"{sandbox.url}/hounslow/arcgis/rest/services/service-requests/FeatureServer/0",
        params={"f": "json"},
        timeout=10,
    ).json()
    assert layer["currentVersion"] == 10.2 and "advancedQueryCapabilities" not in layer
    rows = len(truth("service_requests", "hounslow"))
    where = where_for_day("requested_date", DAY, "Europe/London")
    second = query(sandbox, "hounslow", where=where, resultOffset=2, resultRecordCount=2).json()
    assert len(second["features"]) == rows and "exceededTransferLimit" not in second
    ids = query(sandbox, "hounslow", where=where, returnIdsOnly="true").json()
    assert ids["objectIdFieldName"] == "OBJECTID" and len(ids["objectIds"]) == rows
    chunk = query(
        sandbox, "hounslow", where=where, objectIds=",".join(map(str, ids["objectIds"][2:5]))
    ).json()
    assert [f["attributes"]["OBJECTID"] for f in chunk["features"]] == ids["objectIds"][2:5]
    assert query(sandbox, "hounslow", where=where, returnCountOnly="true").json() == {"count": rows}


def test_arcgis_object_ids_are_stable_across_queries(sandbox):
    """An id names the same record whatever the where clause or order (ids paging relies on it)."""
    day = where_for_day("requested_date", DAY, "Europe/London")
    week = (
        f"requested_date >= timestamp '{DAY - dt.timedelta(days=3)} 00:00:00' AND "
        f"requested_date < timestamp '{DAY + dt.timedelta(days=1)} 00:00:00'"
    )
    one = {
        f["attributes"]["OBJECTID"]: f["attributes"]["request_ref"]
        for f in query(sandbox, where=day).json()["features"]
    }
    many = {
        f["attributes"]["OBJECTID"]: f["attributes"]["request_ref"]
        for f in query(sandbox, where=week, orderByFields="request_ref DESC").json()["features"]
    }
    assert one and all(many[oid] == ref for oid, ref in one.items())


def test_ckan_package_show_describes_the_dataset(sandbox):
    """package_show: the borough's title, OGL licence, and last modified on the publication day."""
    body = requests.get(
        f"{sandbox.url}/croydon/api/3/action/package_show",
        params={"id": "road-casualties"},
        timeout=10,
    ).json()
    result = body["result"]
    assert body["success"] is True and result["name"] == "road-casualties"
    assert result["title"] == f"{CATALOGUE.dataset('road_casualties').title} (Croydon)"
    assert result["license_id"] == "uk-ogl" and result["metadata_modified"].startswith(
        AS_OF.isoformat()
    )
    assert result["resources"][0]["id"] == "road-casualties"
    assert result["resources"][0]["last_modified"] == result["metadata_modified"]
    missing = requests.get(
        f"{sandbox.url}/croydon/api/3/action/package_show", params={"id": "nope"}, timeout=10
    )
    assert missing.status_code == 404 and missing.json()["success"] is False


def test_socrata_counts_with_select(sandbox):
    """$select=count(*) [AS name] answers one row with the count as text; columns select columns;
    other functions are refused."""
    url = f"{sandbox.url}/hackney/resource/service-requests.json"
    area = CATALOGUE.area("hackney")
    where = {
        "$where": f"requested_date = '{DAY.strftime(area.portal_for('service_requests').date_format)}'"
    }
    rows = len(truth("service_requests", "hackney"))
    assert requests.get(url, params={**where, "$select": "count(*)"}, timeout=10).json() == [
        {"count": str(rows)}
    ]
    assert requests.get(url, params={**where, "$select": "count(*) AS n"}, timeout=10).json() == [
        {"n": str(rows)}
    ]
    boroughs = requests.get(url, params={**where, "$select": "borough"}, timeout=10).json()
    assert len(boroughs) == rows and all(list(r) == ["borough"] for r in boroughs)
    assert (
        requests.get(url, params={**where, "$select": "max(borough)"}, timeout=10).status_code
        == 400
    )


@pytest.mark.parametrize(
    "fault, message",
    [
        ({"kind": "reset", "rows": 1}, r"reset: unknown keys \['rows'\]"),
        ({"kind": "empty_page", "delay_s": 1}, r"empty_page: unknown keys \['delay_s'\]"),
        ({"kind": "repeat_pages"}, "unknown fault kind 'repeat_pages'"),
    ],
)
def test_new_fault_kinds_are_validated(fault, message):
    from sandbox.fault_specs import FaultSpecError, parse_fault

    with pytest.raises(FaultSpecError, match=message):
        parse_fault(fault, CATALOGUE)


@pytest.mark.parametrize(
    "quirk, message",
    [
        (
            {"E09000007": {"supports_pagination": False}},
            "only an ArcGIS portal can lack pagination",
        ),
        (
            {"E09000018": {"supports_pagination": "no"}},
            "supports_pagination: expected true or false",
        ),
    ],
)
def test_supports_pagination_quirk_is_validated(quirk, message):
    from pathlib import Path

    from ingest.errors import CatalogueError
    from sandbox.quirks import build_quirks

    with pytest.raises(CatalogueError, match=message):
        build_quirks(quirk, CATALOGUE.region.areas, Path("sandbox.yml"))
