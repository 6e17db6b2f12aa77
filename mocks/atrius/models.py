"""The records an Atrius tenant owns: its organization, gateway, buildings and meters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

READING_TYPES = ("instantaneous", "cumulative")
SCOPES = ("building", "submeter")
STATUSES = ("online", "offline")
TIMESCALES = ("hour", "day", "week", "month", "year")


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class Gateway:
    id: str
    organization: str


@dataclass(frozen=True)
class Building:
    id: str
    uuid: str
    name: str
    organization: str
    postal_code: str
    time_zone: str = "UTC"
    enabled: bool = True


@dataclass(frozen=True)
class Meter:
    id: str
    uuid: str
    building: str
    gateway: str
    display_name: str
    resource_type: str
    reading_type: str
    storage_unit: str
    display_unit: str
    source_unit: str
    scope: str
    status: str = "online"
    vendor_meter_id: str = ""
    default_timescale: str = "month"

    FIELDS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("building", "building"),
        ("gateway", "gateway"),
        ("displayName", "display_name"),
        ("resourceType", "resource_type"),
        ("readingType", "reading_type"),
        ("storageUnit", "storage_unit"),
        ("displayUnit", "display_unit"),
        ("sourceUnit", "source_unit"),
        ("scope", "scope"),
        ("status", "status"),
        ("vendorMeterId", "vendor_meter_id"),
        ("defaultTimescale", "default_timescale"),
    )
    """The API's field names and the attributes that hold them."""

    def api_fields(self) -> dict[str, str]:
        return {name: getattr(self, attribute) for name, attribute in self.FIELDS}
