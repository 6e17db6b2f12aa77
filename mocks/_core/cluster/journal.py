"""The request journal in Redis, shared by every replica serving one sandbox.

:class:`RedisRequestJournal` answers as :class:`~standin._core.journal.RequestJournal` does
(newest first, bounded per tenant in entries and in bytes, credentials already masked by whoever
records) but keeps its entries in Redis, so ``GET /_sandbox/requests`` on any replica lists the
requests every replica answered. Each tenant's entries are one Redis list, newest at the head;
recording is one Lua script (atomic: number the entry from one counter, push it, drop the oldest
until the list is within both bounds, note the tenant), so no replica ever sees a list beyond
the bounds or two entries with one number. Each entry carries the bytes it counts for
(:func:`~standin._core.journal.size_of`, worked out by whoever records, as in memory), so the
script knows what dropping one frees.
Queries read the bounded lists and filter and order them with the in-memory journal's own code
(:func:`~standin._core.journal.newest_first`, :func:`~standin._core.journal.matching`).

Buffered (``buffered=True``, as ``standin serve --redis`` makes it): :meth:`record` only queues
the entry and a writer thread sends whatever is queued in one script call (:data:`RECORD_MANY`),
so a request never waits for Redis to keep its journal entry (with ``appendfsync always``, an
fsync), and the entries of many requests share one round trip and one fsync. The writer wakes as
soon as an entry is queued, so an entry reaches Redis about one round trip after its answer,
as the unbuffered journal's did (it wrote after the answer had gone too). Every read, clear
or removal on this replica sends what is queued first, so this replica reads its own
entries; another replica may miss entries answered during the last round trip. Entries are
numbered when they reach Redis, so the order across replicas is the order they were sent in
(each tenant's requests are answered by one replica at a time, so a tenant's order is exact).
The journal is a bounded log of what was answered, not acknowledged vendor state: an entry
queued by a replica killed before sending it is lost, as an entry is lost when Redis is away.

Keys (prefix ``standin:`` by default)::

    journal:entries:TENANT   list of "SEQUENCE|SIZE|JSON", newest first ("" for unattributed
                             requests; an entry kept before sizes were, "SEQUENCE|JSON", counts 0)
    journal:entries:unproven:TENANT
                             the tenant's unproven entries (refused requests that only named it),
                             within bounds of their own (``unproven_bounds``)
    journal:tenants          set: the tenants (buckets) with a list ("unproven:TENANT" too)
    journal:bytes            hash: tenant -> the bytes its kept entries count for
    journal:sequence         counter: the order of arrival across every replica
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import orjson
import redis

from standin._core.cluster.connection import storage_calls
from standin._core.journal import (
    DEFAULT_BYTE_BUDGET,
    UNATTRIBUTED,
    Exchange,
    JournalEntry,
    JournalQuery,
    checked_byte_budget,
    checked_capacity,
    matching,
    narrowed,
    newest_first,
    size_of,
    unproven_bounds,
)

log = logging.getLogger("standin.cluster.journal")

DEFAULT_PREFIX = "standin:"
UNPROVEN = "unproven:"
"""What a tenant's unproven bucket is named: this, then the tenant's id (no tenant's id starts
so: they are ``default`` and ``t-`` and hex digits)."""
PAGE = 256
"""Entries read from a tenant's list at a time when a query wants only the newest few."""
Q = TypeVar("Q")
"""What a :class:`WriteQueue` holds."""

