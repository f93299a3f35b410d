"""The truth: what each borough's feed means, before any portal renders it.

Every record is a pure function of (seed, dataset, borough, data day, scale, volumes):
no clock, no shared random state, no Python hash(). So the server can regenerate any
page at any time, and tests can compare what the pipeline landed with what was meant.
Records are canonical and typed: `date` objects, `int`, `None`, category labels exactly
as config/datasets.yml lists them, `borough` = the area's canonical name.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.catalogue import Area, Catalogue, Dataset, load_catalogue
from ingest.errors import CatalogueError
from ingest.periods import is_period_start
from sandbox.spec_records import conform, drawn_value, weights_for

__all__ = [
    "Volumes",
    "truth_records",
    "expected_rows",
    "period_total",
    "population_shares",
    "poisson",
    "rng_for",
    "GENERATORS",
]

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Volumes:
    """How many rows exist: city-wide rows per year per dataset, and each borough's
    share of them (by population, so Croydon publishes ~40x the City of London)."""

    annual_rows: Mapping[str, float]
    shares: Mapping[str, float]  # area code -> share; sums to 1 over the region
    period_totals: Mapping[str, float] = field(
        default_factory=dict
    )  # periodic datasets: quantity a period

    @classmethod
    def load(cls, catalogue: Catalogue | None = None) -> Volumes:
        """Volumes from config/sandbox/sandbox.yml and the population seed it names."""
        from sandbox.settings import load_settings  # settings imports this module

        catalogue = catalogue or load_catalogue()
        settings = load_settings(catalogue)
        return cls(
            settings.annual_rows,
            population_shares(catalogue.region.areas, settings.population_seed),
            settings.period_totals,
        )


def population_shares(areas: tuple[Area, ...], csv_path: Path | None) -> dict[str, float]:
    """Each area's share of the region's population.

    Reads `area_code,population` from the reference seed. No seed file: equal shares.
    An area the seed does not list gets the mean population of those it does.
    """
    listed: dict[str, float] = {}
    if csv_path is not None and csv_path.exists():
        with csv_path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"area_code", "population"} - set(reader.fieldnames or ())
            if missing:
                raise CatalogueError(
                    f"{csv_path}: needs columns area_code and population; has {reader.fieldnames}"
                )
            for line, row in enumerate(reader, start=2):
                try:
                    listed[row["area_code"].strip()] = float(row["population"].replace(",", ""))
                except (ValueError, AttributeError):
                    raise CatalogueError(
                        f"{csv_path}:{line}: population {row['population']!r} is not a number"
                    ) from None
    known = [listed[a.code] for a in areas if a.code in listed]
    fallback = sum(known) / len(known) if known else 1.0
    population = {a.code: listed.get(a.code, fallback) for a in areas}
    total = sum(population.values())
    return {code: value / total for code, value in population.items()}


def period_total(
    dataset_id: str, area: Area, *, scale: float = 1.0, volumes: Volumes | None = None
) -> float:
    """This borough's share of a periodic dataset's city-wide quantity per period."""
    volumes = volumes or Volumes.load()
    try:
        total = volumes.period_totals[dataset_id]
    except KeyError:
        raise CatalogueError(
            f"config/sandbox/sandbox.yml: period_totals has no volume for dataset {dataset_id!r}"
        ) from None
    return total * scale * volumes.shares.get(area.code, 0.0)


def expected_rows(
    dataset_id: str, area: Area, *, scale: float = 1.0, volumes: Volumes | None = None
) -> float:
    """Mean rows per data day this borough publishes for this (daily) dataset."""
    volumes = volumes or Volumes.load()
    try:
        annual = volumes.annual_rows[dataset_id]
    except KeyError:
        raise CatalogueError(
            f"config/sandbox/sandbox.yml: annual_rows has no volume for dataset {dataset_id!r}"
        ) from None
    return annual * scale * volumes.shares.get(area.code, 0.0) / DAYS_PER_YEAR


def rng_for(seed: int, dataset_id: str, area: Area, day: dt.date) -> random.Random:
    """A generator private to one feed-day: stable across runs, processes and Pythons."""
    digest = hashlib.sha256(f"{seed}:{dataset_id}:{area.code}:{day.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal for large ones."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count
    return max(0, round(rng.normalvariate(mean, math.sqrt(mean))))


def truth_records(
    dataset_id: str,
    area: Area,
    day: dt.date,
    *,
    seed: int,
    scale: float = 1.0,
    volumes: Volumes | None = None,
    catalogue: Catalogue | None = None,
) -> list[dict]:
    """The canonical records one borough holds for one dataset and data day.

    `volumes` and `catalogue` default to the repository's config; the server passes
    its own so that generation does not re-read YAML per request.
    """
    catalogue = catalogue or load_catalogue()
    dataset = catalogue.dataset(dataset_id)
    volumes = volumes or Volumes.load(catalogue)
    rng = rng_for(seed, dataset_id, area, day)
    if dataset.periodic:
        if not is_period_start(day, dataset.cadence):
            return []  # a period's records all carry its first day
        count = round(period_total(dataset_id, area, scale=scale, volumes=volumes))
    else:
        count = poisson(rng, expected_rows(dataset_id, area, scale=scale, volumes=volumes))
    make = GENERATORS.get(dataset_id, _generic)
    return [conform(dataset, r, rng, day) for r in make(rng, dataset, area, day, count)]


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One label, chosen with the given relative weights (uses exactly one draw)."""
    target = rng.random() * sum(weights.values())
    for label, weight in weights.items():
        target -= weight
        if target < 0:
            return label
    return label


