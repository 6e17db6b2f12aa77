"""Whole UTC days of a signal's quarter-hours at once, with numpy: ``Signal.quarter``'s values.

Coarse answers (hourly and up) are sums of quarter-hour values; one at a time in Python a year
of them costs about a tenth of a second per signal, thirty years seconds. Here each step of a
signal's formula runs over an array of quarters, in the same order of operations as the scalar
code but for one step: a quarter's hour angle is split into a part of the day and a part of the
time of day, so that a cosine per quarter becomes two per day and 96 in all. Values agree with
the scalar ones to about 1e-15 of the sun's height (1e-9 of a value at sunrise, 1e-7 W), far
below the rounding of an answer.

Imported on the first coarse question only: numpy is not loaded while a server starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from standin.locus.signals import (
    NOMINAL_PHASE_VOLTS,
    AmbientTemperature,
    Electrical,
    Insolation,
    InverterEnergy,
    Irradiance,
    LoadEnergy,
    ModeledEnergy,
    PhaseShare,
    Power,
    Signal,
    Total,
    apparent_power,
    current,
    frequency,
    line_volts,
    phase_volts,
    power_factor,
    reactive_power,
)
from standin.locus.sky import CLOUD_KNOT, DAY, QUARTER, TYPICAL_CLEARNESS, Sky

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
GridMemo = dict[tuple[int, str], Floats]
"""Grids already worked out for one set of days, keyed by (id of the signal or sky, what): a sky
shared by several inverters is worked out once."""

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


def _day_terms(days: Ints) -> tuple[Floats, Floats, Floats]:
    """(sin declination, cos declination, equation of time) of each UTC day, as
    ``timeseries.solar_day_terms`` at noon."""
    gamma = 2.0 * math.pi / 365.0 * (_day_of_year(days) - 1 + 0.0)
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


QUARTERS_A_DAY = DAY // QUARTER
KNOTS_A_DAY = DAY // CLOUD_KNOT
QUARTERS_A_KNOT = CLOUD_KNOT // QUARTER
_IN_DAY = np.arange(QUARTERS_A_DAY, dtype=np.int64)
_MIDDLE_MINUTES = (_IN_DAY * QUARTER + QUARTER / 2) / 60.0
"""Minutes into its UTC day of each quarter's midpoint."""
_ANGLE_IN_DAY = np.radians(_MIDDLE_MINUTES / 4.0)
_FRACTION = (_IN_DAY % QUARTERS_A_KNOT * QUARTER + QUARTER / 2.0) / CLOUD_KNOT
_EASED = _FRACTION * _FRACTION * (3.0 - 2.0 * _FRACTION)
"""The cloud's easing of each quarter's midpoint between its two knots (knots are every three
hours from midnight UTC, so the same for every day)."""


def quarters_of(days: Ints) -> Ints:
    """The quarter numbers of ``days``, as a (days, 96) grid."""
    result: Ints = days[:, None] * QUARTERS_A_DAY + _IN_DAY
    return result


def _middles(days: Ints) -> Floats:
    return np.asarray(quarters_of(days) * QUARTER + QUARTER / 2, dtype=np.float64)


def _clear(sky: Sky, days: Ints, memo: GridMemo) -> Floats:
    """``Sky.clear`` at each quarter's midpoint of ``days``, a (days, 96) grid.

    The hour angle of a quarter is a part that only the time of day sets plus a part that only
    the day sets (its equation of time and the longitude), so its cosine comes from the two
    parts' sines and cosines: 96 plus one per day, not one per quarter.
    """
    found = memo.get((id(sky), "clear"))
    if found is not None:
        return found
    sin_decl, cos_decl, equation_of_time = _day_terms(days)
    by_day = np.radians((equation_of_time + 4.0 * sky.longitude) / 4.0 - 180.0)
    cos_hour_angle = np.outer(np.cos(by_day), np.cos(_ANGLE_IN_DAY)) - np.outer(
        np.sin(by_day), np.sin(_ANGLE_IN_DAY)
    )
    latitude = math.radians(sky.latitude)
    sin_elevation = (math.sin(latitude) * sin_decl)[:, None] + (math.cos(latitude) * cos_decl)[
        :, None
    ] * cos_hour_angle
    clear: Floats = np.zeros(sin_elevation.shape)
    up = sin_elevation > 0.0
    lit = sin_elevation[up]
    clear[up] = 1098.0 * lit * np.exp(-0.057 / lit)
    memo[(id(sky), "clear")] = clear
    return clear


