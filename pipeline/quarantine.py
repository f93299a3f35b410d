"""Quarantine: a batch that failed validation is kept, with why, and never loaded.

    quarantine/<dataset>/<borough code>/<data day>/<batch id>/
        records.jsonl, manifest.json   copies of the landed batch
        validation.json                the batch's Great Expectations result (its own checks)
        reason.txt                     the failures, one a line, for people
Re-running the day after the borough fixes its feed lands a new batch, which loads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest.landing import MANIFEST, RECORDS, LandedBatch

__all__ = ["quarantine_batch"]


def quarantine_batch(
    batch: LandedBatch, quarantine_root: Path, failures: list[str], result: dict
) -> Path:
    """Copy the batch with its validation result into the quarantine; returns its folder."""
    target = quarantine_root / batch.dataset / batch.borough_code / batch.data_day / batch.batch_id
    target.mkdir(parents=True, exist_ok=True)
    for name in (RECORDS, MANIFEST):
        destination = target / name
        if not destination.exists():
            shutil.copyfile(Path(batch.path) / name, destination)
    (target / "validation.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
    )
    (target / "reason.txt").write_text(
        f"{batch.dataset} from {batch.borough_name} ({batch.borough_code}) for {batch.data_day} "
        f"was quarantined, not loaded:\n" + "".join(f"- {f}\n" for f in failures),
        encoding="utf-8",
    )
    return target
