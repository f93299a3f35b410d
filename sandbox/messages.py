"""Plain request and response values passed between the HTTP layer and the portals.

Portals and fault handling work on these values, not on sockets, so that they can
be read and tested without a server; server.py is the only place that does I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Request", "Response", "json_response", "JSON_TYPE"]

JSON_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the sandbox sees it."""

    method: str
    target: str  # path?query exactly as sent
    host_url: str  # "http://127.0.0.1:8765", from the Host header
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """A request header, matched case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query_string(self) -> str:
        return urlsplit(self.target).query

    @property
    def args(self) -> list[tuple[str, str]]:
        """Query arguments in the order sent (blank values kept)."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    def arg(self, name: str) -> str | None:
        """The last value of a query argument, as most web frameworks do."""
        found = None
        for key, value in self.args:
            if key == name:
                found = value
        return found

    def whole(self, name: str) -> int | None:
        """A query argument that is a whole number, else None (for routing faults, not validation)."""
        text = self.arg(name)
        return int(text) if text is not None and text.isdigit() else None

    def json_body(self) -> Any:
        """The body parsed as JSON; an empty body is None. Raises ValueError."""
        if not self.body.strip():
            return None
        return json.loads(self.body.decode("utf-8"))


@dataclass(frozen=True)
class Response:
    """What to send back. `declared_length` larger than the body drops the connection
    mid-body (a truncated transfer); `delay_s` holds the response back (a slow portal);
    `reset` resets the connection instead of answering."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    declared_length: int | None = None
    delay_s: float = 0.0
    reset: bool = False

    def with_headers(self, *extra: tuple[str, str]) -> Response:
        return replace(self, headers=self.headers + tuple(extra))


def json_response(
    status: int, payload: Any, *, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    """A JSON body written the way CKAN and most Python services write it."""
    return Response(status, json.dumps(payload).encode("utf-8"), headers=headers)
