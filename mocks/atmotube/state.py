"""Atmotube Cloud state: API keys, the devices registered to each, and their readings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from standin._core.clock import Clock
from standin._core.store import MemoryStore, Store
from standin._core.timeseries import Availability
from standin.atmotube.errors import device_not_found
from standin.atmotube.query import DataQuery
from standin.atmotube.readings import Device, Reading, ReadingCache

MINUTES_PER_DAY = 1440
MAX_DEVICES = 1_000
"""**Sandbox choice:** a tenant holds at most 1,000 devices (the fixture's included); registering
one more (``POST /_sandbox/atmotube/devices``) is refused with 400 and registers nothing.
Registering a device again (the same MAC) does not count. The guide gives no bound."""
MAX_DEVICE_NAME = 100
"""A registered device's name, in characters (the control plane's bound, not Atmotube's)."""


@dataclass(frozen=True)
class ApiKey:
    key: str
    macs: tuple[str, ...]


@dataclass(frozen=True)
class ReadingsPage:
    total: int
    readings: list[Reading]
    encoded: list[bytes]


class AtmotubeState:
    def __init__(self, clock: Clock, cache: ReadingCache, store: Store | None = None) -> None:
        store = store or MemoryStore()
        self._clock = clock
        self._cache = cache
        # Kept one row per record (both are replaced, never changed in place).
        self.devices = store.collection("devices", str, Device, rows=True)
        self.api_keys = store.collection("api_keys", str, ApiKey, rows=True)

    @classmethod
    def from_fixture(
        cls, fixture: dict[str, Any], keys: Iterable[str], clock: Clock, cache: ReadingCache
    ) -> AtmotubeState:
        """The fixture's devices, registered to ``keys`` in the fixture's order of keys."""
        state = cls(clock, cache)
        for raw in fixture["devices"]:
            coords = raw.get("coords") or {}
            state.register_device(
                Device(
                    mac=raw["mac"].upper(),
                    name=raw["name"],
                    environment=raw["environment"],
                    since=date.fromisoformat(str(raw["since"])),
                    utc_offset_hours=float(raw.get("utc_offset_hours", 0)),
                    latitude=coords.get("lat"),
                    longitude=coords.get("lon"),
                )
            )
        for key, entry in zip(keys, fixture["api_keys"], strict=True):
            state.api_keys.put(key, ApiKey(key, tuple(m.upper() for m in entry["devices"])))
        return state

    def has_room_for(self, mac: str) -> bool:
        """Whether registering ``mac`` keeps the tenant within :data:`MAX_DEVICES`."""
        return mac in self.devices or len(self.devices) < MAX_DEVICES

    def register_device(self, device: Device) -> None:
        self.devices.put(device.mac, device)

    def knows_key(self, api_key: str) -> bool:
        return api_key in self.api_keys

    def device(self, api_key: str, mac: str) -> Device:
        """The device ``mac`` if it is registered to ``api_key``; otherwise 404."""
        entry = self.api_keys.get(api_key)
        device = self.devices.get(mac)
        if entry is None or device is None or mac not in entry.macs:
            raise device_not_found(mac)
        return device

    def readings(self, api_key: str, query: DataQuery) -> ReadingsPage:
        device = self.device(api_key, query.mac)
        start, end = self._minute_range(device, query)
        hours = self._cache.availability(device)
        total = hours.count_minutes(start, end)
        first = min(query.offset, total)
        count = total - first if query.limit is None else min(query.limit, total - first)
        if query.order == "desc":
            first = total - first - count
        minutes = _walk(hours, start, end, first, count)
        if query.order == "desc":
            minutes.reverse()
        readings: list[Reading] = []
        encoded: list[bytes] = []
        hour_index, hour = -1, None
        for minute in minutes:
            if minute // 60 != hour_index:
                hour_index = minute // 60
                hour = self._cache.hour(device, hour_index)
            assert hour is not None
            readings.append(hour.readings[minute % 60])
            encoded.append(hour.encoded[minute % 60])
        return ReadingsPage(total, readings, encoded)

    def _minute_range(self, device: Device, query: DataQuery) -> tuple[int, int]:
        """[start, end) in minutes since the epoch; only completed minutes have readings."""
        start = device.first_minute
        end = int(self._clock.time()) // 60
        if query.first_day is not None and query.last_day is not None:
            start = max(start, _day_minute(query.first_day))
            end = min(end, _day_minute(query.last_day) + MINUTES_PER_DAY)
        return start, max(start, end)


def _day_minute(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) // 60


def _walk(hours: Availability, start: int, end: int, first: int, count: int) -> list[int]:
    """The minutes of readings ``first`` .. ``first + count - 1`` in [start, end), ascending."""
    if count <= 0:
        return []
    minute = hours.nth_minute(start, end, first)
    minutes = [minute]
    while len(minutes) < count:
        minute += 1
        if minute % 60 == 0:
            while not hours.present(minute // 60):
                minute += 60
        minutes.append(minute)
    return minutes
