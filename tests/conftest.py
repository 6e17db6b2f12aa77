"""Shared test fixtures: a sandbox on a frozen clock and a sync client for its combined app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, settings

from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin.inprocess import AsgiBridge

pytest_plugins = ["pytester"]
"""pytester runs the standin plugin's fixtures as a user's test suite would."""

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "deep",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev",
    max_examples=30,
    derandomize=True,
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


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A sync client for the combined app (every API under its prefix), no sockets."""
    bridge = AsgiBridge(build_app(sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://standin.test") as c:
        yield c
    bridge.close()
