"""config/metrics.yml read into frozen Metric and Measures records, checked like a compiler.

Each metric of analytics.city_metrics is declared there once; pipeline/metric_files.py
writes from these records everything dbt reads (the per-dataset measure models, one
model per metric, the metric seeds, the README table). A mistake stops the load with one
`file:line: key.path: why` message, as the rest of the catalogue does (ingest/config_checks.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.catalogue import Catalogue, _parsed, config_dir
from ingest.catalogue_records import _IDENTIFIER
from ingest.config_checks import _need
from ingest.config_yaml import suggest, unknown_keys
from ingest.errors import CatalogueError

__all__ = [
    "AGGREGATIONS",
    "COVERED_COLUMNS",
    "Measures",
    "MeasureColumn",
    "Metric",
    "MetricCatalogue",
    "load_metrics",
]

DOMAINS = ("transport", "housing", "services", "data")
DIRECTIONS = ("lower_is_better", "higher_is_better")
AGGREGATIONS = ("ratio", "median", "per_day", "ratio_change")
LAST_YEAR = ("difference", "pair")
DENOMINATOR_KINDS = ("stock", "flow")
# the columns of a borough's covered period a numerator or denominator may name:
# reference data (int_areas__joined_to_reference) and coverage (int_feed_coverage__by_month)
COVERED_COLUMNS = (
    "population",
    "households",
    "annual_housing_target",
    "days_covered",
    "days_in_period",
)
# a dataset's cadence -> the period of its metrics' rows
_GRAINS = {"daily": "month", "monthly": "month", "quarterly": "quarter"}
_METRIC_KEYS = (
    "name",
    "domain",
    "dataset",
    "grain",
    "numerator",
    "denominator",
    "median",
    "last_year",
    "covered_by",
    "unit",
    "direction",
    "target",
    "value_multiplier",
    "aggregation",
    "rolling",
    "has_better_direction",
    "counts_people",
    "min_count_to_rank",
    "description",
)
_REFERENCE = re.compile(r"\b(inputs|covered)\.([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class MeasureColumn:
    name: str
    sql: str
    description: str


@dataclass(frozen=True)
class Measures:
    """A dataset's borough x period aggregate, the model its metrics read."""

    dataset: str
    grain: str
    records: str
    description: str
    columns: tuple[MeasureColumn, ...]

    @property
    def model(self) -> str:
        return f"int_{self.dataset}__borough_{self.grain}"


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    domain: str
    dataset: str | None
    grain: str
    numerator: str | None  # SQL over inputs.* / covered.* (or the scorecard's columns)
    denominator: str | None
    median: dict | None  # {measure, records, column} for aggregation median
    last_year: str | None
    covered_by: str  # dataset | run_days
    unit: str
    direction: str
    target: float | None
    value_multiplier: float | None
    aggregation: str
    rolling_months: int | None
    rolling_denominator: str | None
    has_better_direction: bool
    counts_people: bool
    min_count_to_rank: int | None
    description: str

    @property
    def model(self) -> str:
        return f"int_metric__{self.id}"


@dataclass(frozen=True)
class MetricCatalogue:
    measures: dict[str, Measures]
    metrics: dict[str, Metric]


def load_metrics(catalogue: Catalogue, path: Path | None = None) -> MetricCatalogue:
    """config/metrics.yml (beside the catalogue's other files), checked against its datasets."""
    path = path or Path(catalogue.config_dir or config_dir()) / "metrics.yml"
    datasets = {**catalogue.datasets, **catalogue.elsewhere}
    cadences = {k: d.cadence for k, d in datasets.items()}
    return _parsed(path, lambda tree, p: _metric_catalogue(tree, p, cadences))


def _metric_catalogue(tree: dict, path: Path, cadences: dict[str, str]) -> MetricCatalogue:
    unknown_keys(tree, ("measures", "metrics"), path, "")
    raw_measures = _need(tree, "measures", path, "top", dict)
    measures = {
        dataset: _measures(dataset, raw, cadences, path) for dataset, raw in raw_measures.items()
    }
    raw_metrics = _need(tree, "metrics", path, "top", dict)
    metrics = {
        metric_id: _metric(metric_id, raw, measures, path) for metric_id, raw in raw_metrics.items()
    }
    return MetricCatalogue(measures=measures, metrics=metrics)


