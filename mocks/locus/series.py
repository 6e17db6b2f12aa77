"""Data rows: the intervals of a request in its time zone, and each field aggregated over them.

Timestamps are leading: an interval holds what happened at or after its timestamp and before
the next one. Intervals start at granularity boundaries in the asked zone that are ``>= start``
and ``< end``; a field is aggregated over the part of its interval that has data (from the
site's first day to the last completed minute) and left out of the row when there is none.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from standin.locus.signals import Memo, Signal
from standin.locus.sky import MINUTE, QUARTER

Granularity = Literal["latest", "1min", "5min", "15min", "hourly", "daily", "monthly", "yearly"]
GRANULARITIES: tuple[Granularity, ...] = (
    "latest",
    "1min",
    "5min",
    "15min",
    "hourly",
    "daily",
    "monthly",
    "yearly",
)
FIXED_SECONDS = {"1min": 60, "5min": 300, "15min": 900, "hourly": 3600}
FINE = ("latest", "1min", "5min", "15min")
"""Granularities whose max and min are over 1-minute values; coarser ones use quarter-hours."""
Aggregation = Literal["sum", "avg", "max", "min"]


@dataclass(frozen=True)
class Interval:
    ts: datetime
    start: int
    end: int


@dataclass(frozen=True)
class Measure:
    """One requested shortName: what to aggregate and how."""

    short_name: str
    aggregation: Aggregation
    signal: Signal
    ratio_of: Signal | None = None
    """For ratios (PI_m): the denominator; ``signal`` is then the numerator (both summed)."""


def intervals(start: datetime, end: datetime, zone: ZoneInfo, gran: Granularity) -> list[Interval]:
    """The intervals with leading timestamps ``>= start`` and ``< end`` (naive, in ``zone``)."""
    return list(_walk(start, end, zone, gran))


def _walk(start: datetime, end: datetime, zone: ZoneInfo, gran: str) -> Iterator[Interval]:
    first = start.replace(tzinfo=zone)
    last = end.replace(tzinfo=zone)
    if gran in FIXED_SECONDS:
        step = FIXED_SECONDS[gran]
        if step == 3600:
            # Local hour boundaries: whole hours of wall time (half-hour zones included).
            boundary = first.replace(minute=0, second=0)
        else:
            boundary = first.replace(second=0, minute=first.minute - first.minute % (step // 60))
        moment = _epoch(boundary)
        if moment < _epoch(first):
            moment += step
        stop = _epoch(last)
        while moment < stop:
            yield Interval(_local(moment, zone), moment, moment + step)
            moment += step
        return
    day = first.date()
    if gran == "monthly":
        day = day.replace(day=1)
    elif gran == "yearly":
        day = day.replace(month=1, day=1)
    while True:
        moment = _midnight(day, zone)
        following = _next(day, gran)
        if moment >= _epoch(first):
            if moment >= _epoch(last):
                return
            yield Interval(_local(moment, zone), moment, _midnight(following, zone))
        day = following


def _next(day: date, gran: str) -> date:
    if gran == "daily":
        return day + timedelta(days=1)
    if gran == "monthly":
        return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return date(day.year + 1, 1, 1)


def _epoch(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def _local(moment: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(moment, tz=UTC).astimezone(zone)


def _midnight(day: date, zone: ZoneInfo) -> int:
    return _epoch(datetime(day.year, day.month, day.day, tzinfo=zone))


BLOCK_SECONDS = 86400
"""Whole UTC days of a signal are cached (past data never changes), so long spans are cheap
the second time they are asked for."""
BLOCK_CACHE_LIMIT = 200_000
BlockCache = dict[tuple[object, int], tuple[float, float, float]]
"""(signal cache key, UTC day) -> (sum, highest level, lowest level) over that day."""


class _Totals:
    def __init__(self, size: int) -> None:
        self.sums = [0.0] * size
        self.denominators = [0.0] * size
        self.highs = [-math.inf] * size
        self.lows = [math.inf] * size
        self.seconds = 0

    def add(self, i: int, summed: bool, value: float, seconds: int) -> None:
        self.sums[i] += value if summed else value * seconds
        level = value * 3600.0 / seconds if summed else value
        if level > self.highs[i]:
            self.highs[i] = level
        if level < self.lows[i]:
            self.lows[i] = level


def _scan(measures: Sequence[Measure], start: int, end: int, fine: bool, totals: _Totals) -> None:
    """Accumulate [start, end): whole quarter-hours unless ``fine``, minutes at ragged edges."""
    if end <= start:
        return
    for quarter in range(start // QUARTER, -(-end // QUARTER)):
        memo: Memo = {}
        q_start = quarter * QUARTER
        q_end = q_start + QUARTER
        if not fine and q_start >= start and q_end <= end:
            totals.seconds += QUARTER
            for i, measure in enumerate(measures):
                signal = measure.signal
                totals.add(i, signal.summed, signal.quarter(quarter, memo), QUARTER)
                if measure.ratio_of is not None:
                    totals.denominators[i] += measure.ratio_of.quarter(quarter, memo)
            continue
        first = max(start, q_start) // MINUTE - quarter * 15
        last = min(end, q_end) // MINUTE - quarter * 15
        if last <= first:
            continue
        totals.seconds += (last - first) * MINUTE
        for i, measure in enumerate(measures):
            signal = measure.signal
            for value in signal.minutes(quarter, memo)[first:last]:
                totals.add(i, signal.summed, value, MINUTE)
            if measure.ratio_of is not None:
                totals.denominators[i] += sum(measure.ratio_of.minutes(quarter, memo)[first:last])


def _day(measures: Sequence[Measure], day: int, totals: _Totals, cache: BlockCache) -> None:
    """Accumulate one whole UTC day, from the cache where it can."""
    signals = {m.signal.cache_key: m.signal for m in measures}
    signals.update({m.ratio_of.cache_key: m.ratio_of for m in measures if m.ratio_of})
    missing = [signal for key, signal in signals.items() if (key, day) not in cache]
    if missing:
        fresh = _Totals(len(missing))
        as_measures = [Measure("", "sum", signal) for signal in missing]
        _scan(as_measures, day * BLOCK_SECONDS, (day + 1) * BLOCK_SECONDS, False, fresh)
        if len(cache) > BLOCK_CACHE_LIMIT:
            cache.clear()
        for i, signal in enumerate(missing):
            cache[(signal.cache_key, day)] = (fresh.sums[i], fresh.highs[i], fresh.lows[i])
    totals.seconds += BLOCK_SECONDS
    for i, measure in enumerate(measures):
        total, high, low = cache[(measure.signal.cache_key, day)]
        totals.sums[i] += total
        totals.highs[i] = max(totals.highs[i], high)
        totals.lows[i] = min(totals.lows[i], low)
        if measure.ratio_of is not None:
            totals.denominators[i] += cache[(measure.ratio_of.cache_key, day)][0]


def aggregate(
    measures: Sequence[Measure],
    start: int,
    end: int,
    fine: bool,
    cache: BlockCache | None = None,
) -> dict[str, float]:
    """Each measure over [start, end): from minutes if ``fine``, else from whole quarter-hours
    (and minutes for the partial quarters at either edge). Empty if the span is empty."""
    if end <= start or not measures:
        return {}
    totals = _Totals(len(measures))
    first_day = -(-start // BLOCK_SECONDS)
    last_day = end // BLOCK_SECONDS
    if fine or cache is None or first_day >= last_day:
        _scan(measures, start, end, fine, totals)
    else:
        _scan(measures, start, first_day * BLOCK_SECONDS, False, totals)
        for day in range(first_day, last_day):
            _day(measures, day, totals, cache)
        _scan(measures, last_day * BLOCK_SECONDS, end, False, totals)
    if totals.seconds == 0:
        return {}
    row: dict[str, float] = {}
    for i, measure in enumerate(measures):
        if measure.ratio_of is not None:
            if totals.denominators[i] > 0:
                row[measure.short_name] = round(totals.sums[i] / totals.denominators[i], 3)
        elif measure.aggregation == "sum":
            row[measure.short_name] = round(totals.sums[i], 3)
        elif measure.aggregation == "avg":
            row[measure.short_name] = round(totals.sums[i] / totals.seconds, 3)
        elif measure.aggregation == "max":
            row[measure.short_name] = round(totals.highs[i], 3)
        else:
            row[measure.short_name] = round(totals.lows[i], 3)
    return row


def clip(interval: Interval, since: int, until: int) -> tuple[int, int]:
    return max(interval.start, since), min(interval.end, until)


def render_ts(moment: datetime) -> str:
    return moment.isoformat()


__all__ = ["GRANULARITIES", "Interval", "Measure", "aggregate", "clip", "intervals", "render_ts"]
