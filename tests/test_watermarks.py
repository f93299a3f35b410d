"""Watermarks: incremental feeds find the days that changed, against the sandbox over HTTP.

Each night here is the DAG's steps called in order (plan, ingest, validate, load) for one
or two feeds, so a scenario of several nights takes seconds. The sandbox's Socrata portal
stamps each record's `:updated_at` (publication.py): records held back by a `late` fault
appear, stamped, when the fault is cleared. Each test uses its own Socrata borough, since
the sandbox remembers when late faults ended for the whole session.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote_plus

import duckdb
import pytest
import requests
from sandbox_control import add_fault, clear_faults, clear_request_log, request_log

from ingest.catalogue import load_catalogue
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT, DataPaths
from ingest.portals import parse_incremental
from pipeline import plan, steps
from sandbox.generator import truth_records
from sandbox.settings import load_settings

DATASET = "service_requests"
NIGHTS = [date(2026, 11, 2) + timedelta(days=n) for n in range(4)]


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox, fast_config, monkeypatch):
    monkeypatch.setenv("CITY_CONFIG_DIR", str(fast_config))
    clear_faults(sandbox)
    clear_request_log(sandbox)
    yield
    clear_faults(sandbox)


def _night(paths: DataPaths, day: date, boroughs: list[str]) -> dict:
    """One night of the DAG's steps for DATASET from `boroughs`."""
    plans = plan.plan_feeds(day.isoformat(), [DATASET], boroughs, paths=paths)
    landed = [
        steps.ingest_feed(
            p["feed_id"], p["days"], p["loaded"], paths=paths, watermark=p["watermark"]
        )
        for p in plans
    ]
    return steps.load_outcomes(
        steps.validate_dataset(DATASET, landed, paths=paths), f"test-{day}", paths=paths
    )


def _rows(paths: DataPaths, slug: str) -> dict[str, tuple[int, int]]:
    """Data day -> (rows, distinct keys) of the borough's partitions."""
    code = load_catalogue().area(slug).code
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        found = con.execute(
            f"select _data_day::varchar, count(*), count(distinct request_ref) from raw.{DATASET} "
            "where _borough_code = ? group by all",
            [code],
        ).fetchall()
    return {day: (rows, keys) for day, rows, keys in found}


def _watermark(paths: DataPaths, slug: str) -> datetime | None:
    code = load_catalogue().area(slug).code
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        found = con.execute(
            "select watermark from raw.feed_watermarks where dataset = ? and borough_code = ?",
            [DATASET, code],
        ).fetchone()
    return found[0] if found else None


def _truth(slug: str, day: date) -> int:
    """Rows the sandbox holds, from the repository's config (the sandbox process reads that one)."""
    catalogue = load_catalogue(REPO_ROOT / "config")
    return len(
        truth_records(
            DATASET,
            catalogue.area(slug),
            day,
            seed=load_settings(catalogue).seed,
            catalogue=catalogue,
        )
    )


def _fetched(sandbox, slug: str) -> tuple[int, list[str]]:
    """(changes queries, data days fetched) for the borough since the log was cleared."""
    code = load_catalogue().area(slug).code
    paths = [unquote_plus(r["path"]) for r in request_log(sandbox) if r["borough"] == code]
    changes = sum(":updated_at >" in p for p in paths)
    days = sorted(
        {p.split("requested_date = '")[1][:10] for p in paths if "requested_date = '" in p}
    )
    return changes, days


def test_late_records_for_a_day_older_than_refetch_days_arrive_through_the_watermark(
    sandbox, data_dir
):
    """Held back on nights 1-3, published before night 4: night 4 completes every earlier day."""
    slug, late = "camden", 3
    add_fault(sandbox, kind="late", rows=late, borough=slug, dataset=DATASET)
    for day in NIGHTS[:3]:
        assert _night(data_dir, day, [slug])["fetch_failed"] == []
    assert load_catalogue().settings.refetch_days < (NIGHTS[3] - NIGHTS[0]).days - 1
    first = NIGHTS[0].isoformat()
    assert _rows(data_dir, slug)[first] == (_truth(slug, NIGHTS[0]) - late,) * 2
    before = _watermark(data_dir, slug)
    assert before is not None, "the first night starts a watermark"

    clear_faults(sandbox)  # the late records are published now
    clear_request_log(sandbox)
    summary = _night(data_dir, NIGHTS[3], [slug])
    assert summary["watermarks_advanced"] == 1 and _watermark(data_dir, slug) > before
    for day in NIGHTS:
        truth = _truth(slug, day)
        assert _rows(data_dir, slug)[day.isoformat()] == (truth, truth), day
    assert _fetched(sandbox, slug) == (1, [d.isoformat() for d in NIGHTS])

    after, mark = _rows(data_dir, slug), _watermark(data_dir, slug)
    clear_request_log(sandbox)
    _night(data_dir, NIGHTS[3], [slug])  # the same night again
    assert _rows(data_dir, slug) == after and _watermark(data_dir, slug) == mark, (
        "a re-run changes nothing"
    )
    assert _fetched(sandbox, slug) == (1, [NIGHTS[3].isoformat()])


