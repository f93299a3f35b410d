"""One HTTP session for every connector: timeouts, retries, Retry-After, clear errors.

Retries live in urllib3's `Retry` (exponential backoff with jitter, Retry-After honoured
up to a cap (urllib3's own `retry_after_max`), only for what is transient: 429, 5xx, resets, timeouts), so no connector
writes a retry loop of its own. What is left when retries run out becomes a
`RetriableFetchError` (try again another night) or a `FatalFetchError` (will not change).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingest.errors import FatalFetchError, FetchError, RetriableFetchError

__all__ = [
    "Response",
    "build_session",
    "get_json",
    "get_body",
    "get_to_file",
    "FileResponse",
    "backoff_s",
    "TRANSIENT_STATUSES",
    "decode_text",
    "charset_of",
    "refuse_html",
    "json_payload",
    "read_environment_once",
]

TRANSIENT_STATUSES = (429, 500, 502, 503, 504)
BODY_RETRIES = 2  # a connection broken while the body streams in (after urllib3's reach)
USER_AGENT = "city-region-datastore/0.1 (+open data pipeline)"
T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    """What a GET returned: the exact bytes, parsed JSON (None for other bodies), headers."""

    url: str
    status: int
    body: bytes
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


def build_session(http: dict[str, float]) -> requests.Session:
    """A session whose every request retries transient failures per config/pipeline.yml."""
    retry = Retry(
        total=int(http["retries"]),
        connect=int(http["retries"]),
        read=int(http["retries"]),
        status=int(http["retries"]),
        other=0,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=http["backoff_factor_s"],
        backoff_max=http["backoff_max_s"],
        backoff_jitter=http["backoff_factor_s"] / 2,
        respect_retry_after_header=True,
        retry_after_max=http["retry_after_max_s"],
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    read_environment_once(session)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    session.request_timeout = (http["connect_timeout_s"], http["read_timeout_s"])  # type: ignore[attr-defined]
    return session


def read_environment_once(session: requests.Session) -> None:
    """What requests would read from the environment on every request, read once instead.

    requests re-scans os.environ for proxies on every request (more CPU than the rest of a
    small request). Where no proxy and no .netrc is set, the session stops looking and
    takes the one thing left, a CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), as its own
    `verify`; with a proxy or a .netrc it keeps reading the environment as before.
    """
    from urllib.request import getproxies

    from requests.utils import NETRC_FILES

    netrc = [os.environ["NETRC"]] if os.environ.get("NETRC") else [f"~/{f}" for f in NETRC_FILES]
    if getproxies() or any(os.path.exists(os.path.expanduser(path)) for path in netrc):
        return
    session.trust_env = False
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or session.verify
    )


def get_json(session: requests.Session, url: str, params: dict[str, Any]) -> Response:
    """GET and parse JSON; every failure becomes a FetchError naming the URL and why."""
    reply = get_body(session, url, params)
    return Response(
        url=reply.url,
        status=reply.status,
        body=reply.body,
        payload=json_payload(reply),
        headers=reply.headers,
    )


def json_payload(reply: Response) -> Any:
    """A body read as JSON in whatever charset the portal saved it; not JSON is a FetchError.

    Portals declare `application/json` and send latin-1, or prefix a UTF-8 byte-order
    mark, so the bytes are decoded as decode_text says before parsing. A portal's login
    or maintenance page served with 200 is named as such, not as a JSON syntax error.
    """
    refuse_html(reply)
    text, encoding = decode_text(reply.body, charset_of(reply.headers))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RetriableFetchError(
            f"response is not valid JSON ({exc.msg} at character {exc.pos} of {len(text)}, read as {encoding}; "
            f"cut off?)",
            url=reply.url,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise FatalFetchError(
            f"response is not usable JSON ({type(exc).__name__}: {exc})", url=reply.url
        ) from None


def decode_text(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used) for a body's bytes, whatever encoding the borough saved in.

    A BOM decides; else strict UTF-8 (cp1252/latin-1 text almost never decodes as
    UTF-8, while a declared charset is often wrong); else the declared charset; else
    cp1252, then latin-1 (which decodes any byte).
    """
    if body.startswith(codecs.BOM_UTF8):
        try:
            return body[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    candidates = ["utf-8"] + ([declared] if declared else []) + ["cp1252", "latin-1"]
    for encoding in dict.fromkeys(c.lower() for c in candidates):
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def charset_of(headers: dict[str, str]) -> str | None:
    """The charset a Content-Type header declares, if any."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def refuse_html(reply: Response) -> None:
    """A web page where data was expected (a login, maintenance or error page) is a FetchError.

    Retriable: such pages are usually a portal's proxy or maintenance screen that goes away.
    Some servers label JSON text/html, so the label alone condemns only a body that does
    not open like JSON.
    """
    content_type = next((v for k, v in reply.headers.items() if k.lower() == "content-type"), "")
    opening = reply.body[:512].lstrip(codecs.BOM_UTF8 + b" \t\r\n")
    labelled = "html" in content_type.lower() and not opening.startswith((b"{", b"["))
    if not labelled and not _HTML_START.match(opening):
        return
    found = _TITLE.search(reply.body[:4096])
    title = " ".join(found.group(1).decode("utf-8", errors="replace").split())[:80] if found else ""
    raise RetriableFetchError(
        f"an HTML page, not data (HTTP {reply.status}, Content-Type {content_type or 'not given'}"
        + (f", title {title!r}" if title else "")
        + ")",
        url=reply.url,
    )


def get_body(
    session: requests.Session,
    url: str,
    params: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response:
    """GET the raw bytes (a 304 to a conditional GET is an answer, not an error)."""
    timeout = getattr(session, "request_timeout", (5, 30))
    with _fetch_errors(session, url, params, timeout):
        reply = _with_body_retries(
            session, url, lambda: session.get(url, params=params, timeout=timeout, headers=headers)
        )
    body = reply.content
    _refuse_status(reply.status_code, body, reply.url)
    return Response(
        url=reply.url,
        status=reply.status_code,
        body=body,
        payload=None,
        headers=dict(reply.headers),
    )


@dataclass(frozen=True)
class FileResponse:
    """What a GET streamed to disk returned: the body's size and sha256, and its first bytes."""

    url: str
    status: int
    headers: dict[str, str]
    size: int
    sha256: str
    head: bytes  # the first HEAD_BYTES: enough to tell a web page from data

    def opening(self) -> Response:
        """The response as refuse_html reads it (its first bytes only)."""
        return Response(self.url, self.status, self.head, None, self.headers)


HEAD_BYTES = 4096
CHUNK_BYTES = 1 << 20


def get_to_file(
    session: requests.Session,
    url: str,
    params: dict[str, Any],
    target: Path,
    headers: dict[str, str] | None = None,
) -> FileResponse:
    """GET a body of any size into `target`, a chunk at a time, never whole in memory.

    A 304 writes an empty file. Errors are get_body's; a connection broken mid-body
    starts the download again (into the same file), as get_body does.
    """
    timeout = getattr(session, "request_timeout", (5, 30))

    def download() -> FileResponse:
        with session.get(
            url, params=params, timeout=timeout, headers=headers, stream=True
        ) as reply:
            if reply.status_code >= 400:
                _refuse_status(reply.status_code, reply.content, reply.url)
            digest, size, head = hashlib.sha256(), 0, b""
            with target.open("wb") as out:
                for chunk in reply.iter_content(CHUNK_BYTES):
                    digest.update(chunk)
                    size += len(chunk)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    out.write(chunk)
            return FileResponse(
                reply.url, reply.status_code, dict(reply.headers), size, digest.hexdigest(), head
            )

    with _fetch_errors(session, url, params, timeout):
        return _with_body_retries(session, url, download)


def _refuse_status(status: int, body: bytes, url: str) -> None:
    """What is left of a transient status after retries is retriable; other 4xx/5xx are fatal."""
    if status in TRANSIENT_STATUSES:
        raise RetriableFetchError(f"HTTP {status} after retries: {_snippet(body)}", url=url)
    if status >= 400:
        raise FatalFetchError(f"HTTP {status}: {_snippet(body)}", url=url)


@contextmanager
def _fetch_errors(session: requests.Session, url: str, params: dict[str, Any], timeout):
    """Every requests failure as a FetchError naming the URL and why (the URL with its query
    is built only when something failed: preparing it costs as much as a request's own)."""
    try:
        yield
    except requests.exceptions.RequestException as exc:
        raise _as_fetch_error(exc, session, url, params, timeout) from None


def _as_fetch_error(
    exc: requests.exceptions.RequestException,
    session: requests.Session,
    url: str,
    params: dict[str, Any],
    timeout,
) -> FetchError:
    shown_url = requests.Request("GET", url, params=params).prepare().url or url
    errors = requests.exceptions
    if isinstance(exc, errors.ChunkedEncodingError):
        return RetriableFetchError(
            f"connection broken mid-response, {BODY_RETRIES + 1} tries: {_root_cause(exc)}",
            url=shown_url,
        )
    if isinstance(exc, errors.RetryError):
        return RetriableFetchError(
            f"still failing after retries: {_root_cause(exc)}", url=shown_url
        )
    if isinstance(exc, (errors.ConnectionError, errors.Timeout)):
        return RetriableFetchError(_unanswered(exc, session, url, timeout), url=shown_url)
    return FatalFetchError(f"request failed: {exc}", url=shown_url)


def _with_body_retries(session: requests.Session, url: str, attempt_once: Callable[[], T]) -> T:
    """A GET whose body arrived whole; a connection broken mid-body is tried again.

    urllib3's Retry covers everything up to the response headers; a reset while the body
    streams in happens after it, so that one case is retried here, with the session's backoff.
    """
    for attempt in range(BODY_RETRIES + 1):
        try:
            return attempt_once()
        except requests.exceptions.ChunkedEncodingError:
            if attempt == BODY_RETRIES:
                raise
            time.sleep(backoff_s(session, url, attempt))
    raise AssertionError("unreachable")


def backoff_s(session: requests.Session, url: str, attempt: int) -> float:
    """The session's backoff before try `attempt + 2`, for retries made above urllib3."""
    retry = session.get_adapter(url).max_retries
    return min(retry.backoff_factor * 2**attempt, retry.backoff_max)


def _unanswered(exc: BaseException, session: requests.Session, url: str, timeout) -> str:
    """What happened to a request that got no answer: a timeout says which limit it hit."""
    tries = session.get_adapter(url).max_retries.total + 1
    kinds = {type(e).__name__ for e in _chain(exc)}
    if "ReadTimeoutError" in kinds or "ReadTimeout" in kinds:
        return f"timed out: no response within read_timeout_s={timeout[1]} s, {tries} tries"
    if "ConnectTimeoutError" in kinds or "ConnectTimeout" in kinds:
        return f"timed out: no connection within connect_timeout_s={timeout[0]} s, {tries} tries"
    return f"could not connect or read ({tries} tries): {_root_cause(exc)}"


def _chain(exc: BaseException):
    """The exception and every cause behind it, outermost first (requests wraps urllib3 wraps socket)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        reason = getattr(exc, "reason", None)
        exc = (
            exc.__cause__
            or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
            or (reason if isinstance(reason, BaseException) else None)
        )


def _root_cause(exc: BaseException) -> str:
    """The innermost reason (e.g. 'too many 503 error responses'), not the wrapper chain."""
    while exc.__cause__ is not None or (exc.args and isinstance(exc.args[0], BaseException)):
        exc = exc.__cause__ or exc.args[0]
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


def _snippet(body: bytes, limit: int = 300) -> str:
    text = body[:limit].decode("utf-8", errors="replace").strip()
    return text + ("…" if len(body) > limit else "")
