"""The SSE hub without sockets: framing, the replay buffer's bounds, expiry, heartbeats."""

from __future__ import annotations

import gc
import weakref
from datetime import datetime
from typing import Any

import anyio
import pytest
from starlette.types import Message

from standin._core.clock import Clock
from standin._core.sse import (
    Heartbeat,
    ResumeRefused,
    SseEvent,
    SseHub,
    Text,
    encode_data,
    format_event,
)


def test_an_event_is_framed_with_id_event_and_data_then_a_blank_line() -> None:
    framed = format_event('{"a":1}', event="object.values.update", id="s:2")
    assert framed == b'id: s:2\nevent: object.values.update\ndata: {"a":1}\n\n'


def test_multi_line_data_becomes_one_data_line_per_line_whatever_the_line_break() -> None:
    assert format_event("a\nb\r\nc\rd") == b"data: a\ndata: b\ndata: c\ndata: d\n\n"
    assert format_event("a\n") == b"data: a\ndata: \n\n"
    # Only CR and LF break SSE lines; other separators stay inside the data.
    assert format_event("a\x0bb\u2028c") == "data: a\x0bb\u2028c\n\n".encode()


def test_empty_data_still_makes_an_event_and_retry_is_a_field() -> None:
    assert format_event("") == b"data: \n\n"
    assert format_event("x", retry=1500) == b"retry: 1500\ndata: x\n\n"


@pytest.mark.parametrize(
    "bad",
    [{"id": "a\nb"}, {"id": "a\rb"}, {"id": "a\0b"}, {"event": "x\ny"}, {"retry": -1}],
)
def test_fields_that_would_corrupt_the_stream_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        format_event("x", **bad)


def test_data_is_compact_json_unless_it_is_text() -> None:
    assert encode_data("s1") == '"s1"'
    assert encode_data({"v": [1, None]}) == '{"v":[1,null]}'
    assert encode_data(Text("as is")) == "as is"


def ids(batch: list[SseEvent] | None) -> list[str]:
    assert batch is not None
    return [event.id for event in batch]


def make_hub(clock: Clock, **options: Any) -> SseHub:
    return SseHub(clock, **options)


def test_ids_follow_the_stream_and_its_sequence_or_the_callers_shape(clock: Clock) -> None:
    hub = make_hub(clock)
    assert hub.open("o", stream_id="s", hello=("hello", "s")) == "s"
    assert hub.publish("s", "e", 1) == "s:2"
    shaped = hub.open("o", event_id=lambda seq: f"evt-{seq:04d}")
    assert hub.publish(shaped, "e", 1) == "evt-0001"
    assert len(hub.open("o")) == 36
    with pytest.raises(ValueError, match="already open"):
        hub.open("o", stream_id="s")


def test_publishing_to_a_stream_that_is_not_open_returns_none(clock: Clock) -> None:
    hub = make_hub(clock)
    assert hub.publish("nope", "e", 1) is None


def test_resume_point_follows_the_last_event_id_or_refuses_with_a_reason(clock: Clock) -> None:
    hub = make_hub(clock)
    hub.open("alice", stream_id="s", hello=("hello", "s"))
    hub.publish("s", "e", 2)
    assert hub.resume_point("s") == 1
    assert hub.resume_point("s", "s:1") == 2
    assert hub.resume_point("s", "s:2", owner="alice") == 3
    for stream, last, owner, reason in [
        ("x", None, None, "unknown_stream"),
        ("s", None, "bob", "unknown_stream"),
        ("s", "s:3", None, "unknown_event"),
    ]:
        with pytest.raises(ResumeRefused) as refused:
            hub.resume_point(stream, last, owner=owner)
        assert refused.value.reason == reason


