"""A vendor state kept as a snapshot plus rows: each container of records that can grow large
(:mod:`standin._core.rowkept`: a capped log of Metasys audits, alarms or value changes, a row
collection of BuildingMinds batches and messages, a meter's pushed readings, a point's command
history) is kept one row per record, and the snapshot holds only a reference to it (its id, its
type and its header: a log's bound, arrival and drop counts), so a write costs the records it
added, changed or dropped, not the 10,000s a full container holds.

One :class:`LogWriter` per tenant and API remembers what it wrote: the containers it follows
(their changes since the last write, ``take_row_changes``) and which object each kept record is
(of containers whose records the rest of the state may refer to: an index of alarms by id refers
to a record instead of copying it). A row is its payload pickled on its own, keyed by (log id,
row number); a container that is no longer in the state has its rows removed at the next write.

A record is written when it arrives and again when the state says it changed in place
(:meth:`CappedLog.touch`, :meth:`~standin._core.store.Collection.touch`); what a record refers
to is copied into its row (nothing else in the state holds a part of one).
"""

from __future__ import annotations

import pickle
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from standin._core import pickling
from standin._core.history import CappedLog
from standin._core.rowkept import KeptInRows, RowChanges

if TYPE_CHECKING:
    from standin._core.api import VendorApi
    from standin._core.clock import Clock

Row = tuple[int, int, bytes]
"""(log id, row number, pickled payload: a log's ``(moment, record)``)."""


@dataclass
class Written:
    """What one write of a state keeps: the snapshot and the changes to its log rows, applied
    in this order: every row of ``cleared`` logs removed (logs whose rows were found at load
    with no container left in the state), ``removed`` rows removed, ``rows`` inserted or
    replaced. ``full``: every row of the state is in ``rows`` (remove all others)."""

    blob: bytes
    rows: list[Row] = field(default_factory=list)
    removed: list[tuple[int, int]] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    full: bool = False


@dataclass
class _Followed:
    log: KeptInRows
    kept: dict[int, object] = field(default_factory=dict)
    """Row number to record, for every kept record the rest of the state may refer to: holds
    them, so an ``id`` in the writer's map of records is never reused."""


