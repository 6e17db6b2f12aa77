"""Tenants: every credential belongs to one, and each has its own state for every API, its own
clock, faults and rate limits, so that nothing one tenant does reaches another."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from standin._core.api import VendorApi
from standin._core.clock import Clock
from standin._core.faults import FaultRegistry
from standin._core.ratelimit import LimiterStore, LimitRegistry

DEFAULT_TENANT = "default"


@dataclass
class Tenant:
    id: str
    credentials: dict[str, dict[str, Any]]
    clock: Clock
    """What every fake reads for this tenant: token expiry, rate-limit windows, time series."""
    faults: FaultRegistry
    limits: LimitRegistry
    states: dict[str, object] = field(default_factory=dict)
    last_used: float = 0.0
    """When a request last reached the tenant, in ``time.monotonic`` seconds (for the TTL)."""

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TENANT


class TenantRegistry:
    """Creates and removes tenants, finds a tenant by any of its credentials, resets their state.

    The default tenant runs on ``clock`` (the sandbox's, which tests may freeze); every other
    tenant gets a fresh clock on the same time source. Ids and credentials of new tenants come
    from :mod:`secrets`: the seed shapes fixture data only, so nobody can compute another
    tenant's credentials offline. ``limit_store`` keeps the tenants' rate-limit counters and
    settings out of this process (Redis, for several replicas).
    """

    def __init__(
        self,
        apis: Mapping[str, VendorApi],
        clock: Clock,
        seed: int = 0,
        *,
        idle_source: Callable[[], float] = time.monotonic,
        limit_store: LimiterStore | None = None,
    ) -> None:
        self._apis = apis
        self._limit_store = limit_store
        self._clock = clock
        self._seed = seed
        self._idle_source = idle_source
        self._tenants: dict[str, Tenant] = {}
        self._by_credential: dict[tuple[str, str], str] = {}

    def create_default(self) -> Tenant:
        credentials = {key: api.default_credentials() for key, api in self._apis.items()}
        return self._add(DEFAULT_TENANT, credentials, self._clock)

    def create(self) -> Tenant:
        tenant_id = f"t-{secrets.token_hex(8)}"
        while tenant_id in self._tenants:  # pragma: no cover - 64 random bits
            tenant_id = f"t-{secrets.token_hex(8)}"
        credentials = {key: api.new_credentials(tenant_id) for key, api in self._apis.items()}
        return self._add(tenant_id, credentials, self._clock.fresh())

    def restore(
        self,
        tenant_id: str,
        credentials: dict[str, dict[str, Any]],
        load_states: Callable[[Clock], dict[str, object]],
    ) -> Tenant:
        """A kept tenant back (durable state): its kept states, loaded onto the clock it gets
        here; an API it has no credentials or state for gets new ones, as at creation."""
        credentials = dict(credentials)
        for key, api in self._apis.items():
            if key not in credentials:
                credentials[key] = (
                    api.default_credentials()
                    if tenant_id == DEFAULT_TENANT
                    else api.new_credentials(tenant_id)
                )
        clock = self._clock if tenant_id == DEFAULT_TENANT else self._clock.fresh()
        tenant = self._add(tenant_id, credentials, clock, seed=False)
        states = load_states(tenant.clock)
        tenant.states = {
            key: states[key]
            if key in states
            else api.new_state(tenant_id, credentials[key], tenant.clock)
            for key, api in self._apis.items()
        }
        return tenant

    def get(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def default(self) -> Tenant:
        return self._tenants[DEFAULT_TENANT]

    def all(self) -> list[Tenant]:
        return list(self._tenants.values())

    def resolve(self, api: str, credential: str) -> Tenant | None:
        tenant_id = self._by_credential.get((api, credential))
        return None if tenant_id is None else self._tenants[tenant_id]

    def reset(self, tenant_id: str | None = None) -> list[str]:
        """Give tenants fresh copies of their fixtures and forget their rate-limit counters;
        returns the ids reset."""
        targets = self.all() if tenant_id is None else [self._tenants[tenant_id]]
        for tenant in targets:
            self._seed_state(tenant)
            tenant.limits.reset()
        return [tenant.id for tenant in targets]

    def remove(self, tenant_id: str) -> Tenant | None:
        """Forget a tenant and its credentials; the default tenant stays (ValueError)."""
        if tenant_id == DEFAULT_TENANT:
            raise ValueError("the default tenant cannot be removed")
        tenant = self._tenants.pop(tenant_id, None)
        if tenant is not None:
            for key, api in self._apis.items():
                for credential in api.credential_keys(tenant.credentials[key]):
                    self._by_credential.pop((key, credential), None)
        return tenant

    def touch(self, tenant: Tenant) -> None:
        """A request reached ``tenant``: it is not idle."""
        tenant.last_used = self._idle_source()

    def idle(self, seconds: float) -> list[Tenant]:
        """Tenants other than the default that no request has reached for ``seconds``."""
        cutoff = self._idle_source() - seconds
        return [t for t in self._tenants.values() if not t.is_default and t.last_used < cutoff]

    def _add(
        self,
        tenant_id: str,
        credentials: dict[str, dict[str, Any]],
        clock: Clock,
        *,
        seed: bool = True,
    ) -> Tenant:
        specs = {key: api.limiters for key, api in self._apis.items()}
        tenant = Tenant(
            tenant_id,
            credentials,
            clock,
            FaultRegistry(self._seed),
            LimitRegistry.from_specs(specs, clock, store=self._limit_store, tenant_id=tenant_id),
            last_used=self._idle_source(),
        )
        for key, api in self._apis.items():
            for credential in api.credential_keys(credentials[key]):
                owner = self._by_credential.setdefault((key, credential), tenant_id)
                if owner != tenant_id:
                    raise ValueError(f"{key} credential already belongs to tenant {owner}")
        if seed:
            self._seed_state(tenant)
        self._tenants[tenant_id] = tenant
        return tenant

    def _seed_state(self, tenant: Tenant) -> None:
        tenant.states = {
            key: api.new_state(tenant.id, tenant.credentials[key], tenant.clock)
            for key, api in self._apis.items()
        }
