"""Metasys for the scale-out tests: a reference client through the balancer that remembers
which replica answered each request (HAProxy's ``X-Standin-Replica``), a stream watching the
zone setpoint the stream tests command, and the same over plain HTTP to one replica."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from httpx_sse import connect_sse

from bench.haproxy import SERVED_BY
from standin.clients.metasys import MetasysClient, MetasysStream, StreamEvent
from tests.metasys.test_streaming import Received
from tests.scaleout.topology import Topology
from tests.vendor_calls import METASYS, ZONE_SETPOINT

__all__ = [
    "ZONE_SETPOINT",
    "ServedBy",
    "ValueStream",
    "WatchedSetpoint",
    "another_value",
    "ids_after",
    "metasys_client",
    "numbers",
    "opened",
    "sse",
    "updates",
    "updates_after",
    "value_stream",
    "watched_setpoint",
]


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


def ids_after(stream_id: str, first: StreamEvent, count: int) -> list[str]:
    """The ids of the ``count`` events after ``first`` on a stream that loses and repeats
    none: numbered on from ``first``'s without a gap."""
    number = int(first.id.rsplit(":", 1)[1])
    return [f"{stream_id}:{number + n}" for n in range(1, count + 1)]


@dataclass
class WatchedSetpoint:
    """A stream subscribed to the zone setpoint's value, and another client to command it."""

    stream: MetasysStream
    events: Iterator[StreamEvent]
    point: str
    commander: MetasysClient

    def two_commands(self, first: StreamEvent) -> tuple[list[float], list[StreamEvent]]:
        """Two values other than ``first``'s, commanded in turn, and the events the stream
        brings up to their two updates."""
        values = [another_value(first.value)]
        values.append(another_value(values[0]))
        for value in values:
            self.commander.adjust(self.point, value)
        return values, updates_after(self.events, 2)


@contextmanager
def watched_setpoint(
    topology: Topology, served_by: ServedBy, backoff: float = 1.0
) -> Iterator[WatchedSetpoint]:
    """The zone setpoint watched through the balancer by one client (its requests recorded in
    ``served_by``), commanded by another."""
    with metasys_client(topology, served_by) as client, metasys_client(topology) as other:
        point = client.object_id(ZONE_SETPOINT)
        with client.stream(backoff=backoff) as stream:
            stream.subscribe_value(point)
            yield WatchedSetpoint(stream, stream.events(), point, other)


# --- plain HTTP to one replica ------------------------------------------------------------------


@contextmanager
def sse(http: httpx.Client, headers: dict[str, str]) -> Iterator[Iterator[Received]]:
    """``GET /stream`` through ``http`` (answered 200): its events as (id, name, data)."""
    with opened(http, headers) as (_, events):
        yield events


@contextmanager
def opened(
    http: httpx.Client, headers: dict[str, str]
) -> Iterator[tuple[httpx.Response, Iterator[Received]]]:
    """``GET /stream`` through ``http`` (answered 200): the response and its events."""
    with connect_sse(http, "GET", f"{METASYS}/stream", headers=headers) as source:
        assert source.response.status_code == 200
        yield source.response, ((e.id, e.event, e.data) for e in source.iter_sse())


@dataclass
class ValueStream:
    """A stream subscribed to one point's presentValue."""

    id: str
    subscription: str
    events: Iterator[Received]
    seen: list[Received]
    """Every event read so far (the hello first), for ``updates`` to add to."""
    response: httpx.Response
    """The answer to ``GET /stream``, its headers read."""


@contextmanager
def value_stream(http: httpx.Client, auth: dict[str, str], point: str) -> Iterator[ValueStream]:
    """A stream opened through ``http`` (its hello: id ``<stream>:1``, data the quoted stream
    id) and subscribed there to ``point``'s presentValue (202)."""
    with opened(http, auth) as (response, events):
        hello = next(events)
        stream_id = json.loads(hello[2])
        assert hello[:2] == (f"{stream_id}:1", "hello")
        subscribed = http.get(
            f"{METASYS}/objects/{point}/attributes/presentValue",
            headers={**auth, "METASYS-SUBSCRIBE": stream_id},
        )
        assert subscribed.status_code == 202, subscribed.text
        subscription = subscribed.headers["METASYS-SUBSCRIPTION-LOCATION"].rsplit("/", 1)[1]
        yield ValueStream(stream_id, subscription, events, [hello], response)


def updates(events: Iterator[Received], count: int, seen: list[Received]) -> list[float]:
    """The next ``count`` presentValue updates (heartbeats on the real clock may come between:
    every event read is kept in ``seen``)."""
    values: list[float] = []
    while len(values) < count:
        event = next(events)
        seen.append(event)
        if event[1] == "object.values.update":
            values.append(json.loads(event[2])["item"]["presentValue"])
    return values


def numbers(stream_id: str, seen: list[Received]) -> list[int]:
    """The events' numbers on ``stream_id`` (each event must be of that stream)."""
    assert all(event_id.startswith(f"{stream_id}:") for event_id, _, _ in seen)
    return [int(event_id.rpartition(":")[2]) for event_id, _, _ in seen]
