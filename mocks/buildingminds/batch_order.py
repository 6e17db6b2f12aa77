"""The batches of a tenant ordered as ``GET /batch`` lists them, so that a page costs what it
returns and not what the tenant has submitted (a tenant keeps up to 10,000 batches)."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta

_EDGE_SECONDS = 0.001
"""A bound is looked up this much wider, then its edges are checked day by day: a creation
instant a hair before midnight is listed under the day ``datetime.fromtimestamp`` gives it."""


def created_day(created_at: float) -> date:
    """The UTC day a batch was created on, as the date filters compare it."""
    return datetime.fromtimestamp(created_at, tz=UTC).date()


def _midnight(day: date) -> float:
    return datetime.combine(day, time(), tzinfo=UTC).timestamp()


class NewestFirst:
    """Batch ids by creation instant, newest first; batches made at the same instant in the
    order they were made (what a stable sort, newest first, of the batches in order gives)."""

    def __init__(self) -> None:
        self._keys: list[tuple[float, int, str]] = []
        """Ascending by (instant, minus the order made): read from the end, newest first."""
        self._key_of: dict[str, tuple[float, int, str]] = {}
        self._made = 0

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, batch_id: str, created_at: float) -> None:
        self._made += 1
        key = (created_at, -self._made, batch_id)
        self._key_of[batch_id] = key
        bisect.insort(self._keys, key)

    def remove(self, batch_id: str) -> None:
        key = self._key_of.pop(batch_id, None)
        if key is not None:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def window(
        self, first: date | None, last: date | None, skip: int, limit: int
    ) -> tuple[int, list[str]]:
        """How many batches were created from day ``first`` to day ``last`` (each inclusive,
        ``None`` for no bound), and ``limit`` of their ids, newest first, after ``skip``."""
        lo = 0 if first is None else self._from(first)
        hi = len(self._keys) if last is None else self._until(last)
        if hi <= lo:
            return 0, []
        top = hi - skip
        bottom = max(lo, top - limit)
        return hi - lo, [self._keys[i][2] for i in range(top - 1, bottom - 1, -1)]

    def _from(self, first: date) -> int:
        """The first position created on ``first`` or after."""
        at = bisect.bisect_left(self._keys, (_midnight(first) - _EDGE_SECONDS,))
        while at < len(self._keys) and created_day(self._keys[at][0]) < first:
            at += 1
        return at

    def _until(self, last: date) -> int:
        """The position after the last one created on ``last`` or before."""
        if last == date.max:
            return len(self._keys)
        at = bisect.bisect_left(self._keys, (_midnight(last + timedelta(days=1)) + _EDGE_SECONDS,))
        while at > 0 and created_day(self._keys[at - 1][0]) > last:
            at -= 1
        return at
