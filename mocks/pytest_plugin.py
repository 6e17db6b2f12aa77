"""pytest fixtures for testing against standin in-process (registered by entry point).

Imports of standin happen inside the fixtures, so that loading the plugin early (before
coverage starts, for instance) imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mocks._core.sandbox import Sandbox


@pytest.fixture
def standin_sandbox() -> Sandbox:
    """A fresh sandbox of every API, seeded from the fixtures, not yet routed."""
    from mocks.registry import create_sandbox

    return create_sandbox()


@pytest.fixture
def standin(standin_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Route the vendors' real host names to a fresh sandbox for this test; yields the sandbox."""
    from mocks.inprocess import standin as routed

    with routed(standin_sandbox) as sandbox:
        yield sandbox
