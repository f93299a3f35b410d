"""The truth: what each borough's feed means, before any portal renders it.

Every record is a pure function of (seed, dataset, borough, data day, scale, volumes):
no clock, no shared random state, no Python hash(). So the server can regenerate any
page at any time, and tests can compare what the pipeline landed with what was meant.
Records are canonical and typed: `date` objects, `int`, `None`, category labels exactly
as config/datasets.yml lists them, `borough` = the area's canonical name.
This module puts together volumes.py (how many), draws.py (seeded randomness) and the
per-dataset generators (daily_generators.py, periodic_generators.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from ingest.catalogue import Area, Catalogue, Dataset, load_catalogue
from ingest.periods import is_period_start
from sandbox.daily_generators import (
    _housing_completions,
    _planning_applications,
    _road_casualties,
    _service_requests,
)
from sandbox.draws import poisson, rng_for
from sandbox.periodic_generators import (
    _bus_performance,
    _house_prices,
    _household_waste,
    _public_transport_journeys,
    _temporary_accommodation,
)
from sandbox.spec_records import conform, drawn_value
from sandbox.volumes import Volumes, expected_rows, period_total

__all__ = [
    "truth_records",
    "GENERATORS",
]


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
