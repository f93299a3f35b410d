"""The real connectors against real recorded API responses, replayed over real HTTP.

A tiny stdlib server on 127.0.0.1 answers each request with the recorded body chosen by
one query parameter (the offset), so paging decisions are made on what real CKAN, DKAN,
Socrata and ArcGIS servers actually sent (tests/fixtures/SOURCES.md): `_links.next` on
the last page, a total that drifts between recordings, bare arrays of strings,
`exceededTransferLimit` with zero features, and errors that arrive with HTTP 200.
Requests that are not pages (an ArcGIS layer description, a count or an id list, CKAN
package_show) are answered from `routes`, keyed by what the request asks for.
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
from ingest.errors import FatalFetchError, RetriableFetchError
from ingest.http import build_session
from ingest.protocols import protocol_for
from ingest.protocols.arcgis import ArcGisFeatureServer, layer_paging

API = Path(__file__).resolve().parent / "fixtures" / "api"
DAY = date(2026, 11, 10)
HTTP = {
    "connect_timeout_s": 2,
    "read_timeout_s": 10,
    "retries": 0,
    "backoff_factor_s": 0,
    "backoff_max_s": 0,
    "retry_after_max_s": 0,
    "max_pages": 500,
}
CATALOGUE = load_catalogue()


def route(path: str, query: dict[str, str]) -> str | None:
    """What a request that is no page asks for: layer, returnCountOnly, returnIdsOnly, package_show."""
    if path.endswith("/FeatureServer/0"):
        return "layer"
    if path.endswith("/package_show"):
        return "package_show"
    return next(
        (flag for flag in ("returnCountOnly", "returnIdsOnly") if query.get(flag) == "true"), None
    )


class Replay:
    """Serves recorded bodies: {value of `param`: (status, body)}, and `routes` for requests
    that are no page (see route()); anything else is a 404."""

    def __init__(
        self,
        param: str,
        bodies: dict[str, tuple[int, bytes]],
        routes: dict[str, tuple[int, bytes]] | None = None,
    ):
        self.param, self.bodies, self.requests = param, bodies, []
        self.routes = {"layer": (200, recorded("arcgis", "koop_layer.json")), **(routes or {})}
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path, query = urlsplit(self.path).path, dict(parse_qsl(urlsplit(self.path).query))
                asked = route(path, query)
                if asked is None:
                    replay.requests.append(query)
                missing = (404, b'{"error": "not recorded"}')
                status, body = (
                    replay.routes.get(asked, missing)
                    if asked
                    else replay.bodies.get(query.get(replay.param, "0"), missing)
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> Replay:
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


def feed_at(protocol: str, replay: Replay, resource: str | None = None) -> Feed:
    """A road casualties feed whose portal is the replay server."""
    feed = CATALOGUE.feeds(["road_casualties"])[0]
    fixed = {"arcgis": "epoch_ms", "open311": "iso8601"}.get(protocol, "%Y-%m-%d")
    area = replace(feed.area, portal=Portal(protocol, replay.url, fixed), dataset_portals={})
    dataset = replace(feed.dataset, resource=resource) if resource else feed.dataset
    return Feed(dataset, area)


def run(protocol: str, replay: Replay, page_size: int) -> list:
    """Every page the real connector reads from the replay server, for a feed pointed at it."""
    pages = protocol_for(protocol).pages(
        build_session(HTTP),
        feed_at(protocol, replay),
        DAY,
        page_size=page_size,
        max_pages=int(HTTP["max_pages"]),
    )
    return list(pages)


def counted(n: int) -> tuple[int, bytes]:
    """A returnCountOnly answer shaped like koop_countPaging.json, for a count no recording has."""
    return 200, json.dumps({"count": n}).encode()


# --- CKAN ------------------------------------------------------------------------------


def test_ckan_data_gov_il_reads_1268_hebrew_records_and_ignores_next():
    """One page of 1,268 records under Hebrew field names; `_links.next` is not followed."""
    with Replay(
        "offset", {"0": (200, recorded("ckan", "data_gov_il_datastore_search_limit32000.json"))}
    ) as api:
        pages = run("ckan", api, page_size=32000)
    assert api.offsets() == ["0"]
    assert [len(p.records) for p in pages] == [1268] and pages[0].total == 1268
    assert "שם_ישוב" in pages[0].records[0] and "_id" not in pages[0].records[0]


@pytest.mark.parametrize("page_size", [100, 9])
def test_ckan_odaa_stops_at_total_though_next_is_present(page_size):
    """Total 9: stop after 9 records (short page or total reached), never follow `next`."""
    with Replay(
        "offset", {"0": (200, recorded("ckan", "odaa_dk_datastore_search_2017.json"))}
    ) as api:
        pages = run("ckan", api, page_size=page_size)
    assert api.offsets() == ["0"] and sum(len(p.records) for p in pages) == 9


def test_dkan_louisville_pages_to_the_short_last_page_despite_a_drifting_total():
    """First page says 15,866, later pages 15,738: paging ends on the 38-row page at 15700."""
    first = recorded(
        "dkan_ckan_compat", "louisville_permits_offset0_total15866_later_recording.json"
    )
    middle = json.loads(recorded("dkan_ckan_compat", "louisville_permits_offset100.json"))
    bodies = {
        "0": (200, first),
        "100": (200, json.dumps(middle).encode()),
        "15600": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15600.json")),
        "15700": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15700_last.json")),
    }
    for offset in range(200, 15600, 100):  # pages not recorded: the offset-100 page, made distinct
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
    bodies = {
        "0": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15600.json")),
        "100": (200, recorded("dkan_ckan_compat", "louisville_permits_offset15700_last.json")),
    }
    with Replay("offset", bodies) as api:
        pages = run("ckan", api, page_size=100)
    assert api.offsets() == ["0", "100"] and [len(p.records) for p in pages] == [100, 38]


def test_ckan_package_show_gives_title_licence_and_modification_times():
    """demo.ckan.org package_show: the resource asked for is found; its last_modified is null there."""
    with Replay(
        "offset",
        {},
        {"package_show": (200, recorded("ckan", "demo_ckan_package_show_17be64bb.json"))},
    ) as api:
        said = protocol_for("ckan").source_metadata(
            build_session(HTTP),
            feed_at("ckan", api, resource="a5cd573b-5565-48f1-9b2d-8726004cb020"),
        )
    assert said == {
        "url": said["url"],
        "package": "2016-regione-asia-est-oceania-classi-di-eta",
        "title": "2016 Regione Asia Est Oceania * Classi di età",
        "licence": "Creative Commons Attribution",
        "licence_id": "cc-by",
        "licence_url": "http://www.opendefinition.org/licenses/cc-by",
        "metadata_modified": "2017-07-05T19:29:07.136124",
        "resource_id": "a5cd573b-5565-48f1-9b2d-8726004cb020",
        "resource_last_modified": None,
    }
    assert said["url"].startswith(f"{api.url}/api/3/action/package_show?id=a5cd573b")


def test_ckan_package_show_without_licence_url_or_organization():
    """The 62513382 package has no license_url and no organization: those are simply absent."""
    with Replay(
        "offset",
        {},
        {"package_show": (200, recorded("ckan", "demo_ckan_package_show_62513382.json"))},
    ) as api:
        said = protocol_for("ckan").source_metadata(build_session(HTTP), feed_at("ckan", api))
    assert (said["title"], said["licence"], said["licence_url"]) == (
        "100 Validated Species of Plants",
        "Other (Open)",
        None,
    )
    assert (
        said["resource_id"] == "bf4d5116-634e-43f2-a41c-9ae22d362083"
    )  # the package's only resource


def test_ckan_package_show_failure_is_recorded_not_raised():
    """A package_show error (here a 404) leaves the feed alone and says what went wrong."""
    with Replay("offset", {}) as api:
        said = protocol_for("ckan").source_metadata(build_session(HTTP), feed_at("ckan", api))
    assert said["error"].startswith("HTTP 404") and "package_show" in said["url"]


# --- Socrata ---------------------------------------------------------------------------


def test_socrata_bike_counts_stop_on_the_short_page():
    """1,000 rows then 1: two requests, 1,001 rows, every value a string."""
    bodies = {
        "0": (200, recorded("socrata", "bike_counts_page_1_offset0.json")),
        "1000": (200, recorded("socrata", "bike_counts_page_2_offset1000.json")),
    }
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
    """koop_page (flag true) asks for the next page; features-empty (flag true, 0 rows) stops
    once the server's count says the 1,000 rows received are all there are."""
    bodies = {
        "0": (200, recorded("arcgis", "koop_page.json")),
        "1000": (200, recorded("arcgis", "koop_features-empty.json")),
    }
    with Replay("resultOffset", bodies, {"returnCountOnly": counted(1000)}) as api:
        pages = run("arcgis", api, page_size=1000)
    assert api.offsets() == ["0", "1000"]
    assert [len(p.records) for p in pages] == [1000, 0]
    assert "FID" not in pages[0].records[0] and "row_num" in pages[0].records[0]


