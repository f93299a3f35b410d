"""Region-wide downloads: `/<publisher>/download/<file>`, real files served as published.

A publisher (e.g. the London Datastore) publishes one file per dataset for the whole
region; the sandbox serves the real recorded files from a folder named in
config/sandbox/sandbox.yml `downloads` (publisher slug -> folder), byte for byte, with
a strong ETag, Last-Modified (the file's modification time) and 304 Not Modified to a
conditional GET, as a static file server does. The request log names the dataset whose
`source.file` it is.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from pathlib import Path

from ingest.catalogue import Catalogue, Dataset
from sandbox.messages import Request, Response, json_response

__all__ = ["DownloadPublisher", "CONTENT_TYPES"]

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_ROUTE = re.compile(r"^/download/([A-Za-z0-9][A-Za-z0-9._-]*\.(csv|xlsx|ods))$")


class DownloadPublisher:
    """One publisher's folder of whole files."""

    def __init__(self, slug: str, folder: Path):
        self.slug, self.folder = slug, folder

    def dataset_for(self, rest: str, catalogue: Catalogue) -> Dataset | None:
        match = _ROUTE.match(rest)
        name = match.group(1) if match else None
        return next(
            (d for d in catalogue.datasets.values() if d.source and d.source.file == name), None
        )

    def serve(self, request: Request, rest: str) -> Response:
        match = _ROUTE.match(rest)
        if request.method != "GET":
            return json_response(405, {"error": f"{request.method} is not served here"})
        path = self.folder / match.group(1) if match else None
        if path is None or not path.is_file():
            return json_response(404, {"error": f"no file {rest} at /{self.slug}"})
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        modified = dt.datetime.fromtimestamp(int(path.stat().st_mtime), tz=dt.UTC)
        headers = (
            ("ETag", etag),
            ("Last-Modified", email.utils.format_datetime(modified, usegmt=True)),
            ("Cache-Control", "no-cache"),
        )
        tags = [
            t.strip().removeprefix("W/") for t in (request.header("If-None-Match") or "").split(",")
        ]
        if etag in tags or "*" in tags:
            return Response(304, b"", content_type=CONTENT_TYPES[match.group(2)], headers=headers)
        return Response(200, body, content_type=CONTENT_TYPES[match.group(2)], headers=headers)
