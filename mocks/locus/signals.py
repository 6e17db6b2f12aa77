"""What a Locus device measures, as signals over quarter-hours and their minutes.

A signal is either *summed* (an amount per interval: Wh, Wh/m²) or a *level* (a mean over the
interval: W, V, °C). Every signal answers for a whole quarter-hour and for each of its 15
minutes, and the minutes always add up to the quarter (amounts) or average to it (levels), so
any interval's answer is the same whether it is built from minutes or from quarter-hours:
energy is the integral of power, and coarse sums are the sums of finer ones.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from standin._core.maths import SCALAR, Maths, Value
from standin._core.timeseries import unit
from standin.locus.sky import MINUTE, QUARTER, TYPICAL_CLEARNESS, Sky

Memo = dict[tuple[int, int], object]
"""Values already worked out for the quarter being aggregated, keyed by (signal id, kind)."""

_Q = 0
_M = 1


class Formula(Protocol):
    """An electrical quantity of a mean power and a noise draw in [0, 1): of one quarter or
    minute, or (``xp``: ``standin._core.maths``) of arrays of them."""

    __qualname__: str

    def __call__(self, power: Value, noise: Value, xp: Maths = SCALAR) -> Value: ...


class Signal(ABC):
    summed: bool
    cache_key: tuple[object, ...]
    """What the signal is, for caching whole days of it across requests (past data never
    changes)."""

    @abstractmethod
    def _quarter(self, quarter: int, memo: Memo) -> float: ...

    @abstractmethod
    def _minutes(self, quarter: int, memo: Memo) -> list[float]: ...

    def quarter(self, quarter: int, memo: Memo) -> float:
        key = (id(self), _Q)
        found = memo.get(key)
        if found is None:
            found = self._quarter(quarter, memo)
            memo[key] = found
        assert isinstance(found, float)
        return found

    def minutes(self, quarter: int, memo: Memo) -> list[float]:
        key = (id(self), _M)
        found = memo.get(key)
        if found is None:
            found = self._minutes(quarter, memo)
            memo[key] = found
        assert isinstance(found, list)
        return found


# --- energy ------------------------------------------------------------------------------------


class InverterEnergy(Signal):
    """AC energy of one inverter: its DC array under the site's sky, clipped at its AC rating."""

    summed = True

    def __init__(self, sky: Sky, seed: int, key: int, dc_w: float, ac_w: float) -> None:
        self.sky, self.seed, self.key, self.dc_w, self.ac_w = sky, seed, key, dc_w, ac_w
        self.performance = 0.84 + 0.04 * unit(seed, key, -1)
        self.cache_key = ("inverter", sky.identity, seed, key, dc_w, ac_w)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        ghi = self.sky.ghi_quarter(quarter)
        if ghi == 0.0:
            return 0.0
        return float(self.energy(quarter, ghi))

    def energy(self, quarter: Value, ghi: Value, xp: Maths = SCALAR) -> Value:
        """The energy of quarters ``quarter`` under irradiance ``ghi`` (lit quarters only: a
        dark one makes none, and its wobble is not drawn)."""
        wobble = 0.98 + 0.04 * xp.units(self.seed, self.key, quarter)
        power = xp.minimum(self.dc_w * ghi / 1000.0 * self.performance * wobble, self.ac_w)
        return power * QUARTER / 3600.0

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        energy = self.quarter(quarter, memo)
        return [energy * share for share in self.sky.minute_shares(quarter, self.key)]


class ModeledEnergy(Signal):
    """The PV model's AC energy for a set of arrays (``W_m``/``Wh_m``, ``Wh_e``)."""

    summed = True

    def __init__(
        self,
        sky: Sky,
        arrays: Sequence[tuple[float, float]],
        *,
        measured_weather: bool,
        single_diode: bool,
        clipping: bool,
    ) -> None:
        self.sky = sky
        self.arrays = tuple(arrays)
        self.measured_weather = measured_weather
        self.performance = 0.845 if single_diode else 0.86
        self.clipping = clipping
        self.cache_key = (
            "modeled",
            sky.identity,
            self.arrays,
            measured_weather,
            single_diode,
            clipping,
        )

    def _quarter(self, quarter: int, memo: Memo) -> float:
        middle = quarter * QUARTER + QUARTER / 2
        if self.measured_weather:
            ghi = self.sky.ghi_quarter(quarter)
        else:
            ghi = self.sky.clear(middle) * TYPICAL_CLEARNESS
        if ghi == 0.0:
            return 0.0
        return float(self.energy(ghi))

    def energy(self, ghi: Value, xp: Maths = SCALAR) -> Value:
        """The energy of quarters under irradiance ``ghi``."""
        total = 0.0
        for dc_w, ac_w in self.arrays:
            power = dc_w * ghi / 1000.0 * self.performance
            total = total + (xp.minimum(power, ac_w) if self.clipping else power)
        return total * QUARTER / 3600.0

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        energy = self.quarter(quarter, memo)
        return [energy * share for share in self.sky.minute_shares(quarter, 0)]


