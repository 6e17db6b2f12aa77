"""Effective values: the priority array, sensor series, reliability and status of an object."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from math import floor
from typing import Any, NamedTuple

import orjson

from standin._core.memo import BoundedMemo
from standin._core.timeseries import LayeredNoise, daily_cycle, series_key
from standin.metasys.enums import priority_name
from standin.metasys.state.commands import OPERATOR_OVERRIDE
from standin.metasys.state.history import HistoryIndex
from standin.metasys.state.model import MetasysObject, SeriesSpec

PRECISIONS = {
    "displayPrecisionEnumSet.displayPrecision1": 0,
    "displayPrecisionEnumSet.displayPrecisionPt1": 1,
    "displayPrecisionEnumSet.displayPrecisionPt01": 2,
}
NOISE_PERIODS = (3 * 3600.0, 1800.0, 300.0)
SERIES_KEPT = 4096
"""Series (and histories) whose hashed key (and time index, and value this second) a tenant's
value model remembers."""
NUMBER = (int, float)
"""What ``isinstance`` takes for ``int | float`` (a tuple: no union is made on every call)."""
PAGES_KEPT = 256
"""Encoded pages of samples a tenant's value model remembers."""


class Effective(NamedTuple):
    """What an object's presentValue is now (a named tuple: one is made for every read, and a
    tuple is several times cheaper to make than a frozen dataclass)."""

    value: Any
    level: int | None
    """The priority the value comes from (1..16), or None when nothing commands it."""
    reliability: str

    @property
    def priority(self) -> str:
        return priority_name(0 if self.level is None else self.level)

    @property
    def is_reliable(self) -> bool:
        return self.reliability == "reliabilityEnumSet.reliable"


class ValueModel:
    """Reads values on the sandbox clock; ``seed`` makes every tenant's series its own."""

    def __init__(self, seed: int, utc_offset_hours: float) -> None:
        self.seed = seed
        self.utc_offset_hours = utc_offset_hours
        self._noise: BoundedMemo[tuple[str, str], LayeredNoise] = BoundedMemo(SERIES_KEPT)
        self._histories: BoundedMemo[tuple[str, str], HistoryIndex] = BoundedMemo(SERIES_KEPT)
        self._latest: BoundedMemo[tuple[str, str], tuple[int, SeriesSpec, int, float]] = (
            BoundedMemo(SERIES_KEPT)
        )
        self.pages: BoundedMemo[tuple[Any, ...], tuple[int, orjson.Fragment]] = BoundedMemo(
            PAGES_KEPT
        )
        """Encoded pages of samples by what they are made of (``handlers/site.py``
        ``sample_page``)."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A snapshot saved before the memos existed loads with empty ones.
        self.__dict__.update(state)
        for name, capacity in (
            ("_noise", SERIES_KEPT),
            ("_histories", SERIES_KEPT),
            ("_latest", SERIES_KEPT),
            ("pages", PAGES_KEPT),
        ):
            if name not in self.__dict__:
                setattr(self, name, BoundedMemo(capacity))

    def noise(self, obj: MetasysObject, attribute: str) -> LayeredNoise:
        """The series' noise, its key hashed once rather than per value."""
        name = (obj.item_reference, attribute)
        found = self._noise.get(name)
        if found is None:
            key = series_key(f"{obj.item_reference}#{attribute}")
            found = self._noise.put(name, LayeredNoise(self.seed, key, NOISE_PERIODS))
        return found

    def history(self, obj: MetasysObject, attribute: str) -> HistoryIndex | None:
        """The attribute's commanded values by time, up to date (None: never commanded)."""
        source = obj.history.get(attribute)
        if not source:
            return None
        name = (obj.id, attribute)
        found = self._histories.get(name)
        if found is None or not found.indexes(source):
            found = self._histories.put(name, HistoryIndex(source))
        found.refresh()
        return found

    def series_value(self, obj: MetasysObject, attribute: str, t: float) -> float:
        """mean + amplitude * daily cycle + noise * layered noise at the whole second ``t``
        falls in, rounded to the object's display precision.

        A sensor is read once a second, as an engine scans its inputs: every read within one
        second answers the same value, worked out once (case A's read of "now" is the same
        point thousands of times a second). It is worked out again when the second, the
        series or the display precision has changed."""
        spec: SeriesSpec = obj.series[attribute]
        digits = precision_digits(obj)
        second = floor(t)
        name = (obj.item_reference, attribute)
        held = self._latest.get(name)
        if held is not None and held[0] == second and held[1] is spec and held[2] == digits:
            return held[3]
        value = round(
            spec.mean
            + spec.amplitude * daily_cycle(second, self.utc_offset_hours, spec.peak_hour)
            + spec.noise * self.noise(obj, attribute).at(second),
            digits,
        )
        self._latest.put(name, (second, spec, digits, value))
        return value

    def base_value(self, obj: MetasysObject, t: float) -> Any:
        """What presentValue is when nothing commands it: the sensor, or relinquishDefault."""
        if "presentValue" in obj.series:
            return self.series_value(obj, "presentValue", t)
        return obj.attributes.get("relinquishDefault")

    def effective(self, obj: MetasysObject, t: float) -> Effective:
        commands = obj.priority_array
        if commands:
            highest = min(commands)
            value = commands[highest].value
            return Effective(value, highest, reliability(obj, value))
        value = self.base_value(obj, t)
        return Effective(value, None, reliability(obj, value))

    def value_at(self, obj: MetasysObject, attribute: str, t: float) -> tuple[Any, bool]:
        """A past value of a trended attribute from its history (commands) and its series."""
        if attribute != "presentValue":
            value = self.series_value(obj, attribute, t)
            return value, True
        index = self.history(obj, attribute)
        commanded = None if index is None else index.commanded_at(t)
        value = self.base_value(obj, t) if commanded is None else commanded
        return value, reliability(obj, value) == "reliabilityEnumSet.reliable"


