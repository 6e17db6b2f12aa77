"""Atrius write bodies that obey the rules a schema cannot say, for ``--allow-writes`` runs.

Everything here is read from the target (its buildings, its unit reference at ``GET /units/``)
or from the guide (which dimensions accumulate), never from the fake.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

UNIT_FIELDS = ("storageUnit", "displayUnit", "sourceUnit")
ACCUMULATING = frozenset({"energy", "volume", "mass"})
"""The dimensions a cumulative meter can count in (the contract's Meter description)."""
TIME_ZONES = ("UTC", "America/New_York", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo")
MAX_POINTS = 990
"""Readings pushed at once stay under the documented 1000."""


def crc(seed: object) -> int:
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def pick(seed: object, options: list[str] | tuple[str, ...]) -> str:
    return options[crc(seed) % len(options)]


@dataclass(frozen=True)
class Unit:
    code: str
    resource_type: str
    dimension: str


@dataclass
class AtriusWorld:
    """What the target holds, as far as a write body needs to know."""

    organization: str | None
    gateway: str | None
    buildings: list[str]
    meters: list[str]
    units: list[Unit]
    vendor_ids: itertools.count[int] = field(default_factory=itertools.count)

    def units_for(self, resource_type: str) -> list[Unit]:
        return [u for u in self.units if u.resource_type == resource_type]

    def unit(self, resource_type: str, code: object) -> Unit | None:
        found = [u for u in self.units_for(resource_type) if u.code == code]
        return found[0] if found else None


def reference(original: Any, key: str, segment: str) -> Any:
    """``key`` in the form ``original`` had: a number, a string, or a URL."""
    if isinstance(original, int) and not isinstance(original, bool) and key.isdigit():
        return int(key)
    if isinstance(original, str) and "/" in original:
        return f"https://api.buildingos.com/{segment}/{key}"
    return key


def fix_text(body: dict[str, Any], name: str, max_length: int, fallback: str) -> None:
    """A number is taken as its text, whose length the schema cannot bound."""
    value = body.get(name)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and len(str(value)) > max_length:
        body[name] = fallback


def fix_building(body: dict[str, Any], world: AtriusWorld) -> None:
    if "organization" in body and world.organization is not None:
        body["organization"] = reference(body["organization"], world.organization, "organizations")
    if "timeZone" in body:
        body["timeZone"] = pick(body["timeZone"], TIME_ZONES)
    fix_text(body, "name", 255, "Generated Hall")
    fix_text(body, "postalCode", 20, "02139")


def fix_meter(body: dict[str, Any], world: AtriusWorld, existing: dict[str, Any] | None) -> None:
    """A real building and gateway, a fresh vendorMeterId, and units of one dimension that the
    resource type and reading type allow."""
    if "building" in body and world.buildings:
        key = pick(body["building"], world.buildings)
        body["building"] = reference(body["building"], key, "buildings")
    if "gateway" in body and world.gateway is not None:
        body["gateway"] = reference(body["gateway"], world.gateway, "gateways")
    fix_text(body, "displayName", 255, "Generated Meter")
    vendor_id = body.get("vendorMeterId")
    if vendor_id is not None and str(vendor_id).strip():
        body["vendorMeterId"] = f"CHECK-{datetime.now(UTC):%Y%m%d%H%M%S}-{next(world.vendor_ids)}"
    merged = {**(existing or {}), **body}
    kinds = ("resourceType", "readingType", *UNIT_FIELDS)
    if not any(name in body for name in kinds):
        return
    if not {"resourceType", "readingType"} <= set(merged):
        return
    resource_type, reading_type = str(merged["resourceType"]), merged["readingType"]
    candidates = world.units_for(resource_type)
    if not candidates:
        return
    if not any(u.dimension in ACCUMULATING for u in candidates):
        reading_type = "instantaneous"  # nothing accumulates in degrees
    body["resourceType"], body["readingType"] = resource_type, reading_type
    dimensions = sorted(
        {
            u.dimension
            for u in candidates
            if reading_type != "cumulative" or u.dimension in ACCUMULATING
        }
    )
    storage = world.unit(resource_type, merged.get("storageUnit"))
    dimension = (
        storage.dimension
        if storage is not None and storage.dimension in dimensions
        else pick(merged.get("storageUnit"), dimensions)
    )
    codes = [u.code for u in candidates if u.dimension == dimension]
    for name in UNIT_FIELDS:
        found = world.unit(resource_type, merged.get(name))
        ok = found is not None and found.dimension == dimension
        body[name] = merged[name] if ok else pick((name, merged.get(name)), codes)


def fix_push(body: dict[str, Any], world: AtriusWorld) -> None:
    """At most ``MAX_POINTS`` readings, three of them good ones for a meter of the target."""
    data = body.get("data")
    if not isinstance(data, dict):
        return
    data = dict(data)
    good_points = 3 if world.meters else 0
    budget = MAX_POINTS - good_points
    for key, series in data.items():
        if isinstance(series, list):
            data[key] = series[: max(0, budget)]
            budget -= len(data[key])
    if world.meters:
        seed = crc(repr(data))
        meter = pick(seed, world.meters)
        first = datetime(2026, 1, 1, 0, 15, tzinfo=UTC) + timedelta(hours=seed % 400)
        readings = data.get(meter)
        good = [[(first + timedelta(hours=i)).isoformat(), 20.0 + i] for i in range(good_points)]
        data[meter] = [*(readings if isinstance(readings, list) else []), *good]
    body["data"] = data
