"""city_metrics computed independently, in plain Python, from the sandbox's truth.

Nothing here uses the pipeline: it reads the canonical records the sandbox generates
(before any borough quirk) and the reference seeds, and applies the metric definitions
of DESIGN.md — region values as ratios of sums — so that the warehouse can be checked
against numbers it did not produce.
"""

from __future__ import annotations

import calendar
import csv
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

from ingest.catalogue import Catalogue
from sandbox.generator import truth_records
from sandbox.settings import load_settings
from sandbox.volumes import Volumes

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
MAJOR_STATUTORY_DAYS = 13 * 7  # a major application is due within 13 weeks (or an agreed extension)
RECYCLED_STREAMS = ("Dry recycling", "Composting", "Reuse")


def _seed(name: str, column: str, key: str = "area_code") -> dict[str, float]:
    """{key: value} of a seed's column; rows with no key or no value are left out."""
    with (SEEDS / name).open(encoding="utf-8") as handle:
        return {
            row[key]: float(row[column])
            for row in csv.DictReader(handle)
            if row[key] and row[column]
        }


def expected_metrics(
    catalogue: Catalogue, days: list[date], boroughs: list[str] | None = None
) -> dict[tuple[str, str], float | None]:
    """{(metric_id, area_code): value} for one month of data days, boroughs and region.

    `boroughs` (slugs or codes) restricts it to the boroughs a run loaded: the region's
    values are then the ratios of sums over those boroughs only, as the warehouse computes them.
    """
    assert len({(d.year, d.month) for d in days}) == 1, "one calendar month at a time"
    areas = catalogue.region.areas if boroughs is None else [catalogue.area(b) for b in boroughs]
    seed = load_settings(catalogue).seed
    volumes = Volumes.load(catalogue)  # read once, not per feed-day
    population = _seed("reference_population.csv", "population")
    annual_target = _seed("reference_housing_targets.csv", "annual_target")
    service_level = _seed("reference_service_levels.csv", "service_level_days", key="category")
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    resolve_days: dict[str, list[int]] = defaultdict(list)
    for area in areas:
        s = sums[area.code]
        for day in days:
            for r in truth_records(
                "road_casualties", area, day, seed=seed, volumes=volumes, catalogue=catalogue
            ):
                s["ksi"] += r["severity"] in ("Fatal", "Serious")
            for r in truth_records(
                "housing_completions", area, day, seed=seed, volumes=volumes, catalogue=catalogue
            ):
                net = r["units_completed"] - r["units_lost"]
                s["net"] += net
                s["affordable"] += net if r["tenure"] != "Market" else 0
            for r in truth_records(
                "service_requests", area, day, seed=seed, volumes=volumes, catalogue=catalogue
            ):
                s["requests"] += 1
                s["digital"] += r["channel"] in ("Online", "App")
                if r["closed_date"] is not None:
                    took = (r["closed_date"] - r["requested_date"]).days
                    resolve_days[area.code].append(took)
                    s["within_level"] += took <= service_level[r["category"]]
            for r in truth_records(
                "planning_applications", area, day, seed=seed, volumes=volumes, catalogue=catalogue
            ):
                if r["development_type"] == "Major":
                    s["majors"] += 1
                    s["majors_in_time"] += (
                        r["decision_date"] - r["received_date"]
                    ).days <= MAJOR_STATUTORY_DAYS or r["extension_agreed"] == "Yes"
        s["population"] = population[area.code]
        s["target"] = (
            annual_target[area.code] * len(days) / 365 if area.code in annual_target else None
        )
    region = catalogue.region.code
    sums[region] = defaultdict(float)
    for code in [a.code for a in areas]:
        for key, value in sums[code].items():
            if value is None or sums[region].get(key, 0) is None:
                sums[region][key] = None  # one unknown denominator makes the region's unknown
            else:
                sums[region][key] += value
    resolve_days[region] = [d for a in areas for d in resolve_days[a.code]]
    expected = {}
    for code, s in sums.items():
        expected[("ksi_per_100k", code)] = s["ksi"] / s["population"] * 100000
        expected[("net_completions_vs_target", code)] = (
            100 * s["net"] / s["target"] if s["target"] else None
        )
        expected[("affordable_share", code)] = (
            100 * s["affordable"] / s["net"] if s["net"] else None
        )
        expected[("service_requests_per_1000", code)] = s["requests"] / s["population"] * 1000
        expected[("digital_channel_share", code)] = (
            100 * s["digital"] / s["requests"] if s["requests"] else None
        )
        expected[("resolved_within_service_level_pct", code)] = (
            100 * s["within_level"] / s["requests"] if s["requests"] else None
        )
        expected[("major_decided_in_time_pct", code)] = (
            100 * s["majors_in_time"] / s["majors"] if s["majors"] else None
        )
        expected[("median_days_to_resolve", code)] = (
            statistics.median(resolve_days[code]) if resolve_days[code] else None
        )
    return expected


