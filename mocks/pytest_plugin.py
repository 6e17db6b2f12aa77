"""pytest fixtures for testing against standin in-process (registered by entry point), and the
``vendor_live`` marker for tests that may also run against the real vendor.

The sandbox: ``standin`` (routed; the vendors' hosts reach it), ``standin_sandbox`` (not
routed), ``standin_clock``, ``standin_time``, ``standin_faults``, ``standin_tenant``. The
reference clients wired to it: ``atmotube_client``, ``atrius_client``, ``buildingminds_client``,
``locus_client``, ``metasys_client``, ``standin_clients`` for any tenant's, ``target_client``
for other credentials, ``standin_credentials``.

A test marked ``@pytest.mark.vendor_live("<api>")`` that uses ``<api>_client`` (or
``target_client``, ``standin_credentials``, ``standin_target``) runs twice:
``[standin]`` against the sandbox, always, and ``[live]`` against the live target named by
``STANDIN_LIVE_<API>_BASE_URL`` and ``STANDIN_LIVE_<API>_CREDENTIALS``, skipped without them.
Any other marked test runs against the live target only (``vendor_live_target``).

In-process, a request for a host that no fake answers raises ``standin.UnroutedHost``: a test
never reaches the network by accident. ``@pytest.mark.standin_pass_through("127.0.0.1")`` lets
the named hosts through (``True``: every host), for a test that also talks to a live server.

Imports of standin happen inside the fixtures, so that loading the plugin early (before
coverage starts, for instance) imports nothing of the project.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from standin._core.clock import Clock
    from standin._core.sandbox import Sandbox
    from standin._core.tenants import Tenant
    from standin.clients.atmotube import AtmotubeClient
    from standin.clients.atrius import AtriusClient
    from standin.clients.buildingminds import BuildingMindsClient
    from standin.clients.locus import LocusClient
    from standin.clients.metasys import MetasysClient
    from standin.testing import SandboxFaults, SandboxTime, StandinClients

LIVE_MARKER = "vendor_live"
PASS_THROUGH_MARKER = "standin_pass_through"
TARGET_FIXTURE = "standin_target"
STANDIN, LIVE = "standin", "live"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LIVE_MARKER}(api): may also run against the real vendor, given "
        "STANDIN_LIVE_<API>_BASE_URL and STANDIN_LIVE_<API>_CREDENTIALS (a JSON file); "
        "skipped without them. A test using the client fixtures runs [standin] and [live]",
    )
    config.addinivalue_line(
        "markers",
        f"{PASS_THROUGH_MARKER}(*hosts): the standin fixture lets requests for these hosts "
        "reach the network (True: every host) instead of refusing them",
    )


@dataclass(frozen=True)
class LiveTarget:
    """A live service to test against: the vendor, or a deployed standin."""

    api: str
    base_url: str
    credentials: dict[str, Any]
    """In the shape of ``GET /_sandbox/credentials`` for ``api``."""


def live_variables(api: str) -> tuple[str, str]:
    """The names of the environment variables holding ``api``'s base URL and credentials file."""
    stem = "STANDIN_LIVE_" + re.sub(r"[^A-Z0-9]", "_", api.upper())
    return f"{stem}_BASE_URL", f"{stem}_CREDENTIALS"


def missing_live_variables(api: str, environ: Mapping[str, str]) -> list[str]:
    return [name for name in live_variables(api) if not environ.get(name, "").strip()]


def live_target(api: str, environ: Mapping[str, str]) -> LiveTarget:
    """``api``'s live target from ``environ``; both variables must be set.

    A credentials file that cannot be read is a mistake to report, not a reason to skip:
    raises ValueError.
    """
    url_name, credentials_name = live_variables(api)
    path = Path(environ[credentials_name].strip())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{credentials_name}: cannot read credentials from {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get(api), dict):
        data = data[api]
    if not isinstance(data, dict):
        raise ValueError(f"{credentials_name}: {path} holds no JSON object")
    return LiveTarget(api, environ[url_name].strip().rstrip("/"), data)


