"""Fault injection: the failures real borough APIs have, switched on over HTTP.

The pipeline's retries, paging guards, validation and quarantine are only proven by
failing feeds, so a test (in another process) posts a fault, runs the pipeline, and
checks what happened. A fault matches requests by borough and dataset (null = any) and
expires after `times` matching requests (null = never). Kinds:

    status          answer `status` (429, 500...), optional Retry-After   -> retries
    offline         the portal's proxy answers 503 HTML, for that borough  -> stale borough
    flaky           a `rate` share of requests fail (500/429), by request hash
    slow            hold the response `delay_s` seconds                    -> timeouts
    truncate        cut the body after `bytes` (`mode` short|drop)         -> bad body
    drop_column / rename_column                                            -> schema drift
    wrong_type / out_of_range   `value` in `column` for the first `rows`   -> validation
    duplicate_rows  the first `rows` records published twice               -> dedupe
    late            the last `rows` records of each day not published yet  -> late data
                    (when the fault ends they appear, stamped then: publication.py)
    reset           the connection is reset without an answer              -> retries
    empty_page      a page after the first has no records, though the total
                    or the flag says more are due                          -> re-asked, then refused
    repeat_page     a page after the first repeats the previous one (the
                    offset ignored)                                        -> refused, never landed
    encoding        the body re-encoded in `encoding` (latin-1, cp1252, utf-8-sig), its
                    Content-Type charset named only if `declared`          -> decoded anyway
    html_page       a web page (`title`, e.g. a sign-in page) with 200     -> "an HTML page"
    huge_cell       `column` of the first `rows` records `bytes` long      -> any cell size
    null_column     `column` null in every record (Socrata leaves it out
                    of every row; its X-SODA2-Fields still names it)       -> no false drift
empty_page and repeat_page match only requests for a page after the first (a portal
says where a request starts, `position`), so `times` counts those pages only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from ingest.catalogue import Dataset
from sandbox.fault_specs import FAULT_KINDS, PAGE_KINDS, FaultSpec, FaultSpecError, parse_fault
from sandbox.messages import Response
from sandbox.publication import Release, late_keys, now
from sandbox.quirks import json_scalar_text

__all__ = [
    "FaultBook",
    "ActiveFaults",
    "Refusal",
    "offline_page",
    "html_page",
    "FaultSpec",
    "FaultSpecError",
    "FAULT_KINDS",
    "parse_fault",
]


def offline_page(status: int = 503) -> Response:
    """What a portal's reverse proxy serves when the portal behind it is down."""
    title = f"{status} {HTTPStatus(status).phrase}"
    html = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status, html.encode("ascii"), content_type="text/html")


def html_page(title: str) -> Response:
    """A portal's web page (sign-in, maintenance) served with 200 where data was asked for."""
    html = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body><main><h1>{title}</h1><p>Please sign in to continue to the open data portal.</p>"
        f"</main></body>\n</html>\n"
    )
    return Response(200, html.encode("utf-8"), content_type="text/html; charset=utf-8")


def _recode(response: Response, encoding: str, declared: bool) -> Response:
    """The same text in another encoding; the Content-Type names it only if `declared`."""
    charset = next(
        (
            p.split("=", 1)[1].strip()
            for p in response.content_type.split(";")[1:]
            if p.strip().lower().startswith("charset=")
        ),
        "utf-8",
    )
    text = response.body.decode(charset, errors="replace")
    body = text.encode("utf-8-sig" if encoding == "utf-8-sig" else encoding, errors="replace")
    media = response.content_type.split(";")[0].strip()
    return replace(
        response,
        body=body,
        content_type=f"{media}; charset={encoding.removesuffix('-sig')}" if declared else media,
    )


@dataclass(frozen=True)
class Refusal:
    """The request is answered with an error instead of data."""

    status: int
    message: str
    retry_after: int | None = None
    proxy_page: bool = False  # True: an HTML page from the proxy, not the API