class LoadEnergy(Signal):
    """A building's consumption: a base load with a mid-afternoon hump."""

    summed = True

    def __init__(self, seed: int, key: int, load_w: float, longitude: float) -> None:
        self.seed, self.key, self.load_w = seed, key, load_w
        self.solar_offset_hours = longitude / 15.0
        self.cache_key = ("load", seed, key, load_w, longitude)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        return float(self.energy(quarter))

    def energy(self, quarter: Value, xp: Maths = SCALAR) -> Value:
        """The energy of quarter (or quarters) ``quarter``."""
        middle = quarter * QUARTER + QUARTER / 2
        local_hours = (middle / 3600.0 + self.solar_offset_hours) % 24.0
        hump = xp.maximum(0.0, xp.cos(2.0 * math.pi * (local_hours - 14.0) / 24.0))
        level = self.load_w * (0.5 + 0.4 * hump + 0.1 * xp.units(self.seed, self.key, quarter))
        return level * QUARTER / 3600.0

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        energy = self.quarter(quarter, memo)
        weights = [
            0.95 + 0.1 * unit(self.seed, self.key ^ 0x5A5A, quarter * 15 + i) for i in range(15)
        ]
        total = sum(weights)
        return [energy * weight / total for weight in weights]


class Total(Signal):
    summed = True

    def __init__(self, parts: Sequence[Signal], negate: Sequence[Signal] = ()) -> None:
        self.parts = tuple(parts)
        self.negate = tuple(negate)
        self.cache_key = (
            "total",
            tuple(p.cache_key for p in self.parts),
            tuple(n.cache_key for n in self.negate),
        )

    def _quarter(self, quarter: int, memo: Memo) -> float:
        return sum(p.quarter(quarter, memo) for p in self.parts) - sum(
            n.quarter(quarter, memo) for n in self.negate
        )

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        totals = [0.0] * 15
        for part, sign in [(p, 1.0) for p in self.parts] + [(n, -1.0) for n in self.negate]:
            for i, value in enumerate(part.minutes(quarter, memo)):
                totals[i] += sign * value
        return totals


# --- levels ------------------------------------------------------------------------------------


class Power(Signal):
    """Mean power (W) of an energy signal (Wh): energy divided by the interval's hours."""

    summed = False

    def __init__(self, energy: Signal) -> None:
        self.energy = energy
        self.cache_key = ("power", energy.cache_key)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        return self.energy.quarter(quarter, memo) * 3600.0 / QUARTER

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        return [value * 3600.0 / MINUTE for value in self.energy.minutes(quarter, memo)]


class Irradiance(Signal):
    """Global horizontal irradiance, W/m²: the site's sky, measured or typical (TMY3)."""

    summed = False

    def __init__(self, sky: Sky, *, typical: bool = False, sensor_key: int = 0) -> None:
        self.sky, self.typical, self.sensor_key = sky, typical, sensor_key
        self.cache_key = ("irradiance", sky.identity, typical, sensor_key)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        if self.typical:
            return self.sky.clear(quarter * QUARTER + QUARTER / 2) * TYPICAL_CLEARNESS
        return self.sky.ghi_quarter(quarter)

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        level = self.quarter(quarter, memo)
        return [level * 15 * share for share in self.sky.minute_shares(quarter, self.sensor_key)]


class Insolation(Signal):
    """Irradiance summed over time, Wh/m²."""

    summed = True

    def __init__(self, irradiance: Signal) -> None:
        self.irradiance = irradiance
        self.cache_key = ("insolation", irradiance.cache_key)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        return self.irradiance.quarter(quarter, memo) * QUARTER / 3600.0

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        return [value * MINUTE / 3600.0 for value in self.irradiance.minutes(quarter, memo)]


