"""The entity endpoints' field tables and the synchronous record validation.

Fields, mandatory flags, lengths and value lists follow the IBPDI common data model
(co-developed by BuildingMinds), in the API's camelCase. Where the API documentation says more
(Site: ``name`` 1-50 characters, ``addressIds`` mandatory) it wins. The parent references the
model leaves out (a rental unit's building, a space's building, every meter field) are
**sandbox choices**, stated in the contract.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from standin.buildingminds.vocabulary import (
    BUILDING_TYPES,
    COUNTRIES,
    ENERGY_TYPES,
    HEATING_TYPES,
    MEASUREMENT_TYPES,
    MEASUREMENT_UNITS,
    OWNERSHIP,
    SITE_TYPES,
    TENANT_STRUCTURES,
    VENTILATION_TYPES,
)

FieldKind = Literal["string", "datetime", "integer", "decimal", "boolean", "ids"]
EventKind = Literal["Added", "Updated", "Deleted"]
Terminal = Literal["Completed", "Published"]

ID_LENGTH = 50
MAX_IDS = 100
"""Addresses one site may name at most (**sandbox choice**)."""
INT32 = (-(2**31), 2**31 - 1)
DECIMAL_BOUND = 1e13
"""The model's decimals are precision 19, scale 6: fewer than 13 digits before the point."""
DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", re.ASCII)
"""``yyyy-mm-ddThh:mm:ssZ``, as the model and the API documentation write it."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    mandatory: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool | None = None
    """Whether ``null`` stands for "not given"; by default, for every optional field."""

    @property
    def takes_null(self) -> bool:
        return not self.mandatory if self.nullable is None else self.nullable


@dataclass(frozen=True)
class Parent:
    """A reference to a parent by the caller's external id (``addressIds`` names several)."""

    field: str
    entity: str


@dataclass(frozen=True)
class EntitySpec:
    path: str
    """The endpoint's last path segment, e.g. ``rentalUnit``."""
    name: str
    """The entity type as inbound messages and event types name it, e.g. ``RentalUnit``."""
    id_field: str
    fields: tuple[Field, ...]
    parents: tuple[Parent, ...] = ()
    one_parent: bool = False
    """Exactly one of ``parents`` must be given (a space's floor or building)."""
    deletable: bool = True
    terminal: Terminal = "Completed"
    geocoded: bool = False

    def event_type(self, kind: EventKind) -> str:
        return f"{self.name}{kind}"

    def event_types(self) -> tuple[str, ...]:
        kinds: tuple[EventKind, ...] = ("Added", "Updated", "Deleted")
        return tuple(self.event_type(k) for k in kinds if k != "Deleted" or self.deletable)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _validity() -> tuple[Field, Field]:
    return Field("validFrom", "datetime", True), Field("validUntil", "datetime", True)


def _id(name: str, mandatory: bool = True) -> Field:
    return Field(name, "string", mandatory, ID_LENGTH)


def _either(name: str) -> Field:
    """One of two parent references: optional, but a string when given."""
    return Field(name, "string", False, ID_LENGTH, nullable=False)


ADDRESS = EntitySpec(
    path="address",
    name="Address",
    id_field="addressId",
    fields=(
        _id("addressId"),
        Field("type", "string", True, 75),
        Field("streetName", "string", max_length=150),
        Field("houseNumber", "string", max_length=50),
        Field("additionalInformation", "string", max_length=100),
        Field("apartmentOrUnit", "string", max_length=50),
        Field("district", "string", max_length=50),
        Field("city", "string", True, 100),
        Field("postalCode", "string", max_length=15),
        Field("stateProvincePrefecture", "string", max_length=50),
        Field("country", "string", True, 75, COUNTRIES),
    ),
    deletable=False,
    geocoded=True,
)

SITE = EntitySpec(
    path="site",
    name="Site",
    id_field="siteId",
    fields=(
        _id("siteId"),
        Field("name", "string", True, 50),
        Field("siteCode", "string", max_length=70),
        Field("type", "string", True, 75, SITE_TYPES),
        Field("addressIds", "ids", True),
        *_validity(),
        Field("status", "string", max_length=50),
    ),
    parents=(Parent("addressIds", "address"),),
    terminal="Published",
)

