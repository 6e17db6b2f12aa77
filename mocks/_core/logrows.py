"""A vendor state kept as a snapshot plus rows: each capped log (:class:`CappedLog`: Metasys
audits, alarms, value changes) is kept one row per record, and the snapshot holds only a
reference to it (its id, bound, arrival and drop counts), so a write costs the records it added
or dropped, not the 10,000 a full log holds.

One :class:`LogWriter` per tenant and API remembers what it wrote: the logs it follows (their
changes since the last write, :meth:`CappedLog.take_changes`) and which object each kept record
is, so the rest of the state (an index of alarms by id) refers to a record instead of copying
it. A row is ``(moment, record)`` pickled on its own, keyed by (log id, arrival number); a log
that is no longer in the state has its rows removed at the next write.

A record is written when it arrives and again when the state says it changed in place
(:meth:`CappedLog.touch`); what a record refers to is copied into its row (a record is history:
nothing else in the state holds a part of one).
"""

from __future__ import annotations

import pickle
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from standin._core import pickling
from standin._core.history import CappedLog, Entry, LogChanges

if TYPE_CHECKING:
    from standin._core.api import VendorApi
    from standin._core.clock import Clock

Row = tuple[int, int, bytes]
"""(log id, arrival number, pickled ``(moment, record)``)."""


@dataclass
class Written:
    """What one write of a state keeps: the snapshot and the changes to its log rows, applied
    in this order: every row of ``cleared`` logs removed, ``removed`` rows removed, ``rows``
    inserted or replaced. ``full``: every row of the state is in ``rows`` (remove all others)."""

    blob: bytes
    rows: list[Row] = field(default_factory=list)
    removed: list[tuple[int, int]] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    full: bool = False


@dataclass
class _Followed:
    log: CappedLog[Any]
    kept: dict[int, object] = field(default_factory=dict)
    """Arrival number to record, for every kept record: holds them, so an ``id`` in the
    writer's map of records is never reused."""


