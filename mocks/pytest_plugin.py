"""pytest fixtures for testing against standin in-process (registered by entry point), and the
``vendor_live`` marker for tests that may also run against the real vendor.

Imports of standin happen inside the fixtures, so that loading the plugin early (before
coverage starts, for instance) imports nothing of the project.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mocks._core.sandbox import Sandbox

LIVE_MARKER = "vendor_live"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LIVE_MARKER}(api): may also run against the real vendor, given "
        "STANDIN_LIVE_<API>_BASE_URL and STANDIN_LIVE_<API>_CREDENTIALS (a JSON file); "
        "skipped without them",
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here, not skipped at setup, so that the skip names the test, not this plugin.
    for item in items:
        api = _marked_api(item)
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
    """A fresh sandbox of every API, seeded from the fixtures, not yet routed."""
    from mocks.registry import create_sandbox

    return create_sandbox()


@pytest.fixture
def standin(standin_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Route the vendors' real host names to a fresh sandbox for this test; yields the sandbox."""
    from mocks.inprocess import standin as routed

    with routed(standin_sandbox) as sandbox:
        yield sandbox
