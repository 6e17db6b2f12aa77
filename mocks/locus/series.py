"""Data rows: the intervals of a request in its time zone, and each field aggregated over them.

Timestamps are leading: an interval holds what happened at or after its timestamp and before
the next one. Intervals start at granularity boundaries in the asked zone that are ``>= start``
and ``< end``; a field is aggregated over the part of its interval that has data (from the
site's first day to the last completed minute) and left out of the row when there is none.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
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
CHUNK_DAYS = 32
"""Whole days are worked out and kept in aligned runs of this many (UTC day numbers ``32 k`` to
``32 k + 31``), each with its own sum, highest and lowest: an interval adds its whole runs' three
figures and slices only the runs at its two edges, so a kept year costs a dozen runs, not 365
days. A question cold over one day works out its run (32 days of arrays: a fraction of a
millisecond)."""
BLOCK_CACHE_LIMIT = 100_000
"""Whole days kept, over all signals of a tenant (about 10 MB at most: thirty years of nine
signals)."""
ROW_CACHE_LIMIT = 8192
"""Days kept quarter by quarter (the days that intervals cut: local midnights, hours), over all
signals of a tenant (96 doubles each: about 7 MB at most)."""
SignalKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class DayChunk:
    """One signal's whole UTC days ``CHUNK_DAYS * k`` to ``CHUNK_DAYS * (k + 1) - 1``: each
    day's sum, highest level and lowest level, and the same three over the run."""

    sums: list[float]
    highs: list[float]
    lows: list[float]
    total: float
    high: float
    low: float


class BlockCache:
    """What a tenant's Locus signals have already worked out, by signal: runs of whole UTC days
    (:class:`DayChunk`, by run number), and the 96 quarter values of days that intervals cut (by
    UTC day). A signal's key (a nested tuple) is hashed once per question, not once per day."""

    def __init__(self) -> None:
        self.blocks: dict[SignalKey, dict[int, DayChunk]] = {}
        self.rows: dict[SignalKey, dict[int, array[float]]] = {}
        self.block_count = 0
        self.row_count = 0

    def blocks_of(self, key: SignalKey) -> dict[int, DayChunk]:
        found = self.blocks.get(key)
        if found is None:
            found = self.blocks[key] = {}
        return found

    def rows_of(self, key: SignalKey) -> dict[int, array[float]]:
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = {}
        return found

    def room_for_blocks(self, count: int) -> bool:
        """Forget every block when ``count`` more would pass the limit (simple, and rare);
        whether it did (the caller's question then needs every block it asks for again)."""
        if self.block_count + count <= BLOCK_CACHE_LIMIT:
            return False
        self.blocks.clear()
        self.block_count = 0
        return True

    def room_for_rows(self, count: int) -> bool:
        """As :meth:`room_for_blocks`, for the quarter rows."""
        if self.row_count + count <= ROW_CACHE_LIMIT:
            return False
        self.rows.clear()
        self.row_count = 0
        return True


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


