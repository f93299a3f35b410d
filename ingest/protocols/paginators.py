"""Paging styles, as data: where the next page is, and when there is none.

In the style of dlt's `BasePaginator` and the Singer SDK's `BaseAPIPaginator`: a
paginator only turns "what the last page said" into the next request's parameters,
or None to stop. The loop that fetches, guards against repeats and runaways, and lands
pages lives once in base.py. Stop rules never trust one signal alone: an empty page
always stops (ArcGIS can say `exceededTransferLimit` with zero features), a short page
stops unless the server says there is more, and a reported total stops only together
with the rows actually received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["PageSignals", "Paginator", "OffsetPaginator", "PageNumberPaginator", "SinglePagePaginator",
           "PaginatorType", "PAGINATORS"]

PaginatorType = Literal["offset", "page_number", "single"]


@dataclass(frozen=True)
class PageSignals:
    """What one page told us: rows received, the server's `more` flag and total, if any."""

    rows: int
    more: bool | None = None          # None: the protocol has no such flag
    total: int | None = None


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
            if signals.rows < self.page_size or (signals.total is not None and self.offset >= signals.total):
                return None
        return {self.limit_param: self.page_size, self.offset_param: self.offset}


class PageNumberPaginator(Paginator):
    """page/page_size (Open311 servers such as FixMyStreet): pages counted from `first_page`.

    Servers silently cap page_size, so a page shorter than asked is not proof of the end;
    the end is an empty page, a page shorter than an earlier one, or `more` False.
    """

    def __init__(self, page_size: int, *, page_param: str = "page", size_param: str = "page_size",
                 first_page: int = 1):
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


PAGINATORS: dict[str, type[Paginator]] = {
    "offset": OffsetPaginator,
    "page_number": PageNumberPaginator,
    "single": SinglePagePaginator,
}
