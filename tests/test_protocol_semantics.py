"""What each new protocol means, end to end against the sandbox: files not re-downloaded
when unchanged, borough encodings, epoch-ms and ISO 8601 dates, Open311 names mapped,
and every protocol's batches accepted by validation under the dataset's column names."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES
from sandbox_control import add_fault, clear_faults, clear_request_log, request_log

from ingest.downloads import DownloadCache
from ingest.errors import RetriableFetchError
from ingest.fetch import fetch_feed
from ingest.protocols.csv_text import CsvFile, decode_text, parse_csv
from sandbox.generator import truth_records
from sandbox.settings import load_settings

DAY = date(2026, 11, 10)
SUMMER_DAY = date(2026, 10, 1)  # British Summer Time: midnight is 23:00 UTC the day before


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    clear_faults(sandbox)
    clear_request_log(sandbox)
    yield
    clear_faults(sandbox)


def _records(batch):
    return [
        json.loads(line) for line in batch.records_path.read_text(encoding="utf-8").splitlines()
    ]


def _truth(catalogue, dataset, area, day=DAY):
    return truth_records(
        dataset, area, day, seed=load_settings(catalogue).seed, catalogue=catalogue
    )


def test_unchanged_file_is_not_downloaded_again(catalogue, data_dir, sandbox):
    """The second fetch sends If-None-Match, gets 304, and keeps the day's landed batch."""
    feed = catalogue.feed("road_casualties/sutton")
    first = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    again = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    assert again == first, "an unchanged file must keep the landed batch"
    assert [r["status"] for r in request_log(sandbox)] == [200, 304]
    other_day = fetch_feed(catalogue, feed, date(2026, 11, 11), data_dir.landing)
    assert request_log(sandbox)[-1]["status"] == 304, "another day is read from the kept file"
    assert other_day.row_count == len(
        _truth(catalogue, "road_casualties", feed.area, date(2026, 11, 11))
    )
    page = next(other_day.records_path.parent.glob("page-0001.csv"))
    assert page.stat().st_nlink > 1, "the kept file is linked into the batch, not copied"


def test_changed_file_is_downloaded_again(catalogue, data_dir, sandbox):
    """A re-published file with other bytes (new ETag) is downloaded and landed as a new batch."""
    feed = catalogue.feed("road_casualties/sutton")
    first = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    add_fault(sandbox, kind="duplicate_rows", borough="sutton", dataset="road_casualties", rows=1)
    second = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    assert [r["status"] for r in request_log(sandbox)] == [200, 200]
    assert second.batch_id != first.batch_id
    assert (
        len(
            list(
                (data_dir.landing / "road_casualties" / feed.area.code / "_downloads").glob("*.csv")
            )
        )
        == 2
    )


def test_cp1252_file_with_thousands_and_no_break_space_lands_as_published(catalogue, data_dir):
    """Havering saves cp1252 (no charset): its no-break-space borough label survives decoding."""
    feed = catalogue.feed("service_requests/havering")
    batch = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    rows = _records(batch)
    assert len(rows) == len(_truth(catalogue, "service_requests", feed.area)) > 0
    assert {r["borough"] for r in rows} == {"London\u00a0Borough of Havering"}
    assert all(r["requested_date"] == DAY.strftime("%d/%m/%Y") for r in rows)
    assert {r["closed_date"] for r in rows if r["status"] == "Open"} <= {"n/a"}


def test_real_latin1_borough_profiles_are_decoded():
    """The GLA borough profiles (latin-1, £, "157,215", null markers) parse as text, intact."""
    body = (FIXTURES / "london-borough-profiles.csv").read_bytes()
    text, encoding = decode_text(body)
    assert encoding == "cp1252" and "£" in text
    rows = parse_csv(body, "file://london-borough-profiles.csv")
    assert len(rows) == 38
    assert "Average_Band_D_Council_Tax_charge_(£),_2015/16" in rows[0]
    assert rows[0]["Modelled_Household_median_income_estimates_2012/13"] == "£63,620"
    assert any("," in v and v.replace(",", "").isdigit() for r in rows for v in r.values())
    assert {".", "-", "n/a"} & {v for r in rows for v in r.values()}


@pytest.mark.parametrize(
    "body, declared",
    [
        ((FIXTURES / "london-borough-profiles.csv").read_bytes(), None),  # cp1252, £
        ('a,b\r\nCafé £5,"x\ny"\r\n'.encode("utf-8-sig"), None),  # BOM, a line break in a cell
        ("a,b\nCafé,£5\n".encode("latin-1"), "ISO-8859-1"),
        (b"\xef\xbb\xbfa,b\n\xe9,\x80\n", None),  # a BOM, then cp1252 bytes
        (b"a,b\n" + b"x" * 300_000 + b",1\n", None),  # a cell over the csv module's default limit
    ],
)
def test_a_bulk_file_read_from_disk_gives_the_rows_of_its_bytes(tmp_path, body, declared):
    """A downloaded file streamed to disk (never held whole) reads as the same rows, in the same charset."""
    path = tmp_path / "file.csv"
    path.write_bytes(body)
    rows = parse_csv(body, "file://x", declared)
    kept = CsvFile(path, "file://x", declared)
    assert len(kept) == len(rows) > 0
    assert list(kept) == rows
    assert kept.encoding == decode_text(body, declared)[1]


