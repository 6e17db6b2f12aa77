"""Tenant ownership, leased in Redis: one replica serves a tenant at a time.

A lease is a key ``standin:lease:<tenant>`` holding ``replica|url|fence`` with an expiry. A
replica takes a free lease (``SET NX PX`` in a script that also draws the next fence number),
renews the ones it holds from a background thread, takes over a lease whose holder no longer
answers (compare-and-set on the stale value) and gives its leases back when it stops. Every
write it keeps is fenced: it lands only while the lease still carries this replica's value.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from standin._core.cluster import keys
from standin._core.cluster.signals import Holder

log = logging.getLogger("standin.cluster")

LEASE_SECONDS = 5.0
"""How long a lease lasts unless renewed: how soon a dead replica's tenants move elsewhere
without anyone noticing it (a request that finds it dead moves them at once)."""
RENEW_SECONDS = 1.5
"""How often the leases held are renewed."""
MARGIN_SECONDS = 1.0
"""A lease is taken for held locally only this long before it would expire in Redis."""

# Take the lease if it is free, or if it still holds ARGV[3] (a stale holder's value).
# Returns {1, new value} when taken, {0, current holder} when not.
ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current and (ARGV[3] == '' or current ~= ARGV[3]) then
  return {0, current}
end
local fence = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. fence
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
"""

# Renew each lease KEYS[i] still holding ARGV[i+1]; returns 1/0 per lease.
RENEW = """
local kept = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    kept[i] = 1
  else
    kept[i] = 0
  end
end
return kept
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass
class Held:
    value: str
    fence: int
    valid_until: float
    """``time.monotonic`` after which the lease is no longer taken for held without asking."""


class Leases:
    """The leases this replica holds, and how it takes, renews and gives them back.

    ``identity`` is ``replica|url``: what other replicas read to hand it requests.
    """

    def __init__(
        self,
        client: redis.Redis,
        replica: str,
        url: str,
        *,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        self.replica = replica
        self.url = url
        self.lease_ms = int(lease_seconds * 1000)
        self._validity = max(lease_seconds - MARGIN_SECONDS, lease_seconds / 2)
        self._renew_seconds = renew_seconds
        self._clock = clock
        self._held: dict[str, Held] = {}
        self._lock = threading.Lock()
        self._acquire = client.register_script(ACQUIRE)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def identity(self) -> str:
        return f"{self.replica}|{self.url}"

    def held(self, tenant_id: str) -> Held | None:
        with self._lock:
            return self._held.get(tenant_id)

    def holds(self, tenant_id: str) -> bool:
        held = self.held(tenant_id)
        return held is not None and self._clock() < held.valid_until

    def acquire(self, tenant_id: str, stale: str = "") -> Holder:
        """Take the tenant's lease if free (or still ``stale``); the holder either way. A lease
        found holding this replica's own identity (renewal fell behind) is taken as it is."""
        started = self._clock()
        taken, value = self._acquire(
            keys=[keys.lease(tenant_id), keys.FENCE], args=[self.identity, self.lease_ms, stale]
        )
        holder = Holder.parse(value.decode() if isinstance(value, bytes) else str(value))
        if taken or holder.replica == self.replica:
            self._keep(tenant_id, holder, started)
        return holder

    def _keep(self, tenant_id: str, holder: Holder, started: float) -> None:
        with self._lock:
            self._held[tenant_id] = Held(holder.value, holder.fence, started + self._validity)

    def revalidate(self, tenant_id: str) -> bool:
        """Renew one lease now; False (and forgotten) if another replica has it."""
        held = self.held(tenant_id)
        if held is None:
            return False
        started = self._clock()
        (kept,) = self._renew(keys=[keys.lease(tenant_id)], args=[self.lease_ms, held.value])
        with self._lock:
            if kept:
                held.valid_until = started + self._validity
            elif self._held.get(tenant_id) is held:
                del self._held[tenant_id]
        return bool(kept)

    def forget(self, tenant_id: str) -> None:
        with self._lock:
            self._held.pop(tenant_id, None)

    def release(self, tenant_id: str) -> None:
        """Give a lease back (the tenant was removed, or this replica stops)."""
        with self._lock:
            held = self._held.pop(tenant_id, None)
        if held is not None:
            self._release(keys=[keys.lease(tenant_id)], args=[held.value])

    def renew_all(self) -> list[str]:
        """Renew every lease held; returns the tenants whose leases were lost."""
        with self._lock:
            held = list(self._held.items())
        if not held:
            return []
        started = self._clock()
        kept = self._renew(
            keys=[keys.lease(tenant_id) for tenant_id, _ in held],
            args=[self.lease_ms, *(lease.value for _, lease in held)],
        )
        lost: list[str] = []
        with self._lock:
            for (tenant_id, lease), still in zip(held, kept, strict=True):
                if still:
                    lease.valid_until = started + self._validity
                elif self._held.get(tenant_id) is lease:
                    del self._held[tenant_id]
                    lost.append(tenant_id)
        return lost

    def start(self) -> None:
        """Renew from a background thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"standin-leases-{self.replica}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._renew_seconds):
            try:
                lost = self.renew_all()
            except redis.RedisError as failure:
                # Leases run out; requests answer 503 until Redis is back, then take them again.
                log.warning("standin: cannot renew tenant leases: %s", failure)
                continue
            if lost:
                log.warning("standin: tenants now served by another replica: %s", lost)

    def stop(self) -> None:
        """Stop renewing and give every lease back, so other replicas serve at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._renew_seconds + 1)
            self._thread = None
        with self._lock:
            tenant_ids = list(self._held)
        for tenant_id in tenant_ids:
            try:
                self.release(tenant_id)
            except redis.RedisError:
                break  # they expire by themselves
