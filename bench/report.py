"""The results: a table on stdout and a JSON file (bench/results/<timestamp>.json and latest.json)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["write_results", "table"]

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(results: dict[str, Any], directory: Path = RESULTS) -> Path:
    """Write <timestamp>.json and latest.json; returns the timestamped file."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, default=str) + "\n"
    target = directory / f"{stamp}.json"
    target.write_text(text, encoding="utf-8")
    (directory / "latest.json").write_text(text, encoding="utf-8")
    return target


def table(results: dict[str, Any]) -> str:
    """One line per row: subject median, baseline median, ratio, goal, met."""
    lines = [
        f"{'row':<30}{'metric':<13}{'ours':>10}{'baseline':>10}{'ratio':>8}  {'goal':<36}{'met':<5}runs  vs"
    ]
    for row in results["rows"]:
        if row.get("skipped"):
            lines.append(f"{row['name']:<30}skipped: {row['skipped']}")
            continue
        met = {True: "yes", False: "NO", None: "-"}[row.get("goal_met")]
        lines.append(
            f"{row['name']:<30}{row['metric']:<13}{row['median']:>10.3f}{row['baseline_median']:>10.3f}"
            f"{row['ratio'] if row['ratio'] is not None else float('nan'):>8.3f}  {row.get('goal') or '':<36}"
            f"{met:<5}{row['runs']:<6}{row['baseline']}"
        )
    machine = results["machine"]
    lines.append(
        f"machine: {machine['cores']} cores, {machine['memory_mb']} MB, {machine['cpu_model']}; "
        f"load {results['load_average_start']} -> {results['load_average_end']}"
    )
    return "\n".join(lines)
