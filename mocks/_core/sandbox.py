"""The sandbox: one object holding everything a running standin shares.

Tenants (each with its own clock, faults and limits) and the journal live here (never at module
level), so two sandboxes in one process, or two tests, never see each other's state.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from standin._core.api import VendorApi, VendorApiFactory
from standin._core.clock import Clock
from standin._core.faults import FaultRegistry
from standin._core.journal import DEFAULT_BYTE_BUDGET, Journal, RequestJournal
from standin._core.persistence import MemoryPersistence, Persistence
from standin._core.ratelimit import LimiterStore, LimitRegistry
from standin._core.sse.store import StreamStore, StreamStoreFactory
from standin._core.tenants import Tenant, TenantRegistry

V = TypeVar("V", bound=VendorApi)
DEFAULT_JOURNAL_CAPACITY = 1000
"""Journal entries kept per tenant unless told otherwise (``--journal-size``)."""


class Sandbox:
    """Every API's fake and every tenant.

    ``clock`` is the default tenant's (new tenants get their own on the same time source);
    ``tenant_ttl`` removes tenants other than the default once no request has reached them for
    that many seconds of real time, read from ``idle_source``: the tenants' own clocks are
    theirs to freeze or move, and moving one must neither keep a tenant alive nor end it.

    ``shared`` (``standin serve --shared``, or any bind beyond loopback) makes even local
    clients show a token on the control plane; so does having an ``admin_token``. Otherwise
    local clients get in without one (:mod:`standin._core.access`).

    ``journal`` (default: a :class:`RequestJournal` of ``journal_capacity`` entries and
    ``journal_bytes`` bytes per tenant)
    and ``limit_store`` (default: every tenant's limiters count in memory) let several replicas
    share the journal and the rate-limit counters (Redis: ``standin._core.cluster``).

    ``stream_stores`` gives each API's SSE hub a store to keep its streams in, so another
    replica can resume them (``standin._core.cluster.events``); None: streams live in memory.
    """

    def __init__(
        self,
        apis: Sequence[VendorApiFactory],
        *,
        clock: Clock | None = None,
        seed: int = 0,
        journal_capacity: int = DEFAULT_JOURNAL_CAPACITY,
        journal_bytes: int = DEFAULT_BYTE_BUDGET,
        admin_token: str | None = None,
        shared: bool = False,
        persistence: Persistence | None = None,
        tenant_ttl: float | None = None,
        idle_source: Callable[[], float] = time.monotonic,
        journal: Journal | None = None,
        limit_store: LimiterStore | None = None,
        stream_stores: StreamStoreFactory | None = None,
    ) -> None:
        self.started = time.monotonic()
        self.stream_stores = stream_stores
        self.tenant_dropped: list[Callable[[str], object]] = []
        """What runs when this process lets go of a tenant (see ``TenantRegistry.dropped``);
        vendors add to it as they are made."""
        self.tenant_loaded: list[Callable[[Tenant], object]] = []
        """What runs when this process takes up a tenant kept in a shared store (another
        replica may have served it until now), once its state and settings are loaded and
        before any request reaches it: vendors re-create what lives beside its state (event
        streams). A persistence that shares tenants between processes runs it."""
        self.clock = clock or Clock()
        self.seed = seed
        self.journal: Journal = (
            RequestJournal(journal_capacity, journal_bytes) if journal is None else journal
        )
        self.limit_store = limit_store
        self.admin_token = admin_token
        self.shared = shared
        self.secret = secrets.token_bytes(32)
        self.tenant_ttl = tenant_ttl
        self._idle_source = idle_source
        self._swept_at = idle_source()
        self.apis: dict[str, VendorApi] = {}
        for factory in apis:
            api = factory(self)
            self.apis[api.key] = api
        self.tenants = TenantRegistry(
            self.apis, self.clock, seed, idle_source=idle_source, limit_store=limit_store
        )
        self.tenants.dropped = self.tenant_dropped
        # Durable state: what was kept comes back; a fresh store keeps the default tenant.
        self.persistence: Persistence = persistence or MemoryPersistence()
        if not self.persistence.restore(self):
            self.persistence.save_tenant(self.tenants.create_default())

    @property
    def is_shared(self) -> bool:
        """Whether every control-plane request, a local one too, needs a token."""
        return self.shared or bool(self.admin_token)

    @property
    def faults(self) -> FaultRegistry:
        """The default tenant's faults (also those of requests that reach no tenant)."""
        return self.tenants.default().faults

    @property
    def limits(self) -> LimitRegistry:
        """The default tenant's rate limits."""
        return self.tenants.default().limits

    def stream_store(self, api: str) -> StreamStore | None:
        """Where ``api``'s event streams are kept besides memory (None: nowhere else)."""
        return None if self.stream_stores is None else self.stream_stores(api)

    def api(self, key: str) -> VendorApi:
        return self.apis[key]

    def vendor(self, kind: type[V]) -> V:
        """This sandbox's fake of type ``kind`` (``sandbox.vendor(AtriusApi)``), typed."""
        for api in self.apis.values():
            if isinstance(api, kind):
                return api
        raise KeyError(f"this sandbox serves no {kind.__name__}")

    def tenant(self, tenant_id: str | None = None) -> Tenant:
        """The tenant ``tenant_id`` (the default one when None); KeyError if there is none."""
        tenant = self.tenants.default() if tenant_id is None else self.tenants.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        return tenant

    def clock_for(self, tenant_id: str) -> Clock:
        """The clock of the tenant ``tenant_id``; the default tenant's once it is gone (its
        tokens are forgotten with it, so nothing of it is judged on that clock for long)."""
        # This process's own: with several replicas, a tenant's tokens are judged where it is
        # served (the token directory's claim sends them there first).
        tenant = self.tenants.local(tenant_id)
        return self.clock if tenant is None else tenant.clock

    def reset(self, tenant_id: str | None = None) -> list[str]:
        """Tenants (all, or one) back to their fixtures, their rate-limit counters forgotten.

        Credentials, tokens, clocks and faults are left as they are: tests drive those.
        """
        reset = self.tenants.reset(tenant_id)
        for tenant in self.tenants.all():
            if tenant.id in reset:
                self.persistence.save_tenant(tenant)
        return reset

    def create_tenant(self) -> Tenant:
        """A new tenant (its tenant token is dropped: in-process use needs none)."""
        return self.create_tenant_with_token()[0]

    def create_tenant_with_token(self) -> tuple[Tenant, str]:
        """A new tenant and its tenant token, which is at hand only now: the tenant and its
        data directory or Redis keep the token's digest alone."""
        tenant, token = self.tenants.create()
        self.persistence.save_tenant(tenant)
        return tenant, token

    def close(self) -> None:
        """Let go of the data directory, if state is kept in one, and of a shared store."""
        if self.limit_store is not None:
            self.limit_store.close()
        self.persistence.close()

    def remove_tenant(self, tenant_id: str) -> bool:
        """Forget a tenant: its state, limits and faults, its tokens, its journal entries.
        Whether there was one; ValueError for the default tenant, which always stays."""
        tenant = self.tenants.remove(tenant_id)
        if tenant is None:
            return False
        for api in self.apis.values():
            api.forget_tenant(tenant_id)
        self.journal.forget_tenant(tenant_id)
        if self.limit_store is not None:
            self.limit_store.forget_tenant(tenant_id)
        self.persistence.remove_tenant(tenant_id)
        return True

    def note_use(self, tenant_id: str | None) -> Tenant | None:
        """A request reached ``tenant_id`` (or no tenant); with a TTL, idle tenants go.

        Returns the tenant if this process still has it afterwards (None: none, or gone)."""
        # Only a tenant this process has: asking a shared directory here could move it.
        tenant = None if tenant_id is None else self.tenants.local(tenant_id)
        if tenant is not None:
            self.tenants.touch(tenant)
        if self.tenant_ttl is not None:
            now = self._idle_source()
            # Looking is cheap but not free: at most once a second (sooner for a short TTL).
            if now - self._swept_at >= min(1.0, self.tenant_ttl):
                self._swept_at = now
                if self.remove_idle_tenants() and tenant is not None:
                    tenant = self.tenants.local(tenant.id)
        return tenant

    def remove_idle_tenants(self) -> list[str]:
        """Remove the tenants idle longer than the TTL; returns their ids."""
        if self.tenant_ttl is None:
            return []
        gone = [tenant.id for tenant in self.tenants.idle(self.tenant_ttl)]
        for tenant_id in gone:
            self.remove_tenant(tenant_id)
        return gone

    def credentials(self, tenant_id: str | None = None) -> dict[str, dict[str, Any]]:
        tenant = self.tenant(tenant_id)
        return {key: dict(value) for key, value in tenant.credentials.items()}
