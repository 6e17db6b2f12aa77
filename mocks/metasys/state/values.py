"""Effective values: the priority array, sensor series, reliability and status of an object."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from standin._core.timeseries import daily_cycle, layered_noise, series_key
from standin.metasys.enums import priority_name
from standin.metasys.state.commands import OPERATOR_OVERRIDE
from standin.metasys.state.model import MetasysObject, SeriesSpec

PRECISIONS = {
    "displayPrecisionEnumSet.displayPrecision1": 0,
    "displayPrecisionEnumSet.displayPrecisionPt1": 1,
    "displayPrecisionEnumSet.displayPrecisionPt01": 2,
}
NOISE_PERIODS = (3 * 3600.0, 1800.0, 300.0)


@dataclass(frozen=True)
class Effective:
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

    def series_value(self, obj: MetasysObject, attribute: str, t: float) -> float:
        spec: SeriesSpec = obj.series[attribute]
        key = series_key(f"{obj.item_reference}#{attribute}")
        value = (
            spec.mean
            + spec.amplitude * daily_cycle(t, self.utc_offset_hours, spec.peak_hour)
            + spec.noise * layered_noise(self.seed, key, t, NOISE_PERIODS)
        )
        return round(value, precision_digits(obj))

    def base_value(self, obj: MetasysObject, t: float) -> Any:
        """What presentValue is when nothing commands it: the sensor, or relinquishDefault."""
        if "presentValue" in obj.series:
            return self.series_value(obj, "presentValue", t)
        return obj.attributes.get("relinquishDefault")

    def effective(self, obj: MetasysObject, t: float) -> Effective:
        active = sorted(obj.priority_array)
        if active:
            level = active[0]
            value = obj.priority_array[level].value
        else:
            level, value = None, self.base_value(obj, t)
        return Effective(value, level, reliability(obj, value))

    def value_at(self, obj: MetasysObject, attribute: str, t: float) -> tuple[Any, bool]:
        """A past value of a trended attribute from its history (commands) and its series."""
        if attribute != "presentValue":
            value = self.series_value(obj, attribute, t)
            return value, True
        commanded = None
        for moment, value in obj.history.get(attribute, ()):
            if moment > t:
                break
            commanded = value
        value = self.base_value(obj, t) if commanded is None else commanded
        return value, reliability(obj, value) == "reliabilityEnumSet.reliable"


def precision_digits(obj: MetasysObject) -> int:
    return PRECISIONS.get(str(obj.attributes.get("displayPrecision")), 1)


def reliability(obj: MetasysObject, value: Any) -> str:
    """An analog value outside its min/max is unreliable (high or low), as on a real engine."""
    if obj.type.value_kind == "analog" and isinstance(value, int | float):
        high = obj.attributes.get("maxPresValue")
        low = obj.attributes.get("minPresValue")
        if isinstance(high, int | float) and value > high:
            return "reliabilityEnumSet.unreliableHigh"
        if isinstance(low, int | float) and value < low:
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