def test_a_cut_off_file_read_from_disk_fails_when_opened(tmp_path):
    """A ragged last row fails at fetch time, before anything is landed."""
    path = tmp_path / "file.csv"
    path.write_bytes(b"a,b,c\n1,2,3\n4,5")
    with pytest.raises(RetriableFetchError, match="row 3 has 2 cells"):
        CsvFile(path, "file://x")


def test_a_cut_off_csv_is_a_clear_error(catalogue, data_dir, sandbox):
    """A file cut mid-row is refused (a ragged last row), never landed short."""
    from ingest.errors import RetriableFetchError
    from ingest.http import build_session

    add_fault(sandbox, kind="truncate", borough="sutton", dataset="road_casualties", bytes=333)
    with pytest.raises(RetriableFetchError, match="cut off"):
        fetch_feed(
            catalogue,
            catalogue.feed("road_casualties/sutton"),
            DAY,
            data_dir.landing,
            build_session(
                {
                    "connect_timeout_s": 2,
                    "read_timeout_s": 5,
                    "retries": 0,
                    "backoff_factor_s": 0,
                    "backoff_max_s": 0,
                    "retry_after_max_s": 0,
                    "max_pages": 10,
                }
            ),
        )


@pytest.mark.parametrize("day", [DAY, SUMMER_DAY], ids=["gmt", "bst"])
def test_arcgis_epoch_ms_dates_round_trip(catalogue, data_dir, day):
    """Raw pages keep epoch milliseconds (London midnight); records carry the data day."""
    feed = catalogue.feed("road_casualties/lambeth")
    batch = fetch_feed(catalogue, feed, day, data_dir.landing)
    rows = _records(batch)
    assert len(rows) == len(_truth(catalogue, "road_casualties", feed.area, day)) > 0
    assert {r["accident_date"] for r in rows} == {day.isoformat()}
    assert all("OBJECTID" not in r for r in rows)
    page = json.loads(next(batch.records_path.parent.glob("page-0001.json")).read_bytes())
    stamps = {f["attributes"]["accident_date"] for f in page["features"]}
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Europe/London"))
    assert stamps == {int(midnight.timestamp() * 1000)}
    assert datetime.fromtimestamp(min(stamps) / 1000, UTC).hour == (23 if day == SUMMER_DAY else 0)


def test_open311_records_use_the_dataset_names_and_values(catalogue, data_dir):
    """Open311 wire names and 'open'/'closed' are mapped per datasets.yml; raw pages keep them."""
    feed = catalogue.feed("service_requests/merton")
    batch = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    rows = _records(batch)
    truth = {r["request_ref"]: r for r in _truth(catalogue, "service_requests", feed.area)}
    assert sorted(r["request_ref"] for r in rows) == sorted(truth)
    for row in rows:
        assert set(row) == set(feed.dataset.column_names)
        assert row["status"] == truth[row["request_ref"]]["status"]
        assert row["requested_date"] == DAY.isoformat()
    raw = json.loads(next(batch.records_path.parent.glob("page-0001.json")).read_bytes())
    assert {"service_request_id", "service_code", "requested_datetime"} <= set(raw[0])
    assert raw[0]["status"] in ("open", "closed")


@pytest.mark.parametrize(
    "feed_id",
    [
        "service_requests/merton",
        "road_casualties/lambeth",
        "service_requests/ealing",
        "housing_completions/havering",
        "service_requests/sutton",
    ],
)
def test_new_protocols_batches_pass_validation(catalogue, data_dir, feed_id):
    """Validation sees the dataset's column names and reads every protocol's values."""
    from pipeline.validate import validate_batch

    feed = catalogue.feed(feed_id)
    batch = fetch_feed(catalogue, feed, DAY, data_dir.landing)
    verdict = validate_batch(batch, feed.dataset, feed.area, catalogue.settings)
    assert verdict.success, verdict.failures
    assert not verdict.warnings and not verdict.extra_columns


def test_a_download_cut_by_a_killed_process_is_removed_by_the_next(tmp_path):
    """A bulk file streams into a private partial file; one a dead process left does not pile up."""
    feed = SimpleNamespace(
        dataset=SimpleNamespace(id="road_casualties"), area=SimpleNamespace(code="E1")
    )
    cache = DownloadCache(tmp_path, feed)
    cache.folder.mkdir(parents=True)
    dead = cache.folder / ".cut.999999999.partial"  # no such process
    dead.write_bytes(b"half a file")
    live = cache.folder / f".other.{os.getpid()}.partial"  # a download still running
    live.write_bytes(b"")
    fresh = cache.partial()
    assert not dead.exists() and live.exists() and fresh.parent == cache.folder