TRIM = """
local function size_of(kept)
  return tonumber(string.match(kept, '^%d+|(%d+)|')) or 0
end
-- The bounds of a bucket: `unproven` ({entries, bytes}) for a tenant's unproven entries (its
-- name starts "unproven:"), `proven` for any other.
local function bounds_of(bucket, proven, unproven)
  if string.sub(bucket, 1, 9) == 'unproven:' then
    return unproven[1], unproven[2]
  end
  return proven[1], proven[2]
end
-- Drop the oldest of a list (tail) until it holds at most `bound` entries and `budget` bytes,
-- never the newest; the bytes it keeps (`added` more than the hash said) are noted in the hash
-- under the tenant.
local function trim(list, bytes, tenant, bound, budget, added)
  local size = (tonumber(redis.call('HGET', bytes, tenant)) or 0) + added
  local length = redis.call('LLEN', list)
  while length > bound or (size > budget and length > 1) do
    size = size - size_of(redis.call('RPOP', list))
    length = length - 1
  end
  if size < 0 then size = 0 end
  redis.call('HSET', bytes, tenant, size)
end
"""
"""The part every script that bounds a list shares."""

RECORD_MANY = (
    TRIM
    + """
-- KEYS[1]: the set of tenants, KEYS[2]: the sequence counter, KEYS[3]: the bytes hash,
-- KEYS[3 + i]: entry i's list; ARGV[1]: the bound, ARGV[2]: the byte budget, ARGV[3], ARGV[4]:
-- those of unproven entries; ARGV[3i + 2]: entry i as JSON, ARGV[3i + 3]: its bucket,
-- ARGV[3i + 4]: its size.
local proven = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local unproven = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local n = #KEYS - 3
local first = redis.call('INCRBY', KEYS[2], n) - n
for i = 1, n do
  local list = KEYS[3 + i]
  local tenant = ARGV[3 * i + 3]
  local size = ARGV[3 * i + 4]
  local bound, budget = bounds_of(tenant, proven, unproven)
  local kept = string.format('%d', first + i) .. '|' .. size .. '|' .. ARGV[3 * i + 2]
  redis.call('LPUSH', list, kept)
  trim(list, KEYS[3], tenant, bound, budget, tonumber(size))
  redis.call('SADD', KEYS[1], tenant)
end
return first + n
"""
)
"""Number, push and bound several entries in their order, atomically (one round trip)."""
BATCH = 256
"""At most this many entries go in one script call (a long script holds every other client)."""

CLEAR = """
-- KEYS[1]: the set of tenants, KEYS[2]: the bytes hash; ARGV[1]: the prefix of the lists.
local buckets = redis.call('SMEMBERS', KEYS[1])
for _, bucket in ipairs(buckets) do
  redis.call('DEL', ARGV[1] .. bucket)
end
redis.call('DEL', KEYS[1], KEYS[2])
return #buckets
"""
"""Forget every tenant's entries at once."""


