"""The scale-out topology as fixtures: ``scaleout`` (one session-wide Redis + replicas + HAProxy,
shared by the tests that only read or add their own data) and ``fresh_topology`` (a topology of
its own, for a test that kills, restarts or stops something).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.redis_support import RedisServer
from tests.scaleout.topology import Topology, running

REPLICAS = 2
"""The session topology's replicas (the tests that kill one start three of their own)."""


@pytest.fixture(scope="session")
def scaleout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Redis, two replicas and HAProxy for the session, on a Redis of their own (the
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
