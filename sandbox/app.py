"""The sandbox's request handling, without sockets: route, fault, serve, record.

`/<slug>/...` goes to the borough's portal for that path (its own protocol, or one a
dataset is published through instead, e.g. Open311 for service requests); `/_sandbox/...`
is the control surface a test process uses to arm faults and read the request log.
All mutable state (faults, request log, truth cache) lives in one SandboxApp, owned by
one server, so two sandboxes in one process never share anything.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from ingest.catalogue import Area, Catalogue, Dataset
from ingest.errors import CatalogueError
from sandbox.arcgis import ArcGisPortal
from sandbox.bulk_csv import BulkCsvPortal
from sandbox.ckan import CkanPortal
from sandbox.downloads import DownloadPublisher
from sandbox.fault_specs import FaultSpecError, parse_fault
from sandbox.faults import FaultBook, offline_page
from sandbox.generator import truth_records
from sandbox.messages import Request, Response, json_response
from sandbox.open311 import Open311Portal
from sandbox.records import FeedView, TruthCache
from sandbox.settings import SandboxSettings
from sandbox.socrata import SocrataPortal
from sandbox.volumes import Volumes, population_shares

__all__ = ["SandboxApp", "REQUEST_LOG_SIZE"]

REQUEST_LOG_SIZE = 10_000
_PREFIXES = {
    "ckan": ("/api/",),
    "socrata": ("/resource/",),
    "arcgis": ("/arcgis/",),
    "open311": ("/open311/",),
    "bulk_csv": ("/download/",),
}


class SandboxApp:
    """Every borough portal of one region, answering from seeded truth."""

    def __init__(
        self,
        catalogue: Catalogue,
        settings: SandboxSettings,
        *,
        seed: int,
        scale: float = 1.0,
        fault_profile: str = "none",
        as_of: dt.date | None = None,
    ):
        if fault_profile not in settings.fault_profiles:
            raise CatalogueError(
                f"{settings.path}: no fault profile {fault_profile!r}; configured: {sorted(settings.fault_profiles)}"
            )
        if scale < 0:
            raise ValueError(f"scale must not be negative, got {scale}")
        self.catalogue, self.settings, self.seed, self.scale = catalogue, settings, seed, scale
        self.volumes = Volumes(
            settings.annual_rows,
            population_shares(catalogue.region.areas, settings.population_seed),
            settings.period_totals,
        )
        self.truth = TruthCache(
            lambda dataset_id, area, day: truth_records(
                dataset_id,
                area,
                day,
                seed=seed,
                scale=scale,
                volumes=self.volumes,
                catalogue=catalogue,
            )
        )
        self.faults = FaultBook(seed)
        for spec in settings.fault_profiles[fault_profile]:
            self.faults.add(spec)
        self._areas = {area.slug: area for area in catalogue.region.areas}
        self._publishers = {
            slug: DownloadPublisher(slug, folder) for slug, folder in settings.downloads.items()
        }
        self.as_of = as_of
        self._portals = {
            "ckan": CkanPortal(self.publication_day),
            "socrata": SocrataPortal(self.published_window),
            "arcgis": ArcGisPortal(),
            "open311": Open311Portal(),
            "bulk_csv": BulkCsvPortal(self.published_window),
        }
        self._log: deque[dict] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            return self._control(request)
        slug, _, rest = request.path.lstrip("/").partition("/")
        if slug in self._publishers:
            return self._download(self._publishers[slug], request, "/" + rest)
        area = self._areas.get(slug)
        if area is None:
            return json_response(
                404,
                {
                    "error": f"no borough portal at /{slug}",
                    "portals": [f"/{s}" for s in self._areas],
                },
            )
        if request.method not in ("GET", "POST"):
            return json_response(
                405, {"error": f"{request.method} is not served by a borough portal"}
            )
        rest = "/" + rest
        portal = self._portal(area, rest)
        dataset = portal.dataset_for(request, rest, self.catalogue)
        if dataset is not None and area.portal_for(dataset.id).protocol != portal.protocol:
            dataset = None  # published by this borough, but through another protocol
        position = (
            portal.position(request)
            if dataset is not None and hasattr(portal, "position")
            else None
        )
        active = self.faults.take(
            area.code,
            dataset.id if dataset else None,
            f"{request.method} {request.target}",
            position,
        )
        refusal = active.refusal
        if refusal is not None:
            response = (
                offline_page(refusal.status)
                if refusal.proxy_page
                else portal.error(request, area.slug, refusal.status, refusal.message)
            )
            if refusal.retry_after is not None:
                response = response.with_headers(("Retry-After", str(refusal.retry_after)))
        else:
            feed = (
                FeedView(
                    dataset,
                    area,
                    self.settings.quirks[area.code],
                    self.truth,
                    active,
                    area.portal_for(dataset.id),
                    self.publication_day(),
                )
                if dataset
                else None
            )
            response = active.cut(portal.serve(request, rest, area.slug, feed))
        if active.delay_s:
            response = replace(response, delay_s=active.delay_s)
        if active.reset:
            response = replace(response, reset=True)
        self._record(
            {
                "method": request.method,
                "path": request.target,
                "status": response.status,
                "borough": area.code,
                "dataset": dataset.id if dataset else None,
                "faults": active.kinds,
            }
        )
        return response

    def _download(self, publisher: DownloadPublisher, request: Request, rest: str) -> Response:
        """A region-wide file; faults armed for its dataset (any borough) apply as to a portal."""
        dataset = publisher.dataset_for(rest, self.catalogue)
        active = self.faults.take(
            self.catalogue.region.code,
            dataset.id if dataset else None,
            f"{request.method} {request.target}",
            None,
        )
        refusal = active.refusal
        if refusal is not None:
            response = (
                offline_page(refusal.status)
                if refusal.proxy_page
                else json_response(
                    refusal.status, {"error": refusal.message, "status": refusal.status}
                )
            )
        else:
            response = active.cut(publisher.serve(request, rest))
        self._record(
            {
                "method": request.method,
                "path": request.target,
                "status": response.status,
                "borough": self.catalogue.region.code,
                "dataset": dataset.id if dataset else None,
                "faults": active.kinds,
            }
        )
        return response

    def publication_day(self) -> dt.date:
        """The last day published: `as_of` when pinned, else yesterday in the region."""
        return self.as_of or dt.datetime.now(
            ZoneInfo(self.catalogue.region.timezone)
        ).date() - dt.timedelta(days=1)

    def published_window(self, dataset: Dataset) -> tuple[dt.date, dt.date]:
        """The days a portal has published: first_day (first_period for periodic datasets) to the
        publication day; a bulk file holds them all, a Socrata `:updated_at` query looks through them."""
        first = (
            self.settings.bulk_first_period if dataset.periodic else self.settings.bulk_first_day
        )
        return first, self.publication_day()

    def _portal(self, area: Area, rest: str):
        """The portal of this borough that serves the path (its own one when none claims it)."""
        for protocol in area.protocols:
            if rest.startswith(_PREFIXES[protocol]):
                return self._portals[protocol]
        return self._portals[area.portal.protocol]

    def requests(self) -> list[dict]:
        """The request log, oldest first (the last REQUEST_LOG_SIZE borough requests)."""
        with self._log_lock:
            return list(self._log)

    def _record(self, entry: dict) -> None:
        with self._log_lock:
            self._log.append(entry)

    def _control(self, request: Request) -> Response:
        route, method = request.path.rstrip("/"), request.method
        if route == "/_sandbox/health" and method == "GET":
            return json_response(
                200,
                {
                    "ok": True,
                    "region": self.catalogue.region.slug,
                    "seed": self.seed,
                    "scale": self.scale,
                },
            )
        if route == "/_sandbox/requests":
            if method == "GET":
                return json_response(200, {"requests": self.requests()})
            if method == "DELETE":
                with self._log_lock:
                    self._log.clear()
                return json_response(200, {"requests": []})
        if route == "/_sandbox/faults":
            if method == "GET":
                return json_response(200, {"faults": self.faults.listing()})
            if method == "DELETE":
                self.faults.clear()
                return json_response(200, {"faults": []})
            if method == "POST":
                return self._arm(request)
        if route.startswith("/_sandbox/faults/") and method == "DELETE":
            fault_id = route.rsplit("/", 1)[1]
            if fault_id.isdigit() and self.faults.remove(int(fault_id)):
                return json_response(200, {"faults": self.faults.listing()})
            return json_response(404, {"error": f"no armed fault {fault_id}"})
        return json_response(
            404,
            {
                "error": f"no control route {method} {route}",
                "routes": [
                    "GET /_sandbox/health",
                    "GET|POST|DELETE /_sandbox/faults",
                    "DELETE /_sandbox/faults/<id>",
                    "GET|DELETE /_sandbox/requests",
                ],
            },
        )

    def _arm(self, request: Request) -> Response:
        """POST /_sandbox/faults: one fault object, or a list armed all-or-nothing."""
        try:
            body: Any = request.json_body()
        except ValueError as exc:
            return json_response(400, {"error": f"body is not JSON: {exc}"})
        try:
            specs = [
                parse_fault(raw, self.catalogue)
                for raw in (body if isinstance(body, list) else [body])
            ]
        except FaultSpecError as exc:
            return json_response(400, {"error": str(exc)})
        armed = [self.faults.add(spec) for spec in specs]
        return json_response(201, armed if isinstance(body, list) else armed[0])
