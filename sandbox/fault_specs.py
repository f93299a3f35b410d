"""Fault descriptions: what each kind of fault takes, validated before it is armed.

A typo in a fault ("retry-after", a column that does not exist) must be refused with a
reason, not armed and silently never firing; the same checks serve POST /_sandbox/faults
and the fault profiles in config/sandbox/sandbox.yml. faults.py makes armed faults act.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.catalogue import Catalogue, Dataset
from ingest.errors import CatalogueError

__all__ = ["FaultSpec", "FaultSpecError", "FAULT_KINDS", "PAGE_KINDS", "parse_fault"]


class FaultSpecError(ValueError):
    """A fault description is malformed; the message says which key and why."""


_REQUIRED = object()


def _status(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and 400 <= v <= 599:
        return v
    raise ValueError("an HTTP error status 400-599")


def _seconds(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 300:
        return v
    raise ValueError("seconds between 0 and 300")


def _whole_seconds(v: Any) -> int:
    """Retry-After is delta-seconds: a whole number (clients ignore "2.5")."""
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3600:
        return v
    raise ValueError("whole seconds between 0 and 3600")


def _count(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return v
    raise ValueError("a whole number >= 0")


def _positive(v: Any) -> int:
    if _count(v) >= 1:
        return v
    raise ValueError("a whole number >= 1")


def _fraction(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1:
        return float(v)
    raise ValueError("a number between 0 and 1")


def _text(v: Any) -> str:
    if isinstance(v, str) and v:
        return v
    raise ValueError("a non-empty string")


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    raise ValueError("a JSON scalar")


def _statuses(v: Any) -> tuple[int, ...]:
    if isinstance(v, list) and v:
        return tuple(_status(s) for s in v)
    raise ValueError("a non-empty list of HTTP error statuses")


def _truncate_mode(v: Any) -> str:
    if v in ("short", "drop"):
        return v
    raise ValueError('"short" (body ends early) or "drop" (connection closes mid-body)')


def _flag(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise ValueError("true or false")


def _encoding(v: Any) -> str:
    if v in ENCODINGS:
        return v
    raise ValueError(f"one of {list(ENCODINGS)}")


ENCODINGS = ("latin-1", "cp1252", "utf-8-sig", "utf-8")
_Param = tuple[Callable[[Any], Any], Any]
FAULT_KINDS: dict[str, dict[str, _Param]] = {
    "status": {
        "status": (_status, _REQUIRED),
        "retry_after": (_whole_seconds, None),
        "message": (_text, None),
    },
    "offline": {"retry_after": (_whole_seconds, None)},
    "flaky": {
        "rate": (_fraction, 0.1),
        "statuses": (_statuses, (500, 429)),
        "retry_after": (_whole_seconds, 1),
    },
    "slow": {"delay_s": (_seconds, _REQUIRED)},
    "truncate": {"bytes": (_count, None), "mode": (_truncate_mode, "short")},
    "drop_column": {"column": (_text, _REQUIRED)},
    "rename_column": {"column": (_text, _REQUIRED), "to": (_text, _REQUIRED)},
    "wrong_type": {
        "column": (_text, _REQUIRED),
        "value": (_scalar, "abc"),
        "rows": (_positive, None),
    },
    "out_of_range": {
        "column": (_text, _REQUIRED),
        "value": (_scalar, _REQUIRED),
        "rows": (_positive, None),
    },
    "duplicate_rows": {"rows": (_positive, 1)},
    "late": {"rows": (_positive, 1)},
    "reset": {},
    "empty_page": {},
    "repeat_page": {},
    "encoding": {"encoding": (_encoding, "latin-1"), "declared": (_flag, False)},
    "html_page": {"title": (_text, "Sign in")},
    "huge_cell": {
        "column": (_text, _REQUIRED),
        "bytes": (_positive, 200_000),
        "rows": (_positive, 1),
    },
    "null_column": {"column": (_text, _REQUIRED)},
}
# Faults of a page after the first: they match (and count `times` on) only such requests.
PAGE_KINDS = ("empty_page", "repeat_page")


@dataclass(frozen=True)
class FaultSpec:
    """One fault as asked for: which requests it hits, what it does, how many times."""

    kind: str
    borough: str | None = None  # area code; None = every borough
    dataset: str | None = None  # dataset id; None = every dataset
    times: int | None = None  # None = until cleared
    params: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "borough": self.borough,
            "dataset": self.dataset,
            "times": self.times,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
        }


def parse_fault(raw: Any, catalogue: Catalogue) -> FaultSpec:
    """A FaultSpec from its JSON/YAML form; raises FaultSpecError naming the bad key."""
    if not isinstance(raw, dict):
        raise FaultSpecError("a fault is a JSON object with at least a 'kind'")
    kind = raw.get("kind")
    if kind not in FAULT_KINDS:
        raise FaultSpecError(f"kind: unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
    spec = FAULT_KINDS[kind]
    unknown = set(raw) - {"kind", "borough", "dataset", "times"} - set(spec)
    if unknown:
        raise FaultSpecError(f"{kind}: unknown keys {sorted(unknown)}; {kind} takes {sorted(spec)}")
    try:
        borough = catalogue.area(raw["borough"]).code if raw.get("borough") is not None else None
        dataset = catalogue.dataset(raw["dataset"]) if raw.get("dataset") is not None else None
    except CatalogueError as exc:
        raise FaultSpecError(str(exc)) from None
    if kind == "offline" and borough is None:
        raise FaultSpecError("offline: needs a 'borough' (slug or code)")
    times = raw.get("times")
    if times is not None:
        try:
            _positive(times)
        except ValueError:
            raise FaultSpecError(
                f"times: expected null (forever) or a whole number >= 1, got {times!r}"
            ) from None
    params = {}
    for name, (check, default) in spec.items():
        if raw.get(name) is None and (name not in raw or check is not _scalar):
            if default is _REQUIRED:
                raise FaultSpecError(f"{kind}: missing required key {name!r}")
            params[name] = default
            continue
        try:
            params[name] = check(raw[name])
        except ValueError as exc:
            raise FaultSpecError(f"{kind}.{name}: expected {exc}, got {raw[name]!r}") from None
    if "column" in params:
        _check_column(params["column"], dataset, catalogue, kind)
    return FaultSpec(kind, borough, dataset.id if dataset else None, times, params)


def _check_column(column: str, dataset: Dataset | None, catalogue: Catalogue, kind: str) -> None:
    candidates = [dataset] if dataset else list(catalogue.datasets.values())
    if not any(column in d.column_names for d in candidates):
        where = f"dataset {dataset.id!r}" if dataset else "any dataset"
        raise FaultSpecError(f"{kind}.column: {column!r} is not a field of {where}")
