"""What every vendor fake provides to the sandbox: the seam between shared machinery and vendor."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Protocol

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

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

    def default_credentials(self) -> dict[str, Any]:
        """The well-known credentials of the default tenant (from fixtures)."""
        ...

    def new_credentials(self, tenant_id: str, rng: random.Random) -> dict[str, Any]:
        """Fresh credentials for a new tenant."""
        ...

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        """The strings in ``credentials`` that identify their tenant (keys, client ids, users)."""
        ...

    def new_state(self, tenant_id: str, credentials: dict[str, Any]) -> object:
        """A fresh copy of the fixtures, owned by the tenant holding ``credentials``."""
        ...

    def app(self) -> ASGIApp:
        """The vendor's routes at their vendor paths, with vendor-style errors."""
        ...

    def control_routes(self) -> list[BaseRoute]:
        """Vendor triggers served under ``/_sandbox/<key>``."""
        ...


class VendorApiFactory(Protocol):
    def __call__(self, sandbox: Sandbox) -> VendorApi: ...