def _measures(dataset: str, raw: Any, cadences: dict[str, str], path: Path) -> Measures:
    where = f"measures.{dataset}"
    if dataset not in cadences:
        raise CatalogueError(
            f"{path}: {where}: not a dataset of datasets.yml{suggest(dataset, cadences)}"
        )
    _mapping(raw, path, where)
    unknown_keys(raw, ("records", "description", "columns"), path, where)
    grain = _grain(cadences[dataset], path, where)
    columns = []
    for name, spec in _need(raw, "columns", path, where, dict).items():
        here = f"{where}.columns.{name}"
        _identifier(name, path, here)
        _mapping(spec, path, here)
        unknown_keys(spec, ("sql", "description"), path, here)
        columns.append(
            MeasureColumn(
                name=name,
                sql=_need(spec, "sql", path, here).strip(),
                description=_need(spec, "description", path, here).strip(),
            )
        )
    return Measures(
        dataset=dataset,
        grain=grain,
        records=_identifier(_need(raw, "records", path, where), path, f"{where}.records"),
        description=_need(raw, "description", path, where).strip(),
        columns=tuple(columns),
    )


def _grain(cadence: str, path: Path, where: str) -> str:
    if cadence not in _GRAINS:
        raise CatalogueError(
            f"{path}: {where}: metrics over a {cadence} dataset are not supported; "
            f"datasets of cadence {list(_GRAINS)} give month or quarter rows"
        )
    return _GRAINS[cadence]


def _metric(metric_id: str, raw: Any, measures: dict[str, Measures], path: Path) -> Metric:
    where = f"metrics.{metric_id}"
    _identifier(metric_id, path, where)
    _mapping(raw, path, where)
    unknown_keys(raw, _METRIC_KEYS, path, where)
    aggregation = _choice(raw, "aggregation", AGGREGATIONS, path, where)
    covered_by = _choice(raw, "covered_by", ("run_days",), path, where, default="dataset")
    last_year = _choice(raw, "last_year", LAST_YEAR, path, where, default=None)
    if (last_year == "pair") != (aggregation == "ratio_change"):
        raise CatalogueError(
            f"{path}: {where}.last_year: `last_year: pair` goes with `aggregation: ratio_change` "
            f"(a change of a ratio of sums needs last year's numerator and denominator)"
        )
    dataset, inputs, grain = None, None, "month"
    if covered_by == "dataset":
        dataset = _need(raw, "dataset", path, where)
        if dataset not in measures:
            raise CatalogueError(
                f"{path}: {where}.dataset: {dataset!r} has no `measures` entry"
                f"{suggest(dataset, measures)}; measured datasets: {sorted(measures)}"
            )
        inputs = measures[dataset]
        grain = inputs.grain
    elif raw.get("dataset") is not None:
        raise CatalogueError(
            f"{path}: {where}.dataset: a metric covered by run_days is tied to no dataset"
        )
    if raw.get("grain") is not None and raw["grain"] != grain:
        raise CatalogueError(
            f"{path}: {where}.grain: {raw['grain']!r}, but its dataset gives {grain} rows "
            f"(the grain follows the dataset's cadence)"
        )
    numerator, denominator, median = _fraction(raw, aggregation, last_year, inputs, path, where)
    rolling_months, rolling_denominator = _rolling(raw.get("rolling"), grain, path, where)
    multiplier = raw.get("value_multiplier")
    if (multiplier is None) != (aggregation == "median"):
        raise CatalogueError(
            f"{path}: {where}.value_multiplier: a number (100 for %, 1000 per 1,000) for every "
            f"aggregation but median, which has none"
        )
    return Metric(
        id=metric_id,
        name=_need(raw, "name", path, where),
        domain=_choice(raw, "domain", DOMAINS, path, where),
        dataset=dataset,
        grain=grain,
        numerator=numerator,
        denominator=denominator,
        median=median,
        last_year=last_year,
        covered_by=covered_by,
        unit=_need(raw, "unit", path, where),
        direction=_choice(raw, "direction", DIRECTIONS, path, where),
        target=_number(raw, "target", path, where),
        value_multiplier=_number(raw, "value_multiplier", path, where),
        aggregation=aggregation,
        rolling_months=rolling_months,
        rolling_denominator=rolling_denominator,
        has_better_direction=_need(raw, "has_better_direction", path, where, bool),
        counts_people=_need(raw, "counts_people", path, where, bool),
        min_count_to_rank=_count(raw, path, where),
        description=" ".join(_need(raw, "description", path, where).split()),
    )


