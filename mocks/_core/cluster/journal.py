"""The request journal in Redis, shared by every replica serving one sandbox.

:class:`RedisRequestJournal` answers as :class:`~standin._core.journal.RequestJournal` does
(newest first, bounded per tenant, credentials already masked by whoever records) but keeps its
entries in Redis, so ``GET /_sandbox/requests`` on any replica lists the requests every replica
answered. Each tenant's entries are one Redis list, newest at the head; recording is one Lua
script (atomic: number the entry from one counter, push it, trim the list to the bound, note the
tenant), so no replica ever sees a list longer than the bound or two entries with one number.
Queries read the bounded lists and filter and order them with the in-memory journal's own code
(:func:`~standin._core.journal.newest_first`, :func:`~standin._core.journal.matching`).

Keys (prefix ``standin:`` by default)::

    journal:entries:TENANT   list of "SEQUENCE|JSON", newest first ("" for unattributed requests)
    journal:tenants          set: the tenants (buckets) with a list
    journal:sequence         counter: the order of arrival across every replica
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import redis

from standin._core.cluster.connection import storage_calls
from standin._core.journal import (
    UNATTRIBUTED,
    JournalEntry,
    JournalQuery,
    checked_capacity,
    matching,
    narrowed,
    newest_first,
)

log = logging.getLogger("standin.cluster.journal")

DEFAULT_PREFIX = "standin:"
PAGE = 256
"""Entries read from a tenant's list at a time when a query wants only the newest few."""

RECORD = """
-- KEYS[1]: the tenant's list, KEYS[2]: the set of tenants, KEYS[3]: the sequence counter;
-- ARGV[1]: the entry as JSON, ARGV[2]: the bound, ARGV[3]: the tenant (bucket).
local sequence = redis.call('INCR', KEYS[3])
redis.call('LPUSH', KEYS[1], string.format('%d', sequence) .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('SADD', KEYS[2], ARGV[3])
return sequence
"""
"""Number, push and trim one entry, atomically."""

CLEAR = """
-- KEYS[1]: the set of tenants; ARGV[1]: the prefix of the tenants' lists.
local buckets = redis.call('SMEMBERS', KEYS[1])
for _, bucket in ipairs(buckets) do
  redis.call('DEL', ARGV[1] .. bucket)
end
redis.call('DEL', KEYS[1])
return #buckets
"""
"""Forget every tenant's entries at once."""

RESIZE = """
-- KEYS[1]: the set of tenants; ARGV[1]: the prefix of the tenants' lists, ARGV[2]: the bound.
local buckets = redis.call('SMEMBERS', KEYS[1])
for _, bucket in ipairs(buckets) do
  redis.call('LTRIM', ARGV[1] .. bucket, 0, tonumber(ARGV[2]) - 1)
end
return #buckets
"""
"""Keep the newest ``bound`` entries of every tenant."""


class RedisRequestJournal:
    """The newest ``capacity`` entries of each tenant, in Redis through ``client`` (a
    synchronous redis-py client for ``url``). Pass it to the sandbox as ``journal``.

    Every replica should be given the same ``capacity`` (``--journal-size``): the bound is
    applied by whoever records. A Redis failure is raised as
    :class:`~standin._core.cluster.signals.StorageUnavailable` (answered 503, naming ``url``),
    but for recording: the request has been answered by then, so its entry is lost (logged).
    """

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        capacity: int = 1000,
        *,
        prefix: str = DEFAULT_PREFIX,
        page: int = PAGE,
    ) -> None:
        self._client = client
        self._page = page
        self._url = url
        self._capacity = checked_capacity(capacity)
        self._lists = f"{prefix}journal:entries:"
        self._tenants = f"{prefix}journal:tenants"
        self._sequence = f"{prefix}journal:sequence"
        self._record = client.register_script(RECORD)
        self._clear = client.register_script(CLEAR)
        self._resize = client.register_script(RESIZE)

    @property
    def capacity(self) -> int:
        return self._capacity

    def resize(self, capacity: int) -> None:
        self._capacity = checked_capacity(capacity)
        with storage_calls(self._url):
            self._resize(keys=[self._tenants], args=[self._lists, capacity])

    def record(self, entry: JournalEntry) -> None:
        bucket = entry.tenant or UNATTRIBUTED
        try:
            self._record(
                keys=[self._lists + bucket, self._tenants, self._sequence],
                args=[orjson.dumps(entry.as_dict()), self._capacity, bucket],
            )
        except redis.RedisError as error:
            log.warning("journal entry of %s %s not kept: %s", entry.method, entry.path, error)

    def entries(
        self, api: str | None = None, limit: int | None = None, query: JournalQuery | None = None
    ) -> list[JournalEntry]:
        """Matching entries, newest first, at most ``limit``."""
        wanted = narrowed(query, api)
        with storage_calls(self._url):
            candidates = (
                self._candidates(wanted) if limit is None else self._newest_matching(wanted, limit)
            )
            return newest_first(candidates, wanted, limit)

    def count(self, query: JournalQuery | None = None) -> int:
        wanted = query or JournalQuery()
        with storage_calls(self._url):
            return matching(self._candidates(wanted), wanted)

    def clear(self, tenant: str | None = None) -> None:
        """Forget every entry, or one tenant's."""
        if tenant is None:
            with storage_calls(self._url):
                self._clear(keys=[self._tenants], args=[self._lists])
        else:
            self.forget_tenant(tenant)

    def forget_tenant(self, tenant: str) -> None:
        with storage_calls(self._url):
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(self._lists + tenant)
            pipe.srem(self._tenants, tenant)
            pipe.execute()

    def __len__(self) -> int:
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
        matched = dict.fromkeys([query.tenant] if query.tenant is not None else self._buckets(), 0)
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

    def _candidates(self, query: JournalQuery) -> list[JournalEntry]:
        buckets = [query.tenant] if query.tenant is not None else self._buckets()
        pipe = self._client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.lrange(self._lists + bucket, 0, -1)
        return [entry for kept in pipe.execute() for entry in _entries(kept)]


def _entries(kept: Iterable[Any]) -> Iterator[JournalEntry]:
    for item in kept:
        raw = item if isinstance(item, bytes) else str(item).encode()
        sequence, _, document = raw.partition(b"|")
        fields = orjson.loads(document)
        yield JournalEntry(**fields, sequence=int(sequence))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def redis_journal(
    client: redis.Redis, url: str, capacity: int = 1000, **options: Any
) -> RedisRequestJournal:
    """The journal for ``standin serve --redis``: ``Sandbox(..., journal=...)``."""
    return RedisRequestJournal(client, url, capacity, **options)
