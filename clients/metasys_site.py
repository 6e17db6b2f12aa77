"""The Metasys client's object attributes, schemas and object subscriptions (a part of
``MetasysClient``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from standin.clients.metasys_results import ObjectSummary
from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg

OBJECT_TYPES = "objectTypeEnumSet."
WELL_KNOWN_QUERIES = (
    "alarm",
    "disabled",
    "offline",
    "operatorOverride",
    "outOfService",
    "supervisoryOverride",
    "trouble",
)
"""The well-known object queries of a supervisory device (INTERNAL in the reference)."""


class SiteMixin(MetasysTransport):
    def attributes(self, object_id: str) -> dict[str, Any]:
        """An object's attributes as a JSON schema: ``properties`` maps each attribute id to its
        title, type and limits."""
        body = self._request("GET", f"/objects/{_seg(object_id)}/attributes")
        schema: dict[str, Any] = body["schema"]
        return schema

    def enumeration_schema(self, enum_id: str) -> dict[str, Any]:
        """An enumeration set as a JSON schema (its members are the ``oneOf`` constants)."""
        found: dict[str, Any] = self._request("GET", f"/schemas/enums/{_seg(enum_id)}")
        return found

    def object_type_schema(self, object_type: str, parent_id: str, **params: Any) -> dict[str, Any]:
        """What an object of ``object_type`` (``avClass`` or ``objectTypeEnumSet.avClass``)
        created under ``parent_id`` would be: ``schema`` (its attributes) and ``views``."""
        kind = object_type if object_type.startswith(OBJECT_TYPES) else OBJECT_TYPES + object_type
        found: dict[str, Any] = self._request(
            "GET", f"/schemas/objectTypes/{_seg(kind)}", params={"parentId": parent_id, **params}
        )
        return found

    def unsubscribe_objects(self, stream_id: str, subscription_id: str) -> None:
        """End an object subscription (from ``METASYS-SUBSCRIBE`` on an object read); the
        stream stays open."""
        path = f"/objects/streams/{_seg(stream_id)}/subscriptions/{_seg(subscription_id)}"
        self._request("DELETE", path)

    def well_known_objects(
        self, device_id: str, query: str, *, page_size: int = 100
    ) -> Iterator[ObjectSummary]:
        """The objects below a supervisory device (engine or server) that a well-known query
        selects (``alarm``, ``operatorOverride``, ... see ``WELL_KNOWN_QUERIES``), every page."""
        if query not in WELL_KNOWN_QUERIES:
            raise ValueError(f"not a well-known query: {query!r} (one of {WELL_KNOWN_QUERIES})")
        path = f"/objects/{_seg(device_id)}/objects/wellKnownQuery/{query}"
        return (ObjectSummary.of(raw) for raw in self._pages(path, {"pageSize": page_size}))