class RedisRequestJournal:
    """The newest entries of each tenant, at most ``capacity`` of them and ``byte_budget``
    bytes, in Redis through ``client`` (a synchronous redis-py client for ``url``). Pass it to
    the sandbox as ``journal``.

    Every replica should be given the same ``capacity`` and ``byte_budget``
    (``--journal-size``, ``--journal-bytes``): the bounds are applied by whoever records. A
    Redis failure is raised as :class:`~standin._core.cluster.signals.StorageUnavailable`
    (answered 503, naming ``url``), but for recording: the request has been answered by then,
    so its entry is lost (logged).
    ``buffered``: entries are queued and sent by a writer thread (the module's doc); call
    :meth:`close` to send what is left.
    """

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        capacity: int = 1000,
        *,
        byte_budget: int = DEFAULT_BYTE_BUDGET,
        prefix: str = DEFAULT_PREFIX,
        page: int = PAGE,
        buffered: bool = False,
    ) -> None:
        self._client = client
        self._page = page
        self._url = url
        self._capacity = checked_capacity(capacity)
        self._byte_budget = checked_byte_budget(byte_budget)
        self._lists = f"{prefix}journal:entries:"
        self._tenants = f"{prefix}journal:tenants"
        self._bytes = f"{prefix}journal:bytes"
        self._sequence = f"{prefix}journal:sequence"
        self._record_many = client.register_script(RECORD_MANY)
        self._clear = client.register_script(CLEAR)
        self._queue: WriteQueue[Queued] | None = WriteQueue(self._send) if buffered else None

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def byte_budget(self) -> int:
        return self._byte_budget

    def record(self, entry: JournalEntry | Exchange) -> None:
        if self._queue is not None:
            self._queue.put(entry)
            return
        self._send([entry])

    def record_unproven(self, entry: JournalEntry | Exchange) -> None:
        """Keep a refused request that named its tenant by a credential it failed to prove in
        that tenant's list of unproven entries (bounded by
        :func:`~standin._core.journal.unproven_bounds`)."""
        if self._queue is not None:
            self._queue.put(Unproven(entry))
            return
        self._send([Unproven(entry)])

    def flush(self) -> None:
        """Send the entries queued here (buffered) before this returns."""
        if self._queue is not None:
            self._queue.flush()

    def close(self) -> None:
        """Send what is queued and stop the writer thread."""
        if self._queue is not None:
            self._queue.close()

    def _bounds(self) -> tuple[int, int, int, int]:
        """The bounds of a tenant's entries, then those of its unproven ones."""
        return (
            self._capacity,
            self._byte_budget,
            *unproven_bounds(self._capacity, self._byte_budget),
        )

    def _send(self, queued: list[Queued]) -> None:
        """Keep ``queued`` in Redis, in order, a batch per script call (the writer's)."""
        for start in range(0, len(queued), BATCH):
            batch = queued[start : start + BATCH]
            keys = [self._tenants, self._sequence, self._bytes]
            args: list[Any] = [*self._bounds()]
            for queued_item in batch:
                if isinstance(queued_item, Unproven):
                    item = queued_item.entry
                    entry = _entry(item)
                    bucket = UNPROVEN + (entry.tenant or UNATTRIBUTED)
                else:
                    item = queued_item
                    entry = _entry(item)
                    bucket = entry.tenant or UNATTRIBUTED
                size = size_of(item)
                keys.append(self._lists + bucket)
                args += [orjson.dumps(entry.as_dict()), bucket, size]
            try:
                self._record_many(keys=keys, args=args)
            except redis.RedisError as error:
                log.warning("%d journal entries not kept: %s", len(batch), error)

    def entries(
        self, api: str | None = None, limit: int | None = None, query: JournalQuery | None = None
    ) -> list[JournalEntry]:
        """Matching entries, newest first, at most ``limit``."""
        self.flush()
        wanted = narrowed(query, api)
        with storage_calls(self._url):
            candidates = (
                self._candidates(wanted) if limit is None else self._newest_matching(wanted, limit)
            )
            return newest_first(candidates, wanted, limit)

    def count(self, query: JournalQuery | None = None) -> int:
        self.flush()
        wanted = query or JournalQuery()
        with storage_calls(self._url):
            return matching(self._candidates(wanted), wanted)

    def clear(self, tenant: str | None = None) -> None:
        """Forget every entry, or one tenant's."""
        self.flush()
        if tenant is None:
            with storage_calls(self._url):
                self._clear(keys=[self._tenants, self._bytes], args=[self._lists])
        else:
            self.forget_tenant(tenant)

    def forget_tenant(self, tenant: str) -> None:
        self.flush()
        with storage_calls(self._url):
            pipe = self._client.pipeline(transaction=True)
            for bucket in (tenant, UNPROVEN + tenant):
                pipe.delete(self._lists + bucket)
                pipe.srem(self._tenants, bucket)
                pipe.hdel(self._bytes, bucket)
            pipe.execute()

    def __len__(self) -> int:
        self.flush()
        with storage_calls(self._url):
            pipe = self._client.pipeline(transaction=False)
            for bucket in self._buckets():
                pipe.llen(self._lists + bucket)
            return sum(int(length) for length in pipe.execute())

    def _buckets(self) -> list[str]:
        return sorted(_text(member) for member in self._client.smembers(self._tenants))

    def _newest_matching(self, query: JournalQuery, limit: int) -> list[JournalEntry]:
        """Each tenant's newest ``limit`` entries that ``query`` matches (among them, the
        newest ``limit`` of all), reading each list from its head a page at a time rather than
        whole. An entry pushed meanwhile shifts a list by one: entries seen twice count once."""
        page = max(limit, self._page)
        found: list[JournalEntry] = []
        seen: set[int] = set()
        matched = dict.fromkeys(self._buckets_of(query), 0)
        reading = dict.fromkeys(matched, 0)
        while reading:
            pipe = self._client.pipeline(transaction=False)
            for bucket, start in reading.items():
                pipe.lrange(self._lists + bucket, start, start + page - 1)
            further: dict[str, int] = {}
            for (bucket, start), kept in zip(reading.items(), pipe.execute(), strict=True):
                for entry in _entries(kept):
                    if entry.sequence not in seen and query.matches(entry):
                        seen.add(entry.sequence)
                        found.append(entry)
                        matched[bucket] += 1
                if matched[bucket] < limit and len(kept) == page:
                    further[bucket] = start + page
            reading = further
        return found

    def _buckets_of(self, query: JournalQuery) -> list[str]:
        """The buckets that may hold what ``query`` matches: a tenant's two, or all."""
        if query.tenant is None:
            return self._buckets()
        return [query.tenant, UNPROVEN + query.tenant]

    def _candidates(self, query: JournalQuery) -> list[JournalEntry]:
        buckets = self._buckets_of(query)
        pipe = self._client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.lrange(self._lists + bucket, 0, -1)
        return [entry for kept in pipe.execute() for entry in _entries(kept)]