class LogWriter:
    """Writes one tenant's state of one API; made at the first write or when it is loaded."""

    def __init__(self, api: VendorApi) -> None:
        self._shared = pickling.shared_of(api)
        self._api = api
        self._lock = threading.Lock()
        self._logs: dict[int, _Followed] = {}
        """Followed logs by log id."""
        self._log_ids: dict[int, int] = {}
        """``id(log)`` to log id."""
        self._records: dict[int, tuple[int, int]] = {}
        """``id(record)`` to (log id, arrival number), over every followed log."""
        self._next_id = 1
        self._stale: set[int] = set()
        """Log ids with rows but no log (found at load): removed at the next write."""
        self.state: object | None = None
        """The state this writer wrote or loaded last (another one needs a full write)."""
        self._written = False

    # --- writing ---------------------------------------------------------------------------

    def write(self, state: object) -> Written:
        """The snapshot of ``state`` and the row changes since the last write (all its rows the
        first time)."""
        with self._lock:
            full = not self._written or state is not self.state
            if full:
                self._reset()
            self.state = state
            self._written = True
            written = Written(b"", full=full)
            for log_id, followed in self._logs.items():
                self._apply(log_id, followed, followed.log.take_changes(), written)
            seen: set[int] = set()
            found: list[CappedLog[Any]] = []
            blob = self._dump(state, seen, found)
            if found:
                for log in found:
                    self._follow(log, written)
                seen.clear()
                # Records of a log found only now may have been copied before it was reached.
                blob = self._dump(state, seen, [])
            for log_id in [i for i in self._logs if i not in seen]:
                self._unfollow(log_id)
                written.cleared.append(log_id)
            written.cleared.extend(self._stale)
            self._stale.clear()
            written.blob = blob
            return written

    def _reset(self) -> None:
        for log_id in list(self._logs):
            self._unfollow(log_id)
        self._stale.clear()

    def _dump(self, state: object, seen: set[int], found: list[CappedLog[Any]]) -> bytes:
        log_ids = self._log_ids
        records = self._records

        def reference(obj: Any) -> pickling.Reference | None:
            if type(obj) is CappedLog:
                log_id = log_ids.get(id(obj))
                if log_id is None:
                    if not any(log is obj for log in found):
                        found.append(obj)
                    return None
                seen.add(log_id)
                return ("log", log_id, obj.limit, obj.appended, obj.dropped)
            record = records.get(id(obj))
            return None if record is None else ("record", *record)

        return pickling.dump(state, self._shared, reference)

    def _follow(self, log: CappedLog[Any], written: Written) -> None:
        log_id = self._next_id
        self._next_id += 1
        log.follow()
        followed = _Followed(log)
        self._logs[log_id] = followed
        self._log_ids[id(log)] = log_id
        for entry in log.entries():
            written.rows.append(self._row(log_id, followed, entry))

    def _unfollow(self, log_id: int) -> None:
        followed = self._logs.pop(log_id)
        del self._log_ids[id(followed.log)]
        for record in followed.kept.values():
            self._records.pop(id(record), None)

    def _apply(
        self, log_id: int, followed: _Followed, changes: LogChanges[Any], written: Written
    ) -> None:
        if changes.cleared:
            for record in followed.kept.values():
                self._records.pop(id(record), None)
            followed.kept.clear()
            written.cleared.append(log_id)
        for arrival in changes.removed:
            record = followed.kept.pop(arrival, None)
            if record is not None:
                self._records.pop(id(record), None)
            written.removed.append((log_id, arrival))
        for entry in changes.added.values():
            written.rows.append(self._row(log_id, followed, entry))

    def _row(self, log_id: int, followed: _Followed, entry: Entry[Any]) -> Row:
        moment, arrival, record = entry
        followed.kept[arrival] = record
        self._records[id(record)] = (log_id, arrival)
        return (log_id, arrival, pickling.dump((moment, record), self._shared))

    # --- loading ---------------------------------------------------------------------------

    def load(self, blob: bytes, rows: Iterable[Row], clock: Clock) -> object:
        """The state a :meth:`write` kept, from its snapshot and rows; this writer follows its
        logs from there."""
        with self._lock:
            entries: dict[int, list[Entry[Any]]] = defaultdict(list)
            by_key: dict[tuple[int, int], object] = {}
            for log_id, arrival, data in rows:
                moment, record = cast("tuple[float, object]", pickling.load(data, self._api, clock))
                entries[log_id].append((moment, arrival, record))
                by_key[(log_id, arrival)] = record
            logs: dict[int, CappedLog[Any]] = {}

            def bind(pid: pickling.Reference) -> object:
                if pid[0] == "log" and len(pid) == 5:
                    log_id, limit, appended, dropped = pid[1:]
                    if log_id not in logs:
                        logs[log_id] = CappedLog.restored(
                            limit, entries.get(log_id, []), appended, dropped
                        )
                    return logs[log_id]
                if pid[0] == "record" and len(pid) == 3 and (pid[1], pid[2]) in by_key:
                    return by_key[(pid[1], pid[2])]
                raise pickle.UnpicklingError(f"unknown reference {pid!r}")

            state = pickling.load(blob, self._api, clock, bind)
            self._reset()
            for log_id, log in logs.items():
                log.follow()
                followed = _Followed(log)
                self._logs[log_id] = followed
                self._log_ids[id(log)] = log_id
                for _, arrival, record in log.entries():
                    followed.kept[arrival] = record
                    self._records[id(record)] = (log_id, arrival)
            self._next_id = max([0, *entries, *logs]) + 1
            self._stale = set(entries) - set(logs)
            self.state = state
            self._written = True
            return state


class LogWriters:
    """The writers of a sandbox's tenants, by tenant and API."""

    def __init__(self) -> None:
        self._writers: dict[tuple[str, str], LogWriter] = {}
        self._lock = threading.Lock()

    def write(self, tenant_id: str, key: str, api: VendorApi, state: object) -> Written:
        """What to keep of ``state`` now: only the log rows that changed since this tenant's
        state of this API was last written or loaded, unless it is another state object."""
        with self._lock:
            writer = self._writers.get((tenant_id, key))
            if writer is None:
                writer = self._writers[(tenant_id, key)] = LogWriter(api)
        return writer.write(state)

    def write_whole(self, tenant_id: str, key: str, api: VendorApi, state: object) -> Written:
        """Every row of ``state`` (a tenant created or reset)."""
        writer = LogWriter(api)
        with self._lock:
            self._writers[(tenant_id, key)] = writer
        return writer.write(state)

    def load(
        self,
        tenant_id: str,
        key: str,
        api: VendorApi,
        blob: bytes,
        rows: Iterable[Row],
        clock: Clock,
    ) -> object:
        writer = LogWriter(api)
        state = writer.load(blob, rows, clock)
        with self._lock:
            self._writers[(tenant_id, key)] = writer
        return state

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            for found in [k for k in self._writers if k[0] == tenant_id]:
                del self._writers[found]
