"""The real connectors against real recorded API responses, replayed over real HTTP.

A tiny stdlib server on 127.0.0.1 answers each request with the recorded body chosen by
one query parameter (the offset), so paging decisions are made on what real CKAN, DKAN,
Socrata and ArcGIS servers actually sent (tests/fixtures/SOURCES.md): `_links.next` on
the last page, a total that drifts between recordings, bare arrays of strings,
`exceededTransferLimit` with zero features, and errors that arrive with HTTP 200.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from ingest.catalogue import Feed, Portal, load_catalogue
from ingest.errors import FatalFetchError
from ingest.http import build_session
from ingest.protocols import protocol_for

API = Path(__file__).resolve().parent / "fixtures" / "api"
DAY = date(2026, 11, 10)
HTTP = {"connect_timeout_s": 2, "read_timeout_s": 10, "retries": 0, "backoff_factor_s": 0,
        "backoff_max_s": 0, "retry_after_max_s": 0, "max_pages": 500}
CATALOGUE = load_catalogue()


class Replay:
    """Serves recorded bodies: {value of `param`: (status, body)}; anything else is a 404."""

    def __init__(self, param: str, bodies: dict[str, tuple[int, bytes]]):
        self.param, self.bodies, self.requests = param, bodies, []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = dict(parse_qsl(urlsplit(self.path).query))
                replay.requests.append(query)
                status, body = replay.bodies.get(query.get(replay.param, "0"), (404, b'{"error": "not recorded"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> "Replay":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def offsets(self) -> list[str]:
        return [q.get(self.param) for q in self.requests]


def recorded(*parts: str) -> bytes:
    return (API.joinpath(*parts)).read_bytes()


def run(protocol: str, replay: Replay, page_size: int) -> list:
    """Every page the real connector reads from the replay server, for a feed pointed at it."""
    feed = CATALOGUE.feeds(["road_casualties"])[0]
    fixed = {"arcgis": "epoch_ms", "open311": "iso8601"}.get(protocol, "%Y-%m-%d")
    area = replace(feed.area, portal=Portal(protocol, replay.url, fixed), dataset_portals={})
    pages = protocol_for(protocol).pages(build_session(HTTP), Feed(feed.dataset, area), DAY,
                                         page_size=page_size, max_pages=int(HTTP["max_pages"]))
    return list(pages)


# --- CKAN ------------------------------------------------------------------------------

def test_ckan_data_gov_il_reads_1268_hebrew_records_and_ignores_next():
    """One page of 1,268 records under Hebrew field names; `_links.next` is not followed."""
    with Replay("offset", {"0": (200, recorded("ckan", "data_gov_il_datastore_search_limit32000.json"))}) as api:
        pages = run("ckan", api, page_size=32000)
    assert api.offsets() == ["0"]
    assert [len(p.records) for p in pages] == [1268] and pages[0].total == 1268
    assert "שם_ישוב" in pages[0].records[0] and "_id" not in pages[0].records[0]


@pytest.mark.parametrize("page_size", [100, 9])
def test_ckan_odaa_stops_at_total_though_next_is_present(page_size):
    """Total 9: stop after 9 records (short page or total reached), never follow `next`."""
    with Replay("offset", {"0": (200, recorded("ckan", "odaa_dk_datastore_search_2017.json"))}) as api:
        pages = run("ckan", api, page_size=page_size)
    assert api.offsets() == ["0"] and sum(len(p.records) for p in pages) == 9


def test_dkan_louisville_pages_to_the_short_last_page_despite_a_drifting_total():
    """First page says 15,866, later pages 15,738: paging ends on the 38-row page at 15700."""
    first = recorded("dkan_ckan_compat", "louisville_permits_offset0_total15866_later_recording.json")
    middle = json.loads(recorded("dkan_ckan_compat", "louisville_permits_offset100.json"))
    bodies = {"0": (200, first),
              "100": (200, json.dumps(middle).encode()),
              "15600": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15600.json")),
              "15700": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15700_last.json"))}
    for offset in range(200, 15600, 100):       # pages not recorded: the offset-100 page, made distinct
        filler = json.loads(json.dumps(middle))
        for record in filler["result"]["records"]:
            record["PERMITNUMBER"] = f"{record['PERMITNUMBER']}-{offset}"
        bodies[str(offset)] = (200, json.dumps(filler).encode())
    with Replay("offset", bodies) as api:
        pages = run("ckan", api, page_size=100)
    assert api.offsets() == [str(n) for n in range(0, 15800, 100)]
    assert pages[0].total == 15866 and pages[-1].total == 15738
    assert len(pages[-1].records) == 38 and sum(len(p.records) for p in pages) == 15738
    assert all(isinstance(v, (str, type(None))) for v in pages[-1].records[0].values())


def test_dkan_total_alone_does_not_stop_a_full_page():
    """At 15600 the page is full and 15,700 < 15,738: the next page is asked for, then it stops."""
    bodies = {"0": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15600.json")),
              "100": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15700_last.json"))}
    with Replay("offset", bodies) as api:
        pages = run("ckan", api, page_size=100)
    assert api.offsets() == ["0", "100"] and [len(p.records) for p in pages] == [100, 38]


# --- Socrata ---------------------------------------------------------------------------

def test_socrata_bike_counts_stop_on_the_short_page():
    """1,000 rows then 1: two requests, 1,001 rows, every value a string."""
    bodies = {"0": (200, recorded("socrata", "bike_counts_page_1_offset0.json")),
              "1000": (200, recorded("socrata", "bike_counts_page_2_offset1000.json"))}
    with Replay("$offset", bodies) as api:
        pages = run("socrata", api, page_size=1000)
    assert api.offsets() == ["0", "1000"]
    assert [len(p.records) for p in pages] == [1000, 1]
    assert all(isinstance(v, str) for p in pages for r in p.records for v in r.values())


@pytest.mark.parametrize("status", [403, 200])
def test_socrata_error_body_is_fatal_with_its_message(status):
    """The recorded 403 body fails the feed naming the API's message (with 403 or with 200)."""
    with Replay("$offset", {"0": (status, recorded("socrata", "error_403.json"))}) as api:
        with pytest.raises(FatalFetchError, match="You must be logged in to access this resource"):
            run("socrata", api, page_size=1000)
    assert len(api.requests) == 1


