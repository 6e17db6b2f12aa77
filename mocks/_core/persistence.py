"""Where a sandbox keeps what it must not forget: the hook the sandbox, the seam, the token
issuers and the control plane call after every acknowledged write.

The default keeps nothing (state lives in memory and ends with the process);
:class:`standin._core.durable.SqlitePersistence` keeps it in a data directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, SupportsIndex, TypeVar

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from standin._core.sandbox import Sandbox
    from standin._core.tenants import Tenant

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests with these methods change nothing that is kept, so nothing is saved after them."""


class Persistence(Protocol):
    storage: str
    """What ``/_sandbox/health`` says state is kept in: ``memory``, ``sqlite`` or ``redis``."""

    def restore(self, sandbox: Sandbox) -> bool:
        """Bring back the kept tenants, states, tokens and signing keys into ``sandbox`` (whose
        APIs are built, its tenants not yet); False when nothing was kept."""
        ...

    def save_tenant(self, tenant: Tenant) -> None:
        """Keep a tenant: its credentials and every API's state (after creation or reset)."""
        ...

    def save_state(self, tenant: Tenant, api: str) -> None:
        """Keep one API's state of a tenant, as it is now (after a write)."""
        ...

    def save_api(self, api: str) -> None:
        """Keep one API's state of every tenant (after a control-plane trigger)."""
        ...

    def remove_tenant(self, tenant_id: str) -> None:
        """Forget a deleted tenant and its states."""
        ...

    def save_settings(self, tenant: Tenant) -> None:
        """Keep a tenant's clock, faults and rate-limit settings (after the control plane
        changed them)."""
        ...

    def save_sandbox_settings(self, api: str, values: dict[str, Any]) -> None:
        """Keep an API's sandbox-wide settings (not a tenant's: BuildingMinds' processing
        times, Metasys' heartbeat periods) where every process serving the sandbox reads them."""
        ...

    def sandbox_settings(self, api: str) -> dict[str, Any] | None:
        """An API's sandbox-wide settings as last kept by any process serving the sandbox;
        None when none are kept elsewhere (this process's own then apply)."""
        ...

    def faults_elsewhere(self, tenant_id: str, api: str, method: str, path: str) -> bool:
        """Whether the tenant ``tenant_id``, not in this process, keeps a fault that may apply
        to this request (several replicas: the one serving it must then answer it)."""
        ...

    def unavailable(self) -> str | None:
        """Why state cannot be kept right now (its store unreachable), or None."""
        ...

    def front(self, app: ASGIApp) -> ASGIApp:
        """``app`` with whatever this storage puts in front of it (several replicas hand
        requests to each other there)."""
        ...

    def close(self) -> None: ...


class MemoryPersistence:
    """Keeps nothing: a restart starts again from the fixtures."""

    storage = "memory"

    def restore(self, sandbox: Sandbox) -> bool:
        return False

    def save_tenant(self, tenant: Tenant) -> None:
        pass

    def save_state(self, tenant: Tenant, api: str) -> None:
        pass

    def save_api(self, api: str) -> None:
        pass

    def remove_tenant(self, tenant_id: str) -> None:
        pass

    def save_settings(self, tenant: Tenant) -> None:
        pass

    def save_sandbox_settings(self, api: str, values: dict[str, Any]) -> None:
        pass

    def sandbox_settings(self, api: str) -> dict[str, Any] | None:
        return None

    def faults_elsewhere(self, tenant_id: str, api: str, method: str, path: str) -> bool:
        return False

    def unavailable(self) -> str | None:
        return None

    def front(self, app: ASGIApp) -> ASGIApp:
        return app

    def close(self) -> None:
        pass


T = TypeVar("T")


class Listeners(list[T]):
    """Callbacks a state tells of its changes (open event streams): runtime wiring, not state.

    A kept snapshot holds none; whoever listens registers again after a restart.
    """

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (Listeners, ())
