"""The sun and the weather over one site: clear-sky irradiance thinned by passing cloud.

The sun's position is NOAA's approximation (as in ``standin._core.timeseries``), with the
declination and equation of time worked out once per UTC day, so a year of quarter-hours costs
a fraction of a second. Clouds are smooth noise with knots every three hours, the same for
every device on the site.
"""

from __future__ import annotations

import math

from standin._core.maths import SCALAR, Maths, Value
from standin._core.timeseries import solar_day_terms, unit

QUARTER = 900
MINUTE = 60
DAY = 86400
CLOUD_KNOT = 3 * 3600
TYPICAL_CLEARNESS = 0.8
"""TMY3-style typical weather: the long-run mean of the cloud factor, as a constant."""
_MEMO_LIMIT = 8192


def clear_sky(sin_elevation: Value, xp: Maths = SCALAR) -> Value:
    """Clear-sky global horizontal irradiance, W/m², with the sun up at ``sin_elevation``
    (positive)."""
    return 1098.0 * sin_elevation * xp.exp(-0.057 / sin_elevation)


def knot_clearness(draw: Value, xp: Maths = SCALAR) -> Value:
    """The share of clear sky reaching the ground at a cloud knot whose random draw (in
    [0, 1)) is ``draw``."""
    return 1.0 - 0.75 * xp.maximum(0.0, draw * 1.7 - 0.7)


def ease(fraction: Value) -> Value:
    """Smoothstep: how far between two knots a point ``fraction`` of the way counts."""
    return fraction * fraction * (3.0 - 2.0 * fraction)


class Sky:
    def __init__(self, seed: int, key: int, latitude: float, longitude: float) -> None:
        self.seed = seed
        self.key = key
        self.latitude = latitude
        self.longitude = longitude
        self._sin_lat = math.sin(math.radians(latitude))
        self._cos_lat = math.cos(math.radians(latitude))
        self._days: dict[int, tuple[float, float, float]] = {}
        self._knots: dict[int, float] = {}
        self._last_quarter: tuple[int, float] = (-(2**62), 0.0)
        self.identity = (seed, key, latitude, longitude)

    def _day(self, day: int) -> tuple[float, float, float]:
        """(sin declination, cos declination, equation of time in minutes) for a UTC day."""
        found = self._days.get(day)
        if found is None:
            declination, equation_of_time = solar_day_terms(_day_of_year(day))
            if len(self._days) > _MEMO_LIMIT:
                self._days.clear()
            found = (math.sin(declination), math.cos(declination), equation_of_time)
            self._days[day] = found
        return found

    def sin_elevation(self, t: float) -> float:
        day = math.floor(t / DAY)
        sin_decl, cos_decl, equation_of_time = self._day(day)
        minutes = (t - day * DAY) / 60.0
        true_solar_minutes = minutes + equation_of_time + 4.0 * self.longitude
        hour_angle = math.radians(true_solar_minutes / 4.0 - 180.0)
        return self._sin_lat * sin_decl + self._cos_lat * cos_decl * math.cos(hour_angle)

    def clear(self, t: float) -> float:
        """Clear-sky global horizontal irradiance at instant ``t``, W/m²; zero at night."""
        sin_elevation = self.sin_elevation(t)
        if sin_elevation <= 0.0:
            return 0.0
        return float(clear_sky(sin_elevation))

    def cloud(self, t: float) -> float:
        """The share of clear-sky irradiance reaching the ground, in [0.25, 1]."""
        position = t / CLOUD_KNOT
        knot = math.floor(position)
        eased = float(ease(position - knot))
        left = self._knot(knot)
        return left + (self._knot(knot + 1) - left) * eased

    def _knot(self, knot: int) -> float:
        found = self._knots.get(knot)
        if found is None:
            found = float(knot_clearness(unit(self.seed, self.key, knot)))
            if len(self._knots) > _MEMO_LIMIT:
                self._knots.clear()
            self._knots[knot] = found
        return found

    def ghi_quarter(self, quarter: int) -> float:
        """Mean irradiance over a quarter-hour, W/m² (the sky at its midpoint)."""
        last, value = self._last_quarter
        if last == quarter:
            return value
        middle = quarter * QUARTER + QUARTER / 2
        clear = self.clear(middle)
        value = 0.0 if clear == 0.0 else clear * self.cloud(middle)
        self._last_quarter = (quarter, value)
        return value

    def minute_shares(self, quarter: int, noise_key: int) -> list[float]:
        """How a quarter-hour's energy splits over its 15 minutes (sums to 1, or all zeros).

        Each minute weighs by the clear sky at its midpoint, so a minute of night gets none. The
        quarter's midpoint is its 8th minute's, so a quarter with light has a minute with light.
        """
        first = quarter * 15
        weights = [
            self.clear(minute * MINUTE + MINUTE / 2)
            * (0.9 + 0.2 * unit(self.seed, noise_key, minute))
            for minute in range(first, first + 15)
        ]
        total = sum(weights)
        if total == 0.0:
            return weights
        return [weight / total for weight in weights]


def _day_of_year(day: int) -> int:
    """Day of the year (1-based) of ``day`` days after 1970-01-01."""
    # Civil-from-days (Howard Hinnant), to avoid a datetime per call.
    z = day + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    year = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    if month <= 2:
        year += 1
    day_of_month = doy - (153 * mp + 2) // 5 + 1
    cumulative = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return cumulative[month - 1] + day_of_month + (1 if leap and month > 2 else 0)
