"""Meter time series: readings pushed through a gateway, generated readings for meters that
were never pushed to, and aggregation to the API's resolutions."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from standin._core.rowkept import RowChanges
from standin._core.timeseries import layered_noise, series_key
from standin.atrius.models import Meter
from standin.atrius.units import Unit, convert, unit, units_for

Resolution = Literal["live", "quarterhour", "hour", "day", "month"]
RESOLUTIONS: tuple[Resolution, ...] = ("live", "quarterhour", "hour", "day", "month")
GENERATED_STEP = 900
"""Generated readings come every 15 minutes, as a typical gateway pushes them."""
GENERATED_FROM = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY


class PushedReadings:
    """One meter's pushed readings, in its storage unit, one value per timestamp.

    Kept in rows (:mod:`standin._core.rowkept`): one per reading, numbered by its timestamp,
    so a push costs the readings it sent, not the 100,000 a meter may hold."""

    kept_in_rows: ClassVar[bool] = True
    _marks: set[int] | None = None
    """Timestamps pushed since the changes were last taken, while followed."""

    def __init__(self) -> None:
        self._times: list[int] = []
        self._values: dict[int, float] = {}

    def put(self, timestamp: int, value: float) -> None:
        """Store a reading; the same timestamp again replaces the value."""
        if timestamp not in self._values:
            position = bisect_left(self._times, timestamp)
            self._times.insert(position, timestamp)
        self._values[timestamp] = value
        if self._marks is not None:
            self._marks.add(timestamp)

    # --- kept in rows -------------------------------------------------------------------------

    def follow(self) -> None:
        self._marks = set()

    def take_row_changes(self) -> RowChanges:
        if self._marks is None:
            raise RuntimeError("only followed readings remember their changes")
        values = self._values
        changes = RowChanges(put={t: values[t] for t in self._marks})
        self._marks = set()
        return changes

    def row_payloads(self) -> list[tuple[int, object]]:
        return list(self._values.items())

    def row_header(self) -> tuple[Any, ...]:
        return ()

    @classmethod
    def from_rows(cls, header: tuple[Any, ...], rows: list[tuple[int, object]]) -> Any:
        found = cls()
        found._values = {t: float(value) for t, value in rows}  # type: ignore[arg-type]
        found._times = sorted(found._values)
        found.follow()
        return found

    @staticmethod
    def row_record(payload: object) -> object | None:
        return None

    def __getstate__(self) -> dict[str, Any]:
        """A copy or a plain pickle does not follow it."""
        return {"_times": self._times, "_values": self._values}

    def __contains__(self, timestamp: object) -> bool:
        return timestamp in self._values

    def between(self, start: int, end: int) -> list[tuple[int, float]]:
        """Readings with start <= t < end, oldest first."""
        low, high = bisect_left(self._times, start), bisect_left(self._times, end)
        return [(t, self._values[t]) for t in self._times[low:high]]

    def last_before(self, moment: int) -> tuple[int, float] | None:
        position = bisect_left(self._times, moment)
        if position == 0:
            return None
        t = self._times[position - 1]
        return t, self._values[t]

    def window(self, start: int, end: int) -> PushedReadings:
        """A copy holding what an answer over [start, end) reads: the readings in it, the last
        one before it (a cumulative meter's baseline) and the first after it (so a meter with
        readings never looks like one without). Taken on the event loop, it costs a fraction
        of a millisecond for a year of quarter hours; the copy is the work's own, whatever is
        pushed meanwhile (its values may hold more than its times: only these are read)."""
        times = self._times
        low = max(bisect_left(times, start) - 1, 0)
        high = bisect_left(times, end) + 1
        copy = PushedReadings()
        copy._times = times[low:high]
        values = self._values
        # Copying the whole dict runs in C at about a tenth of the cost per item of picking
        # the slice's items one by one: the cheaper of the two.
        if 10 * len(copy._times) >= len(times):
            copy._values = values.copy()
        else:
            copy._values = {t: values[t] for t in copy._times}
        return copy

    def __len__(self) -> int:
        return len(self._times)


@dataclass(frozen=True)
class Profile:
    """How a generated meter behaves, in the base unit of its dimension."""

    level: float
    """Mean rate per hour (accumulating dimensions) or mean value (others)."""
    daily: float
    weekly: float


PROFILES: dict[tuple[str, str], Profile] = {
    ("electricity", "energy"): Profile(150.0, 0.35, 0.10),
    ("electricity", "power"): Profile(150.0, 0.35, 0.10),
    ("gas", "volume"): Profile(6.0, 0.30, 0.05),
    ("gas", "energy"): Profile(6.0, 0.30, 0.05),
    ("water", "volume"): Profile(320.0, 0.45, 0.10),
    ("water", "flow"): Profile(5.5, 0.45, 0.10),
    ("steam", "mass"): Profile(850.0, 0.25, 0.05),
    ("steam", "energy"): Profile(850.0, 0.25, 0.05),
    ("temperature", "temperature"): Profile(70.0, 0.025, 0.0),
}
ACCUMULATING = frozenset({"energy", "volume", "mass"})


class ZoneOffsets:
    """A time zone's UTC offset (hours) at each instant of [start, end): the offset at
    ``start`` and every change after it (daylight saving time), found by looking each week and
    narrowing a change down to its second. Two changes within one week that undo each other
    would be missed; no zone's rules make such a pair."""

    def __init__(self, zone: ZoneInfo, start: int, end: int) -> None:
        def offset(t: int) -> float:
            # The zone's offset at the instant: its wall time there, not t's UTC wall time
            # read as local (which ``zone.utcoffset`` of a UTC datetime would do).
            return (
                datetime.fromtimestamp(t, zone).utcoffset() or timedelta()
            ).total_seconds() / HOUR

        self.starts = [start]
        self.offsets = [offset(start)]
        t = start
        while t < end:
            later = min(t + int(WEEK), end)
            if offset(later) == self.offsets[-1]:
                t = later
                continue
            low, high = t, later  # the offset at low is the current one, at high not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == self.offsets[-1] else (low, middle)
            self.starts.append(high)
            self.offsets.append(offset(high))
            t = high

    def piece(self, t: float) -> int:
        """Which stretch of one offset ``t`` falls in (the first for anything before it)."""
        return max(0, bisect_right(self.starts, t) - 1)

    def at(self, t: float) -> float:
        return self.offsets[self.piece(t)]


