"""Whole UTC days of a signal's quarter-hours at once, with numpy: ``Signal.quarter``'s values.

Coarse answers (hourly and up) are sums of quarter-hour values; one at a time in Python a year
of them costs about a tenth of a second per signal, thirty years seconds. Here each signal's
formula, written once in ``signals`` and ``sky`` against ``xp`` (``standin._core.maths``), runs
over arrays of quarters (:data:`ARRAYS`). What this module adds is the arranging: which
quarters, which days, what is lit, and one step of its own: a quarter's hour angle is split
into a part of the day and a part of the time of day, so that a cosine per quarter becomes two
per day and 96 in all. Values agree with the scalar ones to about 1e-15 of the sun's height
(1e-9 of a value at sunrise, 1e-7 W), far below the rounding of an answer.

Imported on the first coarse question only: numpy is not loaded while a server starts.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from standin._core.maths import Maths, Value
from standin._core.timeseries import solar_day_terms
from standin.locus.signals import (
    AmbientTemperature,
    Electrical,
    Insolation,
    InverterEnergy,
    Irradiance,
    LoadEnergy,
    ModeledEnergy,
    Power,
    Signal,
    Total,
)
from standin.locus.sky import (
    CLOUD_KNOT,
    DAY,
    QUARTER,
    TYPICAL_CLEARNESS,
    Sky,
    clear_sky,
    ease,
    knot_clearness,
)

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


def units(seed: int, key: int, index: Value) -> Floats:
    """``timeseries.unit(seed, key, i)`` for every ``i`` of ``index`` (whole floats taken as
    integers)."""
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


ARRAYS = Maths(
    cos=np.cos,
    sin=np.sin,
    exp=np.exp,
    sqrt=np.sqrt,
    absolute=np.abs,
    floor=np.floor,
    maximum=np.maximum,
    minimum=np.minimum,
    where=np.where,
    units=units,
)
"""The formulas' functions over numpy arrays."""


QUARTERS_A_DAY = DAY // QUARTER
KNOTS_A_DAY = DAY // CLOUD_KNOT
QUARTERS_A_KNOT = CLOUD_KNOT // QUARTER
_IN_DAY = np.arange(QUARTERS_A_DAY, dtype=np.int64)
_MIDDLE_MINUTES = (_IN_DAY * QUARTER + QUARTER / 2) / 60.0
"""Minutes into its UTC day of each quarter's midpoint."""
_ANGLE_IN_DAY = np.radians(_MIDDLE_MINUTES / 4.0)
_EASED = ease((_IN_DAY % QUARTERS_A_KNOT * QUARTER + QUARTER / 2.0) / CLOUD_KNOT)
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
    # The sun's path is set by the day of the year alone: each of at most 366 is worked out once
    # and its row given to every year's same day (the same operations, so the same values).
    year_days, which = np.unique(_day_of_year(days), return_inverse=True)
    clear: Floats = _clear_by_day_of_year(sky, year_days)[which]
    memo[(id(sky), "clear")] = clear
    return clear


def _clear_by_day_of_year(sky: Sky, year_days: Ints) -> Floats:
    """``_clear``'s rows for days of the year ``year_days`` (1 to 366)."""
    declination, equation_of_time = solar_day_terms(year_days, cos=np.cos, sin=np.sin)
    sin_decl, cos_decl = np.sin(declination), np.cos(declination)
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
    clear[up] = clear_sky(lit, ARRAYS)
    return clear


def _cloud(sky: Sky, days: Ints) -> Floats:
    """``Sky.cloud`` at each quarter's midpoint of ``days``, a (days, 96) grid."""
    knots = days[:, None] * KNOTS_A_DAY + np.arange(KNOTS_A_DAY + 1, dtype=np.int64)
    draws = units(sky.seed, sky.key, knots.ravel())
    values = knot_clearness(draws, ARRAYS).reshape(len(days), KNOTS_A_DAY + 1)
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
        energy = np.zeros(shape)
        energy[lit] = signal.energy(numbers, light[lit], ARRAYS)
        return energy
    if isinstance(signal, ModeledEnergy):
        if signal.measured_weather:
            light = _ghi(signal.sky, days, memo)
        else:
            light = _clear(signal.sky, days, memo) * TYPICAL_CLEARNESS
        result: Floats = np.where(light == 0.0, 0.0, signal.energy(light, ARRAYS))
        return result
    if isinstance(signal, LoadEnergy):
        result = signal.energy(quarters_of(days), ARRAYS)
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
        result = signal.at(_middles(days), ARRAYS)
        return result
    if isinstance(signal, Electrical):
        return _electrical(signal, days, memo)
    # A signal without an array form: one quarter at a time, as the scalar path does.
    values = [signal.quarter(int(q), {}) for q in quarters_of(days).ravel()]
    return np.array(values, dtype=np.float64).reshape(shape)


def _electrical(signal: Electrical, days: Ints, memo: GridMemo) -> Floats:
    """Each quarter's formula of its mean power and noise, over the grid at once (every
    formula of ``signals`` takes ``xp``)."""
    power = day_grid(signal.power, days, memo)
    noise = units(signal.seed, signal.key, quarters_of(days))
    values = signal.formula(power, noise, ARRAYS)
    return np.broadcast_to(values, power.shape).astype(np.float64)
