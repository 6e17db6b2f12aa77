"""Deterministic, physically plausible time series.

Every value is a pure function of (seed, series key, timestamp): nothing is materialised ahead
of time, a request for N points costs O(N), and the same question always gets the same answer.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, datetime
from math import floor
from typing import Any

_MASK = (1 << 64) - 1


def mix(value: int) -> int:
    """SplitMix64's finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def series_key(name: str) -> int:
    """A stable integer for a series name (Python's ``hash`` is salted per process)."""
    key = 0xCBF29CE484222325
    for byte in name.encode("utf-8"):
        key = ((key ^ byte) * 0x100000001B3) & _MASK
    return key


def unit(seed: int, key: int, index: int) -> float:
    """A uniform number in [0, 1) for (seed, key, index)."""
    return mix(mix(seed ^ key) ^ (index & _MASK)) / 2.0**64


def value_noise(seed: int, key: int, t: float, period: float) -> float:
    """Smooth noise in [-1, 1]: random knots every ``period`` seconds, eased in between."""
    position = t / period
    knot = math.floor(position)
    fraction = position - knot
    eased = fraction * fraction * (3.0 - 2.0 * fraction)
    left = unit(seed, key, knot) * 2.0 - 1.0
    right = unit(seed, key, knot + 1) * 2.0 - 1.0
    return left + (right - left) * eased


def layered_noise(seed: int, key: int, t: float, periods: tuple[float, ...]) -> float:
    """Noise in [-1, 1] mixing slow and fast variation (each layer half the weight of the last)."""
    total = 0.0
    weight = 1.0
    weights = 0.0
    for layer, period in enumerate(periods):
        total += weight * value_noise(seed, key + layer * 0x9E37, t, period)
        weights += weight
        weight /= 2.0
    return total / weights


class LayeredNoise:
    """:func:`layered_noise` of one series (seed, key, periods), equal to it bit for bit, for
    reading many instants: each layer's hash of the series is worked out once, and each knot's
    random value once while it is remembered (a page of 15-minute samples shares its slow knots,
    and a reading "now" its knots for minutes), so an instant costs a few multiplications. The
    knots each layer last stood between are kept beside it: consecutive readings (every read of
    "now", a page in time order) mostly fall between the same two knots again."""

    __slots__ = ("_bases", "_knots", "_last", "_layers", "_periods", "_total", "_weights")

    KNOTS_KEPT = 4096
    """Knot values remembered per series (forgotten all at once beyond it)."""

    def __init__(self, seed: int, key: int, periods: tuple[float, ...]) -> None:
        bases = tuple(mix(seed ^ (key + layer * 0x9E37)) for layer in range(len(periods)))
        weights = []
        weight = 1.0
        for _ in periods:
            weights.append(weight)
            weight /= 2.0
        self._setup(bases, periods, tuple(weights))

    def _setup(
        self, bases: tuple[int, ...], periods: tuple[float, ...], weights: tuple[float, ...]
    ) -> None:
        self._bases = bases
        self._periods = periods
        self._weights = weights
        total = 0.0
        for weight in weights:  # summed in the order :func:`layered_noise` sums them
            total += weight
        self._total = total
        self._layers = tuple(zip(range(len(periods)), periods, weights, strict=True))
        """Per layer: its number, period and weight, as :meth:`at` walks them."""
        self._knots: dict[tuple[int, int], float] = {}
        self._last: list[tuple[int, float, float]] = [(-1, 0.0, 0.0)] * len(periods)
        """Per layer: the knot a reading last fell after, its value and the next knot's."""

    def _knot(self, layer: int, index: int) -> float:
        """``unit(seed, key + layer * 0x9E37, index) * 2 - 1``, remembered."""
        knots = self._knots
        found = knots.get((layer, index))
        if found is None:
            if len(knots) >= self.KNOTS_KEPT:
                knots.clear()
            found = mix(self._bases[layer] ^ (index & _MASK)) / 2.0**64 * 2.0 - 1.0
            knots[(layer, index)] = found
        return found

    def at(self, t: float) -> float:
        total = 0.0
        last = self._last
        for layer, period, weight in self._layers:
            position = t / period
            knot = floor(position)
            fraction = position - knot
            eased = fraction * fraction * (3.0 - 2.0 * fraction)
            held, left, right = last[layer]
            if held != knot or knot < 0:
                left = self._knot(layer, knot)
                right = self._knot(layer, knot + 1)
                last[layer] = (knot, left, right)
            total += weight * (left + (right - left) * eased)
        return total / self._total

    def __reduce__(self) -> tuple[object, ...]:
        # The remembered knots are not worth a snapshot's bytes.
        return (_rebuilt_noise, (self._bases, self._periods, self._weights))


