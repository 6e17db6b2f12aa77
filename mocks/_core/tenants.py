"""Tenants: every credential belongs to one, and each has its own state for every API, its own
clock, faults and rate limits, so that nothing one tenant does reaches another."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from standin._core.access import new_tenant_token, token_digest
from standin._core.api import VendorApi
from standin._core.clock import Clock
from standin._core.faults import FaultRegistry
from standin._core.ratelimit import LimiterStore, LimitRegistry

DEFAULT_TENANT = "default"
Listed = tuple[str, dict[str, dict[str, Any]]]
"""A tenant as a listing shows it: its id and credentials (never its tenant token, which is
shown once, when the tenant is created, and kept only as a digest)."""
TENANT_TOKEN_INDEX = "_tenant_token"
"""The name a shared directory indexes tenant tokens under (by digest), beside the APIs'
credentials: no API key starts with an underscore."""
T = TypeVar("T")


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
    token_digest: bytes | None = None
    """The SHA-256 digest of the tenant token that opens this tenant's control plane (the
    token itself is answered once, at creation, and kept nowhere); the default tenant has none
    (only the admin token, or a local client of an unshared sandbox, reaches it)."""

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_TENANT


class TenantSource(Protocol):
    """Where tenants this process does not hold come from: several replicas serving one sandbox
    (``standin serve --redis``) keep every tenant in a shared directory, and a replica holds the
    ones it serves (``standin._core.cluster``). Without a source, every tenant is local."""

    def holds(self, tenant_id: str) -> bool:
        """Whether a local tenant is still this process's to serve (no round trip)."""
        ...

    def revalidate(self, tenant_id: str) -> bool:
        """Ask again (a round trip) whether a local tenant is still this process's."""
        ...

    def load(self, tenant_id: str) -> Tenant | None:
        """Bring a kept tenant here (into the registry), or None if there is no such tenant;
        raises when another process serves it."""
        ...

    def tenant_of(self, api: str, credential: str) -> str | None:
        """The id of the tenant a credential belongs to, wherever it is served."""
        ...

    def listing(self) -> list[Listed]:
        """Every tenant's id and credentials, wherever it is served, in creation order."""
        ...

    def peek(self, tenant_id: str, api: str) -> object | None:
        """A copy of a tenant's kept state of ``api``, to look at, never to change."""
        ...


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
        self._by_token: dict[bytes, str] = {}

        self.source: TenantSource | None = None
        """Set by a persistence that shares tenants between processes (Redis)."""
        self.dropped: list[Callable[[str], object]] = []
        """Called with a tenant's id once this process let go of it (removed, or now served
        elsewhere): what lives beside its state (event streams) goes too."""

    def create_default(self) -> Tenant:
        credentials = {key: api.default_credentials() for key, api in self._apis.items()}
        return self._add(DEFAULT_TENANT, credentials, self._clock)

    def create(self) -> tuple[Tenant, str]:
        """A new tenant, and its tenant token: the only time the token is at hand (the
        tenant keeps its digest)."""
        tenant_id = f"t-{secrets.token_hex(8)}"
        while tenant_id in self._tenants:  # pragma: no cover - 64 random bits
            tenant_id = f"t-{secrets.token_hex(8)}"
        credentials = {key: api.new_credentials(tenant_id) for key, api in self._apis.items()}
        token = new_tenant_token()
        tenant = self._add(tenant_id, credentials, self._clock.fresh(), digest=token_digest(token))
        return tenant, token

    def restore(
        self,
        tenant_id: str,
        credentials: dict[str, dict[str, Any]],
        load_states: Callable[[Clock], dict[str, object]],
        digest: bytes | None = None,
    ) -> Tenant:
        """A kept tenant back (durable state): its kept states and tenant token's digest,
        loaded onto the clock it gets here; an API it has no credentials or state for gets new
        ones. A tenant kept without a token (by a standin older than tenant tokens) stays
        without one: a token made now could never be shown, so the admin token opens it."""
        credentials = dict(credentials)
        for key, api in self._apis.items():
            if key not in credentials:
                credentials[key] = (
                    api.default_credentials()
                    if tenant_id == DEFAULT_TENANT
                    else api.new_credentials(tenant_id)
                )
        clock = self._clock if tenant_id == DEFAULT_TENANT else self._clock.fresh()
        if tenant_id == DEFAULT_TENANT:
            digest = None
        tenant = self._add(tenant_id, credentials, clock, seed=False, digest=digest)
        states = load_states(tenant.clock)
        tenant.states = {
            key: states[key]
            if key in states
            else api.new_state(tenant_id, credentials[key], tenant.clock)
            for key, api in self._apis.items()
        }
        return tenant

    def get(self, tenant_id: str) -> Tenant | None:
        tenant = self._tenants.get(tenant_id)
        source = self.source
        if source is None or (tenant is not None and source.holds(tenant_id)):
            return tenant
        if tenant is not None:
            if source.revalidate(tenant_id):
                return tenant
            self.drop(tenant_id)
        return source.load(tenant_id)

    def local(self, tenant_id: str) -> Tenant | None:
        """The tenant if this process has it, without asking a shared directory."""
        return self._tenants.get(tenant_id)

    def default(self) -> Tenant:
        tenant = self.get(DEFAULT_TENANT)
        if tenant is None:
            raise KeyError(DEFAULT_TENANT)
        return tenant

    def all(self) -> list[Tenant]:
        """The tenants this process has (with a shared directory, the ones it serves)."""
        return list(self._tenants.values())

    def by_token(self, token: str) -> Tenant | None:
        """The tenant whose tenant token ``token`` is (digests compared in constant time), or
        None."""
        digest = token_digest(token)
        tenant_id = self._by_token.get(digest)
        if tenant_id is None and self.source is not None:
            tenant_id = self.source.tenant_of(TENANT_TOKEN_INDEX, digest.hex())
        tenant = None if tenant_id is None else self.get(tenant_id)
        kept = None if tenant is None else tenant.token_digest
        if kept is None or not hmac.compare_digest(digest, kept):
            return None
        return tenant

    def first(
        self, find: Callable[[Tenant], T | None], api: str, holds: Callable[[object], bool]
    ) -> T | None:
        """What ``find`` finds in the first tenant it finds something in (a trigger that names
        a record, not its tenant): this process's tenants first; then, with a shared
        directory, the first other tenant whose kept ``api`` state ``holds`` the record (a
        look that changes nothing), brought here or the request handed to its replica."""
        for tenant in self.all():
            found = find(tenant)
            if found is not None:
                return found
        if self.source is None:
            return None
        for tenant_id, *_ in self.source.listing():
            if tenant_id in self._tenants:
                continue
            state = self.source.peek(tenant_id, api)
            if state is not None and holds(state):
                kept = self.get(tenant_id)
                return None if kept is None else find(kept)
        return None

    def listing(self) -> list[Listed]:
        """Every tenant's id and credentials: with a shared directory, every replica's."""
        if self.source is not None:
            return self.source.listing()
        return [(tenant.id, tenant.credentials) for tenant in self.all()]

    def resolve(self, api: str, credential: str) -> Tenant | None:
        tenant_id = self._by_credential.get((api, credential))
        if tenant_id is None and self.source is not None:
            tenant_id = self.source.tenant_of(api, credential)
        return None if tenant_id is None else self.get(tenant_id)

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
        if self.source is not None:
            self.get(tenant_id)  # served elsewhere: the request goes there
        return self.drop(tenant_id)

    def drop(self, tenant_id: str) -> Tenant | None:
        """Let go of a local tenant (removed, or now served by another process)."""
        tenant = self._tenants.pop(tenant_id, None)
        if tenant is not None:
            if tenant.token_digest is not None:
                self._by_token.pop(tenant.token_digest, None)
            for key, api in self._apis.items():
                for credential in api.credential_keys(tenant.credentials[key]):
                    self._by_credential.pop((key, credential), None)
            for listener in self.dropped:
                listener(tenant_id)
        return tenant

    def touch(self, tenant: Tenant) -> None:
        """A request reached ``tenant``: it is not idle."""
        tenant.last_used = self._idle_source()

    def idle(self, seconds: float) -> list[Tenant]:
        """Tenants other than the default that no request has reached for ``seconds``."""
        cutoff = self._idle_source() - seconds
        return [t for t in self.all() if not t.is_default and t.last_used < cutoff]

    def _add(
        self,
        tenant_id: str,
        credentials: dict[str, dict[str, Any]],
        clock: Clock,
        *,
        seed: bool = True,
        digest: bytes | None = None,
    ) -> Tenant:
        specs = {key: api.limiters for key, api in self._apis.items()}
        tenant = Tenant(
            tenant_id,
            credentials,
            clock,
            FaultRegistry(self._seed),
            LimitRegistry.from_specs(specs, clock, store=self._limit_store, tenant_id=tenant_id),
            last_used=self._idle_source(),
            token_digest=digest,
        )
        for key, api in self._apis.items():
            for credential in api.credential_keys(credentials[key]):
                owner = self._by_credential.setdefault((key, credential), tenant_id)
                if owner != tenant_id:
                    raise ValueError(f"{key} credential already belongs to tenant {owner}")
        if seed:
            self._seed_state(tenant)
            # Its idle time starts once it exists: copying fixtures can outlast a short TTL.
            tenant.last_used = self._idle_source()
        self._tenants[tenant_id] = tenant
        if digest is not None:
            self._by_token[digest] = tenant_id
        return tenant

    def _seed_state(self, tenant: Tenant) -> None:
        tenant.states = {
            key: api.new_state(tenant.id, tenant.credentials[key], tenant.clock)
            for key, api in self._apis.items()
        }