@dataclass(frozen=True)
class ActiveFaults:
    """The faults that hit one request, and how each changes the response."""

    faults: tuple[FaultSpec, ...] = ()
    refusal: Refusal | None = None
    released: tuple[Release, ...] = ()  # late faults on this feed that have ended

    @property
    def kinds(self) -> list[str]:
        return [f.kind for f in self.faults]

    @property
    def delay_s(self) -> float:
        return sum(f.params["delay_s"] for f in self.faults if f.kind == "slow")

    @property
    def reset(self) -> bool:
        return bool(self._of("reset"))

    @property
    def empty(self) -> bool:
        return bool(self._of("empty_page"))

    def page(self, rows: list, offset: int, limit: int) -> list:
        """rows[offset:offset+limit], unless a page fault empties it or serves the previous page."""
        if self.empty:
            return []
        if self._of("repeat_page"):
            offset = max(offset - limit, 0)
        return rows[offset : offset + limit]

    def _of(self, *kinds: str) -> list[FaultSpec]:
        return [f for f in self.faults if f.kind in kinds]

    def typed(self, records: list[dict], dataset: Dataset) -> list[dict]:
        """Duplicates and out-of-range values, applied before the borough renders them."""
        for fault in self._of("late"):
            late = late_keys(records, dataset, fault.params["rows"])
            records = [
                r for r in records if (r.get(dataset.date_field), r[dataset.key]) not in late
            ]
        for fault in self._of("duplicate_rows"):
            records = records + [dict(r) for r in records[: fault.params["rows"]]]
        types = {f.name: f.type for f in dataset.fields}
        for fault in self._of("out_of_range"):
            column, value = fault.params["column"], fault.params["value"]
            if column not in types:
                continue
            if types[column] == "date" and isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    pass
            records = _set_first(records, fault.params["rows"], column, value)
        return records

    def published(self, rows: list[dict], protocol: str) -> list[dict]:
        """Wrong types, then renamed and dropped columns, on the rendered records."""
        for fault in self._of("wrong_type"):
            value = fault.params["value"]
            if protocol == "socrata" and value is not None:
                value = json_scalar_text(value)
            rows = _set_first(
                rows,
                fault.params["rows"],
                fault.params["column"],
                value,
                omit_none=protocol == "socrata",
            )
        for fault in self._of("huge_cell"):
            value = ("Long free text. " * (fault.params["bytes"] // 16 + 1))[
                : fault.params["bytes"]
            ]
            rows = _set_first(rows, fault.params["rows"], fault.params["column"], value)
        for fault in self._of("null_column"):
            rows = _set_first(
                rows, None, fault.params["column"], None, omit_none=protocol == "socrata"
            )
        for fault in self._of("rename_column", "drop_column"):
            column, to = fault.params["column"], fault.params.get("to")
            rows = [
                {(to if k == column else k): v for k, v in row.items() if to or k != column}
                for row in rows
            ]
        return rows

    def columns(self, names: tuple[str, ...]) -> list[tuple[str, str]]:
        """(published name, dataset field name) for each column the feed now carries."""
        columns = [(n, n) for n in names]
        for fault in self._of("rename_column", "drop_column"):
            column, to = fault.params["column"], fault.params.get("to")
            columns = [
                ((to if shown == column else shown), source)
                for shown, source in columns
                if to or shown != column
            ]
        return columns

    def cut(self, response: Response) -> Response:
        """The body as the body faults leave it: a web page instead, re-encoded, truncated."""
        for fault in self._of("html_page"):
            response = html_page(fault.params["title"])
        for fault in self._of("encoding"):
            response = _recode(response, fault.params["encoding"], fault.params["declared"])
        for fault in self._of("truncate"):
            body = response.body
            keep = fault.params["bytes"] if fault.params["bytes"] is not None else len(body) // 2
            keep = min(keep, max(len(body) - 1, 0))
            declared = len(body) if fault.params["mode"] == "drop" else None
            return replace(response, body=body[:keep], declared_length=declared)
        return response


def _set_first(
    rows: list[dict], count: int | None, column: str, value: Any, omit_none: bool = False
) -> list[dict]:
    changed = []
    for index, row in enumerate(rows):
        if count is None or index < count:
            row = {
                k: v for k, v in row.items() if not (omit_none and value is None and k == column)
            }
            if not (omit_none and value is None):
                row[column] = value
        changed.append(row)
    return changed


def _hits(spec: FaultSpec, borough: str, dataset: str | None) -> bool:
    return spec.borough in (None, borough) and spec.dataset in (None, dataset)


@dataclass
class _Armed:
    spec: FaultSpec
    remaining: int | None


class FaultBook:
    """The faults armed on one server; thread-safe. Ids count up from 1."""

    _ATTEMPTS_KEPT = 100_000
    _RELEASES_KEPT = 1_000

    def __init__(self, seed: int):
        self._seed = seed
        self._lock = threading.Lock()
        self._armed: dict[int, _Armed] = {}
        self._next_id = 1
        self._attempts: dict[str, int] = {}
        self._released: list[
            tuple[FaultSpec, dt.datetime]
        ] = []  # ended late faults; kept through clear()

    def add(self, spec: FaultSpec) -> dict:
        with self._lock:
            fault_id, self._next_id = self._next_id, self._next_id + 1
            self._armed[fault_id] = _Armed(spec, spec.times)
            return self._entry(fault_id, self._armed[fault_id])

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            armed = self._armed.pop(fault_id, None)
            self._release([armed] if armed else [])
            return armed is not None

    def clear(self) -> None:
        with self._lock:
            self._release(list(self._armed.values()))
            self._armed.clear()
            self._attempts.clear()

    def _release(self, ended: list[_Armed]) -> None:
        """Late records appear when their fault ends: remember when (caller holds the lock)."""
        moment = now()
        self._released.extend((a.spec, moment) for a in ended if a.spec.kind == "late")
        del self._released[: -self._RELEASES_KEPT]

    def listing(self) -> list[dict]:
        with self._lock:
            return [self._entry(i, armed) for i, armed in self._armed.items()]

    @staticmethod
    def _entry(fault_id: int, armed: _Armed) -> dict:
        return {"id": fault_id, **armed.spec.describe(), "remaining": armed.remaining}

    def take(
        self, borough: str, dataset: str | None, target: str, position: int | None = None
    ) -> ActiveFaults:
        """The faults hitting this request; each one's `times` is counted down.

        `position` is where the request's page starts (rows before it), None for a request
        that is no page; page faults hit only pages after the first.
        """
        with self._lock:
            if len(self._attempts) > self._ATTEMPTS_KEPT:
                self._attempts.clear()
            attempt = self._attempts[target] = self._attempts.get(target, 0) + 1
            matched = []
            for fault_id, armed in list(self._armed.items()):
                spec = armed.spec
                if not _hits(spec, borough, dataset):
                    continue
                if spec.kind in PAGE_KINDS and not position:
                    continue
                matched.append(spec)
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._release([self._armed.pop(fault_id)])
            released = tuple(
                (s.params["rows"], t) for s, t in self._released if _hits(s, borough, dataset)
            )
        return ActiveFaults(tuple(matched), self._refusal(matched, target, attempt), released)

    def _refusal(self, matched: list[FaultSpec], target: str, attempt: int) -> Refusal | None:
        for spec in matched:
            if spec.kind == "offline":
                return Refusal(503, "portal offline", spec.params["retry_after"], proxy_page=True)
        for spec in matched:
            if spec.kind == "status":
                status = spec.params["status"]
                message = spec.params["message"] or HTTPStatus(status).phrase
                return Refusal(status, message, spec.params["retry_after"])
        for spec in matched:
            if spec.kind == "flaky":
                digest = hashlib.sha256(f"{self._seed}:flaky:{target}:{attempt}".encode()).digest()
                if int.from_bytes(digest[:8], "big") / 2**64 < spec.params["rate"]:
                    statuses = spec.params["statuses"]
                    status = statuses[digest[8] % len(statuses)]
                    retry_after = spec.params["retry_after"] if status in (429, 503) else None
                    return Refusal(status, HTTPStatus(status).phrase, retry_after)
        return None
