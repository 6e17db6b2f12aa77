"""Shared test fixtures: a sandbox on a frozen clock and a sync client for its combined app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, settings

from mocks import Sandbox, build_app, create_sandbox
from mocks._core.clock import Clock
from mocks.inprocess import AsgiBridge

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