class LogWriter:
    """Writes one tenant's state of one API; made at the first write or when it is loaded."""

    def __init__(self, api: VendorApi) -> None:
        self._shared = pickling.shared_of(api)
        self._api = api
        self._lock = threading.Lock()
        self._logs: dict[int, _Followed] = {}
        """Followed containers by log id."""
        self._log_ids: dict[int, int] = {}
        """``id(container)`` to log id."""
        self._records: dict[int, tuple[int, int]] = {}
        """``id(record)`` to (log id, row number), over every followed container."""
        self._kinds: dict[type, bool] = {}
        """Whether a type is kept in rows (its ``kept_in_rows``), by type."""
        self._next_id = 1
        self._stale: set[int] = set()
        """Log ids with rows but no container (found at load): removed at the next write."""
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
                self._apply(log_id, followed, followed.log.take_row_changes(), written)
            seen: set[int] = set()
            found: dict[int, KeptInRows] = {}
            blob = self._dump(state, seen, found)
            if found:
                for log in found.values():
                    self._follow(log, written)
                seen.clear()
                # Records of a container found only now may have been copied before it was
                # reached.
                blob = self._dump(state, seen, {})
            gone = {i for i in self._logs if i not in seen}
            if gone:
                # Its rows go one by one, by key (in Redis, clearing a log looks through every
                # row the tenant keeps): those it holds now, and those it held that already go;
                # its changes not yet kept are not kept.
                written.rows = [row for row in written.rows if row[0] not in gone]
                for log_id in gone:
                    log = self._logs[log_id].log
                    written.removed.extend((log_id, seq) for seq, _ in log.row_payloads())
                    self._unfollow(log_id)
            written.cleared.extend(self._stale)
            self._stale.clear()
            written.blob = blob
            return written

    def _reset(self) -> None:
        for log_id in list(self._logs):
            self._unfollow(log_id)
        self._stale.clear()

    def _kept_in_rows(self, kind: type) -> bool:
        rowed = self._kinds.get(kind)
        if rowed is None:
            rowed = self._kinds[kind] = getattr(kind, "kept_in_rows", False) is True
        return rowed

    def _dump(self, state: object, seen: set[int], found: dict[int, KeptInRows]) -> bytes:
        """The snapshot; ``found``: containers met that are not followed yet, by ``id``."""
        log_ids = self._log_ids
        records = self._records
        kinds = self._kinds
        kept_in_rows = self._kept_in_rows

        def reference(obj: Any) -> pickling.Reference | None:
            kind = type(obj)
            rowed = kinds.get(kind)
            if rowed is None:
                rowed = kept_in_rows(kind)
            if rowed:
                log_id = log_ids.get(id(obj))
                if log_id is None:
                    found[id(obj)] = obj
                    return None
                seen.add(log_id)
                header = obj.row_header()
                if kind is CappedLog:
                    return ("log", log_id, *header)
                return ("rows", log_id, kind, *header)
            record = records.get(id(obj))
            return None if record is None else ("record", *record)

        return pickling.dump(state, self._shared, reference)

    def _follow(self, log: KeptInRows, written: Written) -> None:
        log_id = self._next_id
        self._next_id += 1
        log.follow()
        followed = _Followed(log)
        self._logs[log_id] = followed
        self._log_ids[id(log)] = log_id
        for seq, payload in log.row_payloads():
            written.rows.append(self._row(log_id, followed, seq, payload))

    def _unfollow(self, log_id: int) -> None:
        followed = self._logs.pop(log_id)
        del self._log_ids[id(followed.log)]
        for record in followed.kept.values():
            self._records.pop(id(record), None)

    def _apply(
        self, log_id: int, followed: _Followed, changes: RowChanges, written: Written
    ) -> None:
        for seq in changes.removed:
            record = followed.kept.pop(seq, None)
            if record is not None:
                self._records.pop(id(record), None)
            written.removed.append((log_id, seq))
        for seq, payload in changes.put.items():
            written.rows.append(self._row(log_id, followed, seq, payload))

    def _row(self, log_id: int, followed: _Followed, seq: int, payload: object) -> Row:
        record = followed.log.row_record(payload)
        before = followed.kept.pop(seq, None)
        if before is not None and before is not record:
            self._records.pop(id(before), None)
        if record is not None:
            followed.kept[seq] = record
            self._records[id(record)] = (log_id, seq)
        return (log_id, seq, pickling.dump(payload, self._shared))

    # --- loading ---------------------------------------------------------------------------

    def load(self, blob: bytes, rows: Iterable[Row], clock: Clock) -> object:
        """The state a :meth:`write` kept, from its snapshot and rows; this writer follows its
        containers from there."""
        with self._lock:
            payloads: dict[int, list[tuple[int, object]]] = defaultdict(list)
            by_key: dict[tuple[int, int], object] = {}
            for log_id, seq, data in rows:
                payload = pickling.load(data, self._api, clock)
                payloads[log_id].append((seq, payload))
                by_key[(log_id, seq)] = payload
            logs: dict[int, KeptInRows] = {}

            def bind(pid: pickling.Reference) -> object:
                if pid[0] == "log" and len(pid) == 5:
                    if pid[1] not in logs:
                        logs[pid[1]] = CappedLog.from_rows(pid[2:], payloads.get(pid[1], []))
                    return logs[pid[1]]
                if pid[0] == "rows" and len(pid) >= 3 and isinstance(pid[2], type):
                    kind: Any = pid[2]
                    if not self._kept_in_rows(kind):
                        raise pickle.UnpicklingError(f"{kind!r} is not kept in rows")
                    if pid[1] not in logs:
                        logs[pid[1]] = kind.from_rows(pid[3:], payloads.get(pid[1], []))
                    return logs[pid[1]]
                if pid[0] == "record" and len(pid) == 3 and (pid[1], pid[2]) in by_key:
                    return cast("tuple[object, object]", by_key[(pid[1], pid[2])])[1]
                raise pickle.UnpicklingError(f"unknown reference {pid!r}")

            state = pickling.load(blob, self._api, clock, bind)
            self._reset()
            for log_id, log in logs.items():
                followed = _Followed(log)
                self._logs[log_id] = followed
                self._log_ids[id(log)] = log_id
                for seq, payload in payloads.get(log_id, []):
                    record = log.row_record(payload)
                    if record is not None:
                        followed.kept[seq] = record
                        self._records[id(record)] = (log_id, seq)
            self._next_id = max([0, *payloads, *logs]) + 1
            self._stale = set(payloads) - set(logs)
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
