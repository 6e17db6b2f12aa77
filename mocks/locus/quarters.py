"""Many quarter-hours of a signal at once, with numpy: the same values as ``Signal.quarter``.

Coarse answers (hourly and up) are sums of quarter-hour values; one at a time in Python a year
of them costs about a tenth of a second per signal, thirty years seconds. Here each step of a
signal's formula runs over an array of quarters, in the same order of operations as the scalar
code, so every value equals the scalar one but for the last bits of a sine or an exponential
(numpy's and libm's may differ by an ulp), far below the rounding of an answer.

Imported on the first coarse question only: numpy is not loaded while a server starts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from standin.locus.signals import (
    AmbientTemperature,
    Electrical,
    InverterEnergy,
    Insolation,
    Irradiance,
    LoadEnergy,
    ModeledEnergy,
    Power,
    Signal,
    Total,
)
from standin.locus.sky import CLOUD_KNOT, DAY, QUARTER, TYPICAL_CLEARNESS, Sky

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
ArrayMemo = dict[tuple[int, int, int, str], Floats]
"""Arrays already worked out, keyed by (id of the signal or sky, first quarter or day, count,
what): a sky shared by several inverters is worked out once."""

_C0 = np.uint64(0x9E3779B97F4A7C15)
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_MASK = (1 << 64) - 1


def _mix(value: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``timeseries.mix`` over an array (uint64 arithmetic wraps as the masked ints do)."""
    value = value + _C0
    value = (value ^ (value >> _S30)) * _C1
    value = (value ^ (value >> _S27)) * _C2
    return value ^ (value >> _S31)


def units(seed: int, key: int, index: Ints) -> Floats:
    """``timeseries.unit(seed, key, i)`` for every ``i`` of ``index``."""
    inner = _mix(np.array([(seed ^ key) & _MASK], dtype=np.uint64))[0]
    mixed = _mix(index.astype(np.int64).view(np.uint64) ^ inner)
    result: Floats = mixed.astype(np.float64) / 2.0**64
    return result


def _day_of_year(days: Ints) -> Ints:
    """Day of the year (1-based) of each ``days`` after 1970-01-01."""
    dates = days.astype("datetime64[D]")
    january_first = dates.astype("datetime64[Y]").astype("datetime64[D]")
    result: Ints = (dates - january_first).astype(np.int64) + 1
    return result


def _day_terms(first_day: int, count: int) -> tuple[Floats, Floats, Floats]:
    """(sin declination, cos declination, equation of time) of consecutive UTC days, as
    ``timeseries.solar_day_terms`` at noon."""
    day_of_year = _day_of_year(np.arange(first_day, first_day + count, dtype=np.int64))
    gamma = 2.0 * math.pi / 365.0 * (day_of_year - 1 + 0.0)
    declination = (
        0.006918
        - 0.399912 * np.cos(gamma)
        + 0.070257 * np.sin(gamma)
        - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma)
        - 0.002697 * np.cos(3 * gamma)
        + 0.00148 * np.sin(3 * gamma)
    )
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * np.cos(gamma)
        - 0.032077 * np.sin(gamma)
        - 0.014615 * np.cos(2 * gamma)
        - 0.040849 * np.sin(2 * gamma)
    )
    return np.sin(declination), np.cos(declination), equation_of_time


def _middles(first: int, count: int) -> Floats:
    quarters = np.arange(first, first + count, dtype=np.int64)
    result: Floats = quarters * QUARTER + QUARTER / 2
    return result


QUARTERS_A_DAY = DAY // QUARTER
KNOTS_A_DAY = DAY // CLOUD_KNOT
QUARTERS_A_KNOT = CLOUD_KNOT // QUARTER
_MIDDLE_MINUTES = (np.arange(QUARTERS_A_DAY) * QUARTER + QUARTER / 2) / 60.0
"""Minutes into its UTC day of each quarter's midpoint."""
_ANGLE_IN_DAY = np.radians(_MIDDLE_MINUTES / 4.0)
_EASED = np.arange(QUARTERS_A_DAY) % QUARTERS_A_KNOT * QUARTER + QUARTER / 2.0
_EASED = _EASED / CLOUD_KNOT
_EASED = _EASED * _EASED * (3.0 - 2.0 * _EASED)
"""The cloud's easing of each quarter's midpoint between its two knots (knots are every three
hours from midnight UTC, so the same for every day)."""


