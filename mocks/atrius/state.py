"""An Atrius tenant's state: organization, gateway, buildings, meters and pushed readings."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from standin._core.clock import Clock
from standin._core.quotas import over_quota
from standin._core.store import MemoryStore, Store
from standin.atrius import errors
from standin.atrius.models import Building, Gateway, Meter, Organization
from standin.atrius.series import DataQuery, PushedReadings, Row, data_range, meter_rows
from standin.atrius.units import INTERVAL_DIMENSIONS, convert, unit
from standin.atrius.validation import (
    BUILDING_REQUIRED,
    METER_REQUIRED,
    FieldErrors,
    building_parsers,
    meter_parsers,
    meter_unit_errors,
    not_a_dictionary,
    validate,
)

PUSHED_READINGS_LIMIT = 100_000
"""**Sandbox choice:** a tenant keeps at most 100,000 pushed readings over all its meters (a
year of quarter-hour readings is 35,040 a meter). A push that would store more is refused whole
with 400 and nothing of it is stored, so a reading once acknowledged is never dropped; pushing
a timestamp a meter already has replaces its value and does not count. The guide gives no
quota (its FAQ: "there's no strict limit")."""

MAX_BUILDINGS = 1_000
"""**Sandbox choice:** a tenant holds at most 1,000 buildings (the fixture's included); one more
is refused with 400 (DRF's ``non_field_errors``) and not made. The guide gives no quota."""
MAX_METERS = 5_000
"""**Sandbox choice:** a tenant holds at most 5,000 meters (the fixture's included), as
:data:`MAX_BUILDINGS`."""
NO_WAY_OUT = (
    "the API deletes none, so reset the sandbox tenant (POST /_sandbox/reset) to start again"
)


@dataclass
class MeterPushReport:
    accepted: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"accepted": self.accepted, "skipped": self.skipped}
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass
class PushReport:
    meters: dict[str, MeterPushReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": sum(m.accepted for m in self.meters.values()),
            "skipped": sum(len(m.skipped) for m in self.meters.values()),
            "rejected_meters": sorted(k for k, m in self.meters.items() if m.error is not None),
            "meters": {key: report.as_dict() for key, report in self.meters.items()},
        }


class AtriusState:
    def __init__(
        self,
        clock: Clock,
        organization: Organization,
        gateway: Gateway,
        store: Store | None = None,
    ) -> None:
        store = store or MemoryStore()
        self._clock = clock
        self.organization = organization
        self.gateway = gateway
        # Kept one row per record (a building or meter is replaced, never changed in place);
        # each meter's pushed readings are kept one row per reading.
        self.buildings = store.collection("buildings", str, Building, rows=True)
        self.meters = store.collection("meters", str, Meter, rows=True)
        self.readings = store.collection("readings", str, PushedReadings)

    @classmethod
    def from_fixture(
        cls, fixture: Mapping[str, Any], ids: Mapping[str, str], clock: Clock
    ) -> AtriusState:
        """The fixture's records; ``ids`` maps each fixture id and uuid to this tenant's own."""

        def own(value: str) -> str:
            return ids.get(value, value)

        organization = Organization(
            own(fixture["organization"]["id"]), fixture["organization"]["name"]
        )
        gateway = Gateway(own(str(fixture["gateway"])), organization.id)
        state = cls(clock, organization, gateway)
        for raw in fixture["buildings"]:
            building = Building(
                id=own(raw["id"]),
                uuid=own(raw["uuid"]),
                name=raw["name"],
                organization=organization.id,
                postal_code=raw["postalCode"],
                time_zone=raw.get("timeZone", "UTC"),
            )
            state.buildings.put(building.id, building)
        for raw in fixture["meters"]:
            meter = Meter(
                id=own(raw["id"]),
                uuid=own(raw["uuid"]),
                building=own(raw["building"]),
                gateway=gateway.id,
                display_name=raw["displayName"],
                resource_type=raw["resourceType"],
                reading_type=raw["readingType"],
                storage_unit=raw["storageUnit"],
                display_unit=raw["displayUnit"],
                source_unit=raw["sourceUnit"],
                scope=raw["scope"],
                status=raw.get("status", "online"),
                vendor_meter_id=raw.get("vendorMeterId", ""),
                default_timescale=raw.get("defaultTimescale", "month"),
            )
            state.meters.put(meter.uuid, meter)
        return state

    # --- organization and gateway ------------------------------------------------------------

    def gateway_numbered(self, number: str) -> Gateway:
        if number != self.gateway.id:
            raise errors.not_found()
        return self.gateway

    def organization_numbered(self, number: str) -> Organization:
        if number != self.organization.id:
            raise errors.not_found()
        return self.organization

    # --- buildings ---------------------------------------------------------------------------

    def list_buildings(self) -> list[Building]:
        return sorted(self.buildings.values(), key=lambda b: int(b.id))

    def building(self, building_id: str) -> Building:
        found = self.buildings.get(building_id)
        if found is None:
            raise errors.not_found()
        return found

    def create_building(self, body: Any) -> Building:
        if not isinstance(body, dict):
            raise errors.validation(not_a_dictionary(body))
        parsers = building_parsers(lambda key: key == self.organization.id)
        values, problems = validate(body, parsers, BUILDING_REQUIRED, partial=False)
        if problems:
            raise errors.validation(problems)
        _check_room(len(self.buildings), MAX_BUILDINGS, "buildings")
        building = Building(
            id=self._next_id(self.buildings.keys()),
            uuid=self._uuid(),
            name=values["name"],
            organization=values["organization"],
            postal_code=values["postalCode"],
            time_zone=values.get("timeZone", "UTC"),
        )
        self.buildings.put(building.id, building)
        return building

    # --- meters ------------------------------------------------------------------------------

    def list_meters(self, building: str | None = None) -> list[Meter]:
        meters = sorted(self.meters.values(), key=lambda m: int(m.id))
        return [m for m in meters if building is None or m.building == building]

    def meter(self, meter_uuid: str) -> Meter:
        found = self.meters.get(meter_uuid.lower())
        if found is None:
            raise errors.not_found()
        return found

    def create_meter(self, body: Any) -> Meter:
        values = self._checked_meter(body, existing=None, partial=False)
        _check_room(len(self.meters), MAX_METERS, "meters")
        meter = Meter(
            id=self._next_id(m.id for m in self.meters.values()),
            uuid=self._uuid(),
            **_meter_attributes(values),
        )
        self.meters.put(meter.uuid, meter)
        return meter

    def update_meter(self, meter_uuid: str, body: Any, *, partial: bool) -> Meter:
        existing = self.meter(meter_uuid)
        values = self._checked_meter(body, existing=existing, partial=partial)
        updated = replace(existing, **_meter_attributes(values))
        self.meters.put(updated.uuid, updated)
        return updated

    def _checked_meter(self, body: Any, existing: Meter | None, partial: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.validation(not_a_dictionary(body))
        parsers = meter_parsers(
            lambda key: key in self.buildings, lambda key: key == self.gateway.id
        )
        values, problems = validate(body, parsers, METER_REQUIRED, partial=partial)
        for name in ("storageUnit", "displayUnit", "sourceUnit"):
            if name in values:
                values[name] = values[name].lower()
        merged: dict[str, Any] = {**(existing.api_fields() if existing else {}), **values}
        problems.update(meter_unit_errors(merged, problems))
        problems.update(self._reading_type_errors(merged, problems))
        problems.update(self._vendor_id_errors(merged, existing, problems))
        if problems:
            raise errors.validation(problems)
        return values

    def _reading_type_errors(self, merged: Mapping[str, Any], problems: FieldErrors) -> FieldErrors:
        if merged.get("readingType") != "cumulative" or problems:
            return {}
        storage = unit(str(merged["resourceType"]), str(merged["storageUnit"]))
        if storage is None or storage.dimension in INTERVAL_DIMENSIONS:
            return {}
        return {
            "readingType": [
                f'"cumulative" needs a quantity unit (energy, volume or mass), '
                f'not "{storage.code}" ({storage.dimension}).'
            ]
        }

    def _vendor_id_errors(
        self, merged: Mapping[str, Any], existing: Meter | None, problems: FieldErrors
    ) -> FieldErrors:
        vendor_id = merged.get("vendorMeterId")
        if not vendor_id or "vendorMeterId" in problems:
            return {}
        for other in self.meters.values():
            same = existing is not None and other.uuid == existing.uuid
            if (
                not same
                and other.gateway == merged.get("gateway")
                and other.vendor_meter_id == vendor_id
            ):
                return {
                    "vendorMeterId": [
                        "meter with this vendorMeterId already exists on this gateway."
                    ]
                }
        return {}

    # --- readings ----------------------------------------------------------------------------

    def push(self, gateway_number: str, body: Any) -> PushReport:
        """Store every numeric reading with a usable timestamp; report the rest and why."""
        gateway = self.gateway_numbered(gateway_number)
        if not isinstance(body, dict):
            raise errors.validation(not_a_dictionary(body))
        naive_is_utc = _naive_flag(body.get("meta"))
        data = body.get("data")
        if data is None:
            raise errors.validation({"data": ["This field is required."]})
        if not isinstance(data, dict):
            kind = type(data).__name__
            raise errors.validation(
                {"data": [f'Expected a dictionary of items but got type "{kind}".']}
            )
        # No cap on the number of points: the guide's FAQ says "there's no strict limit" and
        # only recommends fewer than 1000. What bounds a push is the size of its body.
        report = PushReport()
        accepted: list[tuple[Meter, list[tuple[int, float]]]] = []
        for key, series in data.items():
            meter_report, meter, readings = self._read_meter(gateway, key, series, naive_is_utc)
            report.meters[key] = meter_report
            if meter is not None:
                accepted.append((meter, readings))
        self._check_quota(accepted)
        for meter, readings in accepted:
            self._store(meter, readings)
        return report

    def _check_quota(self, accepted: list[tuple[Meter, list[tuple[int, float]]]]) -> None:
        """400, before anything is stored, if the push would take the tenant past
        :data:`PUSHED_READINGS_LIMIT` readings."""
        new: dict[str, set[int]] = {}
        for meter, readings in accepted:
            stored = self.readings.get(meter.uuid)
            fresh = new.setdefault(meter.uuid, set())
            fresh.update(t for t, _ in readings if stored is None or t not in stored)
        added = sum(len(fresh) for fresh in new.values())
        if not added:
            return
        kept = sum(len(stored) for stored in self.readings.values())
        if kept + added > PUSHED_READINGS_LIMIT:
            raise errors.validation(
                {
                    "data": [
                        f"This push would add {added:,} readings to the {kept:,} this sandbox "
                        f"tenant keeps; it keeps at most {PUSHED_READINGS_LIMIT:,} pushed "
                        "readings (sandbox quota). Nothing of this push was stored."
                    ]
                }
            )

    def _read_meter(
        self, gateway: Gateway, key: str, series: Any, naive_is_utc: bool
    ) -> tuple[MeterPushReport, Meter | None, list[tuple[int, float]]]:
        """One meter's part of a push, read and converted but not stored: its report, and the
        meter and readings to store (None when the meter is refused)."""
        meter = self.meters.get(key.lower())
        if meter is None:
            return MeterPushReport(error="unknown meter"), None, []
        if meter.gateway != gateway.id:
            return MeterPushReport(error=f"meter is not on gateway {gateway.id}"), None, []
        if not isinstance(series, list):
            error = "expected a list of [timestamp, value] pairs"
            return MeterPushReport(error=error), None, []
        source = unit(meter.resource_type, meter.source_unit)
        storage = unit(meter.resource_type, meter.storage_unit)
        assert source is not None
        assert storage is not None
        report = MeterPushReport()
        accepted: list[tuple[int, float]] = []
        for index, point in enumerate(series):
            reading = _reading(point, naive_is_utc)
            if isinstance(reading, str):
                report.skipped.append({"index": index, "point": _echo(point), "reason": reading})
                continue
            moment, value = reading
            accepted.append((moment, convert(value, source, storage)))
        report.accepted = len(accepted)
        return report, meter, accepted

    def _store(self, meter: Meter, readings: list[tuple[int, float]]) -> None:
        stored = self.readings.get(meter.uuid)
        if stored is None and readings:
            stored = PushedReadings()
            self.readings.put(meter.uuid, stored)
        for moment, value in readings:
            assert stored is not None
            stored.put(moment, value)

    def meter_data(self, meter_uuid: str, query: DataQuery) -> tuple[Meter, ZoneInfo, list[Row]]:
        meter = self.meter(meter_uuid)
        building = self.buildings.get(meter.building)
        zone = ZoneInfo(building.time_zone if building is not None else "UTC")
        rows = meter_rows(meter, self.readings.get(meter.uuid), query, zone, self._clock.time())
        return meter, zone, rows

    def detached_data(
        self, meter_uuid: str, query: DataQuery
    ) -> Callable[[], tuple[Meter, ZoneInfo, list[Row]]]:
        """:meth:`meter_data` as work that reads nothing of the state once made (for a worker
        thread): the clock's time is taken now, and a meter's pushed readings are copied now,
        only those the answer reads (:meth:`PushedReadings.window`), so pushes meanwhile
        change nothing of it."""
        meter = self.meter(meter_uuid)
        building = self.buildings.get(meter.building)
        zone = ZoneInfo(building.time_zone if building is not None else "UTC")
        now = self._clock.time()
        pushed = self.readings.get(meter.uuid)
        if pushed is not None and len(pushed):
            found = data_range(query, zone, now)
            if found is None:
                return lambda: (meter, zone, [])
            pushed = pushed.window(found[1], found[2])
        else:
            pushed = None
        kept = pushed
        return lambda: (meter, zone, meter_rows(meter, kept, query, zone, now))

    # --- ids ---------------------------------------------------------------------------------

    def _next_id(self, existing: Any) -> str:
        """The next number, as the vendor's numbering goes. The uuid is what names a record
        unpredictably; a random gap here made schemathesis' stateful runs, which send these
        numbers back, draw differently on replay (FlakyStrategyDefinition)."""
        numbers = [int(value) for value in existing]
        return str(max(numbers, default=100000) + 1)

    def _uuid(self) -> str:
        """From :mod:`secrets` (uuid4), never the seed: a restarted sandbox never hands out
        the uuid of a meter made before."""
        return uuid.uuid4().hex


def _meter_attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {attribute: values[name] for name, attribute in Meter.FIELDS if name in values}


def _check_room(held: int, limit: int, what: str) -> None:
    """400 (nothing made) when the tenant already holds ``limit`` of ``what``."""
    if held >= limit:
        raise errors.validation({"non_field_errors": [over_quota(what, limit, NO_WAY_OUT)]})


def _naive_flag(meta: Any) -> bool:
    if meta is None:
        return False
    if not isinstance(meta, dict):
        raise errors.validation(
            {"meta": [f'Expected a dictionary of items but got type "{type(meta).__name__}".']}
        )
    flag = meta.get("naive_timestamp_utc", False)
    if not isinstance(flag, bool):
        raise errors.validation({"meta": {"naive_timestamp_utc": ["Must be a valid boolean."]}})
    return flag


def _echo(value: Any, depth: int = 0) -> Any:
    """A skipped point as the report can show it: JSON-safe, shallow, integers in 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return str(value)
    if isinstance(value, list | dict):
        if depth >= 3:
            return "..."
        if isinstance(value, list):
            return [_echo(item, depth + 1) for item in value[:10]]
        return {str(k): _echo(v, depth + 1) for k, v in list(value.items())[:10]}
    return value


def _reading(point: Any, naive_is_utc: bool) -> tuple[int, float] | str:
    """A point as (epoch seconds, value), or the reason it is not ingested."""
    if not isinstance(point, list) or len(point) != 2:
        return "expected a [timestamp, value] pair"
    stamp, value = point
    if not isinstance(stamp, str):
        return "timestamp must be an ISO 8601 string"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return "timestamp is not ISO 8601"
    if moment.tzinfo is None:
        if not naive_is_utc:
            return "timestamp has no UTC offset and meta.naive_timestamp_utc is false"
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    if value is None:
        return "value is null"
    if isinstance(value, str):
        return "value is blank" if not value.strip() else "value is a string, not a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "value is not a number"
    try:
        number = float(value)
    except OverflowError:
        return "value is out of range"
    if not math.isfinite(number):
        return "value is out of range"
    return math.floor(moment.timestamp()), number
