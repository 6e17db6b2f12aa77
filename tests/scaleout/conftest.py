"""The scale-out topology as fixtures: ``scaleout`` (one session-wide Redis + replicas + HAProxy,
shared by the tests that only read or add their own data) and ``fresh_topology`` (a topology of
its own, for a test that kills, restarts or stops something).

A test that waits for another part of issue 16 (its ``reason`` names the part and the branch
building it) carries :data:`PENDING_MARKER`: the default run deselects it (and says so in its
summary); ``-m scaleout_pending`` runs only those, to see whether they pass yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.redis_support import RedisServer
from tests.scaleout.topology import Topology, running

PENDING_MARKER = "scaleout_pending"
REPLICAS = 3
"""The session topology's replicas: three, so a killed one still leaves two to round-robin."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{PENDING_MARKER}(reason): waits for another part of issue 16 (the reason says "
        f"which); deselected unless -m names {PENDING_MARKER}",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PENDING_MARKER in (config.option.markexpr or ""):
        return
    pending = [item for item in items if item.get_closest_marker(PENDING_MARKER) is not None]
    if pending:
        config.hook.pytest_deselected(items=pending)
        items[:] = [item for item in items if item.get_closest_marker(PENDING_MARKER) is None]


@pytest.fixture(scope="session")
def scaleout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Redis, three replicas and HAProxy for the session, on a Redis of their own (the
    ``redis_url`` fixture flushes the session's)."""
    directory = tmp_path_factory.mktemp("scaleout")
    redis = RedisServer(directory / "redis")
    redis.start()
    try:
        with running(directory, redis, REPLICAS) as topology:
            yield topology
    finally:
        redis.stop()


@pytest.fixture
def fresh_topology(tmp_path: Path) -> Iterator[Callable[[int], AbstractContextManager[Topology]]]:
    """``with fresh_topology(n) as topology:`` a Redis and ``n`` replicas behind HAProxy of
    this test's own, to kill, restart or stop."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()

    def make(count: int) -> AbstractContextManager[Topology]:
        return running(tmp_path, redis, count)

    try:
        yield make
    finally:
        redis.stop()