ROAD_USERS = {
    "Pedestrian": 22,
    "Pedal cyclist": 18,
    "Powered two-wheeler": 17,
    "Car occupant": 33,
    "Bus or coach occupant": 5,
    "Other vehicle occupant": 5,
}
TENURES = {"Market": 62, "Social rent": 12, "Affordable rent": 10, "Intermediate": 16}
CATEGORIES = {
    "Fly-tipping": 25,
    "Missed bin": 22,
    "Pothole": 14,
    "Graffiti": 8,
    "Street lighting": 8,
    "Noise": 15,
    "Abandoned vehicle": 8,
}
CHANNELS = {"Online": 45, "App": 15, "Phone": 33, "Email": 5, "In person": 2}
MEDIAN_DAYS_TO_CLOSE = {
    "Fly-tipping": 2,
    "Missed bin": 1,
    "Pothole": 14,
    "Graffiti": 6,
    "Street lighting": 9,
    "Noise": 4,
    "Abandoned vehicle": 10,
}


def _road_casualties(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """STATS19-like casualties: ~0.5% fatal, ~13% serious; age unknown for ~4%."""
    records = []
    for n in range(1, count + 1):
        roll = rng.random()
        severity = "Fatal" if roll < 0.005 else "Serious" if roll < 0.135 else "Slight"
        road_user = _pick(rng, weights_for(dataset, "road_user_type", ROAD_USERS))
        if rng.random() < 0.04:
            age = None
        elif rng.random() < 0.09:
            age = int(rng.random() * 16)
        else:
            age = min(95, max(16, round(rng.normalvariate(38, 16))))
        records.append(
            {
                "casualty_ref": f"{area.code}-RC-{day:%Y%m%d}-{n:04d}",
                "accident_date": day,
                "borough": area.name,
                "severity": severity,
                "road_user_type": road_user,
                "casualty_age": age,
            }
        )
    return records


def _housing_completions(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Schemes completing today, one row per tenure they deliver; mostly small schemes."""
    records: list[dict] = []
    scheme = 0
    while len(records) < count:
        scheme += 1
        tenures_in_scheme = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.75 else 3
        remaining = weights_for(dataset, "tenure", TENURES)
        for part in range(tenures_in_scheme):
            if len(records) == count:
                break
            tenure = _pick(rng, remaining)
            del remaining[tenure]
            units = min(400, max(1, round(rng.lognormvariate(1.55, 1.2))))
            lost = 0 if rng.random() < 0.88 else min(units, 1 + int(rng.expovariate(0.4)))
            records.append(
                {
                    "completion_ref": f"{area.code}-HC-{day:%Y%m%d}-{scheme:03d}{'abc'[part]}",
                    "completion_date": day,
                    "borough": area.name,
                    "tenure": tenure,
                    "units_completed": units,
                    "units_lost": lost,
                }
            )
    return records


def _service_requests(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Residents' reports; ~85% closed, after a category-typical number of days (<= 60)."""
    records = []
    for n in range(1, count + 1):
        category = _pick(rng, weights_for(dataset, "category", CATEGORIES))
        channel = _pick(rng, weights_for(dataset, "channel", CHANNELS))
        closed = rng.random() < 0.85
        median = MEDIAN_DAYS_TO_CLOSE.get(category, 5)
        days_open = min(60, int(rng.lognormvariate(math.log(median), 0.9)))
        records.append(
            {
                "request_ref": f"{area.code}-SR-{day:%Y%m%d}-{n:05d}",
                "requested_date": day,
                "borough": area.name,
                "category": category,
                "channel": channel,
                "status": "Closed" if closed else "Open",
                "closed_date": day + dt.timedelta(days=days_open) if closed else None,
            }
        )
    return records


MODE_SHARES = {
    "Bus": 48,
    "Underground": 34,
    "Overground": 6,
    "DLR": 3,
    "Tram": 1,
    "Elizabeth line": 8,
}
# Modes only some boroughs have a station of (London GSS codes); elsewhere: bus, underground, overground.
MODE_BOROUGHS = {
    "DLR": {"E09000001", "E09000011", "E09000023", "E09000025", "E09000030"},
    "Tram": {"E09000006", "E09000008", "E09000024", "E09000029"},
    "Elizabeth line": {
        "E09000001",
        "E09000009",
        "E09000011",
        "E09000017",
        "E09000025",
        "E09000030",
        "E09000033",
        "E09000007",
        "E09000018",
        "E09000004",
        "E09000016",
        "E09000026",
    },
}
NO_UNDERGROUND = {"E09000004", "E09000021", "E09000029", "E09000023"}
MONTH_FACTOR = {
    1: 0.93,
    2: 0.97,
    3: 1.03,
    4: 0.98,
    5: 1.02,
    6: 1.01,
    7: 1.0,
    8: 0.9,
    9: 1.04,
    10: 1.06,
    11: 1.05,
    12: 0.92,
}
TA_TYPES = {
    "Bed and breakfast": 8,
    "Nightly paid": 35,
    "Hostel": 8,
    "Private sector leased": 20,
    "Social housing stock": 20,
    "Other": 9,
}
PROPERTY_TYPES = {"Flat": 50, "Terraced": 28, "Semi-detached": 15, "Detached": 7}
PRICE_FACTOR = {"Flat": 0.78, "Terraced": 1.08, "Semi-detached": 1.3, "Detached": 1.95}
RECYCLED_STREAMS = {"Dry recycling": 60, "Composting": 35, "Reuse": 5}


def _stable(area: Area, what: str) -> float:
    """A number in [0, 1) fixed for a borough and a name: traits that do not change month to month."""
    digest = hashlib.sha256(f"{area.code}:{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _months_since_2024(day: dt.date) -> int:
    return (day.year - 2024) * 12 + day.month - 1


def _split(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    whole = sum(weights.values())
    return {label: total * weight / whole for label, weight in weights.items()}


def _public_transport_journeys(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, total: int
) -> list[dict]:
    """Journeys by mode in the month: seasonal, growing ~3% a year, only modes the borough has."""
    modes = {
        mode: share
        for mode, share in weights_for(dataset, "mode", MODE_SHARES).items()
        if (mode not in MODE_BOROUGHS or area.code in MODE_BOROUGHS[mode])
        and not (
            mode == "Underground"
            and (area.code in NO_UNDERGROUND or not area.code.startswith("E09"))
        )
    }
    growth = 1.03 ** (_months_since_2024(day) / 12) * MONTH_FACTOR[day.month]
    return [
        {
            "journeys_ref": f"{area.code}-PTJ-{day:%Y%m}-{n:02d}",
            "month": day,
            "borough": area.name,
            "mode": mode,
            "journeys": round(journeys * growth * rng.uniform(0.97, 1.03)),
        }
        for n, (mode, journeys) in enumerate(_split(total, modes).items(), start=1)
    ]


def _bus_performance(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, routes: int
) -> list[dict]:
    """Routes in the borough; high-frequency ones report scheduled and actual waits (EWT = difference)."""
    reliability = 0.7 + 0.8 * _stable(area, "bus-reliability")  # borough's typical EWT, minutes
    records = []
    for n in range(1, max(2, routes) + 1):
        route = str(1 + int(_stable(area, f"route-{n}") * 499))
        frequent = _stable(area, f"route-{n}-frequency") < 0.6
        scheduled = round(2 + 4 * _stable(area, f"route-{n}-headway"), 1) if frequent else None
        actual = (
            round(scheduled + reliability * rng.lognormvariate(0, 0.35), 2) if frequent else None
        )
        records.append(
            {
                "route_month_ref": f"{area.code}-BUS-{day:%Y%m}-{n:03d}",
                "month": day,
                "borough": area.name,
                "route": route,
                "service_type": "High frequency" if frequent else "Low frequency",
                "scheduled_wait_minutes": scheduled,
                "actual_wait_minutes": actual,
                "observed_departures": round((6000 if frequent else 1500) * rng.uniform(0.7, 1.3)),
            }
        )
    return records


def _temporary_accommodation(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, households: int
) -> list[dict]:
    """Households in TA at the quarter's end by type, rising ~1.5% a quarter; ~70% with children."""
    level = (
        households
        * (0.6 + 0.8 * _stable(area, "ta-pressure"))
        * 1.015 ** (_months_since_2024(day) / 3)
    )
    records = []
    types = weights_for(dataset, "accommodation_type", TA_TYPES)
    for n, (kind, share) in enumerate(_split(level, types).items(), start=1):
        count = round(share * rng.uniform(0.9, 1.1))
        records.append(
            {
                "ta_ref": f"{area.code}-TA-{day:%Y%m}-{n}",
                "quarter": day,
                "borough": area.name,
                "accommodation_type": kind,
                "households": count,
                "households_with_children": None
                if rng.random() < 0.05
                else round(count * rng.uniform(0.6, 0.8)),
            }
        )
    return records


def _planning_applications(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Decisions made today; ~3% major. Majors take ~11 weeks, a quarter with an agreed extension."""
    records = []
    for n in range(1, count + 1):
        roll = rng.random()
        kind = "Major" if roll < 0.03 else "Minor" if roll < 0.35 else "Other"
        median_days = {"Major": 80, "Minor": 50, "Other": 42}[kind]
        took = max(1, min(720, round(rng.lognormvariate(math.log(median_days), 0.45))))
        extension = rng.random() < (0.25 if kind == "Major" else 0.1)
        records.append(
            {
                "application_ref": f"{area.code}-PA-{day:%Y%m%d}-{n:04d}",
                "decision_date": day,
                "borough": area.name,
                "received_date": day - dt.timedelta(days=took),
                "development_type": kind,
                "decision": "Granted" if rng.random() < 0.85 else "Refused",
                "extension_agreed": None if rng.random() < 0.04 else "Yes" if extension else "No",
            }
        )
    return records


def _house_prices(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, sales: int
) -> list[dict]:
    """Sales and mean price by property type: a borough price level, ~3.5% a year growth, noise."""
    base = 380_000 * (1 + 1.8 * _stable(area, "price-level") ** 2)
    level = base * 1.035 ** (_months_since_2024(day) / 12)
    records = []
    types = weights_for(dataset, "property_type", PROPERTY_TYPES)
    for n, (kind, share) in enumerate(_split(sales, types).items(), start=1):
        sold = poisson(rng, share)
        price = round(level * PRICE_FACTOR.get(kind, 1.0) * rng.uniform(0.95, 1.05), 2)
        records.append(
            {
                "price_ref": f"{area.code}-HP-{day:%Y%m}-{n}",
                "month": day,
                "borough": area.name,
                "property_type": kind,
                "sales": sold,
                "average_price": price if sold else None,
            }
        )
    return records


def _household_waste(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, tonnes: int
) -> list[dict]:
    """Tonnes by stream: a borough recycling rate of 20-50%, more composting in spring and summer."""
    rate = 0.2 + 0.3 * _stable(area, "recycling-rate")
    garden = 1.3 if day.month in (4, 7) else 0.8
    recycling = weights_for(dataset, "stream", RECYCLED_STREAMS | {"Residual": 0})
    recycled = _split(
        tonnes * rate,
        {k: w * (garden if k == "Composting" else 1) for k, w in recycling.items() if w},
    )
    streams = {"Residual": tonnes * (1 - rate), **recycled}
    return [
        {
            "waste_ref": f"{area.code}-HW-{day:%Y%m}-{n}",
            "quarter": day,
            "borough": area.name,
            "stream": stream,
            "tonnes": round(weight * rng.uniform(0.95, 1.05), 1),
        }
        for n, (stream, weight) in enumerate(streams.items(), start=1)
    ]


def _generic(
    rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int
) -> list[dict]:
    """Any other catalogue dataset: values drawn from its field specs, so a dataset
    added to config is served at once, if not realistically."""
    records = []
    for n in range(1, count + 1):
        record: dict = {}
        for spec in dataset.fields:
            if spec.name == dataset.key:
                record[spec.name] = f"{area.code}-{dataset.id.upper()}-{day:%Y%m%d}-{n:05d}"
            elif spec.name == dataset.date_field:
                record[spec.name] = day
            elif spec.name == "borough":
                record[spec.name] = area.name
            else:
                record[spec.name] = drawn_value(spec, rng, day)
        records.append(record)
    return records


Generator = Callable[[random.Random, Dataset, Area, dt.date, int], list[dict]]
GENERATORS: dict[str, Generator] = {
    "road_casualties": _road_casualties,
    "housing_completions": _housing_completions,
    "service_requests": _service_requests,
    "public_transport_journeys": _public_transport_journeys,
    "bus_performance": _bus_performance,
    "temporary_accommodation": _temporary_accommodation,
    "planning_applications": _planning_applications,
    "house_prices": _house_prices,
    "household_waste": _household_waste,
}
