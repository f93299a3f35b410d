"""config/datasets.yml parsed into Datasets: fields and their types, keys, cadence and
publication, region-wide sources, measures and the non-borough rows a feed may carry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.catalogue_records import (
    _IDENTIFIER,
    FIELD_TYPES,
    MEASURE_AGGREGATIONS,
    Dataset,
    Field,
    Measure,
    Publication,
)
from ingest.config_checks import _expand_env, _need
from ingest.config_yaml import suggest, unknown_keys
from ingest.errors import CatalogueError
from ingest.periods import CADENCES
from ingest.portals import (
    parse_wire,
)
from ingest.sources import parse_source

_DATASET_KEYS = (
    "domain",
    "title",
    "owner",
    "licence",
    "resource",
    "date_field",
    "key",
    "fields",
    "wire",
    "cadence",
    "publication",
    "source",
    "measure",
    "non_borough_rows",
)
_FIELD_KEYS = ("type", "required", "values", "min", "max")


def _datasets(data: dict, path: Path) -> dict[str, Dataset]:
    unknown_keys(data, ("datasets",), path, "")
    raw_sets = _need(data, "datasets", path, "top", dict)
    datasets = {}
    for dataset_id, raw in raw_sets.items():
        where = f"datasets.{dataset_id}"
        unknown_keys(raw, _DATASET_KEYS, path, where)
        if not _IDENTIFIER.match(str(dataset_id)):
            raise CatalogueError(f"{path}: {where}: id must be a lowercase SQL identifier")
        raw_fields = _need(raw, "fields", path, where, dict)
        fields = tuple(
            _field(name, spec, path, f"{where}.fields.{name}") for name, spec in raw_fields.items()
        )
        names = {f.name for f in fields}
        for key in ("date_field", "key"):
            if _need(raw, key, path, where) not in names:
                raise CatalogueError(
                    f"{path}: {where}.{key}: {raw[key]!r} is not one of its fields"
                )
        if "borough" not in names:
            raise CatalogueError(
                f"{path}: {where}.fields: every dataset must publish a 'borough' field"
            )
        datasets[dataset_id] = Dataset(
            id=dataset_id,
            domain=_need(raw, "domain", path, where),
            title=_need(raw, "title", path, where),
            owner=_need(raw, "owner", path, where),
            licence=_need(raw, "licence", path, where),
            resource=_need(raw, "resource", path, where),
            date_field=raw["date_field"],
            key=raw["key"],
            fields=fields,
            wire=parse_wire(raw.get("wire"), tuple(f.name for f in fields), path, f"{where}.wire"),
            cadence=_cadence(raw, path, where),
            publication=_publication(raw, path, where),
            source=parse_source(
                raw.get("source"),
                tuple(names),
                raw["date_field"],
                raw["key"],
                path,
                where,
                _expand_env,
            ),
            measure=_measure(raw.get("measure"), fields, path, where),
            non_borough_rows=_non_borough_rows(raw, path, where),
        )
    return datasets


def _non_borough_rows(raw: dict, path: Path, where: str) -> tuple[str, ...]:
    """Names a borough feed may put in its `borough` column for rows that are no borough's
    (London, Total): set aside at landing, never validated or loaded as the borough's."""
    names = raw.get("non_borough_rows") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise CatalogueError(
            f"{path}: {where}.non_borough_rows: expected a list of area names, e.g. [London, Total]"
        )
    if names and raw.get("source") is not None:
        raise CatalogueError(
            f"{path}: {where}.non_borough_rows: a region-wide source says which areas it keeps "
            f"in source.areas.keep"
        )
    return tuple(names)


def _measure(raw: Any, fields: tuple[Field, ...], path: Path, where: str) -> Measure | None:
    """`measure: {field, aggregation: sum, unit}`: a numeric field that is summed, not counted."""
    if raw is None:
        return None
    where = f"{where}.measure"
    unknown_keys(raw, ("field", "aggregation", "unit"), path, where)
    name = _need(raw, "field", path, where)
    numeric = {f.name for f in fields if f.type in ("integer", "number")}
    if name not in numeric:
        raise CatalogueError(
            f"{path}: {where}.field: {name!r} is not a numeric field of the dataset"
            f"{suggest(name, numeric)}; numeric fields: {sorted(numeric)}"
        )
    aggregation = _need(raw, "aggregation", path, where)
    if aggregation not in MEASURE_AGGREGATIONS:
        raise CatalogueError(
            f"{path}: {where}.aggregation: {aggregation!r} is not one of {list(MEASURE_AGGREGATIONS)}"
        )
    return Measure(field=name, aggregation=aggregation, unit=_need(raw, "unit", path, where))


def _cadence(raw: dict, path: Path, where: str) -> str:
    cadence = raw.get("cadence", "daily")
    if cadence not in CADENCES:
        raise CatalogueError(
            f"{path}: {where}.cadence: {cadence!r} is not one of {list(CADENCES)}"
            f"{suggest(cadence, CADENCES)}"
        )
    return cadence


def _publication(raw: dict, path: Path, where: str) -> Publication | None:
    """Required for periodic datasets (monthly, quarterly, yearly...), refused for daily ones."""
    periodic = raw.get("cadence", "daily") != "daily"
    if not periodic:
        if raw.get("publication") is not None:
            raise CatalogueError(
                f"{path}: {where}.publication: only periodic (not daily) datasets have one "
                f"(daily ones use run.catch_up_days and run.refetch_days)"
            )
        return None
    publication = _need(raw, "publication", path, where, dict)
    unknown_keys(publication, ("lag_days", "history_periods"), path, f"{where}.publication")
    lag = _need(publication, "lag_days", path, f"{where}.publication", int)
    history = _need(publication, "history_periods", path, f"{where}.publication", int)
    if not 0 <= lag <= 366:
        raise CatalogueError(
            f"{path}: {where}.publication.lag_days: must be between 0 and 366, got {lag}"
        )
    if not 1 <= history <= 60:
        raise CatalogueError(
            f"{path}: {where}.publication.history_periods: must be between 1 and 60, got {history}"
        )
    return Publication(lag_days=lag, history_periods=history)


def _field(name: str, spec: Any, path: Path, where: str) -> Field:
    if not _IDENTIFIER.match(str(name)):
        raise CatalogueError(f"{path}: {where}: field names must be lowercase SQL identifiers")
    unknown_keys(spec, _FIELD_KEYS, path, where)
    kind = _need(spec, "type", path, where)
    if kind not in FIELD_TYPES:
        raise CatalogueError(
            f"{path}: {where}.type: unknown type {kind!r}{suggest(kind, FIELD_TYPES)}; "
            f"allowed: {list(FIELD_TYPES)}"
        )
    if not isinstance(spec.get("required", False), bool):
        raise CatalogueError(
            f"{path}: {where}.required: expected true or false, got {spec['required']!r}"
        )
    for bound in ("min", "max"):
        if spec.get(bound) is not None and (
            isinstance(spec[bound], bool) or not isinstance(spec[bound], (int, float))
        ):
            raise CatalogueError(f"{path}: {where}.{bound}: expected a number, got {spec[bound]!r}")
    values = spec.get("values")
    if values is not None and not (
        isinstance(values, list) and all(isinstance(v, str) for v in values)
    ):
        raise CatalogueError(f"{path}: {where}.values: expected a list of strings")
    return Field(
        name=name,
        type=kind,
        required=spec.get("required", False),
        values=tuple(values) if values else None,
        min=spec.get("min"),
        max=spec.get("max"),
    )