def test_the_buffer_keeps_the_last_30_seconds_plus_the_event_before_them(clock: Clock) -> None:
    hub = make_hub(clock)
    hub.open("o", stream_id="s", hello=("hello", "s"))
    hub.publish("s", "e", 2)
    clock.advance(10)
    hub.publish("s", "e", 3)
    clock.advance(30)
    # s:2 is 40 s old, but s:3 (30 s old) is still recent, so s:2 is still a resume point.
    assert hub.resume_point("s", "s:2") == 3
    with pytest.raises(ResumeRefused):
        hub.resume_point("s", "s:1")
    clock.advance(0.5)
    with pytest.raises(ResumeRefused):
        hub.resume_point("s", "s:2")
    # The newest event stays however old it gets: a client that saw everything can resume.
    clock.advance(3600)
    assert hub.resume_point("s", "s:3") == 4
    info = hub.info("s")
    assert info is not None
    assert (info.buffered, info.last_event_id) == (1, "s:3")


def test_retention_and_count_are_configurable(clock: Clock) -> None:
    hub = make_hub(clock, retain_seconds=120, max_events=3)
    hub.open("o", stream_id="s")
    for n in range(5):
        hub.publish("s", "e", n)
    clock.advance(119)
    assert [hub.resume_point("s", f"s:{n}") for n in (3, 4, 5)] == [4, 5, 6]
    with pytest.raises(ValueError, match="max_events"):
        make_hub(clock, max_events=0)


def test_heartbeats_are_sandbox_timed_and_coalesced(clock: Clock) -> None:
    hub = make_hub(clock)
    beats: list[datetime] = []

    def beat(now: datetime) -> str:
        beats.append(now)
        return "tick"

    hub.open("o", stream_id="s", heartbeats=[Heartbeat("heartbeat", 30, beat)])
    clock.advance(29)
    hub.tick()
    assert beats == []
    clock.advance(1)
    hub.tick()
    clock.advance(300)
    hub.tick()
    hub.tick()
    assert [b.timestamp() - beats[0].timestamp() for b in beats] == [0, 300]
    info = hub.info("s")
    assert info is not None
    assert info.last_event_id == "s:2"


def test_expiry_ends_a_stream_and_extension_moves_it_never_nearer(clock: Clock) -> None:
    ended: list[tuple[str, str]] = []
    hub = make_hub(clock)
    now = clock.time()

    def record(stream_id: str, reason: str) -> None:
        ended.append((stream_id, reason))

    for sid in ("a", "b"):
        hub.open("alice", stream_id=sid, expires_at=now + 10, on_close=record)
    hub.open("bob", stream_id="c", expires_at=now + 10)
    hub.open("carol", stream_id="forever")
    assert sorted(hub.extend_owner("alice", now + 20)) == ["a", "b"]
    assert hub.extend("a", now + 15)
    assert not hub.extend("nope", now + 15)
    assert hub.extend("forever", now + 1)
    clock.advance(10)
    assert [s.id for s in hub.streams()] == ["a", "b", "forever"]
    assert [s.expires_at for s in hub.streams("alice")] == [now + 20, now + 20]
    clock.advance(10)
    assert [s.id for s in hub.streams()] == ["forever"]
    assert ended == [("a", "expired"), ("b", "expired")]
    assert hub.extend("forever", None)
    assert hub.info("forever") is not None


def test_a_stream_nobody_reconnects_to_is_abandoned(clock: Clock) -> None:
    ended: list[str] = []
    hub = make_hub(clock, abandon_after=60)
    hub.open("o", stream_id="s", on_close=lambda s, r: ended.append(r))
    clock.advance(59)
    assert hub.info("s") is not None
    clock.advance(1)
    assert hub.info("s") is None
    assert ended == ["abandoned"]


def test_close_and_close_all_end_streams_once(clock: Clock) -> None:
    ended: list[tuple[str, str]] = []
    hub = make_hub(clock)
    for sid in ("a", "b", "c"):
        hub.open("o", stream_id=sid, on_close=lambda s, r: ended.append((s, r)))
    assert hub.close("a")
    assert not hub.close("a")
    assert hub.close_all() == 2
    assert ended == [("a", "closed"), ("b", "shutdown"), ("c", "shutdown")]
    assert hub.streams() == []