def _cloud(sky: Sky, days: Ints) -> Floats:
    """``Sky.cloud`` at each quarter's midpoint of ``days``, a (days, 96) grid."""
    knots = days[:, None] * KNOTS_A_DAY + np.arange(KNOTS_A_DAY + 1, dtype=np.int64)
    cloudiness = np.maximum(0.0, units(sky.seed, sky.key, knots.ravel()) * 1.7 - 0.7)
    values = (1.0 - 0.75 * cloudiness).reshape(len(days), KNOTS_A_DAY + 1)
    left = values[:, :-1, None]
    # (days, knots, quarters of a knot): each knot's span eased towards the next knot.
    eased = _EASED.reshape(KNOTS_A_DAY, QUARTERS_A_KNOT)
    result: Floats = (left + (values[:, 1:, None] - left) * eased).reshape(
        len(days), QUARTERS_A_DAY
    )
    return result


def _ghi(sky: Sky, days: Ints, memo: GridMemo) -> Floats:
    """``Sky.ghi_quarter`` of each quarter of ``days``, a (days, 96) grid."""
    found = memo.get((id(sky), "ghi"))
    if found is None:
        found = _clear(sky, days, memo) * _cloud(sky, days)
        memo[(id(sky), "ghi")] = found
    return found


def day_grid(signal: Signal, days: Ints, memo: GridMemo) -> Floats:
    """``signal.quarter(q)`` for every quarter of ``days`` (UTC day numbers, any order), as a
    (days, 96) grid; ``memo`` belongs to this one ``days``."""
    found = memo.get((id(signal), "q"))
    if found is None:
        found = _compute(signal, days, memo)
        memo[(id(signal), "q")] = found
    return found


def _compute(signal: Signal, days: Ints, memo: GridMemo) -> Floats:
    shape = (len(days), QUARTERS_A_DAY)
    if isinstance(signal, InverterEnergy):
        light = _ghi(signal.sky, days, memo)
        # Only quarters with light make energy: the hash of the wobble is for those alone.
        lit = np.nonzero(light)
        numbers = days[lit[0]] * QUARTERS_A_DAY + lit[1]
        wobble = 0.98 + 0.04 * units(signal.seed, signal.key, numbers)
        power = np.minimum(
            signal.dc_w * light[lit] / 1000.0 * signal.performance * wobble, signal.ac_w
        )
        energy = np.zeros(shape)
        energy[lit] = power * QUARTER / 3600.0
        return energy
    if isinstance(signal, ModeledEnergy):
        if signal.measured_weather:
            light = _ghi(signal.sky, days, memo)
        else:
            light = _clear(signal.sky, days, memo) * TYPICAL_CLEARNESS
        total = np.zeros(shape)
        for dc_w, ac_w in signal.arrays:
            power = dc_w * light / 1000.0 * signal.performance
            total = total + (np.minimum(power, ac_w) if signal.clipping else power)
        result: Floats = np.where(light == 0.0, 0.0, total * QUARTER / 3600.0)
        return result
    if isinstance(signal, LoadEnergy):
        local_hours = np.mod(_middles(days) / 3600.0 + signal.solar_offset_hours, 24.0)
        hump = np.maximum(0.0, np.cos(2.0 * math.pi * (local_hours - 14.0) / 24.0))
        noise = units(signal.seed, signal.key, quarters_of(days))
        level = signal.load_w * (0.5 + 0.4 * hump + 0.1 * noise)
        result = level * QUARTER / 3600.0
        return result
    if isinstance(signal, Total):
        if len(signal.parts) == 1 and not signal.negate:
            return day_grid(signal.parts[0], days, memo)  # 0.0 + x is x
        total = np.zeros(shape)
        for part in signal.parts:
            total = total + day_grid(part, days, memo)
        taken = np.zeros(shape)
        for part in signal.negate:
            taken = taken + day_grid(part, days, memo)
        result = total - taken
        return result
    if isinstance(signal, Power):
        result = day_grid(signal.energy, days, memo) * 3600.0 / QUARTER
        return result
    if isinstance(signal, Irradiance):
        if signal.typical:
            result = _clear(signal.sky, days, memo) * TYPICAL_CLEARNESS
            return result
        return _ghi(signal.sky, days, memo)
    if isinstance(signal, Insolation):
        result = day_grid(signal.irradiance, days, memo) * QUARTER / 3600.0
        return result
    if isinstance(signal, AmbientTemperature):
        return _temperature(signal, _middles(days))
    if isinstance(signal, Electrical):
        return _electrical(signal, days, memo)
    # A signal without an array form: one quarter at a time, as the scalar path does.
    values = [signal.quarter(int(q), {}) for q in quarters_of(days).ravel()]
    return np.array(values, dtype=np.float64).reshape(shape)