def test_an_unchanged_night_costs_one_changes_query_and_no_refetch(sandbox, data_dir):
    """Socrata asks what changed (nothing) and fetches the data day; CKAN still re-fetches blindly."""
    socrata, ckan = "hackney", "barnet"
    assert (
        load_catalogue().area(ckan).portal_for(DATASET).protocol
        not in load_catalogue().settings.incremental
    )
    _night(data_dir, NIGHTS[0], [socrata, ckan])
    mark = _watermark(data_dir, socrata)
    clear_request_log(sandbox)
    summary = _night(data_dir, NIGHTS[1], [socrata, ckan])
    assert _fetched(sandbox, socrata) == (1, [NIGHTS[1].isoformat()])
    assert summary["batches"] == 3 and summary["unchanged_batches"] == 1, (
        "CKAN fetched day 1 again, unchanged"
    )
    assert _watermark(data_dir, socrata) == mark
    assert _watermark(data_dir, ckan) is None


@pytest.mark.parametrize(
    "slug, failure",
    [
        (
            "islington",
            {"kind": "wrong_type", "column": "category", "value": "not a category"},
        ),  # quarantined
        ("wandsworth", {"kind": "offline"}),  # fetch failed
    ],
)
def test_the_watermark_stays_until_a_changed_day_loads(sandbox, data_dir, slug, failure):
    """Late records published, but their day fails to load: the mark stays; the next night loads it."""
    late = 2
    assert load_catalogue().area(slug).portal_for(DATASET).protocol == "socrata"
    add_fault(sandbox, kind="late", rows=late, borough=slug, dataset=DATASET)
    _night(data_dir, NIGHTS[0], [slug])
    mark = _watermark(data_dir, slug)
    clear_faults(sandbox)
    add_fault(sandbox, borough=slug, dataset=DATASET, **failure)
    summary = _night(data_dir, NIGHTS[1], [slug])
    assert summary["loaded_batches"] == 0 and summary["watermarks_advanced"] == 0
    assert _watermark(data_dir, slug) == mark, "a changed day that did not load keeps the mark"
    assert _rows(data_dir, slug)[NIGHTS[0].isoformat()][0] == _truth(slug, NIGHTS[0]) - late, (
        "last good data kept"
    )

    clear_faults(sandbox)
    summary = _night(data_dir, NIGHTS[2], [slug])
    assert summary["watermarks_advanced"] == 1 and _watermark(data_dir, slug) > mark
    for day in NIGHTS[:3]:
        truth = _truth(slug, day)
        assert _rows(data_dir, slug)[day.isoformat()] == (truth, truth), day


def test_a_backfill_night_leaves_later_changed_days_and_the_watermark_to_a_later_night(
    sandbox, data_dir
):
    """Re-running night 1 loads day 1's late records but not day 2's; the mark waits for night 3."""
    slug, late = "brent", 2
    add_fault(sandbox, kind="late", rows=late, borough=slug, dataset=DATASET)
    for day in NIGHTS[:2]:
        _night(data_dir, day, [slug])
    mark = _watermark(data_dir, slug)
    clear_faults(sandbox)
    _night(data_dir, NIGHTS[0], [slug])
    rows = _rows(data_dir, slug)
    assert rows[NIGHTS[0].isoformat()][0] == _truth(slug, NIGHTS[0])
    assert rows[NIGHTS[1].isoformat()][0] == _truth(slug, NIGHTS[1]) - late, (
        "a later day is a later night's job"
    )
    assert _watermark(data_dir, slug) == mark
    _night(data_dir, NIGHTS[2], [slug])
    assert _rows(data_dir, slug)[NIGHTS[1].isoformat()][0] == _truth(slug, NIGHTS[1])
    assert _watermark(data_dir, slug) > mark