class GeneratedSeries:
    """Deterministic readings of a meter nobody pushed to, in the base unit of its dimension.

    Accumulating meters (energy, volume, mass) follow a rate with a daily and weekly shape; their
    cumulative counter is its exact integral, so consumption over any interval is consistent at
    every resolution. Other meters (power, flow, temperature) are that shape plus noise. The
    daily shape follows the building's local clock at each reading (``offsets``), across
    daylight saving changes too, so a reading does not depend on the range it is asked in.
    """

    def __init__(self, meter: Meter, base: Unit, offsets: ZoneOffsets) -> None:
        self.meter = meter
        self.base = base
        self.profile = PROFILES[(meter.resource_type, base.dimension)]
        self.seed = series_key(meter.uuid)
        self.offsets = offsets
        self.accumulating = base.dimension in ACCUMULATING
        # The daily term's antiderivative jumps where the offset changes: what each change
        # adds keeps the integral continuous (summed from the first stretch on).
        self._carried = [0.0]
        for start, before, after in zip(
            offsets.starts[1:], offsets.offsets, offsets.offsets[1:], strict=False
        ):
            jump = self._daily_integral(start, before) - self._daily_integral(start, after)
            self._carried.append(self._carried[-1] + jump)

    def _daily_integral(self, t: float, offset_hours: float) -> float:
        """An antiderivative (seconds) of daily*sin(2 pi (local hours - 9) / 24) at ``t``."""
        phase = (offset_hours - 9.0) * HOUR
        return -self.profile.daily * DAY / (2 * math.pi) * math.cos(2 * math.pi * (t + phase) / DAY)

    def _shape_integral(self, t: float) -> float:
        """Integral in hours of 1 + daily*sin(...) + weekly*sin(...) up to t seconds."""
        p = self.profile
        piece = self.offsets.piece(t)
        daily = self._daily_integral(t, self.offsets.offsets[piece]) + self._carried[piece]
        weekly = -p.weekly * WEEK / (2 * math.pi) * math.cos(2 * math.pi * t / WEEK)
        return (t + daily + weekly) / HOUR

    def counter(self, t: float) -> float:
        """The cumulative counter at ``t`` (accumulating meters)."""
        start = 10_000.0 + 90_000.0 * ((self.seed % 1000) / 1000.0)
        return start + self.profile.level * (
            self._shape_integral(t) - self._shape_integral(GENERATED_FROM)
        )

    def value(self, t: float) -> float:
        """The instantaneous value at ``t`` (power, flow, temperature meters)."""
        p = self.profile
        hours = (t / HOUR + self.offsets.at(t)) % 24.0
        shape = 1.0 + p.daily * math.sin(2 * math.pi * (hours - 9.0) / 24.0)
        shape += p.weekly * math.sin(2 * math.pi * t / WEEK)
        noise = layered_noise(self.seed, 17, t, (4 * HOUR, 3 * 900.0))
        return p.level * shape * (1.0 + 0.04 * noise)

    def reading(self, t: float) -> float:
        return self.counter(t) if self.accumulating else self.value(t)


@dataclass(frozen=True)
class DataQuery:
    first_day: date
    last_day: date
    resolution: Resolution = "hour"
    order: Literal["asc", "desc"] = "asc"


@dataclass(frozen=True)
class Row:
    start: datetime
    value: float | None


def bucket_starts(query: DataQuery, zone: ZoneInfo, resolution: Resolution) -> Iterator[datetime]:
    """Local bucket starts from the first day's midnight up to the day after the last."""
    end = datetime.combine(query.last_day + timedelta(days=1), datetime.min.time(), zone)
    current = datetime.combine(query.first_day, datetime.min.time(), zone)
    while current < end:
        yield current
        if resolution == "month":
            year, month = divmod(current.month, 12)
            current = current.replace(year=current.year + year, month=month + 1, day=1)
        elif resolution == "day":
            current = datetime.combine(
                current.date() + timedelta(days=1), datetime.min.time(), zone
            )
        else:
            step = 900 if resolution == "quarterhour" else 3600
            utc = current.astimezone(UTC) + timedelta(seconds=step)
            current = utc.astimezone(zone)


