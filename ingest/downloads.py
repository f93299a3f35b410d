"""Whole-file downloads kept in the landing zone, with what a conditional GET needs.

A bulk file is re-published every night but often unchanged; asking with its ETag and
Last-Modified lets the server answer 304 and nothing is downloaded again. Per feed:
    landing/<dataset>/<borough code>/_downloads/
        <sha256>.csv     each distinct version of the file, byte for byte, read-only
        state.json       the last version: url, ETag, Last-Modified, sha256, fetched-at
Files are content-addressed and written by rename, so two runs never half-write one.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.catalogue import Feed

__all__ = ["DownloadCache", "DOWNLOADS"]

DOWNLOADS = "_downloads"
STATE = "state.json"


class DownloadCache:
    """One feed's kept downloads."""

    def __init__(self, landing_root: Path, feed: Feed, suffix: str = ".csv"):
        self.folder = Path(landing_root) / feed.dataset.id / feed.area.code / DOWNLOADS
        self.suffix = suffix

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / STATE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def kept_path(self, url: str) -> Path | None:
        """Where the last version downloaded from `url` is kept, if it is still on disk."""
        state = self.state()
        if not state or state.get("url") != url:
            return None
        path = self.folder / f"{state['sha256']}{self.suffix}"
        return path if path.exists() else None

    def kept(self, url: str) -> tuple[Path, bytes] | None:
        """The last version downloaded from `url` and its bytes, if it is still on disk."""
        path = self.kept_path(url)
        return (path, path.read_bytes()) if path is not None else None

    def validators(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for the kept version (none if nothing is kept)."""
        state = self.state()
        if self.kept_path(url) is None or state is None:
            return {}
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def partial(self) -> Path:
        """A private file to stream a download into before it is kept (keep_file) or dropped;
        what a process killed mid-download left is removed first."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for left in self.folder.glob(".*.partial"):
            if not _alive(left):
                left.unlink(missing_ok=True)
        return self.folder / f".{uuid.uuid4().hex}.{os.getpid()}.partial"

    def keep(self, url: str, body: bytes, etag: str | None, last_modified: str | None) -> Path:
        """Store a downloaded version (once per content) and make it the current state."""
        partial = self.partial()
        partial.write_bytes(body)
        return self.keep_file(url, partial, hashlib.sha256(body).hexdigest(), etag, last_modified)

    def keep_file(
        self, url: str, partial: Path, digest: str, etag: str | None, last_modified: str | None
    ) -> Path:
        """Keep a version already written to `partial` (its sha256 `digest`): renamed into place
        once per content, else dropped; it becomes the current state."""
        path = self.folder / f"{digest}{self.suffix}"
        if path.exists():
            partial.unlink()
        else:
            partial.chmod(0o444)
            os.replace(partial, path)
        state = {
            "url": url,
            "etag": etag,
            "last_modified": last_modified,
            "sha256": digest,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        partial = self.folder / f".{STATE}.{os.getpid()}.partial"
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self.folder / STATE)
        return path


def _alive(partial: Path) -> bool:
    """Whether the process that writes `partial` (`.<name>.<pid>.partial`) still runs."""
    try:
        os.kill(int(partial.name.split(".")[-2]), 0)
    except ProcessLookupError:
        return False
    except (ValueError, IndexError, PermissionError, OverflowError):
        return True
    return True
