"""The raw landing zone: what a borough API returned, kept exactly, with a manifest.

One batch per fetch of one feed (dataset x borough) for one data day:
    landing/<dataset>/<borough code>/<data day>/<batch id>/
        page-0001.json ...   the response bodies, byte for byte (.csv for a bulk file, hard-linked
                             to its kept download in <borough code>/_downloads/)
        records.jsonl        the records found in them, one JSON object a line (exact
                             duplicates served twice are kept once; the manifest counts them)
        non_borough.jsonl    rows a borough feed published for no borough (its `Total`, the
                             region's row: the dataset's `non_borough_rows`), set aside: kept
                             and counted, never validated or loaded as the borough's
        manifest.json        source URLs, fetched-at, rows, sha256 of every file, and
                             `source_metadata`: what the portal says about the dataset
                             (title, licence, last modified; null where the protocol has none)
A batch is written into a hidden temporary folder and renamed into place once complete,
so a crash never leaves half a batch; files are made read-only. Re-fetching a day adds a
new batch beside the old one; nothing is ever overwritten, so any day can be replayed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ingest.catalogue import Feed
from ingest.protocols.base import Page

__all__ = [
    "same_records",
    "LandedBatch",
    "land_pages",
    "read_batch",
    "latest_batch",
    "batch_dir",
    "page_digests",
]

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
NON_BOROUGH = "non_borough.jsonl"


@dataclass(frozen=True)
class LandedBatch:
    """A complete landed batch: enough to validate and load it without the API."""

    dataset: str
    borough_code: str
    borough_name: str
    data_day: str
    batch_id: str
    path: str
    row_count: int
    protocol: str

    @property
    def records_path(self) -> Path:
        return Path(self.path) / RECORDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def batch_dir(landing_root: Path, dataset: str, borough_code: str, data_day: str) -> Path:
    return landing_root / dataset / borough_code / data_day


def land_pages(
    landing_root: Path,
    feed: Feed,
    day: date,
    protocol: str,
    pages: Iterable[Page],
    source_metadata: Callable[[], dict[str, Any] | None] | None = None,
    set_aside: Callable[[dict[str, Any]], bool] | None = None,
    fetched_as: dict[str, Any] | None = None,
) -> LandedBatch:
    """Write every page and the manifest, then rename the batch into place atomically.

    `source_metadata` is called once every page is in (asked of the portal only for a
    feed that paged to the end); its answer goes into the manifest. `fetched_as` says how
    pages holding more than this day were asked for (a backfill's range query), if they were.
    """
    started = datetime.now(UTC)
    batch_id = f"{started:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"
    final = batch_dir(landing_root, feed.dataset.id, feed.area.code, day.isoformat()) / batch_id
    staging = final.parent / f".{batch_id}.partial"
    staging.mkdir(parents=True, exist_ok=False)
    try:
        page_entries, rows, seen, duplicates, aside = [], 0, _Seen(), 0, []
        records_digest = hashlib.sha256()  # of the bytes as written: no second read of the file
        with (staging / RECORDS).open("wb") as records_out:
            for page in pages:
                name = f"page-{page.number:04d}{page.suffix}"
                _write_page(staging / name, page)
                for record in page.records:
                    # A record served twice, identical to the letter (offset paging over a
                    # shifting table does this), is one record; the pages keep both copies.
                    text = json.dumps(record, ensure_ascii=False)
                    if not seen.add(record, text):
                        duplicates += 1
                        continue
                    if set_aside is not None and set_aside(record):
                        aside.append(record)
                        continue
                    line = (text + "\n").encode("utf-8")
                    records_digest.update(line)
                    records_out.write(line)
                    rows += 1
                page_entries.append(
                    {
                        "file": name,
                        "url": page.url,
                        "status": page.status,
                        "fetched_at": page.fetched_at,
                        "bytes": page.size,
                        "sha256": page.sha256,
                        "records": len(page.records),
                        "reported_total": page.total,
                    }
                )
        manifest = {
            "dataset": feed.dataset.id,
            "borough_code": feed.area.code,
            "borough_name": feed.area.name,
            "data_day": day.isoformat(),
            "batch_id": batch_id,
            "protocol": protocol,
            "source_url": page_entries[0]["url"] if page_entries else None,
            "fetched_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "row_count": rows,
            "exact_duplicates_dropped": duplicates,
            "records_file": {"file": RECORDS, "sha256": records_digest.hexdigest()},
            "pages": page_entries,
            "source_metadata": source_metadata() if source_metadata else None,
        }
        if fetched_as is not None:
            manifest["fetched_as"] = fetched_as
        if set_aside is not None:
            manifest["non_borough_rows"] = len(aside)
        if aside:
            (staging / NON_BOROUGH).write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in aside), encoding="utf-8"
            )
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for item in staging.iterdir():
            if item.stat().st_nlink == 1:  # a linked download is read-only already
                item.chmod(0o444)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _batch_of(manifest, final)


class _Seen:
    """The records of a batch so far, each by its content (key order aside), to drop repeats.

    Records of one feed nearly always list their keys in one order, so a record in the
    first record's order is known by the JSON text written for it anyway; only a record in
    another order (put in that order) or holding nested values is serialised a second time.
    """

    def __init__(self):
        self.texts: set[tuple[bool, str]] = set()
        self.order: tuple[str, ...] | None = None

    def add(self, record: dict[str, Any], text: str) -> bool:
        """False if an equal record was added before."""
        keys = tuple(record)
        if self.order is None:
            self.order = keys
        flat = not any(isinstance(v, (dict, list)) for v in record.values())
        if flat and keys == self.order:
            identity = (False, text)
        elif flat and len(keys) == len(self.order) and set(keys) == set(self.order):
            identity = (False, json.dumps({k: record[k] for k in self.order}, ensure_ascii=False))
        else:  # as json.dumps(sort_keys=True) tells records apart: nested objects sorted too
            identity = (True, json.dumps(record, ensure_ascii=False, sort_keys=True))
        if identity in self.texts:
            return False
        self.texts.add(identity)
        return True


def _write_page(target: Path, page: Page) -> None:
    """The body byte for byte; a body already kept read-only in the landing zone is linked."""
    if page.kept_at is not None:
        try:
            os.link(page.kept_at, target)
            return
        except OSError:
            if page.body is None:
                shutil.copyfile(page.kept_at, target)
                return
    target.write_bytes(page.body)


def page_digests(batch: LandedBatch) -> list[str]:
    """The sha256 of every page a batch was landed from, in order."""
    manifest = json.loads((Path(batch.path) / MANIFEST).read_text(encoding="utf-8"))
    return [entry["sha256"] for entry in manifest["pages"]]


def read_batch(path: Path | str) -> LandedBatch:
    """A landed batch from its manifest (the manifest is written last: no manifest, no batch)."""
    path = Path(path)
    return _batch_of(json.loads((path / MANIFEST).read_text(encoding="utf-8")), path)


def _batch_of(manifest: dict[str, Any], path: Path) -> LandedBatch:
    return LandedBatch(
        dataset=manifest["dataset"],
        borough_code=manifest["borough_code"],
        borough_name=manifest["borough_name"],
        data_day=manifest["data_day"],
        batch_id=manifest["batch_id"],
        path=str(path),
        row_count=manifest["row_count"],
        protocol=manifest["protocol"],
    )


def latest_batch(
    landing_root: Path, dataset: str, borough_code: str, data_day: str
) -> LandedBatch | None:
    """The most recent complete batch of a feed for a day, for replay without the API."""
    folder = batch_dir(landing_root, dataset, borough_code, data_day)
    complete = sorted(
        p for p in folder.glob("*") if not p.name.startswith(".") and (p / MANIFEST).exists()
    )
    return read_batch(complete[-1]) if complete else None


def same_records(loaded_batch: Path, batch: LandedBatch) -> bool:
    """Whether a new batch holds exactly the records of an earlier one (by their digest)."""
    if Path(batch.path) == loaded_batch:
        return True
    try:
        before = json.loads((loaded_batch / MANIFEST).read_text(encoding="utf-8"))["records_file"][
            "sha256"
        ]
    except (FileNotFoundError, KeyError, ValueError):
        return False
    after = json.loads((Path(batch.path) / MANIFEST).read_text(encoding="utf-8"))["records_file"][
        "sha256"
    ]
    return before == after