@pytest.mark.anyio
async def test_a_connection_that_falls_max_events_behind_is_dropped_not_given_a_gap(
    clock: Clock,
) -> None:
    hub = make_hub(clock, max_events=4)
    hub.open("o", stream_id="s", hello=("hello", "s"))
    slow = hub.attach("s", hub.resume_point("s"))
    fast = hub.attach("s", hub.resume_point("s"))
    try:
        for n in range(2, 5):
            hub.publish("s", "e", n)
        assert ids(await fast.next_batch()) == ["s:1", "s:2", "s:3", "s:4"]
        hub.publish("s", "e", 5)
        assert slow.dropped == "lagging"
        assert await slow.next_batch() is None
        assert ids(await fast.next_batch()) == ["s:5"]
        info = hub.info("s")
        assert info is not None
        assert (info.connections, info.lagging_drops) == (1, 1)
        # Age alone never drops a connection: what it has not sent yet is kept.
        hub.publish("s", "e", 6)
        hub.publish("s", "e", 7)
        clock.advance(3600)
        hub.publish("s", "e", 8)
        assert ids(await fast.next_batch()) == ["s:6", "s:7", "s:8"]
        assert fast.dropped is None
    finally:
        hub.detach(slow)
        hub.detach(fast)


@pytest.mark.anyio
async def test_a_connection_reads_out_an_ended_stream_then_stops(clock: Clock) -> None:
    hub = make_hub(clock)
    hub.open("o", stream_id="s", hello=("hello", "s"))
    listener = hub.attach("s", 1)
    try:
        hub.publish("s", "e", 2)
        hub.close("s")
        assert listener.ended == "closed"
        assert ids(await listener.next_batch(limit=1)) == ["s:1"]
        assert ids(await listener.next_batch()) == ["s:2"]
        assert await listener.next_batch() is None
        with pytest.raises(ResumeRefused):
            hub.attach("s", 1)
    finally:
        hub.detach(listener)


@pytest.mark.anyio
async def test_attaching_at_a_point_the_buffer_dropped_is_refused(clock: Clock) -> None:
    hub = make_hub(clock, max_events=2)
    hub.open("o", stream_id="s")
    start = hub.resume_point("s")
    for n in range(3):
        hub.publish("s", "e", n)
    with pytest.raises(ResumeRefused) as refused:
        hub.attach("s", start)
    assert refused.value.reason == "unknown_event"


def test_the_stream_holding_an_event_id_is_found_while_it_is_buffered(clock: Clock) -> None:
    hub = make_hub(clock, max_events=2)
    hub.open("o", stream_id="a")
    hub.open("o", stream_id="b")
    for n in range(3):
        hub.publish("a", "e", n)
    hub.publish("b", "e", 0)
    assert [hub.stream_holding(i) for i in ("a:1", "a:2", "a:3", "b:1", "c:1")] == [
        None,
        "a",
        "a",
        "b",
        None,
    ]


