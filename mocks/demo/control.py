"""What a demo workflow may ask of the sandbox, in-process or over HTTP: credentials, the time,
moving the clock, and a fault on the next matching request.

The demo runs as a tenant of its own: its clock and faults are that tenant's, so a demo against
a shared server moves nobody else's clock and fails nobody else's requests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from standin._core.access import ADMIN_HEADER
from standin._core.faults import Fault
from standin._core.sandbox import Sandbox
from standin._core.tenants import Tenant
from standin.clients._http import DEFAULT_TIMEOUT


class SandboxControl(Protocol):
    where: str
    """How the fakes are reached, for the progress display."""

    def credentials(self, api: str) -> dict[str, Any]:
        """The demo's own tenant's credentials, so the demo leaves other tenants' data be."""
        ...

    def now(self) -> datetime:
        """The demo tenant's time (what its tokens, limits and readings go by)."""
        ...

    def advance(self, seconds: float) -> None:
        """Moves the demo tenant's clock on; the demo's clients sleep this way."""
        ...

    def fail_next(
        self, api: str, method: str, path: str, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        """Answers the next ``method path`` of ``api`` (a glob) with this error, once."""
        ...


class InProcessControl:
    """``tenant`` is the demo's (a new one when None)."""

    def __init__(self, sandbox: Sandbox, tenant: Tenant | None = None) -> None:
        self.sandbox = sandbox
        self.where = "in-process (the vendors' host names are routed to the fakes)"
        self.tenant = tenant or sandbox.create_tenant()

    def credentials(self, api: str) -> dict[str, Any]:
        return dict(self.tenant.credentials[api])

    def now(self) -> datetime:
        return self.tenant.clock.now()

    def advance(self, seconds: float) -> None:
        self.tenant.clock.advance(seconds)

    def fail_next(
        self, api: str, method: str, path: str, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        fault = Fault(api=api, method=method, path=path, status=status, body=body, count=1)
        fault.headers = dict(headers)
        self.tenant.faults.add(fault)


class RemoteControl:
    """The control plane (``/_sandbox``) of a running ``standin serve``."""

    def __init__(self, base_url: str, admin_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.where = self.base_url
        headers = {} if admin_token is None else {ADMIN_HEADER: admin_token}
        self._http = httpx.Client(
            base_url=self.base_url + "/_sandbox", headers=headers, timeout=DEFAULT_TIMEOUT
        )
        self._offset = timedelta(0)
        try:
            self._tenant: dict[str, Any] = self._json("POST", "/tenants")
            self._params = {"tenant": str(self._tenant["tenant"])}
            self._sync(self._json("GET", "/clock", params=self._params))
        except BaseException:
            self._http.close()  # refused (no admin token, say): nothing will close it later
            raise

    def close(self) -> None:
        self._http.close()

    def _json(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        response = self._http.request(method, path, json=body, params=params)
        response.raise_for_status()
        return response.json()

    def _sync(self, clock: Any) -> None:
        server = datetime.fromisoformat(str(clock["now"]).replace("Z", "+00:00"))
        self._offset = server - datetime.now(UTC)

    def credentials(self, api: str) -> dict[str, Any]:
        values: dict[str, Any] = self._tenant[api]
        return values

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        self._sync(self._json("POST", "/clock", {"advance": seconds}, self._params))

    def fail_next(
        self, api: str, method: str, path: str, status: int, body: Any, headers: dict[str, str]
    ) -> None:
        spec = {
            "api": api,
            "method": method,
            "path": path,
            "status": status,
            "body": body,
            "headers": headers,
            "count": 1,
        }
        self._json("POST", "/faults", spec, self._params)
