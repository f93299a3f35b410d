"""The reference seeds reproduce the real published figures they were taken from."""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests" / "fixtures" / "london-borough-profiles.csv"
SEEDS = ROOT / "dbt_project" / "seeds"


def _profiles() -> dict[str, dict[str, str]]:
    with PROFILES.open(encoding="latin-1", newline="") as handle:
        return {row["Code"]: row for row in csv.DictReader(handle)}


def _seed(name: str, prefix: str = "") -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["area_code"].startswith(prefix)]


def test_population_seed_equals_the_gla_borough_profiles():
    """Every borough's population and households are the GLA 2017 estimates, figure for figure."""
    profiles = _profiles()
    seed = {row["area_code"]: row for row in _seed("reference_population.csv", "E09")}
    for code, row in seed.items():
        assert int(row["population"]) == int(
            profiles[code]["GLA_Population_Estimate_2017"].replace(",", "")
        )
        assert int(row["households"]) == int(
            profiles[code]["GLA_Household_Estimate_2017"].replace(",", "")
        )


def test_population_seed_sums_to_the_published_london_total():
    """The 33 boroughs sum to 8,835,400 people (London published as 8,835,500, rounded)."""
    seed = _seed("reference_population.csv", "E09")
    london = int(_profiles()["E12000007"]["GLA_Population_Estimate_2017"].replace(",", ""))
    total = sum(int(row["population"]) for row in seed)
    assert total == 8_835_400
    assert abs(total - london) <= 100
    assert sum(int(row["households"]) for row in seed) == 3_601_962


def test_every_configured_borough_has_population_and_a_housing_target():
    """A London borough without reference figures would silently drop out of ratios."""
    codes = {a.code for a in load_catalogue(region="london").region.areas}
    assert codes <= {row["area_code"] for row in _seed("reference_population.csv")}
    targets = {
        row["area_code"] for row in _seed("reference_housing_targets.csv") if row["area_code"]
    }
    assert codes <= targets


def test_london_plan_targets_sum_to_the_plan_total():
    """Table 4.1's ten-year targets (boroughs plus the two development corporations) total 522,870."""
    assert (
        sum(int(row["ten_year_target"]) for row in _seed("reference_housing_targets.csv"))
        == 522_870
    )


def test_every_area_of_every_region_has_a_population():
    """Per-capita metrics need a population for every area of every configured region."""
    populations = {
        row["area_code"] for row in _seed("reference_population.csv") if row["population"]
    }
    for region_file in (ROOT / "config" / "regions").glob("*.yml"):
        areas = load_catalogue(region=region_file.stem).region.areas
        assert {a.code for a in areas} <= populations, region_file.name


def test_service_levels_cover_every_category_and_say_they_are_illustrative():
    """Each service request category of the catalogue has a level; none claims to be a council's."""
    with (SEEDS / "reference_service_levels.csv").open(encoding="utf-8", newline="") as handle:
        levels = list(csv.DictReader(handle))
    categories = next(
        f for f in load_catalogue().dataset("service_requests").fields if f.name == "category"
    ).values
    assert sorted(row["category"] for row in levels) == sorted(categories)
    assert all(int(row["service_level_days"]) > 0 for row in levels)
    assert all("illustrative" in row["source"].lower() for row in levels)


def test_every_metric_is_computed_from_a_catalogue_dataset():
    """A metric naming a dataset the catalogue lacks would never get a row."""
    with (SEEDS / "metric_definitions.csv").open(encoding="utf-8", newline="") as handle:
        metrics = list(csv.DictReader(handle))
    datasets = set(load_catalogue().datasets)
    assert {row["dataset"] for row in metrics if row["dataset"]} <= datasets
    assert [row["metric_id"] for row in metrics if not row["dataset"]] == ["data_scorecard"]
    fixture = ROOT / "dbt_project" / "tests" / "fixtures" / "all_metric_definitions.csv"
    assert fixture.read_text(encoding="utf-8") == (SEEDS / "metric_definitions.csv").read_text(
        encoding="utf-8"
    )