def test_a_failing_heartbeat_or_close_callback_is_logged_and_the_rest_go_on(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(now: datetime) -> str:
        raise RuntimeError("boom")

    def refuse(stream_id: str, reason: str) -> None:
        raise RuntimeError("no")

    hub = make_hub(clock)
    hub.open("o", stream_id="a", heartbeats=[Heartbeat("bad", 5, broken)], on_close=refuse)
    hub.open("o", stream_id="b", heartbeats=[Heartbeat("good", 5, lambda now: 1)])
    clock.advance(5)
    hub.tick()
    assert [(s.id, s.last_event_id) for s in hub.streams()] == [("a", None), ("b", "b:1")]
    assert hub.close("a")
    assert [r.getMessage() for r in caplog.records] == [
        "SSE heartbeat 'bad' failed",
        "SSE on_close callback failed",
    ]


@pytest.mark.anyio
async def test_a_response_whose_stream_ended_before_it_started_answers_204(clock: Clock) -> None:
    hub = make_hub(clock)
    hub.open("o", stream_id="s")
    response = hub.connect("s")
    assert hub.close("s")
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await response({"type": "http"}, receive, send)
    assert [(m["type"], m.get("status")) for m in sent] == [
        ("http.response.start", 204),
        ("http.response.body", None),
    ]
    assert sent[1]["body"] == b""


@pytest.mark.anyio
async def test_a_stream_left_without_connection_is_released_after_real_seconds_and_forgotten(
    clock: Clock,
) -> None:
    ended: list[tuple[str, str]] = []
    hub = make_hub(clock, release_after=0.3)
    for sid in ("left", "back", "never"):
        hub.open(
            "o",
            stream_id=sid,
            hello=("hello", sid),
            heartbeats=[Heartbeat("heartbeat", 30, lambda now: 1)],
            on_close=lambda s, r: ended.append((s, r)),
        )
    left = weakref.ref(hub._streams["left"])
    for sid in ("left", "back"):
        hub.detach(hub.attach(sid, 1))
        hub.publish(sid, "e", 2)
    # "back" is read again within the grace, so it stays; the frozen clock never moves.
    listener = hub.attach("back", hub.resume_point("back", "back:2"))
    try:
        with anyio.fail_after(5):
            while len(ended) < 2:
                await anyio.sleep(0.05)
        assert sorted(ended) == [("left", "released"), ("never", "released")]
        assert [s.id for s in hub.streams()] == ["back"]
        assert hub.stream_holding("left:2") is None
        with pytest.raises(ResumeRefused):
            hub.resume_point("left", "left:2")
        # Nothing refers to a released stream any more: not the deadlines, not the id index.
        gc.collect()
        assert left() is None
    finally:
        hub.detach(listener)


def test_a_publish_or_tick_touches_only_streams_with_something_due(clock: Clock) -> None:
    beats: list[str] = []

    def beat(name: str) -> Heartbeat:
        return Heartbeat("heartbeat", 30, lambda now: beats.append(name))

    hub = make_hub(clock, release_after=None)
    hub.open("o", stream_id="early", heartbeats=[beat("early")])
    for n in range(500):
        hub.open("o", stream_id=f"late{n}", heartbeats=[Heartbeat("hb", 3600, lambda now: 1)])
    settled: list[str] = []
    prune = hub._prune_locked

    def counting(stream: Any, now: float) -> None:
        settled.append(stream.id)
        prune(stream, now)

    hub._prune_locked = counting  # type: ignore[method-assign]
    hub.publish("late7", "e", 1)
    clock.advance(30)
    hub.tick()
    assert beats == ["early"]
    assert settled == ["late7", "early", "early"]


def test_each_stream_expires_and_beats_on_its_own_tenants_clock() -> None:
    clocks = {"a": Clock(lambda: 1_700_000_000.0), "b": Clock(lambda: 1_700_000_000.0)}
    for tenant_clock in clocks.values():
        tenant_clock.freeze()
    hub = SseHub(clocks.__getitem__)
    beat = [Heartbeat("heartbeat", 30, lambda now: now.isoformat())]
    hub.open("o", stream_id="a", tenant="a", expires_at=1_700_000_060.0, heartbeats=beat)
    hub.open("o", stream_id="b", tenant="b", expires_at=1_700_000_060.0, heartbeats=beat)
    clocks["b"].advance(45)
    hub.tick()
    info_a, info_b = hub.info("a"), hub.info("b")
    assert info_a is not None
    assert info_b is not None
    assert (info_a.last_event_id, info_b.last_event_id) == (None, "b:1")
    clocks["b"].advance(15)
    hub.tick()
    assert hub.info("b") is None
    assert hub.info("a") is not None
    clocks["a"].advance(60)
    hub.tick()
    assert hub.info("a") is None


def test_a_heartbeat_carries_its_tenants_now() -> None:
    clocks = {"a": Clock(lambda: 1_700_000_000.0), "b": Clock(lambda: 1_700_000_000.0)}
    for tenant_clock in clocks.values():
        tenant_clock.freeze()
    clocks["b"].advance(3600)
    seen: list[float] = []

    def beat(now: datetime) -> int:
        seen.append(now.timestamp())
        return 1

    hub = SseHub(clocks.__getitem__)
    hub.open("o", stream_id="b", tenant="b", heartbeats=[Heartbeat("heartbeat", 30, beat)])
    clocks["b"].advance(30)
    hub.tick()
    assert seen == [1_700_003_630.0]
