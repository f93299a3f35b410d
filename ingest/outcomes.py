"""What happened to one feed-day tonight: a status from one enum, and a typed outcome.

Airflow passes outcomes between tasks as XCom JSON, so the steps take and return plain
dicts (`Outcome.to_dict()`), and work with `Outcome` inside. Every status the pipeline
knows is a `Status`; the ones that reach `audit.batches` are `RECORDED`, and dbt's
`accepted_values` for that column must list exactly those (tests/test_outcomes.py).

    landed --validate--> passed | warned | quarantined;  passed | warned --load--> loaded
    unchanged, not_published and fetch_failed are final at ingest.

Stdlib only: the DAG file imports the steps, and parsing must stay light.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.landing import LandedBatch

__all__ = ["Status", "Outcome", "RECORDED", "SETTLED", "VALIDATED_OK"]


class Status(StrEnum):
    """The fate of one feed-day, as it moves through the night's steps."""

    LANDED = "landed"  # fetched and landed, not validated yet
    UNCHANGED = "unchanged"  # same records as the batch already loaded: nothing to do
    NOT_PUBLISHED = "not_published"  # a monthly/quarterly period fetched empty: not published yet
    FETCH_FAILED = "fetch_failed"  # could not fetch, decode, parse or land it
    PASSED = "passed"  # validated clean
    WARNED = "warned"  # validated with warnings only; loaded like passed
    QUARANTINED = "quarantined"  # failed validation: kept aside, not loaded
    LOADED = "loaded"  # its partition is in the warehouse (what load records)


RECORDED = frozenset({Status.LOADED, Status.QUARANTINED, Status.FETCH_FAILED, Status.NOT_PUBLISHED})
"""The statuses written to `audit.batches` (an unchanged day is not recorded again)."""

SETTLED = frozenset({Status.PASSED, Status.WARNED, Status.LOADED, Status.UNCHANGED})
"""A feed-day in one of these is in the warehouse as fetched tonight."""

VALIDATED_OK = frozenset({Status.PASSED, Status.WARNED})
"""Validated and fit to load."""


@dataclass(frozen=True)
class Outcome:
    """One feed-day's outcome: who, which day, what happened, and the evidence."""

    feed_id: str
    label: str
    dataset: str
    borough_code: str
    borough_name: str
    data_day: str
    status: Status
    batch: LandedBatch | None = None  # the landed batch, when something landed
    error: str | None = None  # one line: why nothing usable landed
    failures: tuple[str, ...] = ()  # validation failures (quarantined)
    warnings: tuple[str, ...] = ()  # validation warnings (loaded anyway)
    validation_path: str | None = None  # the validation result JSON
    quarantine_path: str | None = None
    watermark: Mapping[str, str] | None = None  # the mark the load may move the feed to

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", Status(self.status))
        except ValueError:
            raise ValueError(
                f"{self.feed_id} ({self.data_day}): unknown status {self.status!r}; "
                f"expected one of {', '.join(Status)}"
            ) from None
        object.__setattr__(self, "failures", tuple(self.failures))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @classmethod
    def for_feed(cls, feed, data_day: str, status: Status, **details: Any) -> Outcome:
        """An outcome for a catalogue feed (`ingest.catalogue.Feed`) and day."""
        return cls(
            feed_id=feed.id,
            label=feed.label,
            dataset=feed.dataset.id,
            borough_code=feed.area.code,
            borough_name=feed.area.name,
            data_day=data_day,
            status=status,
            **details,
        )

    def becomes(self, status: Status, **details: Any) -> Outcome:
        """The same feed-day, one step on."""
        return replace(self, status=status, **details)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (XCom); `from_dict` reads it back to an equal outcome."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = self.status.value
        data["batch"] = None if self.batch is None else self.batch.to_dict()
        data["failures"], data["warnings"] = list(self.failures), list(self.warnings)
        data["watermark"] = None if self.watermark is None else dict(self.watermark)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        """An outcome from a dict another task returned; unknown or missing keys are an error."""
        from ingest.landing import LandedBatch

        known = {f.name for f in fields(cls)}
        where = f"{data.get('feed_id', '?')} ({data.get('data_day', '?')})"
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"outcome of {where}: unknown keys {', '.join(sorted(unknown))}")
        values = dict(data)
        values["failures"] = tuple(values.get("failures") or ())
        values["warnings"] = tuple(values.get("warnings") or ())
        try:
            if values.get("batch") is not None:
                values["batch"] = LandedBatch(**values["batch"])
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"outcome of {where}: {exc}") from None