def _rebuilt_noise(
    bases: tuple[int, ...], periods: tuple[float, ...], weights: tuple[float, ...]
) -> LayeredNoise:
    noise = LayeredNoise.__new__(LayeredNoise)
    noise._setup(bases, periods, weights)
    return noise


def daily_cycle(t: float, utc_offset_hours: float, peak_hour: float) -> float:
    """A 24-hour cosine in [-1, 1] peaking at ``peak_hour`` local time."""
    local_hours = (t / 3600.0 + utc_offset_hours) % 24.0
    return math.cos(2.0 * math.pi * (local_hours - peak_hour) / 24.0)


def solar_day_terms(
    day_of_year: Any,
    hours: float = 12.0,
    cos: Callable[[Any], Any] = math.cos,
    sin: Callable[[Any], Any] = math.sin,
) -> tuple[Any, Any]:
    """(declination in radians, equation of time in minutes) at ``hours`` UTC of a day of the
    year (1-based), NOAA's series. At the default noon they hold for the whole day closely
    enough to be worked out once per day. With numpy's ``cos`` and ``sin``, ``day_of_year``
    may be an array of days (Locus' day grids)."""
    gamma = 2.0 * math.pi / 365.0 * (day_of_year - 1 + (hours - 12.0) / 24.0)
    declination = (
        0.006918
        - 0.399912 * cos(gamma)
        + 0.070257 * sin(gamma)
        - 0.006758 * cos(2 * gamma)
        + 0.000907 * sin(2 * gamma)
        - 0.002697 * cos(3 * gamma)
        + 0.00148 * sin(3 * gamma)
    )
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * cos(gamma)
        - 0.032077 * sin(gamma)
        - 0.014615 * cos(2 * gamma)
        - 0.040849 * sin(2 * gamma)
    )
    return declination, equation_of_time


def solar_elevation(latitude: float, longitude: float, t: float) -> float:
    """The sun's elevation in degrees (NOAA's approximation, good to a fraction of a degree)."""
    moment = datetime.fromtimestamp(t, tz=UTC)
    hours = moment.hour + moment.minute / 60.0 + moment.second / 3600.0
    declination, equation_of_time = solar_day_terms(moment.timetuple().tm_yday, hours)
    true_solar_minutes = hours * 60.0 + equation_of_time + 4.0 * longitude
    hour_angle = math.radians(true_solar_minutes / 4.0 - 180.0)
    lat = math.radians(latitude)
    cos_zenith = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(hour_angle)
    return math.degrees(math.asin(max(-1.0, min(1.0, cos_zenith))))


def clear_sky_irradiance(latitude: float, longitude: float, t: float) -> float:
    """Global horizontal irradiance under a clear sky, W/m²; zero while the sun is down."""
    elevation = solar_elevation(latitude, longitude, t)
    if elevation <= 0.0:
        return 0.0
    return (
        1098.0
        * math.sin(math.radians(elevation))
        * math.exp(-0.057 / math.sin(math.radians(elevation)))
    )


AVAILABILITY_BLOCK = 100
"""Hours in a block of :class:`Availability`: each aligned block of this many hours misses the
same number of them."""
_BLOCKS_REMEMBERED = 4096


