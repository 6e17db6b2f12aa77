"""The SSE hub over a real socket: uvicorn on a loopback port, httpx + httpx-sse as the client.

httpx's ASGI transport buffers whole responses, so streaming needs a real server. The clock is
frozen; tests move it instead of waiting, and every wait is bounded by a read timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

import anyio
import httpx
import pytest
from httpx_sse import aconnect_sse, connect_sse

from standin._core.clock import Clock, isoformat
from standin._core.liveserver import live_server
from standin._core.sse import Heartbeat, SseHub, Text
from tests.core.sse_app import StreamingApp

Received = tuple[str, str, str]
"""(id, event, data) of one event as the client parsed it."""


@pytest.fixture(scope="module")
def streaming() -> Iterator[tuple[StreamingApp, str]]:
    app = StreamingApp(SseHub(Clock()))
    with live_server(app.app()) as url:
        yield app, url


@pytest.fixture
def hub(streaming: tuple[StreamingApp, str], clock: Clock) -> Iterator[SseHub]:
    app, _ = streaming
    app.hub = SseHub(clock)
    yield app.hub
    app.hub.close_all()


@pytest.fixture
def http(streaming: tuple[StreamingApp, str]) -> Iterator[httpx.Client]:
    _, url = streaming
    with httpx.Client(base_url=url, timeout=httpx.Timeout(5.0, read=2.0)) as client:
        yield client


def iso_now(now: datetime) -> str:
    return isoformat(now)


def opened(hub: SseHub, stream_id: str = "s1", **options: Any) -> str:
    return hub.open("alice", stream_id=stream_id, hello=("hello", stream_id), **options)


@contextmanager
def listening(
    http: httpx.Client, path: str = "/streams/s1", headers: dict[str, str] | None = None
) -> Iterator[Iterator[Received]]:
    with connect_sse(http, "GET", path, headers=headers or {}) as source:
        yield ((e.id, e.event, e.data) for e in source.iter_sse())


def take(events: Iterator[Received], count: int) -> list[Received]:
    return [next(events) for _ in range(count)]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_connection_gets_hello_then_each_event_with_ids_increasing_by_one(
    hub: SseHub, http: httpx.Client
) -> None:
    opened(hub)
    with connect_sse(http, "GET", "/streams/s1") as source:
        response = source.response
        events = ((e.id, e.event, e.data) for e in source.iter_sse())
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-stream"] == "s1"
        assert "content-length" not in response.headers
        assert take(events, 1) == [("s1:1", "hello", '"s1"')]
        hub.publish("s1", "point.update", {"value": 21.5, "units": "degF"})
        hub.publish("s1", "note", Text("line one\nline two"))
        assert take(events, 2) == [
            ("s1:2", "point.update", '{"value":21.5,"units":"degF"}'),
            ("s1:3", "note", "line one\nline two"),
        ]


def test_the_wire_format_is_framed_event_by_event(hub: SseHub, http: httpx.Client) -> None:
    opened(hub)
    hub.publish("s1", "note", Text("a\r\nb"))
    with http.stream("GET", "/streams/s1") as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(9)] == [
            "id: s1:1",
            "event: hello",
            'data: "s1"',
            "",
            "id: s1:2",
            "event: note",
            "data: a",
            "data: b",
            "",
        ]


def test_publishing_from_a_request_handler_reaches_the_stream(
    hub: SseHub, http: httpx.Client
) -> None:
    opened(hub)
    with listening(http, "/streams/s1") as events:
        assert take(events, 1) == [("s1:1", "hello", '"s1"')]
        published = http.post("/streams/s1/events", json={"event": "ping", "data": [1, 2]})
        assert published.status_code == 201
        assert published.json() == {"id": "s1:2"}
        assert take(events, 1) == [("s1:2", "ping", "[1,2]")]
    missing = http.post("/streams/nope/events", json={"event": "ping", "data": 1})
    assert missing.status_code == 404


def test_moving_a_frozen_clock_past_the_period_sends_a_heartbeat_promptly(
    hub: SseHub, http: httpx.Client, clock: Clock
) -> None:
    opened(hub, heartbeats=[Heartbeat("heartbeat", 30, iso_now)])
    with listening(http, "/streams/s1") as events:
        assert take(events, 1) == [("s1:1", "hello", '"s1"')]
        clock.advance(29.9)
        hub.tick()
        hub.publish("s1", "marker", 1)
        assert take(events, 1) == [("s1:2", "marker", "1")]
        started = time.monotonic()
        # Nothing but the hub's own ticker notices this move.
        clock.advance(0.1)
        assert take(events, 1) == [("s1:3", "heartbeat", '"2026-11-20T12:01:00.000Z"')]
        assert time.monotonic() - started < 1.0
        # A jump over several periods is one beat, and the next is a period after it.
        clock.advance(95)
        assert take(events, 1) == [("s1:4", "heartbeat", '"2026-11-20T12:02:35.000Z"')]
        clock.advance(29)
        hub.tick()
        hub.publish("s1", "marker", 2)
        clock.advance(1)
        assert take(events, 2) == [
            ("s1:5", "marker", "2"),
            ("s1:6", "heartbeat", '"2026-11-20T12:03:05.000Z"'),
        ]


def test_heartbeats_can_be_added_and_removed_per_event_name(
    hub: SseHub, http: httpx.Client, clock: Clock
) -> None:
    opened(hub)
    assert hub.set_heartbeat("s1", Heartbeat("activity.heartbeat", 10, lambda now: {"n": 1}))
    with listening(http, "/streams/s1") as events:
        clock.advance(10)
        assert take(events, 2) == [
            ("s1:1", "hello", '"s1"'),
            ("s1:2", "activity.heartbeat", '{"n":1}'),
        ]
        assert hub.clear_heartbeat("s1", "activity.heartbeat")
        clock.advance(10)
        hub.publish("s1", "marker", 1)
        assert take(events, 1) == [("s1:3", "marker", "1")]
    assert not hub.set_heartbeat("nope", Heartbeat("x", 1, iso_now))
    assert not hub.clear_heartbeat("s1", "activity.heartbeat")


def test_reconnecting_with_last_event_id_replays_every_missed_event_once_in_order(
    hub: SseHub, http: httpx.Client
) -> None:
    opened(hub)
    hub.publish("s1", "n", 2)
    hub.publish("s1", "n", 3)
    with listening(http, "/streams/s1") as events:
        assert [i for i, _, _ in take(events, 3)] == ["s1:1", "s1:2", "s1:3"]
    for n in (4, 5, 6):
        hub.publish("s1", "n", n)
    resumed = {"Last-Event-Id": "s1:3", "X-Owner": "alice"}
    with listening(http, "/streams/s1", resumed) as events:
        assert take(events, 3) == [("s1:4", "n", "4"), ("s1:5", "n", "5"), ("s1:6", "n", "6")]
        hub.publish("s1", "n", 7)
        assert take(events, 1) == [("s1:7", "n", "7")]
    # Resuming from the newest id replays nothing and goes on live.
    with listening(http, "/streams/s1", {"Last-Event-Id": "s1:7"}) as events:
        hub.publish("s1", "n", 8)
        assert take(events, 1) == [("s1:8", "n", "8")]


def test_a_stream_opened_on_connect_greets_with_its_id_and_resumes_by_event_id_alone(
    hub: SseHub, http: httpx.Client
) -> None:
    owner = {"X-Owner": "alice"}
    with listening(http, "/stream", owner) as events:
        [(hello_id, event, data)] = take(events, 1)
        stream_id = data.strip('"')
        assert (hello_id, event) == (f"{stream_id}:1", "hello")
        hub.publish(stream_id, "n", 2)
        assert take(events, 1) == [(f"{stream_id}:2", "n", "2")]
    hub.publish(stream_id, "n", 3)
    with listening(http, "/stream", {**owner, "Last-Event-Id": f"{stream_id}:2"}) as events:
        assert take(events, 1) == [(f"{stream_id}:3", "n", "3")]
    foreign = http.get("/stream", headers={"X-Owner": "bob", "Last-Event-Id": f"{stream_id}:2"})
    assert (foreign.status_code, foreign.headers["x-refused"]) == (204, "unknown_stream")
    gone = http.get("/stream", headers={**owner, "Last-Event-Id": f"{stream_id}:9"})
    assert (gone.status_code, gone.headers["x-refused"]) == (204, "unknown_stream")


def test_a_severed_connection_looks_cut_and_the_client_resumes_without_a_gap(
    hub: SseHub, http: httpx.Client
) -> None:
    opened(hub)
    with listening(http) as events:
        assert take(events, 1) == [("s1:1", "hello", '"s1"')]
        hub.publish("s1", "n", 2)
        assert take(events, 1) == [("s1:2", "n", "2")]
        assert hub.drop_connections("s1") == 1
        hub.publish("s1", "n", 3)
        with pytest.raises(httpx.RemoteProtocolError):
            next(events)
    assert hub.drop_connections("nope") == 0
    with listening(http, headers={"Last-Event-Id": "s1:2"}) as events:
        assert take(events, 1) == [("s1:3", "n", "3")]


def test_an_id_the_buffer_no_longer_holds_answers_204_and_a_newer_one_resumes(
    hub: SseHub, http: httpx.Client, clock: Clock
) -> None:
    opened(hub)
    hub.publish("s1", "n", 2)
    clock.advance(31)
    hub.publish("s1", "n", 3)
    # s1:1 aged out; s1:2 is older than 30 s too but stays, as the point s1:3 resumes from.
    gone = http.get("/streams/s1", headers={"Last-Event-Id": "s1:1"})
    assert (gone.status_code, gone.headers["x-refused"], gone.content) == (
        204,
        "unknown_event",
        b"",
    )
    with listening(http, "/streams/s1", {"Last-Event-Id": "s1:2"}) as events:
        assert take(events, 1) == [("s1:3", "n", "3")]


def test_the_buffer_is_bounded_by_count_and_older_ids_answer_204(
    hub: SseHub, http: httpx.Client
) -> None:
    hub.max_events = 5
    opened(hub)
    for n in range(2, 9):
        hub.publish("s1", "n", n)
    info = hub.info("s1")
    assert info is not None
    assert (info.buffered, info.last_event_id) == (5, "s1:8")
    assert http.get("/streams/s1", headers={"Last-Event-Id": "s1:3"}).status_code == 204
    with listening(http, "/streams/s1", {"Last-Event-Id": "s1:4"}) as events:
        assert [i for i, _, _ in take(events, 4)] == ["s1:5", "s1:6", "s1:7", "s1:8"]


@pytest.mark.parametrize(
    ("path", "headers", "reason"),
    [
        ("/streams/nope", {}, "unknown_stream"),
        ("/streams/closed", {}, "unknown_stream"),
        ("/streams/closed", {"Last-Event-Id": "closed:1"}, "unknown_stream"),
        ("/streams/s1", {"X-Owner": "mallory"}, "unknown_stream"),
        ("/streams/s1", {"Last-Event-Id": "s1:99"}, "unknown_event"),
        ("/streams/s1", {"Last-Event-Id": "other:1"}, "unknown_event"),
    ],
)
def test_unknown_closed_or_foreign_streams_and_unknown_ids_answer_204(
    hub: SseHub, http: httpx.Client, path: str, headers: dict[str, str], reason: str
) -> None:
    opened(hub)
    opened(hub, "closed")
    assert hub.close("closed")
    response = http.get(path, headers=headers)
    assert (response.status_code, response.headers["x-refused"], response.content) == (
        204,
        reason,
        b"",
    )


def test_a_stream_ends_when_its_expiry_passes_unless_extended(
    hub: SseHub, http: httpx.Client, clock: Clock
) -> None:
    ended: list[tuple[str, str]] = []
    start = clock.time()
    opened(hub, expires_at=start + 60, on_close=lambda sid, why: ended.append((sid, why)))
    with listening(http, "/streams/s1") as events:
        assert next(events)[1] == "hello"
        clock.advance(59)
        hub.tick()
        assert hub.extend_owner("alice", start + 120) == ["s1"]
        assert hub.extend("s1", start + 90)  # never brings the expiry nearer
        clock.advance(30)
        hub.publish("s1", "n", 2)
        assert next(events)[0] == "s1:2"
        clock.advance(31)
        # The hub's ticker ends the stream; the response then completes.
        assert list(events) == []
    wait_until(lambda: ended == [("s1", "expired")])
    assert hub.info("s1") is None
    assert http.get("/streams/s1", headers={"Last-Event-Id": "s1:2"}).status_code == 204


def test_a_closing_stream_still_delivers_what_it_had_published(
    hub: SseHub, http: httpx.Client
) -> None:
    opened(hub)
    with listening(http, "/streams/s1") as events:
        assert next(events)[0] == "s1:1"
        hub.publish("s1", "last", 1)
        hub.close("s1")
        assert [(i, e) for i, e, _ in events] == [("s1:2", "last")]


def test_a_client_that_goes_away_is_detached(hub: SseHub, http: httpx.Client) -> None:
    opened(hub)
    with listening(http, "/streams/s1") as events:
        take(events, 1)
        info = hub.info("s1")
        assert info is not None
        assert info.connections == 1
    wait_until(lambda: getattr(hub.info("s1"), "connections", None) == 0)


def stalled_reader(url: str, path: str) -> socket.socket:
    """A client that sends its request, then never reads: its receive window fills up."""
    host, port = url.removeprefix("http://").split(":")
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect((host, int(port)))
    reader.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return reader


def test_a_stalled_client_is_dropped_without_holding_up_publishers_or_other_clients(
    hub: SseHub, http: httpx.Client, streaming: tuple[StreamingApp, str]
) -> None:
    hub.max_events = 16
    opened(hub)
    received: list[str] = []
    arrived = threading.Condition()

    def read_everything() -> None:
        with listening(http, "/streams/s1") as events:
            for event_id, _, _ in events:
                with arrived:
                    received.append(event_id)
                    arrived.notify_all()

    stalled = stalled_reader(streaming[1], "/streams/s1")
    try:
        reader = threading.Thread(target=read_everything)
        reader.start()

        def connections() -> int:
            info = hub.info("s1")
            return 0 if info is None else info.connections

        wait_until(lambda: connections() == 2)
        payload = Text("x" * 65536)
        published = 1

        def all_arrived() -> bool:
            return len(received) == published

        while getattr(hub.info("s1"), "lagging_drops", 0) == 0:
            assert published < 2000, "the stalled client was never dropped"
            started = time.monotonic()
            hub.publish("s1", "big", payload)
            assert time.monotonic() - started < 0.5
            published += 1
            with arrived:
                assert arrived.wait_for(all_arrived, timeout=5)
        assert connections() == 1
        hub.close("s1")
        reader.join(5)
        assert received == [f"s1:{n}" for n in range(1, published + 1)]
    finally:
        stalled.close()


@pytest.mark.anyio
async def test_200_concurrent_streams_each_receive_every_event(
    hub: SseHub, streaming: tuple[StreamingApp, str]
) -> None:
    streams = [opened(hub, f"s{n}") for n in range(200)]
    everyone_ready = anyio.Event()
    ready = 0
    results: dict[str, list[str]] = {}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=streaming[1], limits=limits, timeout=10) as client:

        async def consume(stream_id: str) -> None:
            nonlocal ready
            seen: list[str] = []
            async with aconnect_sse(client, "GET", f"/streams/{stream_id}") as source:
                async for event in source.aiter_sse():
                    seen.append(f"{event.id} {event.event} {event.data}")
                    if len(seen) == 1:
                        ready += 1
                        if ready == len(streams):
                            everyone_ready.set()
                    if len(seen) == 6:
                        break
            results[stream_id] = seen

        with anyio.fail_after(15):
            async with anyio.create_task_group() as group:
                for stream_id in streams:
                    group.start_soon(consume, stream_id)
                await everyone_ready.wait()
                for n in range(2, 7):
                    for stream_id in streams:
                        hub.publish(stream_id, "n", n)
    assert len(results) == 200
    for stream_id in streams:
        expected = [f'{stream_id}:1 hello "{stream_id}"']
        expected += [f"{stream_id}:{n} n {n}" for n in range(2, 7)]
        assert results[stream_id] == expected


def test_a_server_shutting_down_with_streams_open_cancels_them_cleanly(clock: Clock) -> None:
    # The hub cannot see a shutdown coming; uvicorn's graceful-shutdown timeout cancels the
    # open responses, and they detach from the hub on the way out.
    hub = SseHub(clock)
    opened(hub)
    server = ExitStack()
    url = server.enter_context(live_server(StreamingApp(hub).app(), timeout_graceful_shutdown=0.1))
    with httpx.Client(base_url=url, timeout=httpx.Timeout(5.0)) as http, listening(http) as events:
        assert take(events, 1) == [("s1:1", "hello", '"s1"')]
        server.close()
        with pytest.raises(httpx.RemoteProtocolError):
            next(events)
    info = hub.info("s1")
    assert info is not None
    assert info.connections == 0
    assert hub._listening == 0