BUILDING = EntitySpec(
    path="building",
    name="Building",
    id_field="buildingId",
    fields=(
        _id("buildingId"),
        _id("siteId"),
        Field("name", "string", True, 200),
        Field("buildingCode", "string", max_length=70),
        Field("primaryTypeOfBuilding", "string", True, 75, BUILDING_TYPES),
        Field("secondaryTypeOfBuilding", "string", False, 75, BUILDING_TYPES),
        Field("energyEfficiencyClass", "string", max_length=50),
        *_validity(),
        Field("constructionYear", "datetime"),
        Field("yearOfLastRefurbishment", "datetime"),
        Field("monumentProtection", "boolean"),
        Field("typeOfOwnership", "string", True, 50, OWNERSHIP),
        Field("selfUse", "boolean"),
        Field("tenantStructure", "string", False, 50, TENANT_STRUCTURES),
        Field("parkingSpaces", "integer"),
        Field("electricVehicleChargingStations", "integer"),
        Field("primaryEnergyType", "string", False, 50, ENERGY_TYPES),
        Field("primaryWaterType", "string", max_length=50),
        Field("primaryHeatingType", "string", False, 50, HEATING_TYPES),
        Field("secondaryHeatingType", "string", False, 50, HEATING_TYPES),
        Field("airConditioning", "boolean"),
        Field("status", "string", max_length=50),
    ),
    parents=(Parent("siteId", "site"),),
    terminal="Published",
)

FLOOR = EntitySpec(
    path="floor",
    name="Floor",
    id_field="floorId",
    fields=(
        _id("floorId"),
        _id("buildingId"),
        Field("name", "string", True, 200),
        Field("floorCode", "string", max_length=70),
        Field("floorNumber", "integer", True),
        *_validity(),
    ),
    parents=(Parent("buildingId", "building"),),
)

SPACE = EntitySpec(
    path="space",
    name="Space",
    id_field="spaceId",
    fields=(
        _id("spaceId"),
        _either("floorId"),
        _either("buildingId"),
        Field("name", "string", True, 200),
        Field("spaceCode", "string", max_length=70),
        Field("spaceNumber", "decimal"),
        Field("type", "string", True, 50),
        *_validity(),
        Field("spaceHeightUsable", "decimal"),
        Field("spaceHeight", "decimal"),
        Field("spaceVolumeGross", "decimal"),
        Field("spaceVolumeNet", "decimal"),
        Field("primaryFloorMaterial", "string", max_length=75),
        Field("primaryWallMaterial", "string", max_length=75),
        Field("primaryCeilingMaterial", "string", max_length=75),
        Field("rentability", "boolean"),
        Field("effectZonesHeating", "decimal"),
        Field("effectZonesCooling", "decimal"),
        Field("effectZonesVentilation", "decimal"),
        Field("climateHeated", "boolean"),
        Field("climateCooled", "boolean"),
        Field("coUseArea", "boolean"),
        Field("maximumOccupancy", "integer"),
        Field("ventilationType", "string", False, 75, VENTILATION_TYPES),
    ),
    parents=(Parent("floorId", "floor"), Parent("buildingId", "building")),
    one_parent=True,
)

RENTAL_UNIT = EntitySpec(
    path="rentalUnit",
    name="RentalUnit",
    id_field="rentalUnitId",
    fields=(
        _id("rentalUnitId"),
        _id("buildingId"),
        Field("name", "string", True, 200),
        Field("rentalUnitCode", "string", max_length=70),
        Field("rentedOut", "boolean"),
        Field("usageType", "string", max_length=200),
        Field("vacancy", "boolean"),
        *_validity(),
    ),
    parents=(Parent("buildingId", "building"),),
)

METER = EntitySpec(
    path="meter",
    name="Meter",
    id_field="meterId",
    fields=(
        _id("meterId"),
        _either("buildingId"),
        _either("spaceId"),
        Field("name", "string", True, 200),
        Field("meterCode", "string", max_length=70),
        Field("type", "string", True, 50, MEASUREMENT_TYPES),
        Field("unit", "string", True, 50, MEASUREMENT_UNITS),
        Field("serialNumber", "string", max_length=50),
        Field("isMainMeter", "boolean"),
        *_validity(),
    ),
    parents=(Parent("buildingId", "building"), Parent("spaceId", "space")),
    one_parent=True,
)

ENTITIES: dict[str, EntitySpec] = {
    spec.path: spec for spec in (ADDRESS, SITE, BUILDING, FLOOR, SPACE, RENTAL_UNIT, METER)
}
"""Every entity endpoint, parents before children."""

