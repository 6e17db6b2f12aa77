"""Rate limits that several replicas count together, in Redis, on each tenant's sandbox clock.

:class:`RedisLimits` is a :class:`~standin._core.ratelimit.LimiterStore`: every tenant's
limiters keep their counters, and the settings the control plane changes, in Redis, so that any
number of replicas serving one sandbox together admit exactly what one process would. Each
decision is one Lua script (one round trip, atomic): the script reads the limiter's settings and
counter, decides and counts in one step, so two replicas can never both take the last place.
The seam awaits it (``acquire_async``: the script runs in a worker thread), so the event loop
serves other requests while Redis keeps the count, and concurrent requests' decisions reach
Redis together and share its fsyncs (``appendfsync always``) instead of waiting in line.

The windowed limiters are judged on the tenant's clock, which the script is handed (``now``,
written as Python's shortest round-tripping decimal, so Lua reads the very same double); the
script returns integers and the settings as they were written, and the decision's figures
(``Retry-After``, ``reset_at``, ``remaining``) are computed here with the same arithmetic as the
in-memory limiters in :mod:`standin._core.ratelimit`, so decisions and headers are identical.

A place in a concurrency limit (Locus: one request in flight per client id) is a member of a
sorted set scored with a lease expiry on Redis's own clock (``TIME``; not the tenant's, which
tests freeze and move, and not the replica's, which may differ from another's). While a request
is in flight its replica renews the lease every third of it; a replica killed with its places
held loses them when the lease runs out (10 s by default), so they are never held forever.

Keys (prefix ``standin:`` by default), all of one tenant under ``limits:{TENANT}:``::

    limits:{T}:API:NAME:settings        hash: enabled (1/0), limit, window_seconds, when changed
    limits:{T}:API:NAME:fixed           hash: client key -> "WINDOW:COUNT" (fixed windows)
    limits:{T}:API:NAME:log:KEY         sorted set: arrivals scored by tenant time (rolling)
    limits:{T}:API:NAME:places:KEY      sorted set: places scored by lease expiry (concurrency)
    limits:{T}:API:NAME:keys            set: the log/places keys made, for reset
    limits:{T}:seq                      counter: distinct members for arrivals at one instant

The tenant id is a hash tag (``{T}``), so a tenant's keys stay together in a Redis Cluster.
Resetting a tenant forgets its counters (not its settings, as in memory); removing it forgets
both (:meth:`RedisLimits.forget_tenant`).
"""

from __future__ import annotations

import itertools
import logging
import math
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any

import anyio.to_thread
import redis
from redis.typing import EncodableT, FieldT

from standin._core.clock import Clock
from standin._core.cluster.connection import storage_calls
from standin._core.ratelimit import (
    KeyUsage,
    LimiterSpec,
    RateDecision,
    RateLimiter,
    checked_settings,
)

log = logging.getLogger("standin.cluster.limits")

DEFAULT_PREFIX = "standin:"
LEASE_SECONDS = 10.0
"""How long a place in a concurrency limit outlives a replica that stopped renewing it."""
CONCURRENCY_RETRY_AFTER = 1.0
"""What a refusal of a concurrency limit says to wait, as the in-memory limiter does."""

# Every script reads the limiter's settings first: HMGET of the settings hash, a field missing
# until the control plane changes it, so the vendor's declared value (passed in) applies.
_SETTINGS = """
local s = redis.call('HMGET', KEYS[1], 'enabled', 'limit', 'window_seconds')
local enabled = s[1] or ARGV[1]
local limit = tonumber(s[2] or ARGV[2])
local window_text = s[3] or ARGV[3]
"""

FIXED_WINDOW = (
    _SETTINGS
    + """
-- KEYS[2]: the limiter's counts; ARGV[4]: the client key, ARGV[5]: the tenant's now.
local now = tonumber(ARGV[5])
local window = math.floor(now / tonumber(window_text))
if enabled ~= '1' then
  return {1, 0, 0, window, limit, window_text}
end
local count = 0
local kept = redis.call('HGET', KEYS[2], ARGV[4])
if kept then
  local at = string.find(kept, ':', 1, true)
  if tonumber(string.sub(kept, 1, at - 1)) == window then
    count = tonumber(string.sub(kept, at + 1))
  end
end
local mark = string.format('%.17g', window) .. ':'
if count >= limit then
  redis.call('HSET', KEYS[2], ARGV[4], mark .. string.format('%d', count))
  return {0, 1, count, window, limit, window_text}
end
redis.call('HSET', KEYS[2], ARGV[4], mark .. string.format('%d', count + 1))
return {1, 1, count + 1, window, limit, window_text}
"""
)
"""Count one arrival in the current clock window, unless the window is full. Answers
``{allowed, counted, count, window, limit, window_seconds}`` (``counted``: the limit is on;
``count``: arrivals in the window, this one included if admitted)."""