Partition = tuple[str, str, date]  # (dataset id, area code, period start)


def expected_period_metrics(
    catalogue: Catalogue, loaded: set[Partition]
) -> dict[tuple[str, str, str], float | None]:
    """{(metric_id, area_code, period_start_iso): value} of the monthly and quarterly metrics.

    `loaded` says which periods the warehouse holds (a borough that has not published a
    period has no row for it); every value comes from the sandbox's truth for those
    periods and the reference seeds. Each loaded borough-period gets a row, and the region
    one per period with any: ratios of sums over the loaded boroughs, except that a
    change on last year compares only boroughs loaded in both years (None without any),
    and daily journeys divide the region's journeys by the month's days once.
    """
    seed = load_settings(catalogue).seed
    volumes = Volumes.load(catalogue)
    households = _seed("reference_population.csv", "households")
    areas = {a.code: a for a in catalogue.region.areas}
    region = catalogue.region.code
    sums: dict[Partition, dict[str, float]] = {}
    for dataset_id, code, start in loaded:
        if code not in areas or not catalogue.dataset(dataset_id).periodic:
            continue
        s = sums[(dataset_id, code, start)] = defaultdict(float)
        for r in truth_records(
            dataset_id, areas[code], start, seed=seed, volumes=volumes, catalogue=catalogue
        ):
            if dataset_id == "public_transport_journeys":
                s["journeys"] += r["journeys"]
            elif dataset_id == "bus_performance":
                if r["service_type"] == "High frequency" and None not in (
                    r["actual_wait_minutes"],
                    r["scheduled_wait_minutes"],
                ):
                    s["excess_minutes"] += (
                        r["actual_wait_minutes"] - r["scheduled_wait_minutes"]
                    ) * r["observed_departures"]
                    s["departures"] += r["observed_departures"]
            elif dataset_id == "temporary_accommodation":
                s["households_in_ta"] += r["households"]
            elif dataset_id == "house_prices":
                if r["average_price"] is not None:
                    s["sales_value"] += r["average_price"] * r["sales"]
                    s["priced_sales"] += r["sales"]
            elif dataset_id == "household_waste":
                s["tonnes"] += r["tonnes"]
                s["recycled"] += r["tonnes"] if r["stream"] in RECYCLED_STREAMS else 0
    expected: dict[tuple[str, str, str], float | None] = {}
    periods = {(d, start) for d, _, start in sums}
    for dataset_id, start in periods:
        boroughs = [c for d, c, p in sums if d == dataset_id and p == start]
        last_year = start.replace(year=start.year - 1)
        both = [c for c in boroughs if (dataset_id, c, last_year) in sums]
        for code, members, comparable in [(c, [c], [c] if c in both else []) for c in boroughs] + [
            (region, boroughs, both)
        ]:

            def total(key, among=members, when=start, dataset_id=dataset_id):
                return sum(sums[(dataset_id, c, when)][key] for c in among)

            def put(metric, value, code=code, start=start):
                expected[(metric, code, start.isoformat())] = value

            if dataset_id == "public_transport_journeys":
                put(
                    "daily_journeys",
                    total("journeys") / calendar.monthrange(start.year, start.month)[1],
                )
                before = total("journeys", comparable, last_year)
                put(
                    "journeys_change_yoy",
                    100 * (total("journeys", comparable) - before) / before
                    if comparable and before
                    else None,
                )
            elif dataset_id == "bus_performance":
                put("bus_excess_wait_minutes", _ratio(total("excess_minutes"), total("departures")))
            elif dataset_id == "temporary_accommodation":
                known = all(c in households for c in members)
                put(
                    "ta_per_1000_households",
                    _ratio(
                        total("households_in_ta"),
                        sum(households[c] for c in members) if known else None,
                        1000,
                    ),
                )
            elif dataset_id == "house_prices":
                price = _ratio(total("sales_value"), total("priced_sales"))
                put("average_house_price", price)
                now = _ratio(total("sales_value", comparable), total("priced_sales", comparable))
                before = _ratio(
                    total("sales_value", comparable, last_year),
                    total("priced_sales", comparable, last_year),
                )
                put(
                    "house_price_change_yoy",
                    100 * (now / before - 1) if comparable and now is not None and before else None,
                )
            elif dataset_id == "household_waste":
                put("recycling_rate", _ratio(total("recycled"), total("tonnes"), 100))
    return expected


def _ratio(numerator: float, denominator: float | None, multiplier: float = 1) -> float | None:
    return numerator / denominator * multiplier if denominator else None
