"""How many rows the sandbox's truth holds: city-wide volumes shared out by population.

Kept apart from the record generators so that the server and the tests can size a
feed (rows per data day, quantity per period) without drawing any record.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.catalogue import Area, Catalogue, load_catalogue
from ingest.errors import CatalogueError

__all__ = ["Volumes", "population_shares", "period_total", "expected_rows"]

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