def _temperature(signal: AmbientTemperature, t: Floats) -> Floats:
    season = np.cos(2.0 * math.pi * ((t / 86400.0 - 196.0) / 365.25))
    if signal.southern:
        season = -season
    local_hours = np.mod(t / 3600.0 + signal.solar_offset_hours, 24.0)
    daily = np.cos(2.0 * math.pi * (local_hours - 15.0) / 24.0)
    knot = t / 21600.0
    floor = np.floor(knot)
    at = floor.astype(np.int64)
    left = units(signal.seed, signal.key, at)
    right = units(signal.seed, signal.key, at + 1)
    noise = left + (right - left) * (knot - floor)
    result: Floats = signal.mean + 9.0 * season + 5.0 * daily + 3.0 * (noise - 0.5)
    return result


def _electrical(signal: Electrical, days: Ints, memo: GridMemo) -> Floats:
    """Each quarter's formula of its mean power, as arrays where the formula has an array form
    (every one ``data.ELECTRICAL`` uses), else one quarter at a time."""
    power = day_grid(signal.power, days, memo)
    noise = units(signal.seed, signal.key, quarters_of(days))
    formula = signal.formula
    if isinstance(formula, PhaseShare):
        imbalance = 0.01 * (noise - 0.5)
        share = (imbalance, -imbalance, np.zeros_like(noise))[formula.phase]
        result: Floats = power * (1.0 / 3.0 + share)
        return result
    array_form = _ARRAY_FORMULAS.get(formula)
    if array_form is not None:
        return np.broadcast_to(array_form(power, noise), power.shape).astype(np.float64)
    values: list[Any] = [
        formula(p, n) for p, n in zip(power.ravel().tolist(), noise.ravel().tolist(), strict=True)
    ]
    return np.array(values, dtype=np.float64).reshape(power.shape)


def _phase_volts(power: Floats, noise: Floats) -> Floats:
    result: Floats = NOMINAL_PHASE_VOLTS * (0.99 + 0.02 * noise)
    return result


def _line_volts(power: Floats, noise: Floats) -> Floats:
    result: Floats = _phase_volts(power, noise) * math.sqrt(3.0)
    return result


def _frequency(power: Floats, noise: Floats) -> Floats:
    result: Floats = 60.0 + 0.04 * (noise - 0.5)
    return result


def _power_factor(power: Floats, noise: Floats) -> Floats:
    result: Floats = np.where(power <= 0.0, 1.0, 0.97 + 0.03 * noise)
    return result


def _apparent_power(power: Floats, noise: Floats) -> Floats:
    result: Floats = np.abs(power) / _power_factor(power, noise)
    return result


def _reactive_power(power: Floats, noise: Floats) -> Floats:
    apparent = _apparent_power(power, noise)
    result: Floats = np.sqrt(np.maximum(0.0, apparent * apparent - power * power))
    return result


def _current(power: Floats, noise: Floats) -> Floats:
    result: Floats = _apparent_power(power, noise) / (math.sqrt(3.0) * _line_volts(power, noise))
    return result


_ARRAY_FORMULAS: dict[Callable[[float, float], float], Callable[[Floats, Floats], Floats]] = {
    phase_volts: _phase_volts,
    line_volts: _line_volts,
    frequency: _frequency,
    power_factor: _power_factor,
    apparent_power: _apparent_power,
    reactive_power: _reactive_power,
    current: _current,
}
"""The formulas of ``signals`` as arrays, operation for operation."""