ROLLING_WINDOW = (
    _SETTINGS
    + """
-- KEYS[2]: the client key's arrivals, KEYS[3]: the limiter's index of such keys,
-- KEYS[4]: the tenant's member counter; ARGV[4]: the tenant's now.
if enabled ~= '1' then
  return {1, 0, 0, limit, window_text, false}
end
local now = tonumber(ARGV[4])
-- Arrivals later than now were made while the clock stood ahead: they have not happened yet.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf')
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(window_text))
local count = redis.call('ZCARD', KEYS[2])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, 1, count, limit, window_text, oldest[2]}
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[4] .. '#' .. redis.call('INCR', KEYS[4]))
redis.call('SADD', KEYS[3], KEYS[2])
return {1, 1, count + 1, limit, window_text, false}
"""
)
"""Log one arrival unless ``limit`` arrived in the last ``window_seconds`` of tenant time.
Answers ``{allowed, counted, count, limit, window_seconds, oldest arrival (refusals)}``."""

CONCURRENCY = (
    _SETTINGS
    + """
-- KEYS[2]: the client key's places, KEYS[3]: the limiter's index of such keys;
-- ARGV[4]: this place's token, ARGV[5]: the lease in milliseconds.
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms)
local in_flight = redis.call('ZCARD', KEYS[2])
if enabled == '1' and in_flight >= limit then
  return {0, in_flight, limit}
end
redis.call('ZADD', KEYS[2], now_ms + tonumber(ARGV[5]), ARGV[4])
redis.call('SADD', KEYS[3], KEYS[2])
return {1, in_flight, limit}
"""
)
"""Take a place, leased, unless ``limit`` places of the key are held (and the limit is on).
Answers ``{allowed, places held before, limit}``."""

IN_FLIGHT = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now_ms, '+inf')
"""
"""Places of one key whose lease has not run out."""

RENEW = """
-- KEYS[i]: a places key, ARGV[1]: the lease in milliseconds, ARGV[i + 1]: a place held there.
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_ms, ARGV[i + 1])
end
return #KEYS
"""
"""Extend the leases of places still held (XX: a place reset meanwhile is not made again)."""

RESET = """
-- KEYS[1]: a limiter's index of the counter keys it made.
local made = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(made) do
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
return #made
"""
"""Forget a limiter's counters (its settings stay, as an in-memory limiter's do)."""


class RedisLimits:
    """Every tenant's limiters counting in Redis through ``client`` (a synchronous redis-py
    client for ``url``; replies as bytes or text). Pass it to the sandbox as ``limit_store``;
    :meth:`close` stops renewing the leases of places still held.

    A Redis failure is raised as :class:`~standin._core.cluster.signals.StorageUnavailable`
    (answered 503, naming ``url``), but for giving a place back: the answer has gone by then,
    and the place runs out with its lease.
    """

    def __init__(
        self,
        client: redis.Redis,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.client = client
        self.url = url
        self.prefix = prefix
        self.lease_ms = max(1, round(lease_seconds * 1000))
        self.fixed_window = client.register_script(FIXED_WINDOW)
        self.rolling_window = client.register_script(ROLLING_WINDOW)
        self.concurrency = client.register_script(CONCURRENCY)
        self.in_flight = client.register_script(IN_FLIGHT)
        self.reset = client.register_script(RESET)
        self.places = HeldPlaces(client, self.lease_ms)

    def limiter(self, tenant_id: str, api: str, spec: LimiterSpec, clock: Clock) -> RateLimiter:
        """The tenant's copy of ``spec``, counting in Redis."""
        base = f"{self.tenant_prefix(tenant_id)}{api}:{spec.name}:"
        if spec.kind == "fixed_window":
            return RedisFixedWindowLimiter(self, base, spec, clock)
        if spec.kind == "rolling_window":
            return RedisRollingWindowLimiter(
                self, base, spec, clock, f"{self.tenant_prefix(tenant_id)}seq"
            )
        return RedisConcurrencyLimiter(self, base, spec)

    def tenant_prefix(self, tenant_id: str) -> str:
        return f"{self.prefix}limits:{{{tenant_id}}}:"

    def storage(self) -> Any:
        """Redis calls inside raise StorageUnavailable (503) rather than a Redis error."""
        return storage_calls(self.url)

    def forget_tenant(self, tenant_id: str) -> None:
        """Forget every counter and setting of a removed tenant."""
        prefix = self.tenant_prefix(tenant_id)
        self.places.forget(prefix)
        batch: list[Any] = []
        with self.storage():
            for key in self.client.scan_iter(match=_glob_escaped(prefix) + "*", count=500):
                batch.append(key)
                if len(batch) >= 500:
                    self.client.unlink(*batch)
                    batch.clear()
            if batch:
                self.client.unlink(*batch)

    def close(self) -> None:
        """Stop renewing leases (the places left run out with them)."""
        self.places.close()