EVENT_FIELD = "eventType"


def event_kind(spec: EntitySpec, record: Mapping[str, Any]) -> EventKind:
    """What the record asks for; a record without ``eventType`` is an upsert (Added)."""
    event = record.get(EVENT_FIELD)
    if event == spec.event_type("Deleted"):
        return "Deleted"
    if event == spec.event_type("Updated"):
        return "Updated"
    return "Added"


def parent_ids(spec: EntitySpec, record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The parents a record names, as (entity path, external id)."""
    found: list[tuple[str, str]] = []
    for parent in spec.parents:
        value = record.get(parent.field)
        if isinstance(value, str):
            found.append((parent.entity, value))
        elif isinstance(value, list):
            found.extend((parent.entity, item) for item in value if isinstance(item, str))
    return list(dict.fromkeys(found))


def problems(spec: EntitySpec, record: Any) -> list[str]:
    """Why ``record`` cannot be queued (empty when it can)."""
    if not isinstance(record, dict):
        return ["Record must be a JSON object"]
    found: list[str] = []
    if EVENT_FIELD in record and record[EVENT_FIELD] not in spec.event_types():
        allowed = ", ".join(spec.event_types())
        found.append(f"'{EVENT_FIELD}' must be one of: {allowed}")
    if event_kind(spec, record) == "Deleted":
        checked: tuple[Field, ...] = (spec.field(spec.id_field),)
    else:
        checked = spec.fields
    for field in checked:
        problem = _field_problem(field, record)
        if problem:
            found.append(problem)
    if spec.one_parent and event_kind(spec, record) != "Deleted":
        given = [p.field for p in spec.parents if p.field in record]
        if len(given) != 1:
            names = " or ".join(f"'{p.field}'" for p in spec.parents)
            found.append(f"Exactly one of {names} is mandatory")
    return found


def _field_problem(field: Field, record: dict[str, Any]) -> str | None:
    name = f"'{field.name}'"
    if field.name not in record:
        return f"{name} is mandatory" if field.mandatory else None
    value = record[field.name]
    if value is None:
        if field.mandatory:
            return f"{name} is mandatory"
        return None if field.takes_null else f"{name} must not be null"
    if field.kind == "string":
        if not isinstance(value, str):
            return f"{name} must be a string"
        if field.mandatory and not value:
            return f"{name} is mandatory"
        if field.max_length is not None and len(value) > field.max_length:
            return f"{name} must be at most {field.max_length} characters"
        if field.choices and value not in field.choices:
            if len(field.choices) > 12:
                return f"{name} must be one of the values the data model lists"
            return f"{name} must be one of: {', '.join(field.choices)}"
        return None
    if field.kind == "datetime":
        if not isinstance(value, str) or parse_datetime(value) is None:
            return f"{name} must be a date and time as yyyy-mm-ddThh:mm:ssZ"
        return None
    if field.kind == "boolean":
        return None if isinstance(value, bool) else f"{name} must be true or false"
    if field.kind == "integer":
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or not INT32[0] <= value <= INT32[1]:
            return f"{name} must be a whole number from {INT32[0]} to {INT32[1]}"
        return None
    if field.kind == "decimal":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or abs(value) >= DECIMAL_BOUND:
            return f"{name} must be a number of fewer than 14 digits before the decimal point"
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        return f"{name} must be a list of 1 to {MAX_IDS} ids"
    if any(not isinstance(item, str) or not 1 <= len(item) <= ID_LENGTH for item in value):
        return f"{name} must hold ids of 1 to {ID_LENGTH} characters"
    return None


def parse_datetime(value: str) -> datetime | None:
    if not DATETIME.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def deep_problem(spec: EntitySpec, record: Mapping[str, Any]) -> str | None:
    """A check made while processing, not at submission: it fails the message, not the request."""
    start, end = record.get("validFrom"), record.get("validUntil")
    if isinstance(start, str) and isinstance(end, str):
        first, last = parse_datetime(start), parse_datetime(end)
        if first is not None and last is not None and last < first:
            return "'validUntil' is before 'validFrom'"
    return None


def geocodable(record: Mapping[str, Any]) -> bool:
    """**Sandbox choice:** a city alone is too vague to place; a street or postal code is not."""
    return bool(record.get("streetName") or record.get("postalCode"))
