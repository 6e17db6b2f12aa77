"""Event streams across replicas: an ``SseHub``'s streams kept in Redis, so a stream held by a
replica that dies (or hands its tenant over) resumes on the replica that takes the tenant.

A stream lives on its tenant's owner (non-owners forward the request, SSE bytes included); what
this module adds is that the stream does not die with its owner. Per stream, two keys:

* ``standin:sse:<api>:<stream id>:log``, a Redis Stream, the replay log: every event the hub
  publishes is ``XADD``-ed with entry id ``0-<seq>`` (its sequence number in the stream), its
  event id, name, data and sandbox time, BEFORE the hub buffers it or any connection sends it,
  trimmed with ``MAXLEN ~`` to the hub's own bound.
* ``standin:sse:<api>:<stream id>``, a hash, the registry entry: owner, tenant, expiry, the
  next sequence number (written in the same script as the event), the vendor's notes (a
  Metasys stream's tenant and subscriptions), written as they change (by its holder only), and
  its holder.

and per tenant a set, ``standin:sse:<api>:tenant:<tenant>``, of its streams' ids: a replica
that takes a tenant over re-creates every stream of it at once (``kept``, then
``SseHub.restore``), so an event published there before the stream's client comes back (a
command's value change) is in the stream's log when it resumes. An id leaves the set when its
stream ends; one whose keys expired unseen (its replica was killed and nobody resumed it) is
dropped by the next ``kept``.

One process holds a stream at a time: the one that opened it, until another one takes it
(``take``, when it takes the stream's tenant up or a client resumes it there). An event is
appended (a Lua script) only while the registry names this process as the holder, and only
with a number past the last one (explicit entry ids), so a replica that lost a stream, still
running its heartbeats, can neither add to it behind the new holder's back nor delete it when
its own copy is released; its failed heartbeat cuts its connections instead, and their clients
resume where the stream is held now.

Both expire ``ttl`` seconds after the stream's last write (an hour by default; every heartbeat
is a write), so a stream whose replica was SIGKILLed and that nobody resumes costs nothing for
good; a stream that ends normally is deleted at once. ``SseHub.restore`` on another replica
reads them back and the client's ``Last-Event-Id`` resumes there: the events after it are
replayed from the log and numbering goes on from the registry, so none is lost and none repeats.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import redis

from standin._core.sse.framing import format_event
from standin._core.sse.store import StoredStream, StreamStore, StreamStoreFactory
from standin._core.sse.stream import SseEvent

KEY_PREFIX = "standin:sse:"
DEFAULT_TTL = 3600.0
"""Seconds a stream's keys outlive its last write (see the module docstring)."""
DEFAULT_MAXLEN = 2000
"""The log's bound when the store is not told the hub's (``max_events``)."""

Failures = Callable[[], AbstractContextManager[None]]
"""A context Redis calls run in (see ``RedisStreamStore``)."""

_NOTE = "note:"
_OWNER, _TENANT, _EXPIRES, _NEXT, _HOLDER = "owner", "tenant", "expires_at", "next_seq", "holder"
_TENANT_INDEX = "tenant:"