def test_arcgis_flag_with_zero_features_never_loops():
    """exceededTransferLimit true with no features, on the first page, count 0: one request, no rows."""
    with Replay(
        "resultOffset",
        {"0": (200, recorded("arcgis", "koop_features-empty.json"))},
        {"returnCountOnly": counted(0)},
    ) as api:
        pages = run("arcgis", api, page_size=1000)
    assert len(api.requests) == 1 and [len(p.records) for p in pages] == [0]


def test_arcgis_empty_page_while_the_count_says_more_fails_after_asking_again():
    """features-empty flagged, koop_countPaging says 15,592: the page is asked again, then refused."""
    with Replay(
        "resultOffset",
        {"0": (200, recorded("arcgis", "koop_features-empty.json"))},
        {"returnCountOnly": (200, recorded("arcgis", "koop_countPaging.json"))},
    ) as api:
        with pytest.raises(
            RetriableFetchError,
            match="page 1 came back empty 3 times although the server says "
            "15592 more records are due",
        ):
            run("arcgis", api, page_size=1000)
    assert api.offsets() == ["0", "0", "0"]


@pytest.mark.parametrize(
    "name, supports, limit",
    [
        ("koop_layerNoPaging.json", False, 1000),  # 10.2: no advancedQueryCapabilities
        ("koop_layerPaging.json", True, 100),
        ("koop_layer.json", True, 1000),
        ("esridump_us-ca-carson_us-ca-carson-metadata.json", False, 500),  # 10.0: no maxRecordCount
    ],
)
def test_arcgis_layer_metadata_says_how_to_page(name, supports, limit):
    """supportsPagination and maxRecordCount are read from real layer descriptions."""
    assert layer_paging(json.loads(recorded("arcgis", name))) == (supports, limit)


