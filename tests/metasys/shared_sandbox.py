"""One sandbox per test module, reset before each test (a new sandbox per test costs its JWT
key and fixtures: most of a short test's time). Import both fixtures into a test module to use
them instead of the per-test ``sandbox``."""

from __future__ import annotations

import pytest

from standin import Sandbox, create_sandbox
from standin._core.clock import Clock
from tests.conftest import NOW


@pytest.fixture(scope="module")
def module_sandbox() -> Sandbox:
    clock = Clock()
    clock.freeze(NOW)
    return create_sandbox(clock=clock)


@pytest.fixture
def sandbox(module_sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with its tenants' states reset; the frozen clock moves on a minute
    so that the per-minute rate limit of earlier tests never counts."""
    module_sandbox.reset()
    module_sandbox.clock.advance(61)
    return module_sandbox
