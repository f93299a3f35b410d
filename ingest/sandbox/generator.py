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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ingest.catalogue import Area, Catalogue, Dataset, load_catalogue
from ingest.errors import CatalogueError

__all__ = [
    "Volumes",
    "truth_records",
    "expected_rows",
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
    shares: Mapping[str, float]          # area code -> share; sums to 1 over the region

    @classmethod
    def load(cls, catalogue: Catalogue | None = None) -> "Volumes":
        """Volumes from config/sandbox.yml and the population seed it names."""
        from ingest.sandbox.settings import load_settings  # settings imports this module

        catalogue = catalogue or load_catalogue()
        settings = load_settings(catalogue)
        return cls(settings.annual_rows, population_shares(catalogue.region.areas, settings.population_seed))


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
                    raise CatalogueError(f"{csv_path}:{line}: population {row['population']!r} is not a number") from None
    known = [listed[a.code] for a in areas if a.code in listed]
    fallback = sum(known) / len(known) if known else 1.0
    population = {a.code: listed.get(a.code, fallback) for a in areas}
    total = sum(population.values())
    return {code: value / total for code, value in population.items()}


def expected_rows(dataset_id: str, area: Area, *, scale: float = 1.0, volumes: Volumes | None = None) -> float:
    """Mean rows per data day this borough publishes for this dataset."""
    volumes = volumes or Volumes.load()
    try:
        annual = volumes.annual_rows[dataset_id]
    except KeyError:
        raise CatalogueError(f"config/sandbox.yml: annual_rows has no volume for dataset {dataset_id!r}") from None
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
    rng = rng_for(seed, dataset_id, area, day)
    count = poisson(rng, expected_rows(dataset_id, area, scale=scale, volumes=volumes or Volumes.load(catalogue)))
    make = GENERATORS.get(dataset_id, _generic)
    return make(rng, dataset, area, day, count)


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One label, chosen with the given relative weights (uses exactly one draw)."""
    target = rng.random() * sum(weights.values())
    for label, weight in weights.items():
        target -= weight
        if target < 0:
            return label
    return label


ROAD_USERS = {"Pedestrian": 22, "Pedal cyclist": 18, "Powered two-wheeler": 17,
              "Car occupant": 33, "Bus or coach occupant": 5, "Other vehicle occupant": 5}
TENURES = {"Market": 62, "Social rent": 12, "Affordable rent": 10, "Intermediate": 16}
CATEGORIES = {"Fly-tipping": 25, "Missed bin": 22, "Pothole": 14, "Graffiti": 8,
              "Street lighting": 8, "Noise": 15, "Abandoned vehicle": 8}
CHANNELS = {"Online": 45, "App": 15, "Phone": 33, "Email": 5, "In person": 2}
MEDIAN_DAYS_TO_CLOSE = {"Fly-tipping": 2, "Missed bin": 1, "Pothole": 14, "Graffiti": 6,
                        "Street lighting": 9, "Noise": 4, "Abandoned vehicle": 10}


def _road_casualties(rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int) -> list[dict]:
    """STATS19-like casualties: ~0.5% fatal, ~13% serious; age unknown for ~4%."""
    records = []
    for n in range(1, count + 1):
        roll = rng.random()
        severity = "Fatal" if roll < 0.005 else "Serious" if roll < 0.135 else "Slight"
        road_user = _pick(rng, ROAD_USERS)
        if rng.random() < 0.04:
            age = None
        elif rng.random() < 0.09:
            age = int(rng.random() * 16)
        else:
            age = min(95, max(16, round(rng.normalvariate(38, 16))))
        records.append({
            "casualty_ref": f"{area.code}-RC-{day:%Y%m%d}-{n:04d}",
            "accident_date": day,
            "borough": area.name,
            "severity": severity,
            "road_user_type": road_user,
            "casualty_age": age,
        })
    return records


def _housing_completions(rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int) -> list[dict]:
    """Schemes completing today, one row per tenure they deliver; mostly small schemes."""
    records: list[dict] = []
    scheme = 0
    while len(records) < count:
        scheme += 1
        tenures_in_scheme = 1 if rng.random() < 0.6 else 2 if rng.random() < 0.75 else 3
        remaining = dict(TENURES)
        for part in range(tenures_in_scheme):
            if len(records) == count:
                break
            tenure = _pick(rng, remaining)
            del remaining[tenure]
            units = min(400, max(1, round(rng.lognormvariate(1.55, 1.2))))
            lost = 0 if rng.random() < 0.88 else min(units, 1 + int(rng.expovariate(0.4)))
            records.append({
                "completion_ref": f"{area.code}-HC-{day:%Y%m%d}-{scheme:03d}{'abc'[part]}",
                "completion_date": day,
                "borough": area.name,
                "tenure": tenure,
                "units_completed": units,
                "units_lost": lost,
            })
    return records


def _service_requests(rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int) -> list[dict]:
    """Residents' reports; ~85% closed, after a category-typical number of days (<= 60)."""
    records = []
    for n in range(1, count + 1):
        category = _pick(rng, CATEGORIES)
        channel = _pick(rng, CHANNELS)
        closed = rng.random() < 0.85
        days_open = min(60, int(rng.lognormvariate(math.log(MEDIAN_DAYS_TO_CLOSE[category]), 0.9)))
        records.append({
            "request_ref": f"{area.code}-SR-{day:%Y%m%d}-{n:05d}",
            "requested_date": day,
            "borough": area.name,
            "category": category,
            "channel": channel,
            "status": "Closed" if closed else "Open",
            "closed_date": day + dt.timedelta(days=days_open) if closed else None,
        })
    return records


def _generic(rng: random.Random, dataset: Dataset, area: Area, day: dt.date, count: int) -> list[dict]:
    """Any other catalogue dataset: values drawn from its field specs, so a dataset
    added to config is served at once, if not realistically."""
    records = []
    for n in range(1, count + 1):
        record: dict = {}
        for spec in dataset.fields:
            if spec.name == dataset.key:
                value = f"{area.code}-{dataset.id.upper()}-{day:%Y%m%d}-{n:05d}"
            elif spec.name == dataset.date_field:
                value = day
            elif spec.name == "borough":
                value = area.name
            elif not spec.required and rng.random() < 0.05:
                value = None
            elif spec.values:
                value = spec.values[int(rng.random() * len(spec.values))]
            elif spec.type == "date":
                value = day + dt.timedelta(days=int(rng.random() * 30))
            elif spec.type in ("integer", "number"):
                low = spec.min if spec.min is not None else 0
                high = spec.max if spec.max is not None else low + 100
                value = low + rng.random() * (high - low)
                value = round(value) if spec.type == "integer" else round(value, 2)
            else:
                value = f"{spec.name}-{int(rng.random() * 1000):03d}"
            record[spec.name] = value
        records.append(record)
    return records


Generator = Callable[[random.Random, Dataset, Area, dt.date, int], list[dict]]
GENERATORS: dict[str, Generator] = {
    "road_casualties": _road_casualties,
    "housing_completions": _housing_completions,
    "service_requests": _service_requests,
}