class _RedisLimiter(ABC):
    """Settings of one limiter, kept in Redis so that every replica applies the same."""

    kind: str

    def __init__(self, store: RedisLimits, base: str, spec: LimiterSpec) -> None:
        self._store = store
        self._client = store.client
        self._settings_key = f"{base}settings"
        self._base = base
        self._spec = spec
        self.description = spec.description
        # What the scripts apply while the control plane has changed nothing.
        self._defaults = ("1", str(spec.limit), repr(float(spec.window_seconds)))

    @property
    def enabled(self) -> bool:
        return self._settings()["enabled"] is True

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.configure({"enabled": value})

    @property
    def limit(self) -> int:
        limit: int = self._settings()["limit"]
        return limit

    @limit.setter
    def limit(self, value: int) -> None:
        self.configure({"limit": value})

    @abstractmethod
    def acquire(self, key: str) -> RateDecision:
        """Count one arrival of ``key`` unless the limit is reached: the decision."""

    async def acquire_async(self, key: str) -> RateDecision:
        """:meth:`acquire` in a worker thread: the event loop serves other requests while Redis
        keeps the count (with ``appendfsync always``, an fsync), and the decisions of
        concurrent requests reach Redis together, sharing its round trips and fsyncs."""
        return await anyio.to_thread.run_sync(self.acquire, key)

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply control-plane settings for every replica (all or none: ValueError)."""
        checked = checked_settings(settings, windowed=self.kind != "concurrency")
        if not checked:
            return
        kept: dict[FieldT, EncodableT] = {}
        for name, value in checked.items():
            if name == "enabled":
                kept[name] = "1" if value else "0"
            elif name == "limit":
                kept[name] = str(value)
            else:
                kept[name] = repr(value)
        with self._store.storage():
            self._client.hset(self._settings_key, mapping=kept)

    def _settings(self) -> dict[str, Any]:
        with self._store.storage():
            raw = self._client.hmget(self._settings_key, ["enabled", "limit", "window_seconds"])
        enabled, limit, window = (
            _text(value) if value is not None else default
            for value, default in zip(raw, self._defaults, strict=True)
        )
        return {"enabled": enabled == "1", "limit": int(limit), "window_seconds": float(window)}


class _RedisWindowLimiter(_RedisLimiter):
    def __init__(self, store: RedisLimits, base: str, spec: LimiterSpec, clock: Clock) -> None:
        super().__init__(store, base, spec)
        self._clock = clock

    @property
    def window_seconds(self) -> float:
        window: float = self._settings()["window_seconds"]
        return window

    @window_seconds.setter
    def window_seconds(self, value: float) -> None:
        self.configure({"window_seconds": value})

    holds_places = False
    """Windows count arrivals only (see :func:`standin._core.ratelimit.holds_places`)."""

    def release(self, key: str) -> None:
        """Windows count arrivals, not requests in flight: nothing to give back."""

    def describe(self) -> dict[str, Any]:
        settings = self._settings()
        return {
            "kind": self.kind,
            "limit": settings["limit"],
            "window_seconds": settings["window_seconds"],
            "enabled": settings["enabled"],
            "description": self.description,
        }


class RedisFixedWindowLimiter(_RedisWindowLimiter):
    """:class:`~standin._core.ratelimit.FixedWindowLimiter`, counted in Redis."""

    kind = "fixed_window"

    def __init__(self, store: RedisLimits, base: str, spec: LimiterSpec, clock: Clock) -> None:
        super().__init__(store, base, spec, clock)
        self._counts_key = f"{base}fixed"

    def acquire(self, key: str) -> RateDecision:
        now = self._clock.time()
        with self._store.storage():
            reply = self._store.fixed_window(
                keys=[self._settings_key, self._counts_key],
                args=[*self._defaults, key, repr(now)],
            )
        return self._decision(reply, now)

    def _decision(self, reply: Any, now: float) -> RateDecision:
        allowed, counted, count, window, limit, window_text = reply
        # The same arithmetic as FixedWindowLimiter's, on the same doubles.
        reset_at = (int(window) + 1) * float(_text(window_text))
        limit = int(limit)
        if not counted:
            return RateDecision(True, limit, limit, reset_at=reset_at)
        if not allowed:
            return RateDecision(False, limit, 0, retry_after=reset_at - now, reset_at=reset_at)
        return RateDecision(True, limit, limit - int(count), reset_at=reset_at)

    def usage(self, now: float) -> list[KeyUsage]:
        window_seconds = self.window_seconds
        window = math.floor(now / window_seconds)
        frees_at = (window + 1) * window_seconds
        with self._store.storage():
            kept = self._client.hgetall(self._counts_key)
        found = []
        for key, value in kept.items():
            counted_in, _, count = _text(value).partition(":")
            if float(counted_in) == window and int(count) > 0:
                found.append(KeyUsage(_text(key), int(count), frees_at))
        return found

    def reset(self) -> None:
        with self._store.storage():
            self._client.delete(self._counts_key)


class RedisRollingWindowLimiter(_RedisWindowLimiter):
    """:class:`~standin._core.ratelimit.RollingWindowLimiter`, logged in Redis."""

    kind = "rolling_window"

    def __init__(
        self, store: RedisLimits, base: str, spec: LimiterSpec, clock: Clock, sequence_key: str
    ) -> None:
        super().__init__(store, base, spec, clock)
        self._index_key = f"{base}keys"
        self._sequence = sequence_key

    def acquire(self, key: str) -> RateDecision:
        now = self._clock.time()
        with self._store.storage():
            reply = self._store.rolling_window(
                keys=self._keys(key), args=[*self._defaults, repr(now)]
            )
        return self._decision(reply, now)

    def _keys(self, key: str) -> list[str]:
        log_key = f"{self._base}log:{key}"
        return [self._settings_key, log_key, self._index_key, self._sequence]

    def _decision(self, reply: Any, now: float) -> RateDecision:
        allowed, counted, count, limit, window_text, oldest = reply
        limit = int(limit)
        if not counted:
            return RateDecision(True, limit, limit)
        if not allowed:
            # The same arithmetic as RollingWindowLimiter's, on the same doubles.
            retry_after = float(_text(oldest)) + float(_text(window_text)) - now
            return RateDecision(False, limit, 0, retry_after=retry_after)
        return RateDecision(True, limit, limit - int(count))

    def usage(self, now: float) -> list[KeyUsage]:
        window = self.window_seconds
        log_prefix = f"{self._base}log:"
        with self._store.storage():
            logs = sorted(_text(key) for key in self._client.smembers(self._index_key))
            pipe = self._client.pipeline(transaction=False)
            for log_key in logs:
                # What acquire would count at ``now``: arrivals in (now - window, now].
                pipe.zrangebyscore(log_key, f"({now - window!r}", repr(now), withscores=True)
            counted = pipe.execute()
        return [
            KeyUsage(log_key.removeprefix(log_prefix), len(arrivals), arrivals[0][1] + window)
            for log_key, arrivals in zip(logs, counted, strict=True)
            if arrivals
        ]

    def reset(self) -> None:
        with self._store.storage():
            self._store.reset(keys=[self._index_key])


class RedisConcurrencyLimiter(_RedisLimiter):
    """:class:`~standin._core.ratelimit.ConcurrencyLimiter`, its places leased in Redis."""

    kind = "concurrency"

    def __init__(self, store: RedisLimits, base: str, spec: LimiterSpec) -> None:
        super().__init__(store, base, spec)
        self._index_key = f"{base}keys"

    def acquire(self, key: str) -> RateDecision:
        places_key = f"{self._base}places:{key}"
        token = self._store.places.new_token()
        with self._store.storage():
            reply = self._store.concurrency(
                keys=[self._settings_key, places_key, self._index_key],
                args=[*self._defaults, token, self._store.lease_ms],
            )
        return self._decision(reply, places_key, token)

    def _decision(self, reply: Any, places_key: str, token: str) -> RateDecision:
        allowed, in_flight, limit = reply
        limit = int(limit)
        if not allowed:
            return RateDecision(False, limit, 0, retry_after=CONCURRENCY_RETRY_AFTER)
        self._store.places.hold(places_key, token)
        return RateDecision(True, limit, max(0, limit - int(in_flight) - 1))

    def release(self, key: str) -> None:
        places_key = f"{self._base}places:{key}"
        token = self._store.places.let_go(places_key)
        if token is None:
            return
        try:
            self._client.zrem(places_key, token)
        except redis.RedisError as error:
            # The answer has gone: the place runs out with its lease.
            log.warning("could not give a rate-limit place back in Redis: %s", error)

    def in_flight(self, key: str) -> int:
        """Places of ``key`` held now, by every replica."""
        with self._store.storage():
            return int(self._store.in_flight(keys=[f"{self._base}places:{key}"]))

    def usage(self, now: float) -> list[KeyUsage]:
        places_prefix = f"{self._base}places:"
        with self._store.storage():
            keys = sorted(_text(key) for key in self._client.smembers(self._index_key))
            held = [(key, int(self._store.in_flight(keys=[key]))) for key in keys]
        return [KeyUsage(key.removeprefix(places_prefix), count) for key, count in held if count]

    def reset(self) -> None:
        """Free every place. As in memory, this process then holds none: a request admitted
        before the reset that ends after it gives back a place taken since, if there is one."""
        self._store.places.forget(f"{self._base}places:")
        with self._store.storage():
            self._store.reset(keys=[self._index_key])

    def describe(self) -> dict[str, Any]:
        settings = self._settings()
        return {
            "kind": self.kind,
            "limit": settings["limit"],
            "enabled": settings["enabled"],
            "description": self.description,
        }


class HeldPlaces:
    """The places this process holds in concurrency limits, their leases renewed while held.

    A daemon thread renews them every third of the lease, while there are any; places of one
    key are given back oldest first (a reset elsewhere leaves this process's older places gone
    from Redis, and the requests that held them give those back first).
    """

    def __init__(self, client: redis.Redis, lease_ms: int) -> None:
        self._client = client
        self._lease_ms = lease_ms
        self._renew = client.register_script(RENEW)
        self._held: dict[str, deque[str]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread: threading.Thread | None = None
        self._replica = secrets.token_hex(6)
        self._tokens = itertools.count(1)

    def new_token(self) -> str:
        return f"{self._replica}:{next(self._tokens)}"

    def hold(self, places_key: str, token: str) -> None:
        with self._lock:
            first = not self._held
            self._held.setdefault(places_key, deque()).append(token)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._keep, name="standin-limit-leases", daemon=True
                )
                self._thread.start()
            if first:
                self._wake.notify()  # the keeper sleeps while nothing is held

    def let_go(self, places_key: str) -> str | None:
        with self._lock:
            tokens = self._held.get(places_key)
            if not tokens:
                return None
            token = tokens.popleft()
            if not tokens:
                del self._held[places_key]
            return token

    def forget(self, key_prefix: str) -> None:
        """Stop renewing the places of keys under ``key_prefix`` (a removed tenant's)."""
        with self._lock:
            for places_key in [k for k in self._held if k.startswith(key_prefix)]:
                del self._held[places_key]

    def held(self) -> dict[str, list[str]]:
        with self._lock:
            return {key: list(tokens) for key, tokens in self._held.items()}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def _keep(self) -> None:
        interval = self._lease_ms / 3000
        while True:
            with self._lock:
                while not self._held and not self._closed:
                    self._wake.wait()
                # A third of a lease from now, however many places are taken meanwhile.
                renew_at = time.monotonic() + interval
                while not self._closed and (left := renew_at - time.monotonic()) > 0:
                    self._wake.wait(left)
                if self._closed:
                    return
                pairs = [(key, token) for key, tokens in self._held.items() for token in tokens]
            if pairs:
                try:
                    self._renew(
                        keys=[key for key, _ in pairs],
                        args=[self._lease_ms, *(token for _, token in pairs)],
                    )
                except redis.RedisError as error:
                    log.warning("could not renew rate-limit places in Redis: %s", error)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _glob_escaped(text: str) -> str:
    """``text`` matched literally by a Redis glob (SCAN MATCH)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def redis_limits(client: redis.Redis, url: str, **options: Any) -> RedisLimits:
    """The rate-limit store for ``standin serve --redis``: ``Sandbox(..., limit_store=...)``."""
    return RedisLimits(client, url, **options)