@pytest.mark.parametrize(
    "name, count, first, last",
    [
        ("koop_objectIds.json", 82, 1, 82),
        ("esridump_us-ca-carson_us-ca-carson-ids-only.json", 100, 70193, 70307),
    ],
)
def test_arcgis_ids_only_answers_are_read_exactly(name, count, first, last):
    """returnIdsOnly answers (objectIdField or objectIdFieldName) give every id, gaps and all."""
    payload = json.loads(recorded("arcgis", name))
    ids = ArcGisFeatureServer().object_ids(payload)
    assert len(ids) == count and (ids[0], ids[-1]) == (first, last)
    assert ArcGisFeatureServer().records(payload, "http://x") == []
    assert ArcGisFeatureServer().object_ids({**payload, "objectIds": None}) == []  # no match: null


def test_arcgis_without_pagination_is_paged_by_object_ids():
    """koop_layerNoPaging (10.2): every id first (carson's 100), then chunks of objectIds, never resultOffset."""
    ids = json.loads(recorded("arcgis", "esridump_us-ca-carson_us-ca-carson-ids-only.json"))[
        "objectIds"
    ]
    chunks = {
        ",".join(map(str, ids[:50])): (
            200,
            recorded("arcgis", "esridump_us-il-cook_page-full.json"),
        ),
        ",".join(map(str, ids[50:])): (
            200,
            recorded("arcgis", "esridump_us-il-cook_page-partial.json"),
        ),
    }
    routes = {
        "layer": (200, recorded("arcgis", "koop_layerNoPaging.json")),
        "returnIdsOnly": (
            200,
            recorded("arcgis", "esridump_us-ca-carson_us-ca-carson-ids-only.json"),
        ),
    }
    with Replay("objectIds", chunks, routes) as api:
        pages = run("arcgis", api, page_size=50)
    assert [q.get("objectIds") for q in api.requests] == list(chunks)
    assert not any("resultOffset" in q for q in api.requests)
    assert [len(p.records) for p in pages] == [0, 500, 2] and pages[0].total == 100


def test_arcgis_page_size_is_kept_within_max_record_count():
    """koop_layerPaging says maxRecordCount 100: pages of 100 are asked for, not the 1,000 configured."""
    with Replay(
        "resultOffset",
        {"0": (200, recorded("arcgis", "esridump_us-il-cook_page-partial.json"))},
        {"layer": (200, recorded("arcgis", "koop_layerPaging.json"))},
    ) as api:
        run("arcgis", api, page_size=1000)
    assert [q["resultRecordCount"] for q in api.requests] == ["100"]


@pytest.mark.parametrize(
    "name, rows",
    [("esridump_us-il-cook_page-full.json", 500), ("esridump_us-il-cook_page-partial.json", 2)],
)
def test_arcgis_no_flag_means_no_more_pages(name, rows):
    """Without exceededTransferLimit a page is the last, even a full one."""
    with Replay("resultOffset", {"0": (200, recorded("arcgis", name))}) as api:
        pages = run("arcgis", api, page_size=rows)
    assert len(api.requests) == 1 and len(pages[0].records) == rows


@pytest.mark.parametrize(
    "name, code, message",
    [
        ("koop_secured.json", 499, "Token Required"),
        ("koop_statsFail.json", 400, "Invalid or missing input"),
    ],
)
def test_arcgis_http_200_error_is_fatal_with_code_and_message(name, code, message):
    """An `error` object with HTTP 200 is a FatalFetchError naming its code and message and URL."""
    with Replay("resultOffset", {"0": (200, recorded("arcgis", name))}) as api:
        with pytest.raises(FatalFetchError, match=f"ArcGIS error {code}: {message}") as error:
            run("arcgis", api, page_size=1000)
    assert error.value.url.startswith(api.url)
