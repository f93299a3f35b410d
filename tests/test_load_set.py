"""A dataset's partitions loaded at once: each replaced whole, again and again the same.

No sandbox and no dbt: landed records files are written here and loaded into a fresh
warehouse with the loader's own tables (pipeline/load_set.py, as a night and a backfill load).
"""

from __future__ import annotations

import json

import pytest

from ingest.catalogue import load_catalogue
from ingest.errors import IngestError
from pipeline.load_set import Partition, replace_partitions

DATASET = "road_casualties"


def _part(tmp_path, borough: str, day: str, batch: str, refs: list[str], rows: int | None = None):
    path = tmp_path / f"{batch}.jsonl"
    path.write_text("".join(json.dumps({"casualty_ref": r}) + "\n" for r in refs), encoding="utf-8")
    return Partition(path, borough, day, batch, len(refs) if rows is None else rows)


def _load(con, parts) -> int:
    con.execute("begin transaction")
    try:
        rows = replace_partitions(con, load_catalogue().dataset(DATASET), parts)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rows


def _raw(con) -> list[tuple]:
    return con.execute(
        f"select _borough_code, _data_day::varchar, _batch_id, casualty_ref from raw.{DATASET} "
        "order by all"
    ).fetchall()


def _partitions(con) -> list[tuple]:
    return con.execute(
        "select borough_code, data_day::varchar, batch_id, row_count from raw.feed_partitions "
        "order by all"
    ).fetchall()


def test_each_partition_is_its_batch_and_loading_again_changes_nothing(tmp_path, loader_warehouse):
    parts = [
        _part(tmp_path, "E09000001", "2026-11-09", "a", ["r1", "r2"]),
        _part(tmp_path, "E09000002", "2026-11-09", "b", []),  # a real zero
        _part(tmp_path, "E09000001", "2026-11-08", "c", ["r3"]),
    ]
    assert _load(loader_warehouse, parts) == 3
    first = (_raw(loader_warehouse), _partitions(loader_warehouse))
    assert first[1] == [
        ("E09000001", "2026-11-08", "c", 1),
        ("E09000001", "2026-11-09", "a", 2),
        ("E09000002", "2026-11-09", "b", 0),
    ]
    assert _load(loader_warehouse, parts) == 3
    assert (_raw(loader_warehouse), _partitions(loader_warehouse)) == first


def test_a_new_batch_replaces_its_partition_whole_and_no_other(tmp_path, loader_warehouse):
    _load(
        loader_warehouse,
        [
            _part(tmp_path, "E09000001", "2026-11-09", "a", ["r1", "r2"]),
            _part(tmp_path, "E09000002", "2026-11-09", "b", ["r9"]),
        ],
    )
    _load(loader_warehouse, [_part(tmp_path, "E09000001", "2026-11-09", "a2", ["r1"])])
    assert _raw(loader_warehouse) == [
        ("E09000001", "2026-11-09", "a2", "r1"),
        ("E09000002", "2026-11-09", "b", "r9"),
    ]


def test_rows_that_differ_from_the_landed_count_name_the_partition_and_load_nothing(
    tmp_path, loader_warehouse
):
    _load(loader_warehouse, [_part(tmp_path, "E09000001", "2026-11-09", "a", ["r1"])])
    before = (_raw(loader_warehouse), _partitions(loader_warehouse))
    wrong = _part(tmp_path, "E09000001", "2026-11-09", "a2", ["r1", "r2"], rows=3)
    other = _part(tmp_path, "E09000002", "2026-11-09", "b", ["r9"])
    with pytest.raises(IngestError, match=r"E09000001 2026-11-09: landed 3, loaded 2"):
        _load(loader_warehouse, [wrong, other])
    assert (_raw(loader_warehouse), _partitions(loader_warehouse)) == before


def test_a_landed_batch_loads_by_its_own_attributes(tmp_path, loader_warehouse):
    """What the night passes (ingest.landing.LandedBatch) loads like a Partition."""
    from ingest.landing import LandedBatch

    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "records.jsonl").write_text('{"casualty_ref": "r1"}\n', encoding="utf-8")
    batch = LandedBatch(DATASET, "E09000001", "City", "2026-11-09", "x", str(folder), 1, "ckan")
    assert _load(loader_warehouse, [batch]) == 1
    assert _partitions(loader_warehouse) == [("E09000001", "2026-11-09", "x", 1)]
