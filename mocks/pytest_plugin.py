"""pytest fixtures for testing against standin in-process (registered by entry point)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mocks._core.sandbox import Sandbox
from mocks.inprocess import standin as _standin
from mocks.registry import create_sandbox


@pytest.fixture
def standin_sandbox() -> Sandbox:
    """A fresh sandbox of every API, seeded from the fixtures, not yet routed."""
    return create_sandbox()


@pytest.fixture
def standin(standin_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Route the vendors' real host names to a fresh sandbox for this test; yields the sandbox."""
    with _standin(standin_sandbox) as sandbox:
        yield sandbox