# --- ArcGIS ----------------------------------------------------------------------------

def test_arcgis_exceeded_transfer_limit_then_empty_page_stops():
    """koop_page (flag true) asks for the next page; features-empty (flag true, 0 rows) stops."""
    bodies = {"0": (200, recorded("arcgis", "koop_page.json")),
              "1000": (200, recorded("arcgis", "koop_features-empty.json"))}
    with Replay("resultOffset", bodies) as api:
        pages = run("arcgis", api, page_size=1000)
    assert api.offsets() == ["0", "1000"]
    assert [len(p.records) for p in pages] == [1000, 0]
    assert "FID" not in pages[0].records[0] and "row_num" in pages[0].records[0]


def test_arcgis_flag_with_zero_features_never_loops():
    """exceededTransferLimit true with no features, on the first page: one request, no rows."""
    with Replay("resultOffset", {"0": (200, recorded("arcgis", "koop_features-empty.json"))}) as api:
        pages = run("arcgis", api, page_size=1000)
    assert len(api.requests) == 1 and [len(p.records) for p in pages] == [0]


@pytest.mark.parametrize("name, rows", [("esridump_us-il-cook_page-full.json", 500),
                                        ("esridump_us-il-cook_page-partial.json", 2)])
def test_arcgis_no_flag_means_no_more_pages(name, rows):
    """Without exceededTransferLimit a page is the last, even a full one."""
    with Replay("resultOffset", {"0": (200, recorded("arcgis", name))}) as api:
        pages = run("arcgis", api, page_size=rows)
    assert len(api.requests) == 1 and len(pages[0].records) == rows


@pytest.mark.parametrize("name, code, message", [("koop_secured.json", 499, "Token Required"),
                                                 ("koop_statsFail.json", 400, "Invalid or missing input")])
def test_arcgis_http_200_error_is_fatal_with_code_and_message(name, code, message):
    """An `error` object with HTTP 200 is a FatalFetchError naming its code and message and URL."""
    with Replay("resultOffset", {"0": (200, recorded("arcgis", name))}) as api:
        with pytest.raises(FatalFetchError, match=f"ArcGIS error {code}: {message}") as error:
            run("arcgis", api, page_size=1000)
    assert error.value.url.startswith(api.url)
