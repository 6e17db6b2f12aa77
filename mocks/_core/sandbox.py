"""The sandbox: one object holding everything a running standin shares.

Clock, tenants, journal, faults and limits live here (never at module level), so two sandboxes
in one process, or two tests, never see each other's state.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from standin._core.api import VendorApi, VendorApiFactory
from standin._core.clock import Clock
from standin._core.faults import FaultRegistry
from standin._core.journal import RequestJournal
from standin._core.persistence import MemoryPersistence, Persistence
from standin._core.ratelimit import LimitRegistry
from standin._core.tenants import Tenant, TenantRegistry

V = TypeVar("V", bound=VendorApi)


class Sandbox:
    def __init__(
        self,
        apis: Sequence[VendorApiFactory],
        *,
        clock: Clock | None = None,
        seed: int = 0,
        journal_capacity: int = 1000,
        admin_token: str | None = None,
        persistence: Persistence | None = None,
    ) -> None:
        self.started = time.monotonic()
        self.clock = clock or Clock()
        self.seed = seed
        self.journal = RequestJournal(journal_capacity)
        self.faults = FaultRegistry(seed)
        self.limits = LimitRegistry()
        self.admin_token = admin_token
        self.secret = secrets.token_bytes(32)
        self.apis: dict[str, VendorApi] = {}
        for factory in apis:
            api = factory(self)
            self.apis[api.key] = api
        self.tenants = TenantRegistry(self.apis, seed)
        # standin: durable state. What was kept comes back; a fresh store keeps the default.
        self.persistence: Persistence = persistence or MemoryPersistence()
        if not self.persistence.restore(self):
            self.persistence.save_tenant(self.tenants.create_default())

    def api(self, key: str) -> VendorApi:
        return self.apis[key]

    def vendor(self, kind: type[V]) -> V:
        """This sandbox's fake of type ``kind`` (``sandbox.vendor(AtriusApi)``), typed."""
        for api in self.apis.values():
            if isinstance(api, kind):
                return api
        raise KeyError(f"this sandbox serves no {kind.__name__}")

    def reset(self, tenant_id: str | None = None) -> list[str]:
        """Tenants back to their fixtures; a full reset also forgets rate-limit counters.

        Credentials, tokens, the clock and faults are left as they are: tests drive those.
        """
        reset = self.tenants.reset(tenant_id)
        if tenant_id is None:
            self.limits.reset()
        for tenant in self.tenants.all():
            if tenant.id in reset:
                self.persistence.save_tenant(tenant)
        return reset

    def create_tenant(self) -> Tenant:
        tenant = self.tenants.create()
        self.persistence.save_tenant(tenant)
        return tenant

    def close(self) -> None:
        """Let go of the data directory, if state is kept in one."""
        self.persistence.close()

    def credentials(self, tenant_id: str | None = None) -> dict[str, dict[str, Any]]:
        tenant = self.tenants.default() if tenant_id is None else self.tenants.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        return {key: dict(value) for key, value in tenant.credentials.items()}
