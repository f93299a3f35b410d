"""Paging styles, as data: where the next page is, and when there is none.

In the style of dlt's `BasePaginator` and the Singer SDK's `BaseAPIPaginator`: a
paginator only turns "what the last page said" into the next request's parameters,
or None to stop. The loop that fetches, guards against repeats and runaways, and lands
pages lives once in base.py. Stop rules never trust one signal alone: an empty page
always stops (ArcGIS can say `exceededTransferLimit` with zero features), a short page
stops unless the server says there is more, and a reported total stops only together
with the rows actually received.

`due` says how many records the server has promised beyond those received, so that
the loop can tell an empty page that ends the feed from one that would lose records.
Servers without pagination (ArcGIS 10.2 and earlier ignore resultOffset) are paged by
object id (ObjectIdPaginator), as pyesridump and koop do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "PageSignals",
    "Paginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "SinglePagePaginator",
    "ObjectIdPaginator",
    "PagingError",
    "PaginatorType",
    "PAGINATORS",
]

PaginatorType = Literal["offset", "page_number", "single", "object_ids"]


class PagingError(ValueError):
    """A page that makes the paging plan impossible (the loop reports it as a fatal fetch error)."""


@dataclass(frozen=True)
class PageSignals:
    """What one page told us: rows received, the server's `more` flag and total, if any."""

    rows: int
    more: bool | None = None  # None: the protocol has no such flag
    total: int | None = None
    ids: tuple[int, ...] | None = None  # object ids, on an answer to returnIdsOnly


class Paginator:
    """One paging style; a fresh instance per feed-day (it keeps the position)."""

    def __init__(self, page_size: int):
        self.page_size = page_size

    def first(self) -> dict[str, Any]:
        """Parameters of the first request."""
        raise NotImplementedError

    def next(self, signals: PageSignals) -> dict[str, Any] | None:
        """Parameters of the next request, or None when the last page has been read."""
        raise NotImplementedError

    def due(self, signals: PageSignals) -> int | None:
        """Records the server promised beyond those received before this page (None: it did not say)."""
        return None


class OffsetPaginator(Paginator):
    """limit/offset (CKAN, Socrata, ArcGIS resultOffset): advance by rows received."""

    def __init__(self, page_size: int, *, limit_param: str = "limit", offset_param: str = "offset"):
        super().__init__(page_size)
        self.limit_param, self.offset_param = limit_param, offset_param
        self.offset = 0

    def first(self) -> dict[str, Any]:
        return {self.limit_param: self.page_size, self.offset_param: 0}

    def next(self, signals: PageSignals) -> dict[str, Any] | None:
        if signals.rows == 0 or signals.more is False:
            return None
        self.offset += signals.rows
        if signals.more is None:
            # A server may cap the page below what was asked: short means last only without a flag.
            if signals.rows < self.page_size or (
                signals.total is not None and self.offset >= signals.total
            ):
                return None
        return {self.limit_param: self.page_size, self.offset_param: self.offset}

    def due(self, signals: PageSignals) -> int | None:
        return None if signals.total is None else signals.total - self.offset


class PageNumberPaginator(Paginator):
    """page/page_size (Open311 servers such as FixMyStreet): pages counted from `first_page`.

    Servers silently cap page_size, so a page shorter than asked is not proof of the end;
    the end is an empty page, a page shorter than an earlier one, or `more` False.
    """

    def __init__(
        self,
        page_size: int,
        *,
        page_param: str = "page",
        size_param: str = "page_size",
        first_page: int = 1,
    ):
        super().__init__(page_size)
        self.page_param, self.size_param = page_param, size_param
        self.page = first_page
        self.largest = 0

    def first(self) -> dict[str, Any]:
        return {self.page_param: self.page, self.size_param: self.page_size}

    def next(self, signals: PageSignals) -> dict[str, Any] | None:
        if signals.rows == 0 or signals.more is False or signals.rows < self.largest:
            return None
        self.largest = max(self.largest, signals.rows)
        self.page += 1
        return {self.page_param: self.page, self.size_param: self.page_size}


class SinglePagePaginator(Paginator):
    """One response holds everything (a bulk file): never a second request."""

    def first(self) -> dict[str, Any]:
        return {}

    def next(self, signals: PageSignals) -> dict[str, Any] | None:
        return None

    def due(self, signals: PageSignals) -> int | None:
        return 0


class ObjectIdPaginator(Paginator):
    """Every object id first (`returnIdsOnly`), then the records in chunks of `objectIds`.

    For servers that ignore resultOffset (ArcGIS 10.2 and earlier): the id list is the
    total, so a chunk that comes back empty is known to be missing records. Chunks are
    at most page_size ids (the caller keeps that within the layer's maxRecordCount); a
    chunk the server still capped (`exceededTransferLimit`) would lose records, so it stops the feed.
    """

    def __init__(
        self, page_size: int, *, ids_param: str = "returnIdsOnly", chunk_param: str = "objectIds"
    ):
        super().__init__(page_size)
        self.ids_param, self.chunk_param = ids_param, chunk_param
        self.pending: list[list[int]] | None = (
            None  # chunks not asked for yet; None: ids not read yet
        )
        self.asked: list[int] | None = None

    def first(self) -> dict[str, Any]:
        return {self.ids_param: "true"}

    def next(self, signals: PageSignals) -> dict[str, Any] | None:
        if self.pending is None:
            if signals.ids is None:
                raise PagingError(
                    f"asked for object ids only ({self.ids_param}), got no objectIds list"
                )
            ids = sorted(set(signals.ids))
            self.pending = [ids[i : i + self.page_size] for i in range(0, len(ids), self.page_size)]
        elif signals.more:
            raise PagingError(
                f"a chunk of {len(self.asked or [])} object ids was capped by the server "
                f"(exceededTransferLimit): its maxRecordCount is below the chunk size"
            )
        if not self.pending:
            return None
        self.asked = self.pending.pop(0)
        return {self.chunk_param: ",".join(str(i) for i in self.asked)}

    def due(self, signals: PageSignals) -> int | None:
        if self.pending is None:
            return 0  # the id list itself holds no records
        return len(self.asked or []) + sum(len(chunk) for chunk in self.pending)


PAGINATORS: dict[str, type[Paginator]] = {
    "offset": OffsetPaginator,
    "page_number": PageNumberPaginator,
    "single": SinglePagePaginator,
    "object_ids": ObjectIdPaginator,
}
