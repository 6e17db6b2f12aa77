"""Locus records: partners own clients, clients own sites, sites own components."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

GENERATING_NODE_TYPES = ("INVERTER", "METER")


@dataclass(frozen=True)
class Client:
    id: int
    partner_id: int
    tz: str
    first_name: str
    last_name: str
    email: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "partnerId": self.partner_id,
            "tz": self.tz,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
        }


@dataclass(frozen=True)
class Site:
    id: int
    client_id: int
    partner_id: int
    name: str
    address: dict[str, str]
    """address1, address2 (optional), locale3, locale1, localeCode1, postalCode, countryCode."""
    timezone: str
    latitude: float | None
    longitude: float | None
    install: dict[str, str]
    model: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "clientId": self.client_id, "name": self.name}
        body.update(self.address)
        if self.latitude is not None and self.longitude is not None:
            body["latitude"] = self.latitude
            body["longitude"] = self.longitude
        body["locationTimezone"] = self.timezone
        return body

    @property
    def geolocated(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def startup(self) -> date | None:
        raw = self.install.get("startupDate")
        return None if raw is None else date.fromisoformat(raw)

    @property
    def data_since(self) -> date | None:
        """The first day with measured data: the install date (or startup, if only that)."""
        raw = self.install.get("installDate") or self.install.get("startupDate")
        return None if raw is None else date.fromisoformat(raw)


@dataclass(frozen=True)
class Component:
    id: int
    site_id: int
    client_id: int
    partner_id: int
    parent_id: int
    parent_type: str
    node_id: str
    name: str
    node_type: str
    application: str
    generation_type: str
    oem: str
    model: str
    serial_number: str | None = None
    description: str | None = None
    notes: str = ""
    dc_kw: float = 0.0
    ac_kw: float = 0.0
    load_kw: float = 0.0
    children: tuple[int, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "siteId": self.site_id,
            "clientId": self.client_id,
            "parentId": self.parent_id,
            "parentType": self.parent_type,
            "nodeId": self.node_id,
            "name": self.name,
            "nodeType": self.node_type,
            "application": self.application,
            "generationType": self.generation_type,
            "oem": self.oem,
            "model": self.model,
            "isConceptualNode": False,
        }
        if self.serial_number is not None:
            body["serialNumber"] = self.serial_number
        if self.description is not None:
            body["description"] = self.description
        return body

    @property
    def generates(self) -> bool:
        """Measures solar generation (an inverter, or a meter on the generation side)."""
        return self.node_type in GENERATING_NODE_TYPES and self.application == "GENERATION"

    @property
    def is_inverter(self) -> bool:
        return self.node_type == "INVERTER"

    @property
    def is_weather_station(self) -> bool:
        return self.node_type == "WEATHER_STATION"

    @property
    def is_net_meter(self) -> bool:
        return self.node_type == "METER" and self.application == "NET-GRID"