class Availability:
    """Which hours a source reported in, from ``first_hour`` on, with a few gaps.

    A ``missing_fraction`` of the hours are missing (a device out of range, a logger offline):
    exactly ``round(missing_fraction * 100)`` of every block of 100 hours counted from the
    epoch's first hour, at positions drawn from the seed and the block. So a count over whole
    blocks is a multiplication, and any count, or the minute of the n-th reading, costs at most
    two blocks' worth of work however far the range reaches: nothing grows with the source's
    age.
    """

    def __init__(self, seed: int, key: int, first_hour: int, missing_fraction: float) -> None:
        if not 0.0 <= missing_fraction <= 1.0:
            raise ValueError("missing_fraction must be between 0 and 1")
        self._seed = seed
        self._key = key
        self.first_hour = first_hour
        self._missing = round(missing_fraction * AVAILABILITY_BLOCK)
        self._kept = AVAILABILITY_BLOCK - self._missing
        self._gaps: dict[int, tuple[int, ...]] = {}
        """The missing positions of the blocks already asked about, ascending."""

    def gaps(self, block: int) -> tuple[int, ...]:
        """The positions (0 to 99) of the hours missing in ``block``, ascending."""
        found = self._gaps.get(block)
        if found is not None:
            return found
        chosen: set[int] = set()
        key = self._key ^ mix(block & _MASK)
        draw = 0
        while len(chosen) < self._missing:
            chosen.add(int(unit(self._seed, key, draw) * AVAILABILITY_BLOCK))
            draw += 1
        if len(self._gaps) >= _BLOCKS_REMEMBERED:
            self._gaps.clear()
        found = self._gaps[block] = tuple(sorted(chosen))
        return found

    def present(self, hour: int) -> bool:
        if hour < self.first_hour:
            return False
        return hour % AVAILABILITY_BLOCK not in self.gaps(hour // AVAILABILITY_BLOCK)

    def _present_in_block(self, block: int, low: int, high: int) -> int:
        """Present hours of positions [low, high) of ``block`` (hours before the first
        included)."""
        low = max(low, self.first_hour - block * AVAILABILITY_BLOCK)
        if high <= low:
            return 0
        gaps = self.gaps(block)
        return high - low - (bisect_left(gaps, high) - bisect_left(gaps, low))

    def hours_between(self, first: int, last: int) -> int:
        """How many present hours lie in [first, last)."""
        first = max(first, self.first_hour)
        if last <= first:
            return 0
        head, tail = first // AVAILABILITY_BLOCK, (last - 1) // AVAILABILITY_BLOCK
        low, high = first - head * AVAILABILITY_BLOCK, last - tail * AVAILABILITY_BLOCK
        if head == tail:
            return self._present_in_block(head, low, high)
        return (
            self._present_in_block(head, low, AVAILABILITY_BLOCK)
            + (tail - head - 1) * self._kept
            + self._present_in_block(tail, 0, high)
        )

    def hours_before(self, hour: int) -> int:
        """How many present hours lie in [first_hour, hour)."""
        return self.hours_between(self.first_hour, hour)

    def nth_hour(self, first: int, n: int) -> int:
        """The ``n``-th present hour (0-based) at or after ``first``."""
        hour = max(first, self.first_hour)
        block = hour // AVAILABILITY_BLOCK
        head = self._present_in_block(block, hour - block * AVAILABILITY_BLOCK, AVAILABILITY_BLOCK)
        if n >= head:
            if not self._kept:
                raise ValueError("no hour is ever present")
            n -= head
            block += 1 + n // self._kept
            n %= self._kept
            hour = block * AVAILABILITY_BLOCK
        while True:  # within one block: at most 100 steps
            if self.present(hour):
                if n == 0:
                    return hour
                n -= 1
            hour += 1

    def count_minutes(self, start_minute: int, end_minute: int) -> int:
        """Readings (one per minute of a present hour) in [start_minute, end_minute)."""
        if end_minute <= start_minute:
            return 0
        first_full = -(-start_minute // 60)
        last_full = end_minute // 60
        if first_full > last_full:
            return (end_minute - start_minute) if self.present(start_minute // 60) else 0
        count = self.hours_between(first_full, last_full) * 60
        if start_minute % 60 and self.present(start_minute // 60):
            count += first_full * 60 - start_minute
        if end_minute % 60 and self.present(last_full):
            count += end_minute - last_full * 60
        return count

    def nth_minute(self, start_minute: int, end_minute: int, n: int) -> int:
        """The minute of the ``n``-th reading (0-based) in [start_minute, end_minute)."""
        head_hour = start_minute // 60
        if self.present(head_hour):
            head = min(end_minute, (head_hour + 1) * 60) - start_minute
            if n < head:
                return start_minute + n
            n -= head
        return self.nth_hour(head_hour + 1, n // 60) * 60 + n % 60
