"""What a feed-day does once and no more: a feed's portal asked once for its days, a record
known by its content whatever its key order, the environment read once per session."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sandbox_control import clear_request_log, request_log

from ingest.http import build_session
from ingest.landing import land_pages
from ingest.protocols.base import Page
from pipeline.ingest_steps import ingest_days

DAYS = ["2026-11-08", "2026-11-09", "2026-11-10"]


def test_a_feeds_days_ask_package_show_once_and_each_manifest_carries_it(
    catalogue, data_dir, sandbox
):
    """Three days of one CKAN feed: every manifest says what the portal says, asked once."""
    area = next(
        a for a in catalogue.region.areas if a.portal_for("road_casualties").protocol == "ckan"
    )
    feed = catalogue.feed(f"road_casualties/{area.code}")
    clear_request_log(sandbox)
    outcomes = ingest_days(
        catalogue, feed, DAYS, None, data_dir, build_session(catalogue.settings.http)
    )
    assert [o.status.value for o in outcomes] == ["landed"] * 3
    said = [
        json.loads((Path(o.to_dict()["batch"]["path"]) / "manifest.json").read_text())[
            "source_metadata"
        ]
        for o in outcomes
    ]
    assert said[0]["title"].endswith(f"({area.name})") and said == [said[0]] * 3
    paths = [r["path"] for r in request_log(sandbox)]
    assert sum("package_show" in p for p in paths) == 1


def _page(number: int, records: list[dict]) -> Page:
    body = json.dumps(records).encode()
    return Page(number, f"http://x/{number}", 200, body, records, None, "2026-11-10T00:00:00+00:00")


def test_a_record_served_again_in_another_key_order_is_landed_once(catalogue, data_dir):
    """Repeats are told by content: key order aside, 1 and true and 1.0 apart, nested values too."""
    feed = catalogue.feeds()[0]
    first = [
        {"id": "1", "n": 1, "where": None},
        {"id": "2", "n": True, "where": None},
        {"id": "3", "n": 1, "where": {"x": 1, "y": 2}},
    ]
    again = [
        {"n": 1, "where": None, "id": "1"},  # the first record, keys in another order
        {"id": "2", "n": 1.0, "where": None},  # not the second: 1.0 is not true
        {"id": "3", "n": 1, "where": {"y": 2, "x": 1}},  # the third, its object's keys reordered
    ]
    batch = land_pages(
        data_dir.landing, feed, date(2026, 11, 10), "ckan", [_page(1, first), _page(2, again)]
    )
    written = batch.records_path.read_bytes()
    lines = [json.loads(line) for line in written.decode().splitlines()]
    assert lines == [*first, again[1]] and batch.row_count == 4
    manifest = json.loads((batch.records_path.parent / "manifest.json").read_text())
    assert manifest["exact_duplicates_dropped"] == 2
    assert manifest["records_file"]["sha256"] == hashlib.sha256(written).hexdigest()


def test_a_proxy_in_the_environment_is_still_used(monkeypatch):
    """Reading the environment once must not lose a proxy; without one, the CA bundle is kept."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bundle.pem")
    http = {
        "retries": 0,
        "backoff_factor_s": 0.1,
        "backoff_max_s": 1,
        "retry_after_max_s": 1,
        "connect_timeout_s": 1,
        "read_timeout_s": 1,
    }
    quiet = build_session(http)
    assert not quiet.trust_env and quiet.verify == "/etc/ssl/certs/bundle.pem"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    proxied = build_session(http)
    assert proxied.trust_env
    settings = proxied.merge_environment_settings("https://portal.example/x", {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.example:3128"


@pytest.mark.parametrize("value", ["1", 1])
def test_a_page_repeating_the_last_is_told_by_value(value):
    """The runaway guard compares pages as values: equal pages repeat, 1 and true do not."""
    from ingest.protocols.base import _repeats

    assert _repeats([{"a": value}], [{"a": value}])
    assert not _repeats([{"a": True}], [{"a": 1}])
    assert not _repeats([{"a": value}], None)
