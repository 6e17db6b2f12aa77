"""A Metasys reference client through the balancer that remembers which replica answered each
request (HAProxy's ``X-Standin-Replica``), and the zone setpoint the stream tests command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from bench.haproxy import SERVED_BY
from standin.clients.metasys import MetasysClient, StreamEvent
from tests.scaleout.topology import Topology

ZONE_SETPOINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
"""An AV of the default fixtures: relinquishDefault 72.0, min 60, max 85, alarm above 80."""


@dataclass
class ServedBy:
    """Each answered request's method, path and the replica HAProxy handed it to."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, response: httpx.Response) -> None:
        request = response.request
        self.seen.append((request.method, request.url.path, response.headers.get(SERVED_BY, "")))

    def of(self, method: str, suffix: str) -> list[str]:
        """The replicas that answered ``method`` on paths ending in ``suffix``, in order."""
        return [who for m, path, who in self.seen if m == method and path.endswith(suffix)]


@contextmanager
def metasys_client(
    topology: Topology, served_by: ServedBy | None = None
) -> Iterator[MetasysClient]:
    """The default tenant's Metasys user, through the balancer, on the real clock."""
    credentials = httpx.get(f"{topology.url}/_sandbox/credentials", timeout=10).json()["metasys"]
    hooks = {"response": [served_by.record]} if served_by is not None else {}
    http = httpx.Client(timeout=30.0, event_hooks=hooks)
    client = MetasysClient(
        str(credentials["username"]),
        str(credentials["password"]),
        base_url=f"{topology.url}/metasys/api/v4",
        http=http,
    )
    try:
        with client:
            yield client
    finally:
        http.close()


def another_value(value: float) -> float:
    """A setpoint within 60..79 (never alarming) other than ``value``."""
    return 60.0 + (int(value) - 60 + 1) % 20


MAX_OTHER_EVENTS = 10
"""Heartbeats (or other events) tolerated between the value updates ``updates_after`` awaits."""


def updates_after(events: Iterator[StreamEvent], count: int) -> list[StreamEvent]:
    """The next events up to the ``count``-th value update, heartbeats included (a slow run
    may see one between them; it is numbered like any event)."""
    received: list[StreamEvent] = []
    while sum(e.name == "object.values.update" for e in received) < count:
        # Bounded: a lost update must fail the test, not leave it reading heartbeats forever.
        assert len(received) < count + MAX_OTHER_EVENTS, [(e.id, e.name) for e in received]
        received.append(next(events))
    return received
