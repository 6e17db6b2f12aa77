"""What every vendor fake provides to the sandbox: the seam between shared machinery and vendor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from standin._core.clock import Clock
from standin._core.ratelimit import LimiterSpec

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox


class VendorApi(Protocol):
    """One vendor's fake, bound to one sandbox.

    ``key`` is the prefix (``/atmotube``) and the control plane's name for it; ``hosts`` are the
    vendor's real host names, routed to the fake in in-process mode.
    """

    key: str
    title: str
    real_base_url: str
    hosts: tuple[str, ...]
    limiters: tuple[LimiterSpec, ...]
    """The vendor's rate limits, declared once; every tenant gets its own copies."""

    def default_credentials(self) -> dict[str, Any]:
        """The well-known credentials of the default tenant (from fixtures)."""
        ...

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        """Fresh credentials for a new tenant, from :mod:`secrets` (never from the seed)."""
        ...

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        """The strings in ``credentials`` that identify their tenant (keys, client ids, users)."""
        ...

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> object:
        """A fresh copy of the fixtures, owned by the tenant holding ``credentials``, reading
        the tenant's ``clock``."""
        ...

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop what the vendor keeps for a removed tenant outside its state (its tokens)."""
        ...

    def app(self) -> ASGIApp:
        """The vendor's routes at their vendor paths, with vendor-style errors."""
        ...

    def control_routes(self) -> list[BaseRoute]:
        """Vendor triggers served under ``/_sandbox/<key>``."""
        ...


class VendorApiFactory(Protocol):
    def __call__(self, sandbox: Sandbox) -> VendorApi: ...