def local_range(query: DataQuery, zone: ZoneInfo) -> tuple[int, int]:
    start = datetime.combine(query.first_day, datetime.min.time(), zone)
    end = datetime.combine(query.last_day + timedelta(days=1), datetime.min.time(), zone)
    return int(start.timestamp()), int(end.timestamp())


def data_range(query: DataQuery, zone: ZoneInfo, now: float) -> tuple[DataQuery, int, int] | None:
    """The query with its days clamped to where data can be, and the UTC seconds [start, end)
    it covers; None when nothing is left."""
    # Nothing exists after the sandbox's today, and the calendar's first and last days have no
    # room for a time zone's offset: clamp the days asked for to where data can be.
    today = datetime.fromtimestamp(now, zone).date()
    first_day = max(query.first_day, date.min + timedelta(days=1))
    last_day = min(query.last_day, today + timedelta(days=1))
    if last_day < first_day:
        return None
    query = replace(query, first_day=first_day, last_day=last_day)
    start, end = local_range(query, zone)
    return query, start, min(end, math.floor(now) + 1)


def meter_rows(
    meter: Meter,
    pushed: PushedReadings | None,
    query: DataQuery,
    zone: ZoneInfo,
    now: float,
) -> list[Row]:
    """The meter's data for the query, in its display unit, oldest first."""
    found = data_range(query, zone, now)
    if found is None:
        return []
    query, start, end = found
    storage = unit(meter.resource_type, meter.storage_unit)
    display = unit(meter.resource_type, meter.display_unit)
    assert storage is not None
    assert display is not None
    if pushed is not None and len(pushed):
        rows = _pushed_rows(meter, pushed, query, zone, start, end)
        source = storage
    else:
        base = _base_unit(storage)
        generated = GeneratedSeries(meter, base, ZoneOffsets(zone, GENERATED_FROM, end))
        rows = _generated_rows(meter, generated, query, zone, max(start, GENERATED_FROM), end)
        source = base
    return [
        Row(row.start, None if row.value is None else convert(row.value, source, display))
        for row in rows
    ]


def _base_unit(storage: Unit) -> Unit:
    """The unit of the storage unit's dimension that the profiles are written in."""
    return next(
        candidate
        for candidate in units_for(storage.resource_type)
        if candidate.dimension == storage.dimension
        and candidate.factor == 1.0
        and candidate.offset == 0.0
    )


def _buckets(
    query: DataQuery, zone: ZoneInfo, start: int, end: int
) -> list[tuple[datetime, int, int]]:
    """(local start, utc start, utc end) of each bucket overlapping [start, end)."""
    starts = list(bucket_starts(query, zone, query.resolution))
    edges = [int(s.timestamp()) for s in starts]
    _, day_end = local_range(query, zone)
    edges.append(day_end)
    return [
        (starts[i], edges[i], edges[i + 1])
        for i in range(len(starts))
        if edges[i] < end and edges[i + 1] > start
    ]


def _pushed_rows(
    meter: Meter, pushed: PushedReadings, query: DataQuery, zone: ZoneInfo, start: int, end: int
) -> list[Row]:
    if query.resolution == "live":
        return [
            Row(datetime.fromtimestamp(t, zone), value) for t, value in pushed.between(start, end)
        ]
    rows: list[Row] = []
    cumulative = meter.reading_type == "cumulative"
    for local, low, high in _buckets(query, zone, start, end):
        points = pushed.between(low, high)
        if not points:
            rows.append(Row(local, None))
        elif cumulative:
            before = pushed.last_before(low)
            baseline = before[1] if before is not None else points[0][1]
            rows.append(Row(local, points[-1][1] - baseline))
        else:
            rows.append(Row(local, sum(v for _, v in points) / len(points)))
    return rows


def _generated_rows(
    meter: Meter, series: GeneratedSeries, query: DataQuery, zone: ZoneInfo, start: int, end: int
) -> list[Row]:
    if end <= start:
        return []
    first = -(-start // GENERATED_STEP) * GENERATED_STEP
    if query.resolution == "live":
        return [
            Row(datetime.fromtimestamp(t, zone), series.reading(t))
            for t in range(first, end, GENERATED_STEP)
        ]
    rows: list[Row] = []
    cumulative = meter.reading_type == "cumulative"
    for local, low, high in _buckets(query, zone, start, end):
        high = min(high, end)
        low = max(low, start)
        if cumulative and series.accumulating:
            rows.append(Row(local, series.counter(high) - series.counter(low)))
            continue
        samples = [
            series.value(t)
            for t in range(-(-low // GENERATED_STEP) * GENERATED_STEP, high, GENERATED_STEP)
        ]
        rows.append(Row(local, sum(samples) / len(samples) if samples else None))
    return rows


def ordered(rows: list[Row], order: str) -> list[Row]:
    return list(reversed(rows)) if order == "desc" else rows
