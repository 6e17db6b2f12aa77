"""What a test against standin needs besides the sandbox: the reference clients wired to it (or
to a live target), a sleep that moves the sandbox clock instead of waiting, and faults.

The pytest plugin (:mod:`standin.pytest_plugin`) builds its fixtures from these; they work as
well without pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from standin._core.clock import Clock
from standin._core.faults import Fault, FaultRegistry
from standin._core.sandbox import Sandbox
from standin._core.tenants import Tenant

if TYPE_CHECKING:
    from standin.clients._http import Clock as ClientClock
    from standin.clients._http import Sleeper
    from standin.clients.atmotube import AtmotubeClient
    from standin.clients.atrius import AtriusClient
    from standin.clients.buildingminds import BuildingMindsClient
    from standin.clients.locus import LocusClient
    from standin.clients.metasys import MetasysClient

__all__ = [
    "CLIENT_APIS",
    "SandboxFaults",
    "SandboxTime",
    "StandinClients",
    "connect_client",
]

CLIENT_APIS = ("atmotube", "atrius", "buildingminds", "locus", "metasys")
"""The APIs that have a reference client."""


class Closeable(Protocol):
    def close(self) -> None: ...


def _tenant_id(tenant: Tenant | str | None) -> str | None:
    return tenant.id if isinstance(tenant, Tenant) else tenant


class SandboxTime:
    """Time for a client on the sandbox: ``now`` reads the clock of ``tenant`` (the default
    tenant's when None), ``sleep`` moves it on by the seconds asked (at once, without waiting)
    and records them in ``waits``."""

    def __init__(self, sandbox: Sandbox, tenant: Tenant | str | None = None) -> None:
        self.sandbox = sandbox
        self.tenant_id = _tenant_id(tenant)
        self.waits: list[float] = []

    @property
    def clock(self) -> Clock:
        return self.sandbox.tenant(self.tenant_id).clock

    def now(self) -> datetime:
        return self.clock.now()

    def sleep(self, seconds: float, /) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


class SandboxFaults:
    """Faults injected into the answers to ``tenant`` (the default tenant when None, whose
    faults also answer requests that reach no tenant), as ``POST /_sandbox/faults`` takes
    them."""

    def __init__(self, sandbox: Sandbox, tenant: Tenant | str | None = None) -> None:
        self.sandbox = sandbox
        self.tenant_id = _tenant_id(tenant)

    @property
    def registry(self) -> FaultRegistry:
        return self.sandbox.tenant(self.tenant_id).faults

    def add(
        self,
        api: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        latency_ms: float = 0,
        count: int | None = None,
        probability: float = 1.0,
    ) -> str:
        """Answer ``api``'s requests that match ``method`` and ``path`` (a glob on the vendor's
        path, e.g. ``/v3/sites/*``) with ``status``, ``body`` and ``headers``, after
        ``latency_ms``; the next ``count`` of them (all, when None), each with ``probability``.
        Returns the fault's id. Raises ValueError for a fault the control plane would refuse."""
        spec: dict[str, Any] = {
            "api": api,
            "method": method,
            "path": path,
            "status": status,
            "body": body,
            "headers": dict(headers or {}),
            "latency_ms": latency_ms,
            "count": count,
            "probability": probability,
        }
        fault = Fault.from_spec(spec, set(self.sandbox.apis))
        self.registry.add(fault)
        return fault.id

    def remove(self, fault_id: str) -> bool:
        """Whether there was such a fault."""
        return self.registry.remove(fault_id)

    def clear(self) -> None:
        self.registry.clear()

    def list(self) -> list[dict[str, Any]]:
        """The faults still in force, as ``GET /_sandbox/faults`` lists them."""
        return [fault.as_dict() for fault in self.registry.list()]


def _root(base_url: str | None) -> str | None:
    return None if base_url is None else base_url.rstrip("/")


def _atmotube(credentials: Mapping[str, Any], base_url: str | None, **time: Any) -> Any:
    from standin.clients.atmotube import DEFAULT_BASE_URL, AtmotubeClient

    return AtmotubeClient(
        str(credentials["api_key"]), base_url=base_url or DEFAULT_BASE_URL, **time
    )


def _atrius(credentials: Mapping[str, Any], base_url: str | None, **time: Any) -> Any:
    from standin.clients.atrius import DEFAULT_BASE_URL, AtriusClient

    return AtriusClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        base_url=base_url or DEFAULT_BASE_URL,
        **time,
    )


def _buildingminds(credentials: Mapping[str, Any], base_url: str | None, **time: Any) -> Any:
    from standin.check.profiles.buildingminds import DEFAULT_TENANT, login_url
    from standin.clients.buildingminds import BuildingMindsClient

    options: dict[str, Any] = {"tenant": str(credentials.get("tenant") or DEFAULT_TENANT)}
    if base_url is not None:
        options["base_url"] = f"{base_url}/api/digitaltwinintegration"
        options["login_url"] = login_url(base_url, credentials)
    return BuildingMindsClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        str(credentials["scope"]),
        **options,
        **time,
    )


def _locus(credentials: Mapping[str, Any], base_url: str | None, **time: Any) -> Any:
    from standin.clients.locus import DEFAULT_BASE_URL, LocusClient

    # The password grant when the credentials have a user: it is the one with refresh tokens.
    username, password = credentials.get("username"), credentials.get("password")
    return LocusClient(
        str(credentials["client_id"]),
        str(credentials["client_secret"]),
        username=None if username is None else str(username),
        password=None if password is None else str(password),
        base_url=base_url or DEFAULT_BASE_URL,
        **time,
    )


def _metasys(credentials: Mapping[str, Any], base_url: str | None, **time: Any) -> Any:
    from standin.clients.metasys import DEFAULT_BASE_URL, MetasysClient

    return MetasysClient(
        str(credentials["username"]),
        str(credentials["password"]),
        base_url=DEFAULT_BASE_URL if base_url is None else f"{base_url}/api/v4",
        **time,
    )


_CONNECTORS: dict[str, Callable[..., Any]] = {
    "atmotube": _atmotube,
    "atrius": _atrius,
    "buildingminds": _buildingminds,
    "locus": _locus,
    "metasys": _metasys,
}


def connect_client(
    api: str,
    credentials: Mapping[str, Any],
    *,
    base_url: str | None = None,
    clock: ClientClock | None = None,
    sleep: Sleeper | None = None,
) -> Any:
    """``api``'s reference client with ``credentials`` (in the shape of
    ``GET /_sandbox/credentials`` for ``api``).

    ``base_url`` is where the contract's paths start, as ``standin check --base-url`` takes it
    (``https://api.buildingos.com``, ``http://127.0.0.1:8000/metasys``); without it the client
    goes to the vendor's own host, which :func:`standin.inprocess.standin` routes to the sandbox.
    ``clock`` and ``sleep`` default to the client's own (the machine's time, real waits).
    """
    if api not in _CONNECTORS:
        raise ValueError(f"no reference client for {api!r}; known: {', '.join(CLIENT_APIS)}")
    time: dict[str, Any] = {}
    if clock is not None:
        time["clock"] = clock
    if sleep is not None:
        time["sleep"] = sleep
    return _CONNECTORS[api](credentials, _root(base_url), **time)


class StandinClients:
    """Makes reference clients wired to an in-process sandbox (whose hosts are routed to it):
    a tenant's credentials, the tenant's clock as the client's clock, ``time.sleep`` moving
    that clock on. ``close`` closes every client it made."""

    def __init__(self, sandbox: Sandbox, time: SandboxTime | None = None) -> None:
        self.sandbox = sandbox
        self.time = time or SandboxTime(sandbox)
        self._times: dict[str, SandboxTime] = {}
        self._made: list[Closeable] = []

    def time_of(self, tenant: Tenant | str | None = None) -> SandboxTime:
        """The time the clients of ``tenant`` are given: ``time`` for the default tenant."""
        tenant_id = _tenant_id(tenant)
        if tenant_id is None or self.sandbox.tenant(tenant_id).is_default:
            return self.time
        return self._times.setdefault(tenant_id, SandboxTime(self.sandbox, tenant_id))

    def connect(self, api: str, tenant: Tenant | str | None = None) -> Any:
        """``api``'s client for ``tenant`` (a Tenant or its id; the default tenant if None),
        on that tenant's clock."""
        tenant_id = _tenant_id(tenant)
        credentials = self.sandbox.credentials(tenant_id)[api]
        time = self.time_of(tenant_id)
        client = connect_client(api, credentials, clock=time.now, sleep=time.sleep)
        self._made.append(client)
        return client

    def atmotube(self, tenant: Tenant | str | None = None) -> AtmotubeClient:
        client: AtmotubeClient = self.connect("atmotube", tenant)
        return client

    def atrius(self, tenant: Tenant | str | None = None) -> AtriusClient:
        client: AtriusClient = self.connect("atrius", tenant)
        return client

    def buildingminds(self, tenant: Tenant | str | None = None) -> BuildingMindsClient:
        client: BuildingMindsClient = self.connect("buildingminds", tenant)
        return client

    def locus(self, tenant: Tenant | str | None = None) -> LocusClient:
        client: LocusClient = self.connect("locus", tenant)
        return client

    def metasys(self, tenant: Tenant | str | None = None) -> MetasysClient:
        client: MetasysClient = self.connect("metasys", tenant)
        return client

    def close(self) -> None:
        while self._made:
            self._made.pop().close()
