"""The sandbox's records follow the dataset's spec (config/datasets.yml): its columns, in order,
and only its allowed values.

The realistic generators (sandbox/daily_generators.py and periodic_generators.py,
registered in sandbox/generator.py) know how often each value occurs; which
values exist, and which columns a record has, is the spec's to say. A value the spec adds
is generated too (with an average weight), one it drops is no longer generated, a column it
adds is drawn from its type and bounds, and a generated value outside the spec is an error
here, never a record served.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping

from ingest.catalogue import Dataset, Field

__all__ = ["conform", "drawn_value", "weights_for"]


def weights_for(dataset: Dataset, field: str, weights: Mapping[str, float]) -> dict[str, float]:
    """The relative frequency of each of the field's allowed values: the generator's table for
    the values the spec lists (in the table's order, so draws stay put), an average weight for
    values only the spec lists."""
    values = _spec_field(dataset, field).values
    if not values:
        raise ValueError(f"sandbox: {dataset.id}.{field} has no allowed values in the spec")
    known = {label: w for label, w in weights.items() if label in values}
    average = sum(known.values()) / len(known) if known else 1.0
    return known | {v: average for v in values if v not in known}


def conform(dataset: Dataset, record: dict, rng: random.Random, day: dt.date) -> dict:
    """The record with the spec's columns in the spec's order; a column the generator does not
    know is drawn from its spec. Raises if a value is outside the spec's allowed values."""
    extra = set(record) - set(dataset.column_names)
    if extra:
        raise ValueError(f"sandbox: {dataset.id} records carry columns not in the spec: {extra}")
    out = {}
    for spec in dataset.fields:
        value = record[spec.name] if spec.name in record else drawn_value(spec, rng, day)
        if spec.values and value is not None and value not in spec.values:
            raise ValueError(
                f"sandbox: {dataset.id}.{spec.name} = {value!r} is not one of the spec's "
                f"values {list(spec.values)}"
            )
        out[spec.name] = value
    return out


def drawn_value(spec: Field, rng: random.Random, day: dt.date):
    """A value of the field's type within its spec: an allowed value, a day within a month
    of `day`, a number between its bounds, a label; sometimes none if it is optional."""
    if not spec.required and rng.random() < 0.05:
        return None
    if spec.values:
        return spec.values[int(rng.random() * len(spec.values))]
    if spec.type == "date":
        return day + dt.timedelta(days=int(rng.random() * 30))
    if spec.type in ("integer", "number"):
        low = spec.min if spec.min is not None else 0
        high = spec.max if spec.max is not None else low + 100
        value = low + rng.random() * (high - low)
        return round(value) if spec.type == "integer" else round(value, 2)
    return f"{spec.name}-{int(rng.random() * 1000):03d}"


def _spec_field(dataset: Dataset, name: str) -> Field:
    for spec in dataset.fields:
        if spec.name == name:
            return spec
    raise ValueError(f"sandbox: {dataset.id} has no field {name!r} in the spec")