def _fraction(
    raw: dict, aggregation: str, last_year: str | None, inputs: Measures | None, path, where
) -> tuple[str | None, str | None, dict | None]:
    """(numerator SQL, denominator SQL, median spec), each checked against the inputs."""
    if aggregation == "median":
        for key in ("numerator", "denominator"):
            if raw.get(key) is not None:
                raise CatalogueError(f"{path}: {where}.{key}: a median has no {key}")
        spec = _need(raw, "median", path, where, dict)
        unknown_keys(spec, ("measure", "records", "column"), path, f"{where}.median")
        median = {
            k: _need(spec, k, path, f"{where}.median") for k in ("measure", "records", "column")
        }
        _measure_name(median["measure"], inputs, path, f"{where}.median.measure")
        return None, None, median
    if raw.get("median") is not None:
        raise CatalogueError(f"{path}: {where}.median: only for `aggregation: median`")
    numerator = _operand(_need(raw, "numerator", path, where), inputs, path, f"{where}.numerator")
    if last_year == "difference":
        if raw.get("denominator") is not None:
            raise CatalogueError(
                f"{path}: {where}.denominator: with `last_year: difference` the denominator is "
                f"last year's numerator; leave it out"
            )
        return numerator, None, None
    denominator = _operand(
        _need(raw, "denominator", path, where), inputs, path, f"{where}.denominator"
    )
    return numerator, denominator, None


def _operand(text: Any, inputs: Measures | None, path: Path, where: str) -> str:
    """A measure name, a covered column name, or an SQL expression over inputs./covered."""
    if not isinstance(text, str) or not text.strip():
        raise CatalogueError(f"{path}: {where}: expected a column name or an SQL expression")
    text = " ".join(text.split())
    if inputs is None:  # covered_by run_days: aggregates over the scorecard's columns
        return text
    if _IDENTIFIER.fullmatch(text):
        if text in COVERED_COLUMNS:
            return f"covered.{text}"
        _measure_name(text, inputs, path, where)
        return f"coalesce(inputs.{text}, 0)"
    for relation, column in _REFERENCE.findall(text):
        if relation == "covered" and column not in COVERED_COLUMNS:
            raise CatalogueError(
                f"{path}: {where}: covered.{column} is not a covered column"
                f"{suggest(column, COVERED_COLUMNS)}; allowed: {list(COVERED_COLUMNS)}"
            )
        if relation == "inputs":
            _measure_name(column, inputs, path, where)
    return text


def _measure_name(name: str, inputs: Measures | None, path: Path, where: str) -> None:
    names = [c.name for c in inputs.columns] if inputs else []
    if name not in names:
        raise CatalogueError(
            f"{path}: {where}: {name!r} is neither a measure of {inputs.dataset if inputs else '-'}"
            f"{suggest(name, [*names, *COVERED_COLUMNS])} nor a covered column; "
            f"measures: {names}; covered columns: {list(COVERED_COLUMNS)}"
        )


def _rolling(raw: Any, grain: str, path: Path, where: str) -> tuple[int | None, str | None]:
    if raw is None:
        return None, None
    where = f"{where}.rolling"
    unknown_keys(raw, ("months", "denominator"), path, where)
    months = _need(raw, "months", path, where, int)
    if not 2 <= months <= 60 or grain != "month":
        raise CatalogueError(
            f"{path}: {where}.months: 2 to 60 months, over a monthly metric; got {months} "
            f"over a {grain} metric"
        )
    return months, _choice(raw, "denominator", DENOMINATOR_KINDS, path, where)


_REQUIRED = object()


def _choice(
    raw: dict, key: str, allowed: tuple, path: Path, where: str, default: Any = _REQUIRED
) -> Any:
    """raw[key], one of `allowed`; `default` when absent (required when no default)."""
    if default is _REQUIRED:
        value = _need(raw, key, path, where)
    elif raw.get(key) is None:
        return default
    else:
        value = raw[key]
    if value not in allowed:
        raise CatalogueError(
            f"{path}: {where}.{key}: {value!r} is not one of {list(allowed)}{suggest(value, allowed)}"
        )
    return value


def _number(raw: dict, key: str, path: Path, where: str) -> float | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise CatalogueError(f"{path}: {where}.{key}: expected a number, got {value!r}")
    return value


def _count(raw: dict, path: Path, where: str) -> int | None:
    value = raw.get("min_count_to_rank")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise CatalogueError(
            f"{path}: {where}.min_count_to_rank: expected a whole number of at least 1, got {value!r}"
        )
    return value


def _mapping(raw: Any, path: Path, where: str) -> None:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: {where}: expected a mapping (key: value lines), got {raw!r}")


def _identifier(name: Any, path: Path, where: str) -> str:
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise CatalogueError(f"{path}: {where}: {name!r} must be a lowercase SQL identifier")
    return name
