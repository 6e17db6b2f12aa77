"""A capped log of records in time order: what a vendor keeps of history (audits, alarms), the
newest ``limit`` of it, so memory, durable snapshots and the cost of reading stay bounded.

Records are kept sorted by (time, order of arrival): arrival order is time order unless a
tenant's clock was moved back, and then a record still lands where its time says. When the log
is full the record with the earliest time goes first. Reading a page of the newest or oldest
records costs the page, not the log: no scan, no sort.

A log can be *followed* (:meth:`CappedLog.follow`): from then on it remembers which records came
and went since its changes were last taken (:meth:`CappedLog.take_changes`), so whoever keeps it
(a data directory, Redis) writes what changed, not the whole log. Records are identified by
their arrival number, which never repeats. A record changed in place after it was appended is
named with :meth:`CappedLog.touch`. An unfollowed log remembers nothing of the kind.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast, overload

from standin._core.rowkept import RowChanges

T = TypeVar("T")

Entry = tuple[float, int, T]
"""A kept record: (moment, arrival number, record)."""


@dataclass
class LogChanges(Generic[T]):
    """What changed in a followed log since its changes were last taken."""

    since: int = 0
    """The log's arrival count when they were last taken: records that arrived before were
    written then."""
    added: dict[int, Entry[T]] = field(default_factory=dict)
    """Records appended (or touched) and still kept, by arrival number."""
    removed: set[int] = field(default_factory=set)
    """Arrival numbers of records that were kept when the changes were last taken and are
    gone now."""

    def __bool__(self) -> bool:
        return bool(self.added) or bool(self.removed)


class CappedLog(Sequence[T], Generic[T]):
    """The newest ``limit`` records (by time) of a history, oldest first.

    ``appended`` counts every record ever appended (for ids that must never repeat) and
    ``dropped`` those that fell out. Kept in rows (:mod:`standin._core.rowkept`): a row per
    record, numbered by its arrival, holding ``(moment, record)``.
    """

    kept_in_rows: ClassVar[bool] = True

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._entries: list[tuple[float, int, T]] = []
        self.appended = 0
        self.dropped = 0
        self._changes: LogChanges[T] | None = None

    @classmethod
    def restored(
        cls, limit: int, entries: list[Entry[T]], appended: int, dropped: int
    ) -> CappedLog[T]:
        """A log as it was kept: ``entries`` in any order (they are sorted here)."""
        log: CappedLog[T] = cls(limit)
        log._entries = sorted(entries, key=lambda entry: entry[:2])
        log.appended = appended
        log.dropped = dropped
        return log

    # --- following --------------------------------------------------------------------------

    def follow(self) -> None:
        """Remember changes from now on (what is kept now is taken as already written)."""
        self._changes = LogChanges(since=self.appended)

    @property
    def followed(self) -> bool:
        return self._changes is not None

    def take_changes(self) -> LogChanges[T]:
        """The changes since the last call (or :meth:`follow`), forgotten here."""
        if self._changes is None:
            raise RuntimeError("only a followed log remembers its changes")
        taken, self._changes = self._changes, LogChanges(since=self.appended)
        return taken

    def take_row_changes(self) -> RowChanges:
        taken = self.take_changes()
        return RowChanges(
            put={arrival: (moment, record) for arrival, (moment, _, record) in taken.added.items()},
            removed=taken.removed,
        )

    def row_payloads(self) -> list[tuple[int, object]]:
        return [(arrival, (moment, record)) for moment, arrival, record in self._entries]

    def row_header(self) -> tuple[Any, ...]:
        return (self.limit, self.appended, self.dropped)

    @classmethod
    def from_rows(cls, header: tuple[Any, ...], rows: list[tuple[int, object]]) -> Any:
        limit, appended, dropped = header
        entries: list[Entry[Any]] = []
        for arrival, payload in rows:
            moment, record = cast("tuple[float, Any]", payload)
            entries.append((moment, arrival, record))
        log: CappedLog[Any] = cls.restored(limit, entries, appended, dropped)
        log.follow()
        return log

    @staticmethod
    def row_record(payload: object) -> object | None:
        return cast("tuple[float, object]", payload)[1]

    def entries(self) -> list[Entry[T]]:
        """Every kept record with its moment and arrival number, in time order."""
        return list(self._entries)

    def touch(self, moment: float, record: T) -> None:
        """Say that ``record`` (appended at ``moment``) changed in place: a followed log
        writes it again. A record no longer kept is ignored."""
        if self._changes is None:
            return
        entries = self._entries
        first = bisect.bisect_left(entries, (moment,))
        for entry in entries[first:]:
            if entry[0] != moment:
                return
            if entry[2] is record:
                self._changes.added[entry[1]] = entry
                return

    def _gone(self, entries: list[Entry[T]]) -> None:
        changes = self._changes
        if changes is None:
            return
        for _, arrival, _ in entries:
            changes.added.pop(arrival, None)
            if arrival < changes.since:
                changes.removed.add(arrival)

    def __getstate__(self) -> dict[str, Any]:
        """A copy or a plain pickle of the log does not follow it."""
        return {**self.__dict__, "_changes": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Also a log pickled before logs could be followed (a data directory kept then)."""
        self.__dict__.update({"_changes": None, **state})

    # --- records ----------------------------------------------------------------------------

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
        if self._changes is not None:
            self._changes.added[entry[1]] = entry
        excess = len(entries) - self.limit
        if excess <= 0:
            return []
        self._gone(entries[:excess])
        gone = [record for _, _, record in entries[:excess]]
        del entries[:excess]
        self.dropped += excess
        return gone

    def remove_if(self, doomed: set[int]) -> None:
        """Drop the records whose ``id()`` is in ``doomed`` (a reset, a removed object)."""
        self._gone([e for e in self._entries if id(e[2]) in doomed])
        self._entries = [e for e in self._entries if id(e[2]) not in doomed]

    def clear(self) -> None:
        # A followed log names each record that went (a store removes them by key, not by
        # looking through every row it keeps).
        self._gone(self._entries)
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