def _scan(
    measures: Sequence[Measure],
    start: int,
    end: int,
    fine: bool,
    totals: _Totals,
    cache: BlockCache | None = None,
) -> None:
    """Accumulate [start, end): whole quarter-hours unless ``fine``, minutes at ragged edges."""
    if end <= start:
        return
    first_whole = -(-start // QUARTER)
    last_whole = end // QUARTER
    if not fine and cache is not None and last_whole > first_whole:
        _scan_quarters(measures, start, first_whole * QUARTER, fine, totals)
        _whole_quarters(measures, first_whole, last_whole - first_whole, totals, cache)
        _scan_quarters(measures, last_whole * QUARTER, end, fine, totals)
        return
    _scan_quarters(measures, start, end, fine, totals)


def _scan_quarters(
    measures: Sequence[Measure], start: int, end: int, fine: bool, totals: _Totals
) -> None:
    """One quarter at a time: minutes where ``fine`` or where a quarter is cut."""
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


def _whole_quarters(
    measures: Sequence[Measure], first: int, count: int, totals: _Totals, cache: BlockCache
) -> None:
    """Accumulate ``count`` whole quarters from ``first`` (within a day or two), sliced from
    the quarter rows of their days."""
    totals.seconds += count * QUARTER
    first_day = first // QUARTERS_A_DAY
    last_day = -(-(first + count) // QUARTERS_A_DAY)
    days = list(range(first_day, last_day))
    skip = first - first_day * QUARTERS_A_DAY
    signals = _signals(measures)
    if not _holds(cache.rows_of, signals, first_day, last_day):
        _fill_rows(signals, days, cache)

    def values(signal: Signal) -> Sequence[float]:
        rows = cache.rows_of(signal.cache_key)
        if len(days) == 1:
            return rows[first_day][skip : skip + count]
        joined = [value for day in days for value in rows[day]]
        return joined[skip : skip + count]

    for i, measure in enumerate(measures):
        signal = measure.signal
        found = values(signal)
        # A level is a summed value times a positive constant: the same quarter is highest.
        scale = 3600.0 / QUARTER if signal.summed else 1.0
        totals.sums[i] += math.fsum(found) * (1.0 if signal.summed else QUARTER)
        totals.highs[i] = max(totals.highs[i], max(found) * scale)
        totals.lows[i] = min(totals.lows[i], min(found) * scale)
        if measure.ratio_of is not None:
            totals.denominators[i] += math.fsum(values(measure.ratio_of))


QUARTERS_A_DAY = BLOCK_SECONDS // QUARTER
DAYS_AT_ONCE = 46 * CHUNK_DAYS
"""Missing days are worked out this many at a time (about four years: 1 MB an array), whole
runs each time."""


def _signals(measures: Sequence[Measure]) -> list[Signal]:
    """The signals ``measures`` read, each once (``W_avg`` and ``W_max`` read the same one)."""
    found = [m.signal for m in measures] + [m.ratio_of for m in measures if m.ratio_of]
    return list({signal.cache_key: signal for signal in found}.values())


def _holds(
    held: Callable[[SignalKey], dict[int, Any]],
    signals: Sequence[Signal],
    first_day: int,
    last_day: int,
) -> bool:
    """Whether every signal's holding has every day of [first_day, last_day) (a question's
    prefill has usually put them there)."""
    for signal in signals:
        holding = held(signal.cache_key)
        if first_day not in holding or (last_day - 1) not in holding:
            return False
        if last_day - first_day > 2 and any(
            day not in holding for day in range(first_day + 1, last_day - 1)
        ):
            return False
    return True


def _lacking(
    signals: Sequence[Signal], days: Iterable[int], held: Callable[[Signal], Any]
) -> list[int]:
    """The days of ``days`` that some signal lacks (``held`` gives a signal's days held)."""
    holdings = [held(signal) for signal in signals]
    return [day for day in days if any(day not in holding for holding in holdings)]


def _grids(
    signals: Sequence[Signal], days: list[int]
) -> Iterator[tuple[list[int], dict[SignalKey, Any]]]:
    """Each signal's (days, 96) grid of quarter values, DAYS_AT_ONCE days at a time."""
    import numpy as np

    from standin.locus.quarters import GridMemo, day_grid

    for at in range(0, len(days), DAYS_AT_ONCE):
        chunk = days[at : at + DAYS_AT_ONCE]
        memo: GridMemo = {}
        numbers = np.array(chunk, dtype=np.int64)
        yield chunk, {signal.cache_key: day_grid(signal, numbers, memo) for signal in signals}


def _chunks(days: Iterable[int]) -> list[int]:
    """The run numbers of ``days``, ascending, each once."""
    return sorted({day // CHUNK_DAYS for day in days})


def _fill_blocks(signals: Sequence[Signal], chunks: Sequence[int], cache: BlockCache) -> None:
    """Every run of ``chunks`` of every signal into the cache."""
    held = [cache.blocks_of(signal.cache_key) for signal in signals]
    lacking = [chunk for chunk in chunks if any(chunk not in holding for holding in held)]
    if not lacking:
        return
    if cache.room_for_blocks(len(lacking) * CHUNK_DAYS * len(signals)):
        lacking = list(chunks)  # what the question found held is gone too
    days = [chunk * CHUNK_DAYS + day for chunk in lacking for day in range(CHUNK_DAYS)]
    for chunk_days, grids in _grids(signals, days):
        runs = chunk_days[::CHUNK_DAYS]
        for signal in signals:
            grid = grids[signal.cache_key]
            sums = grid.sum(axis=1) if signal.summed else (grid * QUARTER).sum(axis=1)
            levels = grid * (3600.0 / QUARTER) if signal.summed else grid
            run_sums = sums.reshape(-1, CHUNK_DAYS)
            run_highs = levels.max(axis=1).reshape(-1, CHUNK_DAYS)
            run_lows = levels.min(axis=1).reshape(-1, CHUNK_DAYS)
            figures = zip(
                run_sums.tolist(),
                run_highs.tolist(),
                run_lows.tolist(),
                run_sums.sum(axis=1).tolist(),
                run_highs.max(axis=1).tolist(),
                run_lows.min(axis=1).tolist(),
                strict=True,
            )
            holding = cache.blocks_of(signal.cache_key)
            for run, figure in zip(runs, figures, strict=True):
                holding[run // CHUNK_DAYS] = DayChunk(*figure)
        cache.block_count += len(chunk_days) * len(signals)


def _fill_rows(signals: Sequence[Signal], days: Iterable[int], cache: BlockCache) -> None:
    """Every day of ``days`` of every signal into the cache's quarter rows."""
    days = list(days)
    lacking = _lacking(signals, days, lambda signal: cache.rows_of(signal.cache_key))
    if not lacking:
        return
    if cache.room_for_rows(len(lacking) * len(signals)):
        lacking = sorted(set(days))  # what the question found held is gone too
    for chunk, grids in _grids(signals, lacking):
        for signal in signals:
            rows = (array("d", row.tobytes()) for row in grids[signal.cache_key])
            cache.rows_of(signal.cache_key).update(zip(chunk, rows, strict=True))
        cache.row_count += len(chunk) * len(signals)


def _whole_days(
    measures: Sequence[Measure], first_day: int, last_day: int, totals: _Totals, cache: BlockCache
) -> None:
    """Accumulate the whole UTC days [first_day, last_day) from the cache, filling it first:
    whole runs by their own figures, the runs at the edges day by day."""
    signals = _signals(measures)
    chunks = range(first_day // CHUNK_DAYS, (last_day - 1) // CHUNK_DAYS + 1)
    _fill_blocks(signals, chunks, cache)
    totals.seconds += (last_day - first_day) * BLOCK_SECONDS

    def gather(signal: Signal) -> tuple[list[float], list[float], list[float]]:
        holding = cache.blocks_of(signal.cache_key)
        sums: list[float] = []
        highs: list[float] = []
        lows: list[float] = []
        for chunk in chunks:
            run = holding[chunk]
            low = max(first_day - chunk * CHUNK_DAYS, 0)
            high = min(last_day - chunk * CHUNK_DAYS, CHUNK_DAYS)
            if low == 0 and high == CHUNK_DAYS:
                sums.append(run.total)
                highs.append(run.high)
                lows.append(run.low)
            else:
                sums.extend(run.sums[low:high])
                highs.extend(run.highs[low:high])
                lows.extend(run.lows[low:high])
        return sums, highs, lows

    for i, measure in enumerate(measures):
        sums, highs, lows = gather(measure.signal)
        totals.sums[i] += math.fsum(sums)
        totals.highs[i] = max(totals.highs[i], *highs)
        totals.lows[i] = min(totals.lows[i], *lows)
        if measure.ratio_of is not None:
            totals.denominators[i] += math.fsum(gather(measure.ratio_of)[0])


def prefill(
    measures: Sequence[Measure], spans: Sequence[tuple[int, int]], cache: BlockCache
) -> None:
    """Work out, in long runs, what the intervals ``spans`` of one question need and ``cache``
    lacks: the whole UTC days inside them, and the quarters of the days they cut."""
    whole: set[int] = set()
    cut: set[int] = set()
    for start, end in spans:
        first_whole = -(-start // QUARTER) * QUARTER
        last_whole = end // QUARTER * QUARTER
        if last_whole <= first_whole:
            continue
        first_day = -(-first_whole // BLOCK_SECONDS)
        last_day = last_whole // BLOCK_SECONDS
        if first_day >= last_day:
            cut.update(range(first_whole // BLOCK_SECONDS, (last_whole - 1) // BLOCK_SECONDS + 1))
            continue
        whole.update(range(first_day, last_day))
        if first_whole < first_day * BLOCK_SECONDS:
            cut.add(first_day - 1)
        if last_whole > last_day * BLOCK_SECONDS:
            cut.add(last_day)
    signals = _signals(measures)
    _fill_blocks(signals, _chunks(whole), cache)
    _fill_rows(signals, sorted(cut), cache)


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
        _scan(measures, start, end, fine, totals, cache)
    else:
        _scan(measures, start, first_day * BLOCK_SECONDS, False, totals, cache)
        _whole_days(measures, first_day, last_day, totals, cache)
        _scan(measures, last_day * BLOCK_SECONDS, end, False, totals, cache)
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


__all__ = [
    "GRANULARITIES",
    "Interval",
    "Measure",
    "aggregate",
    "clip",
    "intervals",
    "prefill",
    "render_ts",
]