class Unproven:
    """An entry queued for a tenant's unproven bucket (:meth:`RedisRequestJournal.
    record_unproven`)."""

    __slots__ = ("entry",)

    def __init__(self, entry: JournalEntry | Exchange) -> None:
        self.entry = entry


Queued = JournalEntry | Exchange | Unproven
"""What the buffered journal's writer sends."""


def _entry(item: JournalEntry | Exchange) -> JournalEntry:
    # Masked here, as it leaves the process: Redis keeps only what the journal shows.
    return item.entry() if isinstance(item, Exchange) else item


class WriteQueue(Generic[Q]):
    """Entries waiting for the writer thread, which hands them to ``send`` in arrival order,
    everything queued at once; :meth:`flush` returns once what was queued before it is sent."""

    def __init__(self, send: Callable[[list[Q]], None]) -> None:
        self._send = send
        self._items: list[Q] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._sending = threading.Lock()
        """Held while a batch is being sent: a flush waits for the batch in flight."""
        self._thread: threading.Thread | None = None
        self._closed = False

    def put(self, item: Q) -> None:
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                self._items.append(item)
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._write, name="standin-journal-writer", daemon=True
                    )
                    self._thread.start()
                self._wake.notify()
        if closed:
            self._send([item])  # after close: kept at once, as unbuffered

    def flush(self) -> None:
        with self._sending:
            with self._lock:
                items, self._items = self._items, []
            if items:
                self._send(items)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.flush()

    def _write(self) -> None:
        while True:
            with self._lock:
                while not self._items and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
            try:
                self.flush()
            except Exception:  # the writer must outlive any one batch
                log.exception("journal writer: a batch failed")


def _entries(kept: Iterable[Any]) -> Iterator[JournalEntry]:
    for item in kept:
        raw = item if isinstance(item, bytes) else str(item).encode()
        sequence, _, document = raw.partition(b"|")
        if not document.startswith(b"{"):
            _size, _, document = document.partition(b"|")
        fields = orjson.loads(document)
        yield JournalEntry(**fields, sequence=int(sequence))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redis_journal(
    client: redis.Redis, url: str, capacity: int = 1000, **options: Any
) -> RedisRequestJournal:
    """The journal for ``standin serve --redis``: ``Sandbox(..., journal=...)``."""
    return RedisRequestJournal(client, url, capacity, **options)
