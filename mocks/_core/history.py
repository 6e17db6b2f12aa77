"""A capped log of records in time order: what a vendor keeps of history (audits, alarms), the
newest ``limit`` of it, so memory, durable snapshots and the cost of reading stay bounded.

Records are kept sorted by (time, order of arrival): arrival order is time order unless a
tenant's clock was moved back, and then a record still lands where its time says. When the log
is full the record with the earliest time goes first. Reading a page of the newest or oldest
records costs the page, not the log: no scan, no sort.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class CappedLog(Sequence[T], Generic[T]):
    """The newest ``limit`` records (by time) of a history, oldest first.

    ``appended`` counts every record ever appended (for ids that must never repeat) and
    ``dropped`` those that fell out.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._entries: list[tuple[float, int, T]] = []
        self.appended = 0
        self.dropped = 0

    def append(self, moment: float, record: T) -> list[T]:
        """Add ``record`` at ``moment``; returns the records that fell out to make room."""
        entry = (moment, self.appended, record)
        self.appended += 1
        entries = self._entries
        if not entries or entries[-1][0] <= moment:
            entries.append(entry)
        else:
            # (time, arrival) is unique, so the records themselves are never compared.
            bisect.insort(entries, entry)
        excess = len(entries) - self.limit
        if excess <= 0:
            return []
        gone = [record for _, _, record in entries[:excess]]
        del entries[:excess]
        self.dropped += excess
        return gone

    def remove_if(self, doomed: set[int]) -> None:
        """Drop the records whose ``id()`` is in ``doomed`` (a reset, a removed object)."""
        self._entries = [e for e in self._entries if id(e[2]) not in doomed]

    def clear(self) -> None:
        self._entries.clear()

    def window(self, start: int, size: int, descending: bool) -> list[T]:
        """``size`` records from position ``start`` in time order (``descending``: newest first;
        records of the same time stay in arrival order either way, as a stable sort by time
        leaves them). Costs the window, not the log."""
        entries = self._entries
        if not descending:
            return [record for _, _, record in entries[start : start + size]]
        wanted = start + size
        taken: list[tuple[float, int, T]] = []
        end = len(entries)
        while end > 0 and len(taken) < wanted:
            moment = entries[end - 1][0]
            # (moment,) sorts before every entry of that moment: the first of its run.
            first = bisect.bisect_left(entries, (moment,), hi=end)
            taken.extend(entries[first:end])
            end = first
        return [record for _, _, record in taken[start:wanted]]

    def between(self, start: float, end: float) -> list[T]:
        """The records of times in [start, end], oldest first (found by bisection: costs what
        the period holds, not the log)."""
        entries = self._entries
        first = bisect.bisect_left(entries, (start,))
        last = bisect.bisect_left(entries, (math.nextafter(end, math.inf),))
        return [record for _, _, record in entries[first:last]]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[T]:
        return (record for _, _, record in self._entries)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [record for _, _, record in self._entries[index]]
        return self._entries[index][2]