def _days_of(first: int, count: int) -> tuple[int, int, int]:
    """(first UTC day, how many days, quarters into the first day) covering a span."""
    first_day = first // QUARTERS_A_DAY
    last_day = -(-(first + count) // QUARTERS_A_DAY)
    return first_day, last_day - first_day, first - first_day * QUARTERS_A_DAY


def _clear_grid(sky: Sky, first_day: int, days: int) -> Floats:
    """``Sky.clear`` at each quarter's midpoint, as a (days, 96) grid.

    The hour angle of a quarter is a part that only the time of day sets plus a part that only
    the day sets (its equation of time and the longitude), so its cosine comes from the two
    parts' sines and cosines: 96 plus one per day, not one per quarter.
    """
    sin_decl, cos_decl, equation_of_time = _day_terms(first_day, days)
    by_day = np.radians((equation_of_time + 4.0 * sky.longitude) / 4.0 - 180.0)
    cos_hour_angle = np.outer(np.cos(by_day), np.cos(_ANGLE_IN_DAY)) - np.outer(
        np.sin(by_day), np.sin(_ANGLE_IN_DAY)
    )
    sin_elevation = (sky._sin_lat * sin_decl)[:, None] + (sky._cos_lat * cos_decl)[
        :, None
    ] * cos_hour_angle
    clear = np.zeros_like(sin_elevation)
    up = sin_elevation > 0.0
    lit = sin_elevation[up]
    clear[up] = 1098.0 * lit * np.exp(-0.057 / lit)
    return clear


def _cloud_grid(sky: Sky, first_day: int, days: int) -> Floats:
    """``Sky.cloud`` at each quarter's midpoint, as a (days, 96) grid."""
    first_knot = first_day * KNOTS_A_DAY
    knots = np.arange(first_knot, first_knot + days * KNOTS_A_DAY + 1, dtype=np.int64)
    cloudiness = np.maximum(0.0, units(sky.seed, sky.key, knots) * 1.7 - 0.7)
    values = 1.0 - 0.75 * cloudiness
    left = np.repeat(values[:-1].reshape(days, KNOTS_A_DAY), QUARTERS_A_KNOT, axis=1)
    right = np.repeat(values[1:].reshape(days, KNOTS_A_DAY), QUARTERS_A_KNOT, axis=1)
    result: Floats = left + (right - left) * _EASED
    return result


def clear_sky(sky: Sky, first: int, count: int, memo: ArrayMemo) -> Floats:
    """``Sky.clear`` at the midpoints of ``count`` quarters from ``first``."""
    first_day, days, skip = _days_of(first, count)
    key = (id(sky), first_day, days, "clear")
    grid = memo.get(key)
    if grid is None:
        grid = _clear_grid(sky, first_day, days)
        memo[key] = grid
    return grid.ravel()[skip : skip + count]


def ghi(sky: Sky, first: int, count: int, memo: ArrayMemo) -> Floats:
    """``Sky.ghi_quarter`` of ``count`` quarters from ``first``."""
    first_day, days, skip = _days_of(first, count)
    key = (id(sky), first_day, days, "ghi")
    grid = memo.get(key)
    if grid is None:
        clear = clear_sky(sky, first_day * QUARTERS_A_DAY, days * QUARTERS_A_DAY, memo)
        grid = clear * _cloud_grid(sky, first_day, days).ravel()
        memo[key] = grid
    return grid[skip : skip + count]


def quarter_values(signal: Signal, first: int, count: int, memo: ArrayMemo) -> Floats:
    """``signal.quarter(q)`` for the ``count`` quarters from ``first``."""
    key = (id(signal), first, count, "q")
    found = memo.get(key)
    if found is None:
        found = _compute(signal, first, count, memo)
        memo[key] = found
    return found


def _compute(signal: Signal, first: int, count: int, memo: ArrayMemo) -> Floats:
    quarters = np.arange(first, first + count, dtype=np.int64)
    if isinstance(signal, InverterEnergy):
        light = ghi(signal.sky, first, count, memo)
        # Only quarters with light make energy: the hash of the wobble is for those alone.
        lit = np.flatnonzero(light)
        wobble = 0.98 + 0.04 * units(signal.seed, signal.key, quarters[lit])
        power = np.minimum(
            signal.dc_w * light[lit] / 1000.0 * signal.performance * wobble, signal.ac_w
        )
        energy = np.zeros(count)
        energy[lit] = power * QUARTER / 3600.0
        return energy
    if isinstance(signal, ModeledEnergy):
        if signal.measured_weather:
            light = ghi(signal.sky, first, count, memo)
        else:
            light = clear_sky(signal.sky, first, count, memo) * TYPICAL_CLEARNESS
        total = np.zeros(count)
        for dc_w, ac_w in signal.arrays:
            power = dc_w * light / 1000.0 * signal.performance
            total = total + (np.minimum(power, ac_w) if signal.clipping else power)
        return _where_dark(light, total * QUARTER / 3600.0)
    if isinstance(signal, LoadEnergy):
        local_hours = np.mod(_middles(first, count) / 3600.0 + signal.solar_offset_hours, 24.0)
        hump = np.maximum(0.0, np.cos(2.0 * math.pi * (local_hours - 14.0) / 24.0))
        noise = units(signal.seed, signal.key, quarters)
        level = signal.load_w * (0.5 + 0.4 * hump + 0.1 * noise)
        result: Floats = level * QUARTER / 3600.0
        return result
    if isinstance(signal, Total):
        total = np.zeros(count)
        for part in signal.parts:
            total = total + quarter_values(part, first, count, memo)
        taken = np.zeros(count)
        for part in signal.negate:
            taken = taken + quarter_values(part, first, count, memo)
        result = total - taken
        return result
    if isinstance(signal, Power):
        result = quarter_values(signal.energy, first, count, memo) * 3600.0 / QUARTER
        return result
    if isinstance(signal, Irradiance):
        if signal.typical:
            result = clear_sky(signal.sky, first, count, memo) * TYPICAL_CLEARNESS
            return result
        return ghi(signal.sky, first, count, memo)
    if isinstance(signal, Insolation):
        result = quarter_values(signal.irradiance, first, count, memo) * QUARTER / 3600.0
        return result
    if isinstance(signal, AmbientTemperature):
        return _temperature(signal, _middles(first, count))
    if isinstance(signal, Electrical):
        return _electrical(signal, quarters, memo)
    # A signal without an array form: one quarter at a time, as the scalar path does.
    scalar_memo: dict[tuple[int, int], object] = {}
    values = []
    for quarter in range(first, first + count):
        scalar_memo.clear()
        values.append(signal.quarter(quarter, scalar_memo))
    return np.array(values, dtype=np.float64)


def _where_dark(light: Floats, values: Floats) -> Floats:
    result: Floats = np.where(light == 0.0, 0.0, values)
    return result


def _temperature(signal: AmbientTemperature, t: Floats) -> Floats:
    season = np.cos(2.0 * math.pi * ((t / 86400.0 - 196.0) / 365.25))
    if signal.southern:
        season = -season
    local_hours = np.mod(t / 3600.0 + signal.solar_offset_hours, 24.0)
    daily = np.cos(2.0 * math.pi * (local_hours - 15.0) / 24.0)
    knot = t / 21600.0
    floor = np.floor(knot)
    at = floor.astype(np.int64)
    first = int(at[0])
    knots = units(signal.seed, signal.key, np.arange(first, int(at[-1]) + 2, dtype=np.int64))
    left = knots[at - first]
    right = knots[at - first + 1]
    noise = left + (right - left) * (knot - floor)
    result: Floats = signal.mean + 9.0 * season + 5.0 * daily + 3.0 * (noise - 0.5)
    return result


def _electrical(signal: Electrical, quarters: Ints, memo: ArrayMemo) -> Floats:
    """Each quarter's formula of its mean power: the formulas are plain functions of two
    floats, so they run once per quarter, on values worked out as arrays."""
    power = quarter_values(signal.power, int(quarters[0]), len(quarters), memo)
    noise = units(signal.seed, signal.key, quarters)
    formula = signal.formula
    values: list[Any] = [formula(p, n) for p, n in zip(power.tolist(), noise.tolist(), strict=True)]
    return np.array(values, dtype=np.float64)
