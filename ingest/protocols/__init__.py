"""Protocol name (as written in a borough's `portal.protocol`) -> connector class."""

from __future__ import annotations

from ingest.errors import CatalogueError
from ingest.protocols.arcgis import ArcGisFeatureServer
from ingest.protocols.base import OffsetProtocol, Page, Protocol
from ingest.protocols.bulk_csv import BulkCsv
from ingest.protocols.ckan import CkanDatastore
from ingest.protocols.open311 import Open311GeoReport
from ingest.protocols.socrata import SocrataSoda

__all__ = ["PROTOCOL_CLASSES", "protocol_for", "Protocol", "OffsetProtocol", "Page"]

PROTOCOL_CLASSES: dict[str, type[Protocol]] = {
    cls.name: cls
    for cls in (CkanDatastore, SocrataSoda, ArcGisFeatureServer, Open311GeoReport, BulkCsv)
}


def protocol_for(name: str) -> Protocol:
    try:
        return PROTOCOL_CLASSES[name]()
    except KeyError:
        raise CatalogueError(
            f"unknown protocol {name!r}; known: {sorted(PROTOCOL_CLASSES)}"
        ) from None
