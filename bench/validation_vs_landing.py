"""How much time validation adds: landing vs Great Expectations validation, same batches.

Starts the borough API sandbox, then for one data day fetches and lands every feed
(dataset x borough) and validates each landed batch exactly as the nightly run does
(the feed's history bounds included), timing the two separately. Serial, one process,
so the figures compare like with like (the DAG runs 8 ingest tasks at a time).

    .venv/bin/python bench/validation_vs_landing.py [--day 2026-11-09] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from ingest.catalogue import load_catalogue  # noqa: E402
from pipeline.history import feed_history, row_count_bounds  # noqa: E402
from sandbox.process import SandboxProcess  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 9))
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    tick = time.perf_counter()
    from pipeline.validate import ge_context  # GE import and context: once per validate task
    ge_context()
    warm_up = time.perf_counter() - tick

    with SandboxProcess(scale=args.scale) as sandbox, tempfile.TemporaryDirectory() as scratch:
        os.environ["CITY_API_BASE_URL"] = sandbox.url
        from ingest.fetch import fetch_feed
        from pipeline.validate import validate_batch

        catalogue = load_catalogue()
        landing = Path(scratch) / "landing"
        landing_s = validation_s = 0.0
        rows = batches = 0
        per_dataset: dict[str, list[float]] = {}
        for feed in catalogue.feeds():
            tick = time.perf_counter()
            batch = fetch_feed(catalogue, feed, args.day, landing)
            landed = time.perf_counter()
            history = feed_history(Path(scratch) / "warehouse.duckdb", feed.dataset.id, args.day.isoformat(),
                                   catalogue.settings.row_count_history.days)
            bounds = row_count_bounds(history.get(feed.area.code, []), catalogue.settings.row_count_history)
            validate_batch(batch, feed.dataset, feed.area, catalogue.settings, bounds)
            validated = time.perf_counter()
            landing_s += landed - tick
            validation_s += validated - landed
            per_dataset.setdefault(feed.dataset.id, [0.0, 0.0, 0])
            per_dataset[feed.dataset.id][0] += landed - tick
            per_dataset[feed.dataset.id][1] += validated - landed
            per_dataset[feed.dataset.id][2] += batch.row_count
            rows += batch.row_count
            batches += 1

    print(f"data day {args.day}, sandbox scale {args.scale}: {batches} batches, {rows} rows")
    print(f"{'dataset':<22}{'rows':>8}{'landing s':>12}{'validation s':>15}")
    for dataset, (land_s, valid_s, n) in per_dataset.items():
        print(f"{dataset:<22}{n:>8}{land_s:>12.2f}{valid_s:>15.2f}")
    print(f"{'total':<22}{rows:>8}{landing_s:>12.2f}{validation_s:>15.2f}")
    print(f"validation / landing: {validation_s / landing_s:.2f}  "
          f"(per batch: landing {1000 * landing_s / batches:.0f} ms, validation {1000 * validation_s / batches:.0f} ms)")
    print(f"one-off GE import + context per validate task: {warm_up:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