def precision_digits(obj: MetasysObject) -> int:
    return PRECISIONS.get(str(obj.attributes.get("displayPrecision")), 1)


def reliability(obj: MetasysObject, value: Any) -> str:
    """An analog value outside its min/max is unreliable (high or low), as on a real engine."""
    if obj.type.value_kind == "analog" and isinstance(value, NUMBER):
        attributes = obj.attributes
        high = attributes.get("maxPresValue")
        if isinstance(high, NUMBER) and value > high:
            return "reliabilityEnumSet.unreliableHigh"
        low = attributes.get("minPresValue")
        if isinstance(low, NUMBER) and value < low:
            return "reliabilityEnumSet.unreliableLow"
        if math.isnan(value):
            return "reliabilityEnumSet.unreliableOther"
    return "reliabilityEnumSet.reliable"


def status(obj: MetasysObject, effective: Effective, offline: bool) -> str:
    if offline:
        return "objectStatusEnumSet.osOffline"
    if obj.attributes.get("outOfService"):
        return "objectStatusEnumSet.osOutOfService"
    if not effective.is_reliable:
        return "objectStatusEnumSet.osFault"
    if effective.level == 8:
        return "objectStatusEnumSet.osOperatorOverride"
    if effective.level is not None and effective.level < 8:
        return "objectStatusEnumSet.osHighPriority"
    return "objectStatusEnumSet.osNormal"


def override_expiration(obj: MetasysObject, utc_offset_hours: float) -> dict[str, str | None]:
    """``overrideExpirationTime``: a ``{date, time}`` struct, both null (the published AV example)
    unless a temporary override is active; then its end in the site's local time (a sandbox
    choice: ISO date, ``HH:MM:SS`` time)."""
    command = obj.priority_array.get(OPERATOR_OVERRIDE)
    if command is None or command.expires_at is None:
        return {"date": None, "time": None}
    local = datetime.fromtimestamp(command.expires_at, UTC) + timedelta(hours=utc_offset_hours)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M:%S")}
