"""city_metrics computed independently, in plain Python, from the sandbox's truth.

Nothing here uses the pipeline: it reads the canonical records the sandbox generates
(before any borough quirk) and the reference seeds, and applies the metric definitions
of DESIGN.md — region values as ratios of sums — so that the warehouse can be checked
against numbers it did not produce.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

from ingest.catalogue import Catalogue
from ingest.sandbox.generator import truth_records
from ingest.sandbox.settings import load_settings

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


def _seed(name: str, column: str) -> dict[str, float]:
    with (SEEDS / name).open(encoding="utf-8") as handle:
        return {row["area_code"]: float(row[column]) for row in csv.DictReader(handle) if row["area_code"]}


def expected_metrics(catalogue: Catalogue, days: list[date]) -> dict[tuple[str, str], float | None]:
    """{(metric_id, area_code): value} for one month of data days, boroughs and region."""
    assert len({(d.year, d.month) for d in days}) == 1, "one calendar month at a time"
    seed = load_settings(catalogue).seed
    population = _seed("reference_population.csv", "population")
    annual_target = _seed("reference_housing_targets.csv", "annual_target")
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    resolve_days: dict[str, list[int]] = defaultdict(list)
    for area in catalogue.region.areas:
        s = sums[area.code]
        for day in days:
            for r in truth_records("road_casualties", area, day, seed=seed, catalogue=catalogue):
                s["ksi"] += r["severity"] in ("Fatal", "Serious")
            for r in truth_records("housing_completions", area, day, seed=seed, catalogue=catalogue):
                net = r["units_completed"] - r["units_lost"]
                s["net"] += net
                s["affordable"] += net if r["tenure"] != "Market" else 0
            for r in truth_records("service_requests", area, day, seed=seed, catalogue=catalogue):
                s["requests"] += 1
                s["digital"] += r["channel"] in ("Online", "App")
                if r["closed_date"] is not None:
                    resolve_days[area.code].append((r["closed_date"] - r["requested_date"]).days)
        s["population"] = population[area.code]
        s["target"] = annual_target[area.code] * len(days) / 365 if area.code in annual_target else None
    region = catalogue.region.code
    sums[region] = defaultdict(float)
    for code in [a.code for a in catalogue.region.areas]:
        for key, value in sums[code].items():
            if value is None or sums[region].get(key, 0) is None:
                sums[region][key] = None  # one unknown denominator makes the region's unknown
            else:
                sums[region][key] += value
    resolve_days[region] = [d for a in catalogue.region.areas for d in resolve_days[a.code]]
    expected = {}
    for code, s in sums.items():
        expected[("ksi_per_100k", code)] = s["ksi"] / s["population"] * 100000
        expected[("net_completions_vs_target", code)] = 100 * s["net"] / s["target"] if s["target"] else None
        expected[("affordable_share", code)] = 100 * s["affordable"] / s["net"] if s["net"] else None
        expected[("service_requests_per_1000", code)] = s["requests"] / s["population"] * 1000
        expected[("digital_channel_share", code)] = 100 * s["digital"] / s["requests"] if s["requests"] else None
        expected[("median_days_to_resolve", code)] = (
            statistics.median(resolve_days[code]) if resolve_days[code] else None)
    return expected