def test_soda_updated_at_is_stamped_when_late_records_appear(sandbox, catalogue):
    """`:updated_at` is the day's upload for most records and the release moment for late ones."""
    area = catalogue.area("southwark")
    url = f"{sandbox.url}/{area.slug}/resource/service-requests.json"
    day = NIGHTS[0]
    query = {
        "$select": ":updated_at, requested_date, request_ref",
        "$order": "request_ref",
        "$where": f"requested_date = '{day}T00:00:00.000'",
    }
    add_fault(sandbox, kind="late", rows=2, borough=area.slug, dataset=DATASET)
    held = requests.get(url, params=query, timeout=10).json()
    clear_faults(sandbox)
    released = datetime.now(UTC)
    rows = requests.get(url, params=query, timeout=10).json()
    assert len(rows) == len(held) + 2 and all(
        set(r) == {":updated_at", "requested_date", "request_ref"} for r in rows
    )
    upload = (
        datetime(2026, 11, 3, tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    assert [r[":updated_at"] for r in rows[:-2]] == [upload] * len(held)
    late = {datetime.fromisoformat(r[":updated_at"].replace("Z", "+00:00")) for r in rows[-2:]}
    assert len(late) == 1 and abs(late.pop() - released) < timedelta(minutes=5)

    since = (released - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000")
    changed = requests.get(
        url,
        params={
            "$select": ":updated_at, requested_date, request_ref",
            "$where": f":updated_at > '{since}'",
            "$order": "request_ref",
            "$limit": 50000,
        },
        timeout=10,
    ).json()
    assert {r["request_ref"] for r in rows[-2:]} <= {r["request_ref"] for r in changed}
    assert len(changed) % 2 == 0 and all(r[":updated_at"] > since for r in changed), (
        "two late records a day"
    )


@pytest.mark.parametrize(
    "params, status, code",
    [
        (
            {"$select": "max(:updated_at)", "$where": ":updated_at > '2026-11-01'"},
            400,
            "query.soql.invalid",
        ),
        (
            {"$select": ":updated_at, no_such_field", "$where": ":updated_at > '2026-11-01'"},
            400,
            "query.soql.no-such-column",
        ),
        ({"$where": ":updated_at > 'last night'"}, 400, "query.soql.type-mismatch"),
        (
            {"$where": ":updated_at > '2026-11-01' or requested_date = '2026-11-01'"},
            400,
            "query.soql.malformed",
        ),
    ],
)
def test_soda_questions_the_sandbox_cannot_answer_are_soda_errors(
    sandbox, catalogue, params, status, code
):
    area = catalogue.area("southwark")
    reply = requests.get(
        f"{sandbox.url}/{area.slug}/resource/service-requests.json", params=params, timeout=10
    )
    assert (
        reply.status_code == status
        and reply.json()["code"] == code
        and reply.json()["error"] is True
    )


def test_soda_system_fields_only_when_selected(sandbox, catalogue):
    area = catalogue.area("southwark")
    where = {"$where": f"requested_date = '{NIGHTS[0]}T00:00:00.000'", "$limit": 1}
    url = f"{sandbox.url}/{area.slug}/resource/service-requests.json"
    plain = requests.get(url, params=where, timeout=10).json()[0]
    everything = requests.get(url, params={**where, "$select": ":*, *"}, timeout=10).json()[0]
    assert not any(k.startswith(":") for k in plain)
    assert {":id", ":created_at", ":updated_at"} <= set(everything) and set(everything) - set(
        plain
    ) == {":id", ":created_at", ":updated_at"}


def test_incremental_config_is_validated(tmp_path, catalogue):
    path = tmp_path / "pipeline.yml"
    assert parse_incremental({"socrata": {"changed_field": ":updated_at"}}, path) == {
        "socrata": ":updated_at"
    }
    for raw, words in (
        ({"soda": {"changed_field": ":updated_at"}}, "unknown protocol"),
        ({"socrata": {"changed_field": ":updated_at; drop table"}}, "not a field name"),
        ({"socrata": ":updated_at"}, "expected {changed_field: name}"),
    ):
        with pytest.raises(CatalogueError, match=words):
            parse_incremental(raw, path)
    from dataclasses import replace

    from ingest.changes import changed_field

    ckan = replace(
        catalogue, settings=replace(catalogue.settings, incremental={"ckan": "modified"})
    )
    feed = ckan.feed(f"{DATASET}/{catalogue.area('barnet').code}")
    with pytest.raises(
        CatalogueError, match="incremental.ckan: the ckan connector cannot list changed records"
    ):
        changed_field(ckan, feed)
