"""Atmotube PRO readings: one a minute, a deterministic function of device and minute."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Literal

import orjson

from standin._core.timeseries import (
    Availability,
    daily_cycle,
    layered_noise,
    series_key,
    unit,
    value_noise,
)

Environment = Literal["indoor", "outdoor"]
MISSING_HOUR_FRACTION = 0.03
"""Share of hours with no data: the phone was away, or upload was off."""


@dataclass(frozen=True)
class Device:
    mac: str
    name: str
    environment: Environment
    since: date
    utc_offset_hours: float
    latitude: float | None = None
    longitude: float | None = None

    @cached_property
    def seed(self) -> int:
        return series_key(self.mac)

    @cached_property
    def first_minute(self) -> int:
        start = datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)
        return int(start.timestamp()) // 60


@dataclass(frozen=True)
class Reading:
    time: str
    voc: float
    pm1: int
    pm25: int
    pm10: int
    t: float
    h: int
    p: float
    lat: float | None
    lon: float | None

    def as_json(self) -> dict[str, object]:
        item: dict[str, object] = {
            "time": self.time,
            "voc": self.voc,
            "pm1": self.pm1,
            "pm25": self.pm25,
            "pm10": self.pm10,
            "t": self.t,
            "h": self.h,
            "p": self.p,
        }
        if self.lat is not None and self.lon is not None:
            item["coords"] = {"lat": self.lat, "lon": self.lon}
        return item


_T, _H, _P, _PM, _PMR1, _PMR10, _VOC, _LAT, _LON, _EVENT = (
    series_key(name) for name in ("t", "h", "p", "pm", "pm1", "pm10", "voc", "lat", "lon", "event")
)


def reading_at(device: Device, minute: int) -> Reading:
    """The device's reading for the minute starting at ``minute * 60`` seconds."""
    seed = device.seed
    t = minute * 60.0
    day = daily_cycle(t, device.utc_offset_hours, peak_hour=15.0)
    indoor = device.environment == "indoor"

    if indoor:
        temperature = 21.5 + 1.2 * day + 0.6 * layered_noise(seed, _T, t, (7200.0, 900.0))
        humidity = 42.0 - 4.0 * day + 6.0 * layered_noise(seed, _H, t, (43200.0, 3600.0))
    else:
        day_of_year = datetime.fromtimestamp(t, tz=UTC).timetuple().tm_yday
        season = math.cos(2.0 * math.pi * (day_of_year - 200) / 365.0)
        temperature = 10.0 + 9.0 * season + 4.5 * day
        temperature += 2.5 * layered_noise(seed, _T, t, (86400.0, 10800.0, 1200.0))
        humidity = 68.0 - 14.0 * day + 12.0 * layered_noise(seed, _H, t, (86400.0, 7200.0))
    pressure = 1013.0 + 11.0 * layered_noise(seed, _P, t, (259200.0, 43200.0))

    base = 6.0 if indoor else 11.0
    pm25_value = base * (1.0 + 0.6 * layered_noise(seed, _PM, t, (21600.0, 3600.0, 600.0)))
    if unit(seed, _EVENT, minute // 30) < 0.04:
        # Occasional half-hour episodes: cooking indoors, traffic or smoke outdoors.
        pm25_value += 25.0 * (1.0 + value_noise(seed, _EVENT, t, 300.0))
    pm25 = max(0, round(pm25_value))
    pm1 = math.floor(pm25 * (0.62 + 0.12 * value_noise(seed, _PMR1, t, 1800.0)))
    pm10 = math.ceil(pm25 * (1.35 + 0.25 * value_noise(seed, _PMR10, t, 1800.0)))

    office_hours = daily_cycle(t, device.utc_offset_hours, peak_hour=13.0)
    voc = (0.35 + 0.2 * office_hours) if indoor else 0.12
    voc *= 1.0 + 0.5 * layered_noise(seed, _VOC, t, (7200.0, 600.0))

    latitude = longitude = None
    if device.latitude is not None and device.longitude is not None:
        latitude = round(device.latitude + 0.01 * value_noise(seed, _LAT, t, 1800.0), 6)
        longitude = round(device.longitude + 0.015 * value_noise(seed, _LON, t, 1800.0), 6)

    moment = datetime.fromtimestamp(t, tz=UTC)
    return Reading(
        time=moment.strftime("%Y-%m-%dT%H:%M:00.000Z"),
        voc=round(max(0.01, voc), 3),
        pm1=pm1,
        pm25=pm25,
        pm10=pm10,
        t=round(temperature, 1),
        h=max(1, min(100, round(humidity))),
        p=round(pressure, 2),
        lat=latitude,
        lon=longitude,
    )


@dataclass(frozen=True)
class HourOfReadings:
    readings: tuple[Reading, ...]
    encoded: tuple[bytes, ...]
    """Each reading already rendered as JSON, so a page is a join, not an encode."""


MAX_AVAILABILITIES = 1024
"""Availabilities kept (one per device and first hour), all dropped past this."""


class ReadingCache:
    """Recently asked hours of readings, least recently used dropped past ``max_hours``, and
    each device's hours of availability.

    Readings are pure functions of the device, so one cache serves every tenant's copy of it.
    """

    def __init__(self, max_hours: int = 2048) -> None:
        self._max_hours = max_hours
        self._hours: OrderedDict[tuple[int, int], HourOfReadings] = OrderedDict()
        self._availability: dict[tuple[int, int], Availability] = {}

    def availability(self, device: Device) -> Availability:
        """Which hours ``device`` reported in: counts and positions over any range cost the
        same however old the device is (see :class:`Availability`)."""
        key = (device.seed, device.first_minute // 60)
        found = self._availability.get(key)
        if found is None:
            if len(self._availability) >= MAX_AVAILABILITIES:
                self._availability.clear()
            found = self._availability[key] = Availability(
                device.seed, _EVENT ^ 0xA5A5, device.first_minute // 60, MISSING_HOUR_FRACTION
            )
        return found

    def hour(self, device: Device, hour: int) -> HourOfReadings:
        key = (device.seed, hour)
        cached = self._hours.get(key)
        if cached is not None:
            self._hours.move_to_end(key)
            return cached
        readings = tuple(reading_at(device, hour * 60 + m) for m in range(60))
        made = HourOfReadings(readings, tuple(orjson.dumps(r.as_json()) for r in readings))
        self._hours[key] = made
        if len(self._hours) > self._max_hours:
            self._hours.popitem(last=False)
        return made

    def clear(self) -> None:
        self._hours.clear()
