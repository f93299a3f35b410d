"""Protocol name (as written in a borough's `portal.protocol`) -> connector class."""

from __future__ import annotations

from ingest.errors import CatalogueError
from ingest.protocols.base import OffsetProtocol, Page
from ingest.protocols.ckan import CkanDatastore
from ingest.protocols.socrata import SocrataSoda

__all__ = ["PROTOCOL_CLASSES", "protocol_for", "OffsetProtocol", "Page"]

PROTOCOL_CLASSES: dict[str, type[OffsetProtocol]] = {
    CkanDatastore.name: CkanDatastore,
    SocrataSoda.name: SocrataSoda,
}


def protocol_for(name: str) -> OffsetProtocol:
    try:
        return PROTOCOL_CLASSES[name]()
    except KeyError:
        raise CatalogueError(f"unknown protocol {name!r}; known: {sorted(PROTOCOL_CLASSES)}") from None
