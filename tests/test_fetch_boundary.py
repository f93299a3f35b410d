"""Whatever one feed sends, fetching it ends in a landed batch or a clear FetchError.

Each case is served by the sandbox over real HTTP (a fault kind in sandbox/faults.py):
bodies in another charset, a web page instead of data, a huge CSV cell, a column
Socrata leaves out because it is null in every row, a day that fills its last page.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sandbox_control import add_fault, clear_faults, clear_request_log, request_log

from ingest.catalogue import PROTOCOLS
from ingest.errors import FatalFetchError, FetchError, RetriableFetchError
from ingest.fetch import fetch_feed
from ingest.http import Response, build_session
from ingest.landing import latest_batch
from ingest.protocols import PROTOCOL_CLASSES
from pipeline.validate import validate_batch
from sandbox.generator import truth_records
from sandbox.settings import load_settings

DAY = date(2026, 11, 10)
DATASET = "service_requests"
FAST_HTTP = {
    "connect_timeout_s": 2,
    "read_timeout_s": 5,
    "retries": 2,
    "backoff_factor_s": 0.05,
    "backoff_max_s": 0.2,
    "retry_after_max_s": 1,
    "max_pages": 1000,
}
JSON_PROTOCOLS = sorted(set(PROTOCOL_CLASSES) - {"bulk_csv"})
ACCENTED = "Café £5 – Hammersmith"  # é and £ are one byte in latin-1; the dash is cp1252 only


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    clear_faults(sandbox)
    clear_request_log(sandbox)
    yield
    clear_faults(sandbox)


def _area(catalogue, protocol):
    return [a for a in catalogue.region.areas if a.portal_for(DATASET).protocol == protocol][-1]


def _fetch(catalogue, area, data_dir, page_size=7):
    paged = replace(
        catalogue, settings=replace(catalogue.settings, page_size={p: page_size for p in PROTOCOLS})
    )
    return fetch_feed(
        paged,
        catalogue.feed(f"{DATASET}/{area.code}"),
        DAY,
        data_dir.landing,
        build_session(FAST_HTTP),
    )


def _records(batch):
    return [
        json.loads(line) for line in batch.records_path.read_text(encoding="utf-8").splitlines()
    ]


def _pages(batch) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(Path(batch.path).glob("page-*")))


def _truth(catalogue, area):
    return truth_records(
        DATASET, area, DAY, seed=load_settings(catalogue).seed, catalogue=catalogue
    )


# --- charsets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, declared",
    [
        ("latin-1", False),
        ("cp1252", False),
        ("latin-1", True),
        ("utf-8-sig", False),
        ("utf-8", True),
    ],
)
def test_socrata_json_in_any_usual_charset_lands_the_right_text(
    catalogue, data_dir, sandbox, encoding, declared
):
    """A JSON body in latin-1/cp1252 (charset named or not) or UTF-8 with a BOM lands as the text it was."""
    area = _area(catalogue, "socrata")
    text = ACCENTED if encoding != "latin-1" else ACCENTED.replace("–", "-")
    add_fault(
        sandbox,
        kind="wrong_type",
        column="borough",
        value=text,
        rows=1,
        borough=area.slug,
        dataset=DATASET,
    )
    add_fault(
        sandbox,
        kind="encoding",
        encoding=encoding,
        declared=declared,
        borough=area.slug,
        dataset=DATASET,
    )
    batch = _fetch(catalogue, area, data_dir)
    assert text.encode(encoding.removesuffix("-sig")) in _pages(batch), (
        "the page must carry the recoded bytes"
    )
    assert batch.row_count == len(_truth(catalogue, area))
    assert text in [r["borough"] for r in _records(batch)]


@pytest.mark.parametrize("protocol", JSON_PROTOCOLS)
def test_json_with_a_utf8_byte_order_mark_is_read(catalogue, data_dir, sandbox, protocol):
    """Every JSON protocol reads a body that opens with a UTF-8 BOM (json.loads alone refuses it)."""
    area = _area(catalogue, protocol)
    add_fault(sandbox, kind="encoding", encoding="utf-8-sig", borough=area.slug, dataset=DATASET)
    batch = _fetch(catalogue, area, data_dir)
    assert _pages(batch).startswith(b"\xef\xbb\xbf")
    assert batch.row_count == len(_truth(catalogue, area))


# --- a web page instead of data -----------------------------------------------------------


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
def test_an_html_page_served_with_200_is_reported_as_such(catalogue, data_dir, sandbox, protocol):
    """A sign-in page where data was asked for: 'an HTML page, not data' naming the feed; nothing landed."""
    area = _area(catalogue, protocol)
    add_fault(
        sandbox, kind="html_page", title="Sign in to the portal", borough=area.slug, dataset=DATASET
    )
    with pytest.raises(RetriableFetchError) as error:
        _fetch(catalogue, area, data_dir)
    message = str(error.value)
    assert message.startswith(
        f"{DATASET} from {area.name} failed: an HTML page, not data (HTTP 200"
    )
    assert "'Sign in to the portal'" in message and "\n" not in message
    assert latest_batch(data_dir.landing, DATASET, area.code, DAY.isoformat()) is None


# --- CSV cells of any size ----------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["bulk_csv", "socrata"])
def test_a_cell_over_the_csv_module_limit_lands_whole(catalogue, data_dir, sandbox, protocol):
    """A 300 KB cell (over the csv module's default 128 KiB field limit) is read, and the feed lands whole."""
    area = _area(catalogue, protocol)
    add_fault(
        sandbox,
        kind="huge_cell",
        column="request_ref",
        bytes=300_000,
        rows=1,
        borough=area.slug,
        dataset=DATASET,
    )
    batch = _fetch(catalogue, area, data_dir)
    cell = ("Long free text. " * 20_000)[:300_000]
    assert cell.encode() in _pages(batch)  # the bulk file's first row may be another day's
    assert batch.row_count == len(_truth(catalogue, area))
    assert all(
        len(r["request_ref"]) in (300_000, len(r["request_ref"][:40])) for r in _records(batch)
    )


# --- Socrata leaves out a column that is null in every row --------------------------------


def test_a_column_null_in_every_row_is_landed_as_null_and_passes_validation(
    catalogue, data_dir, sandbox
):
    """SODA omits null fields; X-SODA2-Fields still declares the column, so every record carries it as null."""
    area = _area(catalogue, "socrata")
    add_fault(sandbox, kind="null_column", column="closed_date", borough=area.slug, dataset=DATASET)
    batch = _fetch(catalogue, area, data_dir)
    assert b'"closed_date"' not in _pages(batch), (
        "the sandbox must leave the column out, as SODA does"
    )
    records = _records(batch)
    assert len(records) == len(_truth(catalogue, area)) and all(
        r["closed_date"] is None for r in records
    )
    outcome = validate_batch(batch, catalogue.dataset(DATASET), area, catalogue.settings)
    assert outcome.success, outcome.failures


def test_a_column_the_portal_no_longer_declares_still_shows_as_drift(catalogue, data_dir, sandbox):
    """Filling in declared columns never hides a dropped one: it is absent from the header and the records."""
    area = _area(catalogue, "socrata")
    add_fault(sandbox, kind="drop_column", column="channel", borough=area.slug, dataset=DATASET)
    batch = _fetch(catalogue, area, data_dir)
    assert not any("channel" in r for r in _records(batch))
    outcome = validate_batch(batch, catalogue.dataset(DATASET), area, catalogue.settings)
    assert not outcome.success and "schema drift: missing column(s) ['channel']" in outcome.failures


# --- a day that exactly fills its last page -----------------------------------------------


def _divisor(rows: int) -> int | None:
    """A page size that splits `rows` into at least two exactly full pages."""
    return next((size for size in range(2, rows // 2 + 1) if rows % size == 0), None)


@pytest.mark.parametrize("protocol", JSON_PROTOCOLS)
def test_a_day_that_fills_its_last_page_exactly_ends_cleanly(
    catalogue, data_dir, sandbox, protocol
):
    """Pages of a size that divides the day: every row lands once and paging stops after the last."""
    areas = [a for a in catalogue.region.areas if a.portal_for(DATASET).protocol == protocol]
    area, rows, size = next(
        (a, n, _divisor(n)) for a in areas for n in [len(_truth(catalogue, a))] if _divisor(n)
    )
    batch = _fetch(catalogue, area, data_dir, page_size=size)
    assert batch.row_count == rows
    assert len({r["request_ref"] for r in _records(batch)}) == rows
    paths = [r["path"] for r in request_log(sandbox)]
    assert len(paths) == len(set(paths)), (
        "no page is asked twice (an empty last page is the end, not a glitch)"
    )


# --- what reaches the caller is always a FetchError ---------------------------------------


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CLASSES))
def test_a_body_cut_short_is_a_fetch_error_not_a_crash(catalogue, data_dir, sandbox, protocol):
    """Half a body (JSON or CSV) is a FetchError naming the feed, whatever the protocol."""
    area = _area(catalogue, protocol)
    add_fault(sandbox, kind="truncate", borough=area.slug, dataset=DATASET)
    with pytest.raises(FetchError) as error:
        _fetch(catalogue, area, data_dir)
    assert str(error.value).startswith(f"{DATASET} from {area.name} failed: ")


@pytest.mark.parametrize(
    "protocol, payload",
    [
        ("ckan", {"success": True, "result": []}),
        ("ckan", {"success": True, "result": {"records": [1, 2], "total": "many"}}),
        ("socrata", ["a row that is text"]),
        ("socrata", {"rows": []}),
        ("arcgis", {"features": [{"attributes": None}]}),
        ("open311", [{"service_request_id": "1"}, 7]),
    ],
)
def test_json_of_the_wrong_shape_is_a_fatal_fetch_error(protocol, payload):
    """Valid JSON that is not the protocol's shape is a FatalFetchError, never an AttributeError."""
    connector = PROTOCOL_CLASSES[protocol]()
    connector.fetch = lambda *args, **kwargs: Response(
        url="http://portal/x", status=200, body=b"", payload=payload
    )
    with pytest.raises(FatalFetchError):
        connector._get(None, "http://portal/x", {}, None, None)
