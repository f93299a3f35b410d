"""config/sandbox/sandbox.yml read into one typed, validated value.

Like the catalogue, a mistake stops the load with the file, the key and the reason,
before the server answers a single request: a typo in a quirk or a fault profile
would otherwise show up as puzzling data hours later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue, read_yaml
from ingest.errors import CatalogueError
from ingest.paths import REPO_ROOT
from sandbox.fault_specs import FaultSpec, FaultSpecError, parse_fault
from sandbox.quirks import Quirk, build_quirks

__all__ = ["SandboxSettings", "load_settings", "DEFAULT_POPULATION_SEED"]

DEFAULT_POPULATION_SEED = "dbt_project/seeds/reference_population.csv"
_KEYS = (
    "seed",
    "annual_rows",
    "period_totals",
    "population_seed",
    "fault_profiles",
    "bulk_csv",
    "downloads",
)
_REGION_KEYS = ("quirks", "fault_profiles")


@dataclass(frozen=True)
class SandboxSettings:
    seed: int
    annual_rows: Mapping[str, float]  # daily dataset id -> city-wide rows a year at scale 1
    period_totals: Mapping[str, float]  # periodic dataset id -> city-wide quantity per period
    population_seed: Path | None  # CSV with area_code,population (may not exist yet)
    quirks: Mapping[str, Quirk]  # area code -> quirk, for every area of the region
    fault_profiles: Mapping[str, tuple[FaultSpec, ...]]
    path: Path
    bulk_first_day: dt.date = dt.date(2026, 1, 1)  # bulk CSV files hold every day from this one
    bulk_first_period: dt.date = dt.date(
        2024, 1, 1
    )  # ...and every period of periodic datasets from this one
    downloads: Mapping[str, Path] = field(
        default_factory=dict
    )  # publisher slug -> folder of real files


def load_settings(catalogue: Catalogue, path: Path | str | None = None) -> SandboxSettings:
    """Read and validate sandbox.yml from the catalogue's config folder (or `path`), and the
    region's own file beside it, sandbox/<region slug>.yml (its boroughs' quirks and faults)."""
    path = Path(path) if path else catalogue.config_dir / "sandbox" / "sandbox.yml"
    data = read_yaml(path)
    unknown = set(data) - set(_KEYS)
    if unknown:
        raise CatalogueError(
            f"{path}: unknown top-level keys {sorted(unknown)}; known: {list(_KEYS)}"
        )
    region_path = path.parent / f"{catalogue.region.slug}.yml"
    region = read_yaml(region_path) if region_path.exists() else {}
    unknown = set(region) - set(_REGION_KEYS)
    if unknown:
        raise CatalogueError(
            f"{region_path}: unknown top-level keys {sorted(unknown)}; known: {list(_REGION_KEYS)}"
        )
    seed = data.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise CatalogueError(f"{path}: seed: expected a whole number, got {seed!r}")
    population = data.get("population_seed", DEFAULT_POPULATION_SEED)
    if population is not None and not isinstance(population, str):
        raise CatalogueError(f"{path}: population_seed: expected a path relative to the repository")
    return SandboxSettings(
        seed=seed,
        annual_rows=_volumes(
            data.get("annual_rows"), catalogue, path, "annual_rows", periodic=False
        ),
        period_totals=_volumes(
            data.get("period_totals"), catalogue, path, "period_totals", periodic=True
        ),
        population_seed=REPO_ROOT / population if population else None,
        quirks=build_quirks(
            region.get("quirks"), catalogue.region.areas, region_path, catalogue.datasets
        ),
        fault_profiles=_profiles(data.get("fault_profiles"), catalogue, path)
        | _profiles(
            region.get("fault_profiles"), catalogue, region_path, taken=data.get("fault_profiles")
        ),
        path=path,
        bulk_first_day=_bulk_day(data.get("bulk_csv"), "first_day", path),
        bulk_first_period=_bulk_day(data.get("bulk_csv"), "first_period", path),
        downloads=_downloads(data.get("downloads"), catalogue, path),
    )


def _downloads(raw: Any, catalogue: Catalogue, path: Path) -> dict[str, Path]:
    """downloads: {publisher slug: folder (relative to the repository)} of real region-wide files."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise CatalogueError(f"{path}: downloads: expected publisher slug: folder")
    taken = {a.slug for a in catalogue.region.areas}
    for slug, folder in raw.items():
        if slug in taken:
            raise CatalogueError(
                f"{path}: downloads.{slug}: a borough portal already has this name"
            )
        if not (REPO_ROOT / folder).is_dir():
            raise CatalogueError(
                f"{path}: downloads.{slug}: no folder {folder!r} in the repository"
            )
    return {slug: REPO_ROOT / folder for slug, folder in raw.items()}


def _bulk_day(raw: Any, key: str, path: Path) -> dt.date:
    if not isinstance(raw, dict) or set(raw) != {"first_day", "first_period"}:
        raise CatalogueError(
            f"{path}: bulk_csv: expected {{first_day: YYYY-MM-DD, first_period: YYYY-MM-DD}}"
        )
    value = raw[key]
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogueError(
            f"{path}: bulk_csv.{key}: {value!r} is not a YYYY-MM-DD date"
        ) from None


def _volumes(
    raw: Any, catalogue: Catalogue, path: Path, key: str, periodic: bool
) -> dict[str, float]:
    """annual_rows (daily datasets) or period_totals (monthly and quarterly ones): one number each."""
    wanted = {
        d.id for d in catalogue.datasets.values() if d.periodic == periodic and not d.region_wide
    }
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: {key}: expected a mapping of dataset id to a number")
    for dataset_id, rows in raw.items():
        if dataset_id not in wanted:
            raise CatalogueError(
                f"{path}: {key}.{dataset_id}: not a {'periodic' if periodic else 'daily'} "
                f"dataset of the catalogue; those are {sorted(wanted)}"
            )
        if not isinstance(rows, (int, float)) or isinstance(rows, bool) or rows < 0:
            raise CatalogueError(
                f"{path}: {key}.{dataset_id}: expected a number >= 0, got {rows!r}"
            )
    missing = sorted(wanted - set(raw))
    if missing:
        raise CatalogueError(f"{path}: {key}: no volume for datasets {missing}")
    return {k: float(v) for k, v in raw.items()}


def _profiles(
    raw: Any, catalogue: Catalogue, path: Path, taken: Any = None
) -> dict[str, tuple[FaultSpec, ...]]:
    """Named fault profiles; `taken`: the shared file's, which a region file may not redefine."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise CatalogueError(
            f"{path}: fault_profiles: expected a mapping of profile name to a list of faults"
        )
    profiles: dict[str, tuple[FaultSpec, ...]] = {} if taken is not None else {"none": ()}
    for name, faults in raw.items():
        if taken is not None and (name in (taken or {}) or name == "none"):
            raise CatalogueError(
                f"{path}: fault_profiles.{name}: already defined in the shared sandbox.yml"
            )
        if not isinstance(faults, list):
            raise CatalogueError(
                f"{path}: fault_profiles.{name}: expected a list of faults (may be empty)"
            )
        specs = []
        for index, fault in enumerate(faults):
            try:
                specs.append(parse_fault(fault, catalogue))
            except FaultSpecError as exc:
                raise CatalogueError(f"{path}: fault_profiles.{name}[{index}]: {exc}") from None
        profiles[str(name)] = tuple(specs)
    return profiles
