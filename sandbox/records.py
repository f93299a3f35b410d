"""One feed's records as a request sees them: truth, in order, faulted, rendered.

Every portal needs the same steps in the same order, so they live here once:
truth for the asked days -> sort -> record faults -> borough quirks -> column faults.
Sorting happens on typed truth values (dates as dates, numbers as numbers), as a real
database sorts, never on the rendered strings.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.catalogue import Area, Catalogue, Dataset, Portal
from sandbox.faults import ActiveFaults
from sandbox.quirks import Quirk, publish_record

__all__ = ["FeedView", "TruthCache", "parse_order", "sort_records", "OrderError"]


def borough_dataset(catalogue: Catalogue, resource: str | None) -> Dataset | None:
    """The dataset a borough portal serves as `resource` (region-wide files are served elsewhere)."""
    return next((d for d in catalogue.borough_datasets.values() if d.resource == resource), None)


class OrderError(ValueError):
    """A sort/$order expression names an unknown column or direction."""


_ORDER_TERM = re.compile(r"^\s*(\w+)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def parse_order(expression: str, dataset: Dataset) -> list[tuple[str, bool]]:
    """`field [asc|desc], ...` -> [(field, descending)]; raises OrderError."""
    terms = []
    for part in expression.split(","):
        match = _ORDER_TERM.match(part)
        if not match:
            raise OrderError(f"cannot parse order term {part.strip()!r}")
        name, direction = match.group(1), (match.group(2) or "asc").lower()
        if name not in dataset.column_names:
            raise OrderError(f"no such column: {name}")
        terms.append((name, direction == "desc"))
    return terms


def sort_records(records: list[dict], order: list[tuple[str, bool]], key: str) -> list[dict]:
    """Stable order: by each term (nulls last ascending, first descending), ties by key."""
    ordered = sorted(records, key=lambda r: r[key])
    for name, descending in reversed(order):
        ordered.sort(
            key=lambda r: (r[name] is None, r[name] if r[name] is not None else 0),
            reverse=descending,
        )
    return ordered


class TruthCache:
    """Recently generated feed-days, so that paging through a day does not regenerate
    it per page, and each record's rendering, so that it does not re-render the day
    per page either (a page of 100 of a 2,500-row day rendered all 2,500: rows² work).
    Bounded; owned by one server. Callers must not mutate the records or renderings."""

    def __init__(self, make: Callable[[str, Area, dt.date], list[dict]], size: int = 4096):
        self._make = make
        self._size = size
        self._lock = threading.Lock()
        self._days: OrderedDict[tuple[str, str, dt.date], list[dict]] = OrderedDict()
        self._live: set[int] = set()  # id() of every cached record: alive while cached
        self._rendered: dict[int, tuple[dict, Any, Any, dict]] = {}

    def get(self, dataset_id: str, area: Area, day: dt.date) -> list[dict]:
        key = (dataset_id, area.code, day)
        with self._lock:
            if key in self._days:
                self._days.move_to_end(key)
                return self._days[key]
        records = self._make(dataset_id, area, day)
        with self._lock:
            if key in self._days:  # made meanwhile by another request: one copy is cached
                return self._days[key]
            self._days[key] = records
            self._live.update(id(r) for r in records)
            while len(self._days) > self._size:
                for record in self._days.popitem(last=False)[1]:
                    self._live.discard(id(record))
                    self._rendered.pop(id(record), None)
        return records

    def rendered(self, record: dict, quirk: Any, portal: Any, render: Callable[[], dict]) -> dict:
        """`render()` of a cached record for (quirk, portal), made once while its day is
        cached; any other record (a fault's copy) is rendered each time."""
        hit = self._rendered.get(id(record))
        if hit is not None and hit[0] is record and hit[1] is quirk and hit[2] is portal:
            return hit[3]
        out = render()
        with self._lock:
            if id(record) in self._live:  # a live cached record: no other object has its id
                self._rendered[id(record)] = (record, quirk, portal, out)
        return out


@dataclass(frozen=True)
class FeedView:
    """One dataset of one borough, as one request sees it (with its faults)."""

    dataset: Dataset
    area: Area
    quirk: Quirk
    truth: TruthCache
    faults: ActiveFaults
    portal: Portal | None = None  # the dataset's portal; None: the borough's own
    publication_day: dt.date | None = None  # periods not out by this day are not served; None: all

    @property
    def publisher(self) -> Portal:
        return self.portal or self.area.portal

    def typed(self, days: list[dt.date], order: list[tuple[str, bool]] | None = None) -> list[dict]:
        """Truth for the days (ascending), optionally sorted, with record faults applied."""
        records = [
            r
            for day in sorted(set(days))
            if self._out(day)
            for r in self.truth.get(self.dataset.id, self.area, day)
        ]
        if order:
            records = sort_records(records, order, self.dataset.key)
        return self.faults.typed(records, self.dataset)

    def _out(self, day: dt.date) -> bool:
        """A period is served once this borough has published it (daily data: always)."""
        return self.publication_day is None or self.quirk.publishes(
            self.dataset, day, self.publication_day
        )

    def published(self, typed: list[dict]) -> list[dict]:
        """Records rendered the borough's way, then column faults."""
        publisher = self.publisher
        rows = [
            self.truth.rendered(
                r,
                self.quirk,
                publisher,
                lambda r=r: publish_record(r, self.dataset, self.area, self.quirk, publisher),
            )
            for r in typed
        ]
        return self.faults.published(rows, publisher.protocol)

    def columns(self) -> list[tuple[str, str]]:
        """(published name, dataset field) for every column the feed carries now."""
        return self.faults.columns(self.dataset.column_names)