def _marked_api(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(LIVE_MARKER)
    if marker is None:
        return None
    if len(marker.args) != 1 or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.{LIVE_MARKER}('<api>')")
    api: str = marker.args[0]
    return api


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A marked test that uses a client fixture runs on the sandbox and on the live target."""
    if metafunc.definition.get_closest_marker(LIVE_MARKER) is None:
        return
    # Every fixture that points at the target (the clients, target_client, standin_credentials)
    # depends on standin_target.
    if TARGET_FIXTURE not in metafunc.fixturenames:
        return
    metafunc.parametrize(TARGET_FIXTURE, [STANDIN, LIVE], indirect=True)


def _runs_on_standin(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get(TARGET_FIXTURE) == STANDIN


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here, not skipped at setup, so that the skip names the test, not this plugin.
    for item in items:
        api = None if _runs_on_standin(item) else _marked_api(item)
        missing = [] if api is None else missing_live_variables(api, os.environ)
        if missing:
            reason = f"{api} live target not configured: {' and '.join(missing)} not set"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def vendor_live_target(request: pytest.FixtureRequest) -> LiveTarget:
    """The live target of a test marked ``@pytest.mark.vendor_live("<api>")``."""
    api = _marked_api(request.node)
    if api is None:
        pytest.fail(
            f"vendor_live_target needs the test marked @pytest.mark.{LIVE_MARKER}('<api>')",
            pytrace=False,
        )
    try:
        return live_target(api, os.environ)
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def standin_sandbox() -> Sandbox:
    """A fresh sandbox of every API, seeded from the fixtures, not yet routed: the vendors'
    hosts do not reach it (use ``standin`` for that). Its clock runs in real time."""
    from standin.registry import create_sandbox

    return create_sandbox()


def _pass_through(item: pytest.Item) -> bool | tuple[str, ...]:
    marker = item.get_closest_marker(PASS_THROUGH_MARKER)
    if marker is None:
        return False
    if marker.args == (True,):
        return True
    if not marker.args or not all(isinstance(host, str) for host in marker.args):
        raise pytest.UsageError(
            f"{item.nodeid}: use @pytest.mark.{PASS_THROUGH_MARKER}('host', ...) "
            f"or @pytest.mark.{PASS_THROUGH_MARKER}(True)"
        )
    return tuple(marker.args)


@pytest.fixture
def standin(request: pytest.FixtureRequest, standin_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Route the vendors' real host names to a fresh sandbox for this test; yields the sandbox.

    Unchanged httpx code (sync or async) reaches the fakes without sockets; a request for any
    other host raises ``standin.UnroutedHost``, unless the test is marked
    ``@pytest.mark.standin_pass_through("host", ...)``. The routing ends with the test."""
    from standin.inprocess import standin as routed

    with routed(standin_sandbox, pass_through=_pass_through(request.node)) as sandbox:
        yield sandbox


@pytest.fixture
def standin_clock(standin: Sandbox) -> Clock:
    """The clock of the ``standin`` sandbox's default tenant, which every fake reads for it
    (token expiry, rate-limit windows, batch progress, time series): ``freeze()``,
    ``set(datetime)``, ``advance(seconds)``, ``real()``. It runs in real time until the test
    moves it. Every other tenant has its own (``standin_tenant.clock``)."""
    return standin.clock


@pytest.fixture
def standin_time(standin: Sandbox) -> SandboxTime:
    """The time the client fixtures are given: ``now()`` reads the sandbox clock, ``sleep()``
    moves it on at once instead of waiting (a client waiting out a 429 takes no time) and
    records each wait in ``waits``."""
    from standin.testing import SandboxTime

    return SandboxTime(standin)


@pytest.fixture
def standin_faults(standin: Sandbox) -> SandboxFaults:
    """Fault injection into the ``standin`` sandbox: ``add(api, method=, path=, status=,
    body=, headers=, latency_ms=, count=, probability=)`` returns the fault's id (the fields
    of ``POST /_sandbox/faults``; ``path`` is a glob on the vendor's path), ``remove(id)``,
    ``clear()``, ``list()``. Faults go with the sandbox at the end of the test. These are the
    default tenant's faults (which also answer requests that reach no tenant, such as token
    requests); ``standin.testing.SandboxFaults(standin, standin_tenant)`` gives a tenant's."""
    from standin.testing import SandboxFaults

    return SandboxFaults(standin)


@pytest.fixture
def standin_tenant(standin: Sandbox) -> Tenant:
    """A new tenant of the ``standin`` sandbox: its own credentials for every API
    (``.credentials[api]``), its own copy of the fixtures, invisible to other tenants, and its
    own clock, faults and rate limits (``.clock``, ``.faults``, ``.limits``).
    ``standin_clients.<api>(standin_tenant)`` gives its clients, on its clock."""
    return standin.create_tenant()


@pytest.fixture
def standin_clients(standin: Sandbox, standin_time: SandboxTime) -> Iterator[StandinClients]:
    """Makes reference clients on the ``standin`` sandbox: ``atrius(tenant=None)``,
    ``metasys(...)``, ... or ``connect(api, tenant)``, for the default tenant or the given one,
    each on ``standin_time`` (the sandbox clock, a sleep that moves it). Every client it made
    is closed at teardown."""
    from standin.testing import StandinClients

    clients = StandinClients(standin, standin_time)
    yield clients
    clients.close()


@pytest.fixture
def standin_target(request: pytest.FixtureRequest) -> LiveTarget | None:
    """Where the client fixtures point: None for the in-process sandbox, or the live target in
    the ``[live]`` run of a test marked ``vendor_live`` (see the module's docstring)."""
    if getattr(request, "param", STANDIN) == STANDIN:
        return None
    target: LiveTarget = request.getfixturevalue("vendor_live_target")
    return target


@pytest.fixture
def standin_credentials(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> dict[str, dict[str, Any]]:
    """The credentials the client fixtures use, keyed by api: the default tenant's of the
    ``standin`` sandbox, or in a ``[live]`` run the live target's (for its api only)."""
    if standin_target is None:
        sandbox: Sandbox = request.getfixturevalue("standin")
        return sandbox.credentials()
    return {standin_target.api: dict(standin_target.credentials)}


@pytest.fixture
def target_client(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> Iterator[Callable[..., Any]]:
    """``target_client(api, **changes)``: another client of the test's target (the sandbox, or
    the live target in a ``[live]`` run) with its credentials for ``api`` changed by
    ``changes``, e.g. ``target_client("atrius", client_secret="wrong")``. Closed at
    teardown."""
    from standin.testing import connect_client

    made: list[Any] = []
    if standin_target is None:
        sandbox: Sandbox = request.getfixturevalue("standin")
        time: SandboxTime = request.getfixturevalue("standin_time")

        def connect(api: str, **changes: Any) -> Any:
            credentials = {**sandbox.credentials()[api], **changes}
            made.append(connect_client(api, credentials, clock=time.now, sleep=time.sleep))
            return made[-1]

    else:
        live = _live(request, standin_target)

        def connect(api: str, **changes: Any) -> Any:
            _same_api(api, live)
            credentials = {**live.credentials, **changes}
            made.append(connect_client(api, credentials, base_url=live.base_url))
            return made[-1]

    yield connect
    for client in made:
        client.close()


def _same_api(api: str, target: LiveTarget) -> None:
    if target.api != api:
        pytest.fail(
            f"a {api} client cannot run against the {target.api} live target of this test's "
            f"@pytest.mark.{LIVE_MARKER}('{target.api}')",
            pytrace=False,
        )


def _live(request: pytest.FixtureRequest, target: LiveTarget) -> LiveTarget:
    if "standin" in request.fixturenames:
        # The sandbox's routing would catch the requests meant for the vendor's host.
        pytest.fail(
            f"the [live] run of a @pytest.mark.{LIVE_MARKER} test cannot use the sandbox's "
            "fixtures (standin, standin_time, standin_faults, ...): check standin_target "
            "is None before reaching for the sandbox, or split the test",
            pytrace=False,
        )
    return target


def _client(request: pytest.FixtureRequest, api: str, target: LiveTarget | None) -> Any:
    if target is None:
        clients: StandinClients = request.getfixturevalue("standin_clients")
        return clients.connect(api)
    _same_api(api, _live(request, target))
    from standin.testing import connect_client

    # The vendor's own time: real waits on its 429s, its clock for token expiry.
    client = connect_client(api, target.credentials, base_url=target.base_url)
    request.addfinalizer(client.close)
    return client


@pytest.fixture
def atmotube_client(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> AtmotubeClient:
    """The Atmotube client with the default tenant's API key on the ``standin`` sandbox and
    ``standin_time``; in a ``[live]`` run, on the live target in real time. Closed at
    teardown."""
    client: AtmotubeClient = _client(request, "atmotube", standin_target)
    return client


@pytest.fixture
def atrius_client(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> AtriusClient:
    """The Atrius client with the default tenant's client id and secret on the ``standin``
    sandbox and ``standin_time``; in a ``[live]`` run, on the live target in real time. Closed
    at teardown."""
    client: AtriusClient = _client(request, "atrius", standin_target)
    return client


@pytest.fixture
def buildingminds_client(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> BuildingMindsClient:
    """The BuildingMinds client with the default tenant's client id, secret, scope and Azure AD
    tenant on the ``standin`` sandbox and ``standin_time``; in a ``[live]`` run, on the live
    target (its Azure AD at ``login_url``/``token_url`` of the credentials, else
    login.microsoftonline.com) in real time. Closed at teardown."""
    client: BuildingMindsClient = _client(request, "buildingminds", standin_target)
    return client


@pytest.fixture
def locus_client(request: pytest.FixtureRequest, standin_target: LiveTarget | None) -> LocusClient:
    """The Locus client with the default tenant's client id and secret and its user (the
    password grant) on the ``standin`` sandbox and ``standin_time``; in a ``[live]`` run, on
    the live target in real time. Closed at teardown."""
    client: LocusClient = _client(request, "locus", standin_target)
    return client


@pytest.fixture
def metasys_client(
    request: pytest.FixtureRequest, standin_target: LiveTarget | None
) -> MetasysClient:
    """The Metasys client as the default tenant's user on the ``standin`` sandbox (host
    metasys.standin.example) and ``standin_time``; in a ``[live]`` run, on the live target
    (``STANDIN_LIVE_METASYS_BASE_URL`` is the site's ``https://{hostname}``) in real time.
    Closed at teardown."""
    client: MetasysClient = _client(request, "metasys", standin_target)
    return client