_APPEND = """
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], ARGV[2],
           'id', ARGV[6], 'event', ARGV[7], 'data', ARGV[8], 'at', ARGV[9])
redis.call('HSET', KEYS[1], 'next_seq', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""
"""Append one event, only while this store holds the stream (KEYS: registry, log)."""

_END = """
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
local tenant = redis.call('HGET', KEYS[1], 'tenant')
if tenant and tenant ~= '' then redis.call('SREM', ARGV[2] .. tenant, ARGV[3]) end
return redis.call('DEL', KEYS[1], KEYS[2])
"""
"""Forget a stream, only while this store holds it, and take it out of its tenant's set
(ARGV: holder, the sets' key prefix, stream id; one Redis, so the key may be built here)."""

_NOTE_SCRIPT = """
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
else redis.call('HDEL', KEYS[1], ARGV[2]) end
return 1
"""
"""Keep (ARGV[3] '1': set to ARGV[4]) or forget the note ARGV[2], only while this store holds
the stream (ARGV[1]): a replica that lost it cannot change the subscriptions the new holder
counts (KEYS: registry)."""

_TAKE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner or (ARGV[4] ~= '' and owner ~= ARGV[4]) then return false end
redis.call('HSET', KEYS[1], 'holder', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[2])
return {redis.call('HGETALL', KEYS[1]), newest}
"""
"""Hold the stream from now on and read it back: its registry and its newest events (not
another owner's: asking for it leaves it with its holder)."""


class StreamTakenOver(redis.RedisError):
    """Another process took the stream over (``take``): this one's append was not kept. A Redis
    error, so a replica answers it as it answers storage it cannot write to (503, retry)."""


class RedisStreamStore(StreamStore):
    """One API's streams in Redis (the ``StreamStore`` an ``SseHub`` writes through).

    ``client``: a synchronous redis-py client (the hub writes under its lock, from request
    handlers and its timer thread; a loopback round trip per event). ``maxlen``: the log's
    ``MAXLEN ~`` bound, the hub's ``max_events`` (``load`` reads at most that many anyway).
    ``failures``: a context every Redis call runs in, to turn Redis errors into the caller's
    (a replica's ``storage_calls``: 503 with a clear body); by default they pass as they are.
    """

    def __init__(
        self,
        client: redis.Redis,
        api: str,
        *,
        maxlen: int = DEFAULT_MAXLEN,
        ttl: float = DEFAULT_TTL,
        prefix: str = KEY_PREFIX,
        failures: Failures | None = None,
    ) -> None:
        self.client = client
        self.failures: Failures = failures or nullcontext
        self.api = api
        self.maxlen = maxlen
        self.ttl_ms = int(ttl * 1000)
        self.prefix = f"{prefix}{api}:"
        self.holder = uuid.uuid4().hex
        """This store's mark on the streams it holds (one per process and API)."""
        self._append = client.register_script(_APPEND)
        self._end = client.register_script(_END)
        self._note = client.register_script(_NOTE_SCRIPT)
        self._take = client.register_script(_TAKE)

    def registry_key(self, stream_id: str) -> str:
        return f"{self.prefix}{stream_id}"

    def log_key(self, stream_id: str) -> str:
        return f"{self.prefix}{stream_id}:log"

    def tenant_key(self, tenant: str) -> str:
        """The set of ``tenant``'s stream ids."""
        return f"{self.prefix}{_TENANT_INDEX}{tenant}"

    # -- writes ------------------------------------------------------------------------------

    def opened(
        self, stream_id: str, owner: str, expires_at: float | None, tenant: str = ""
    ) -> None:
        key = self.registry_key(stream_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key, self.log_key(stream_id))
        pipe.hset(
            key,
            mapping={
                _OWNER: owner,
                _TENANT: tenant,
                _EXPIRES: _float_text(expires_at),
                _NEXT: "1",
                _HOLDER: self.holder,
            },
        )
        pipe.pexpire(key, self.ttl_ms)
        if tenant:
            pipe.sadd(self.tenant_key(tenant), stream_id)
        with self.failures():
            pipe.execute()

    def appended(self, stream_id: str, event: SseEvent) -> None:
        with self.failures():
            kept = self._append(**self._append_call(stream_id, event))
            if not kept:
                raise StreamTakenOver(f"stream {stream_id} is held by another process now")

    def appended_many(
        self, events: Sequence[tuple[str, SseEvent]]
    ) -> Sequence[BaseException | None]:
        pipe = self.client.pipeline(transaction=False)
        for stream_id, event in events:
            self._append(**self._append_call(stream_id, event), client=pipe)
        with self.failures():
            answers = pipe.execute(raise_on_error=False)
        return [
            None
            if answer == 1
            else self._as_failure(
                answer
                if isinstance(answer, BaseException)
                else StreamTakenOver(f"stream {stream_id} is held by another process now")
            )
            for (stream_id, _), answer in zip(events, answers, strict=True)
        ]

    def _append_call(self, stream_id: str, event: SseEvent) -> dict[str, Any]:
        return {
            "keys": [self.registry_key(stream_id), self.log_key(stream_id)],
            "args": [
                self.holder,
                f"0-{event.seq}",
                event.seq + 1,
                self.maxlen,
                self.ttl_ms,
                event.id,
                event.event,
                event.data,
                repr(event.at),
            ],
        }

    def _as_failure(self, failure: BaseException) -> BaseException:
        """``failure`` as the ``failures`` context would raise it."""
        try:
            with self.failures():
                raise failure
        except BaseException as converted:
            return converted

    def extended(self, stream_id: str, expires_at: float | None) -> None:
        key = self.registry_key(stream_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(key, _EXPIRES, _float_text(expires_at))
        pipe.pexpire(key, self.ttl_ms)
        with self.failures():
            pipe.execute()

    def annotate(self, stream_id: str, key: str, value: str | None) -> None:
        args = [self.holder, _NOTE + key, "0" if value is None else "1", value or ""]
        with self.failures():
            if not self._note(keys=[self.registry_key(stream_id)], args=args):
                raise StreamTakenOver(f"stream {stream_id} is held by another process now")

    def ended(self, stream_id: str) -> None:
        with self.failures():
            self._end(
                keys=[self.registry_key(stream_id), self.log_key(stream_id)],
                args=[self.holder, f"{self.prefix}{_TENANT_INDEX}", stream_id],
            )

    # -- reads -------------------------------------------------------------------------------

    def kept(self, tenant: str) -> list[tuple[str, str]]:
        index = self.tenant_key(tenant)
        with self.failures():
            ids = sorted(_text(i) for i in self.client.smembers(index))
            if not ids:
                return []
            pipe = self.client.pipeline(transaction=False)
            for stream_id in ids:
                pipe.hget(self.registry_key(stream_id), _OWNER)
            owners = pipe.execute()
            gone = [i for i, owner in zip(ids, owners, strict=True) if owner is None]
            if gone:
                self.client.srem(index, *gone)
        return [(i, _text(o)) for i, o in zip(ids, owners, strict=True) if o is not None]

    def take(
        self, stream_id: str, max_events: int, owner: str | None = None
    ) -> StoredStream | None:
        with self.failures():
            found = self._take(
                keys=[self.registry_key(stream_id), self.log_key(stream_id)],
                args=[self.holder, max_events, self.ttl_ms, owner or ""],
            )
        if not found:
            return None
        flat, entries = found
        registry = {_text(k): _text(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}
        events = [_event(entry_id, values) for entry_id, values in reversed(entries)]
        next_seq = int(registry.get(_NEXT, "1"))
        if events:
            next_seq = max(next_seq, events[-1].seq + 1)
        return StoredStream(
            id=stream_id,
            owner=registry[_OWNER],
            expires_at=_parse_float(registry.get(_EXPIRES, "")),
            next_seq=next_seq,
            events=events,
            notes={k[len(_NOTE) :]: v for k, v in registry.items() if k.startswith(_NOTE)},
        )


def redis_stream_stores(
    client: redis.Redis,
    *,
    ttl: float = DEFAULT_TTL,
    maxlen: int = DEFAULT_MAXLEN,
    failures: Failures | None = None,
) -> StreamStoreFactory:
    """The factory a sandbox takes as ``stream_stores``: each API's streams under its own key
    prefix, on one client."""

    def store_for(api: str) -> StreamStore:
        return RedisStreamStore(client, api, ttl=ttl, maxlen=maxlen, failures=failures)

    return store_for


def _event(entry_id: bytes | str, values: list[bytes | str]) -> SseEvent:
    """One log entry as a script returns it: its id and its fields as a flat list."""
    fields = {_text(k): _text(v) for k, v in zip(values[::2], values[1::2], strict=True)}
    seq = int(_text(entry_id).partition("-")[2])
    event_id, name, data = fields["id"], fields["event"], fields["data"]
    return SseEvent(
        seq=seq,
        id=event_id,
        event=name,
        data=data,
        at=float(fields["at"]),
        wire=format_event(data, event=name, id=event_id),
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _float_text(value: float | None) -> str:
    return "" if value is None else repr(value)


def _parse_float(text: str) -> float | None:
    return float(text) if text else None


__all__ = [
    "DEFAULT_TTL",
    "KEY_PREFIX",
    "RedisStreamStore",
    "StreamTakenOver",
    "redis_stream_stores",
]