class AmbientTemperature(Signal):
    """°C: a seasonal swing, a daily swing peaking mid-afternoon, and slow weather noise."""

    summed = False

    def __init__(self, seed: int, key: int, latitude: float, longitude: float) -> None:
        self.seed, self.key = seed, key
        self.mean = 27.0 - abs(latitude) * 0.3
        self.southern = latitude < 0
        self.solar_offset_hours = longitude / 15.0
        self.cache_key = ("temperature", seed, key, latitude, longitude)

    def at(self, t: Value, xp: Maths = SCALAR) -> Value:
        """The temperature at instant (or instants) ``t``."""
        season = xp.cos(2.0 * math.pi * ((t / 86400.0 - 196.0) / 365.25))
        if self.southern:
            season = -season
        local_hours = (t / 3600.0 + self.solar_offset_hours) % 24.0
        daily = xp.cos(2.0 * math.pi * (local_hours - 15.0) / 24.0)
        knot = t / 21600.0
        floor = xp.floor(knot)
        left = xp.units(self.seed, self.key, floor)
        right = xp.units(self.seed, self.key, floor + 1)
        noise = left + (right - left) * (knot - floor)
        return self.mean + 9.0 * season + 5.0 * daily + 3.0 * (noise - 0.5)

    def _quarter(self, quarter: int, memo: Memo) -> float:
        return float(self.at(quarter * QUARTER + QUARTER / 2))

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        first = quarter * 15
        values = [self.at(m * MINUTE + MINUTE / 2) for m in range(first, first + 15)]
        shift = self.quarter(quarter, memo) - sum(values) / 15
        return [value + shift for value in values]


class Electrical(Signal):
    """A quantity that follows from AC power at each sample (current, voltage, power factor...).

    Not exactly consistent across granularities for non-linear quantities (see ``_minutes``).
    """

    summed = False

    def __init__(self, power: Signal, seed: int, key: int, formula: Formula) -> None:
        self.power, self.seed, self.key, self.formula = power, seed, key, formula
        self.cache_key = (
            "electrical",
            power.cache_key,
            seed,
            key,
            formula.__qualname__,
            id(formula),
        )

    def _quarter(self, quarter: int, memo: Memo) -> float:
        power = self.power.quarter(quarter, memo)
        return float(self.formula(power, unit(self.seed, self.key, quarter)))

    def _minutes(self, quarter: int, memo: Memo) -> list[float]:
        # From each minute's own power: a quarter's value comes from its mean power instead, so
        # non-linear quantities (power factor, apparent power) differ slightly between the two,
        # as a meter's 1-minute and 15-minute registers do. Linear ones (the phases) agree.
        powers = self.power.minutes(quarter, memo)
        first = quarter * 15
        return [
            self.formula(p, unit(self.seed, self.key ^ 0x3C3C, first + i))
            for i, p in enumerate(powers)
        ]


NOMINAL_PHASE_VOLTS = 277.0

# The electrical formulas: of a quarter's (or a minute's) mean power and its noise, or of
# arrays of them (``xp``: see standin._core.maths).


def phase_volts(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return NOMINAL_PHASE_VOLTS * (0.99 + 0.02 * noise)


def line_volts(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return phase_volts(power, noise, xp) * math.sqrt(3.0)


def frequency(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return 60.0 + 0.04 * (noise - 0.5)


def power_factor(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return xp.where(power <= 0.0, 1.0, 0.97 + 0.03 * noise)


def apparent_power(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return xp.absolute(power) / power_factor(power, noise, xp)


def reactive_power(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    apparent = apparent_power(power, noise, xp)
    return xp.sqrt(xp.maximum(0.0, apparent * apparent - power * power))


def current(power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
    return apparent_power(power, noise, xp) / (math.sqrt(3.0) * line_volts(power, noise, xp))


class PhaseShare:
    """Power on phase A, B or C (0, 1, 2): a third each, slightly unbalanced, always adding up
    to W."""

    def __init__(self, phase: int) -> None:
        self.phase = phase
        self.__qualname__ = f"phase_share({phase})"

    def __call__(self, power: Value, noise: Value, xp: Maths = SCALAR) -> Value:
        imbalance = 0.01 * (noise - 0.5)
        return power * (1.0 / 3.0 + (imbalance, -imbalance, 0.0)[self.phase])


def phase_share(phase: int) -> PhaseShare:
    return PhaseShare(phase)
