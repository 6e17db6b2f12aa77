"""Tenants: every credential belongs to one, and each has its own state for every API."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standin._core.api import VendorApi

DEFAULT_TENANT = "default"


@dataclass
class Tenant:
    id: str
    credentials: dict[str, dict[str, Any]]
    states: dict[str, object] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TENANT


class TenantRegistry:
    """Creates tenants, finds a tenant by any of its credentials, and resets their state."""

    def __init__(self, apis: Mapping[str, VendorApi], seed: int = 0) -> None:
        self._apis = apis
        self._random = random.Random(seed)
        self._tenants: dict[str, Tenant] = {}
        self._by_credential: dict[tuple[str, str], str] = {}

    def create_default(self) -> Tenant:
        credentials = {key: api.default_credentials() for key, api in self._apis.items()}
        return self._add(DEFAULT_TENANT, credentials)

    def create(self) -> Tenant:
        tenant_id = f"t-{uuid.UUID(int=self._random.getrandbits(128)).hex[:12]}"
        credentials = {
            key: api.new_credentials(tenant_id, self._random) for key, api in self._apis.items()
        }
        return self._add(tenant_id, credentials)

    def restore(
        self, tenant_id: str, credentials: dict[str, dict[str, Any]], states: dict[str, object]
    ) -> Tenant:
        """A kept tenant back (standin: durable state), with its kept states; an API it has
        no credentials or state for gets new ones, as at creation."""
        credentials = dict(credentials)
        for key, api in self._apis.items():
            if key not in credentials:
                credentials[key] = (
                    api.default_credentials()
                    if tenant_id == DEFAULT_TENANT
                    else api.new_credentials(tenant_id, self._random)
                )
        tenant = self._add(tenant_id, credentials, seed=False)
        tenant.states = {
            key: states[key] if key in states else api.new_state(tenant_id, credentials[key])
            for key, api in self._apis.items()
        }
        # The seeded sequence drew the kept tenants' ids and keys before the restart: tenants
        # created from now on must not draw them again.
        self._random.seed(secrets.randbits(128))
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
        """Give tenants fresh copies of their fixtures; returns the ids reset."""
        targets = self.all() if tenant_id is None else [self._tenants[tenant_id]]
        for tenant in targets:
            self._seed_state(tenant)
        return [tenant.id for tenant in targets]

    def _add(
        self, tenant_id: str, credentials: dict[str, dict[str, Any]], *, seed: bool = True
    ) -> Tenant:
        tenant = Tenant(tenant_id, credentials)
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
            key: api.new_state(tenant.id, tenant.credentials[key])
            for key, api in self._apis.items()
        }
