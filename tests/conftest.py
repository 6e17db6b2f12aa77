"""Shared test fixtures: a sandbox on a frozen clock and a sync client for its combined app."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from starlette.types import ASGIApp

from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin.inprocess import AsgiBridge

pytest_plugins = ["pytester", "tests.redis_support"]
"""pytester runs the standin plugin's fixtures as a user's test suite would."""

# deep alone is random: it looks for what the fixed examples of ci and dev never reach.
for name, max_examples, derandomize in (("ci", 60, True), ("deep", 2000, False), ("dev", 30, True)):
    settings.register_profile(
        name,
        max_examples=max_examples,
        derandomize=derandomize,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SHARD_VARIABLE = "STANDIN_TEST_SHARD"
"""``K/N``: run only the K-th of N shards (``make test`` runs one shard per core)."""


def shard_files(files: list[str], shard: str) -> set[str]:
    """The test files of shard ``K/N``: whole files, dealt round-robin in path order.

    Whole files, because some tests read what earlier tests of their file left in the journal.
    """
    index, _, count = shard.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise pytest.UsageError(f"{SHARD_VARIABLE} must look like K/N with 1 <= K <= N: {shard!r}")
    ordered = sorted(set(files))
    return {path for i, path in enumerate(ordered) if i % int(count) == int(index) - 1}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = os.environ.get(SHARD_VARIABLE)
    if not shard:
        return
    kept = shard_files([str(item.path) for item in items], shard)
    deselected = [item for item in items if str(item.path) not in kept]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if str(item.path) in kept]


# --- calling a fake: what every vendor's suite does (no schemathesis here: a conftest that
# imports it makes hypothesis build its strategies during plugin start-up, which it refuses)


def json_of_ok(response: Any) -> dict[str, Any]:
    """The JSON body of an answer that must be a 200 (an httpx or a schemathesis response)."""
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ApiCalls:
    """Calls to paths under ``prefix`` with the headers ``auth()`` gives (a call's own headers
    added): the ``api`` fixture of the vendor suites."""

    def __init__(
        self, client: httpx.Client, prefix: str, auth: Callable[[], dict[str, str]]
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.auth = auth

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.auth(), **kw.pop("headers", {})}
        return self.client.request(method, self.prefix + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


NOW = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)
"""The frozen instant tests start at: half a minute into 12:00 GMT."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.freeze(NOW)
    return frozen


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    return create_sandbox(clock=clock)


@contextmanager
def bridged_client(app: ASGIApp) -> Iterator[httpx.Client]:
    """A sync client for ``app`` at http://standin.test, no sockets."""
    bridge = AsgiBridge(app)
    try:
        with httpx.Client(
            transport=httpx.MockTransport(bridge), base_url="http://standin.test"
        ) as c:
            yield c
    finally:
        bridge.close()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A sync client for the combined app (every API under its prefix), no sockets."""
    with bridged_client(build_app(sandbox)) as c:
        yield c
