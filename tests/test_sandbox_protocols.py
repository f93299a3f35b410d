"""The sandbox's ArcGIS, Open311 and bulk CSV portals speak their real protocols."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from ingest.catalogue import load_catalogue
from ingest.protocols.arcgis import where_for_day
from ingest.sandbox import SandboxServer, truth_records
from ingest.sandbox.settings import load_settings

CATALOGUE = load_catalogue()
SETTINGS = load_settings(CATALOGUE)
DAY = dt.date(2026, 10, 20)
AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(CATALOGUE, as_of=AS_OF) as server:
        yield server


def truth(dataset_id, slug, day=DAY):
    return truth_records(dataset_id, CATALOGUE.area(slug), day, seed=SETTINGS.seed, catalogue=CATALOGUE)


def query(sandbox, slug="lambeth", resource="service-requests", **params):
    return requests.get(f"{sandbox.url}/{slug}/arcgis/rest/services/{resource}/FeatureServer/0/query",
                        params={"f": "json", **params}, timeout=10)


def test_arcgis_flags_more_pages_only_while_rows_remain(sandbox):
    """exceededTransferLimit is true on full pages and absent on the last one."""
    rows = len(truth("service_requests", "lambeth"))
    where = where_for_day("requested_date", DAY, "Europe/London")
    first = query(sandbox, where=where, resultRecordCount=rows - 1, orderByFields="request_ref").json()
    last = query(sandbox, where=where, resultRecordCount=rows - 1, resultOffset=rows - 1,
                 orderByFields="request_ref").json()
    assert first["exceededTransferLimit"] is True and len(first["features"]) == rows - 1
    assert "exceededTransferLimit" not in last and len(last["features"]) == 1
    assert first["objectIdFieldName"] == "OBJECTID"


def test_arcgis_caps_pages_at_max_record_count(sandbox):
    """A page never exceeds the layer's maxRecordCount, whatever is asked."""
    layer = requests.get(f"{sandbox.url}/lambeth/arcgis/rest/services/service-requests/FeatureServer/0",
                         params={"f": "json"}, timeout=10).json()
    week = (f"requested_date >= timestamp '{DAY - dt.timedelta(days=30)} 00:00:00' AND "
            f"requested_date < timestamp '{DAY} 00:00:00'")
    page = query(sandbox, where=week, resultRecordCount=50000).json()
    assert len(page["features"]) == layer["maxRecordCount"] and page["exceededTransferLimit"] is True


def test_arcgis_errors_come_with_http_200(sandbox):
    """A bad where clause answers HTTP 200 with an error object, as ArcGIS Server does."""
    response = query(sandbox, where="requested_date > 'yesterday'")
    assert response.status_code == 200 and response.json()["error"]["code"] == 400


def test_open311_services_and_page_size_cap(sandbox):
    """services.json lists the categories; page_size is capped at the server's maximum."""
    services = requests.get(f"{sandbox.url}/merton/open311/v2/services.json", timeout=10).json()
    categories = next(f for f in CATALOGUE.dataset("service_requests").fields if f.name == "category").values
    assert {s["service_name"] for s in services} == set(categories)
    window = {"start_date": "2026-10-01T00:00:00+01:00", "end_date": "2026-10-20T23:59:59+01:00"}
    page = requests.get(f"{sandbox.url}/merton/open311/v2/requests.json", params={**window, "page_size": 5000},
                        timeout=10).json()
    assert len(page) == 100
    assert {"service_request_id", "status", "service_name", "service_code", "requested_datetime"} <= set(page[0])
    assert page[0]["status"] in ("open", "closed") and page[0]["requested_datetime"].endswith("+01:00")


def test_open311_rejects_a_window_over_90_days(sandbox):
    """start_date/end_date more than 90 days apart answer 400 with Open311's error array."""
    response = requests.get(f"{sandbox.url}/merton/open311/v2/requests.json", timeout=10, params={
        "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"})
    assert response.status_code == 400 and response.json()[0]["code"] == 400


def test_open311_borough_does_not_serve_service_requests_on_its_main_portal(sandbox):
    """Merton publishes service requests through Open311 only; its CKAN says not found."""
    response = requests.get(f"{sandbox.url}/merton/api/3/action/datastore_search",
                            params={"resource_id": "service-requests"}, timeout=10)
    assert response.status_code == 404


def test_bulk_file_answers_conditional_gets(sandbox):
    """ETag and Last-Modified are sent; If-None-Match or If-Modified-Since answer 304."""
    url = f"{sandbox.url}/sutton/download/road-casualties.csv"
    first = requests.get(url, timeout=10)
    assert first.status_code == 200 and first.headers["ETag"].startswith('"')
    assert requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]},
                        timeout=10).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since":
                                      first.headers["Last-Modified"]}, timeout=10).status_code == 200


def test_bulk_file_holds_every_day_to_the_publication_day(sandbox):
    """The file's rows are all days from first_day to as_of, nothing later."""
    text = requests.get(f"{sandbox.url}/sutton/download/road-casualties.csv", timeout=10).text
    lines = text.splitlines()
    days = {line.split(",")[1] for line in lines[1:]}
    assert max(days) <= AS_OF.isoformat() and min(days) >= SETTINGS.bulk_first_day.isoformat()
    expected = sum(len(truth("road_casualties", "sutton", SETTINGS.bulk_first_day + dt.timedelta(days=n)))
                   for n in range((AS_OF - SETTINGS.bulk_first_day).days + 1))
    assert len(lines) - 1 == expected and text.endswith("\r\n")
