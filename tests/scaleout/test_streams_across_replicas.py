"""Event streams across replicas (issue 16, item 3): a stream's replay log and registry in a real
Redis, so a stream dropped on one replica resumes on another with ``Last-Event-Id``, losing no
event and repeating none.

Unit level: two hubs (two replicas' worth of streams) on one Redis, each on its own clock; then
two sandboxes on one Redis serving Metasys over sockets, each as a replica that has loaded the
tenant (the stream moves with ``evict_tenant``, as when its tenant's lease moves).
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import redis

from standin import build_app
from standin._core.clock import Clock, isoformat
from standin._core.cluster.events import RedisStreamStore, StreamTakenOver, redis_stream_stores
from standin._core.liveserver import live_server
from standin._core.sse import (
    Heartbeat,
    ResumeRefused,
    SseEvent,
    SseHub,
    StreamEnd,
    format_event,
)
from standin._core.tenants import DEFAULT_TENANT
from standin.metasys.api import MetasysApi
from standin.metasys.state import MetasysState
from standin.registry import create_sandbox
from tests.buildingminds.conftest import record
from tests.conftest import NOW
from tests.metasys.conftest import BASE, object_id
from tests.metasys.test_controls import CONTROL, OAT_SP
from tests.metasys.test_streaming import (
    Received,
    Session,
    hello,
    listening,
    subscribe_activities,
    take,
)
from tests.scaleout.metasys_support import numbers, sse, updates, value_stream
from tests.scaleout.replicas import replica_process
from tests.vendor_calls import (
    METASYS,
    ZONE_SETPOINT,
    buildingminds_token,
    metasys_adjust,
    metasys_id,
    metasys_token,
)

STREAM = "b6d184ee-e137-44aa-b9b1-14bc704cd25d"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        yield connection
    finally:
        connection.close()


def frozen_clock() -> Clock:
    clock = Clock()
    clock.freeze(NOW)
    return clock


def replica_hub(client: redis.Redis, **options: Any) -> SseHub:
    """One replica's hub: its own clock (frozen at the same instant), the shared Redis."""
    max_events = options.pop("max_events", 1000)
    store = RedisStreamStore(client, "metasys", maxlen=max_events)
    return SseHub(frozen_clock(), max_events=max_events, store=store, **options)


def sent(batch: list[SseEvent] | None) -> list[tuple[str, str, str]]:
    assert batch is not None
    return [(event.id, event.event, event.data) for event in batch]


@pytest.mark.anyio
async def test_a_stream_dropped_on_one_replica_resumes_on_another_losing_none_repeating_none(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM), expires_at=NOW.timestamp() + 3600)
    a.publish(STREAM, "object.values.update", {"v": 2})
    seen_on_a = a.attach(STREAM, a.resume_point(STREAM))
    try:
        assert sent(await seen_on_a.next_batch()) == [
            (f"{STREAM}:1", "hello", json.dumps(STREAM)),
            (f"{STREAM}:2", "object.values.update", '{"v":2}'),
        ]
    finally:
        a.detach(seen_on_a)
    # The connection is gone; A publishes on (nobody reads these there), then A is lost.
    a.publish(STREAM, "object.values.update", {"v": 3})
    a.publish(STREAM, "heartbeat", "2026-11-20T12:00:30Z")

    assert b.info(STREAM) is None
    stored = b.restore(STREAM, owner="t/u")
    assert stored is not None
    assert (stored.owner, stored.expires_at, stored.next_seq) == ("t/u", NOW.timestamp() + 3600, 5)
    response = b.resume(f"{STREAM}:2", owner="t/u")
    assert response.start == 3
    resumed = b.attach(STREAM, response.start)
    try:
        batch = await resumed.next_batch()
        assert sent(batch) == [
            (f"{STREAM}:3", "object.values.update", '{"v":3}'),
            (f"{STREAM}:4", "heartbeat", '"2026-11-20T12:00:30Z"'),
        ]
        assert batch is not None
        assert [event.wire for event in batch] == [
            format_event('{"v":3}', event="object.values.update", id=f"{STREAM}:3"),
            format_event('"2026-11-20T12:00:30Z"', event="heartbeat", id=f"{STREAM}:4"),
        ]
        # Numbering goes on where A left it.
        assert b.publish(STREAM, "object.values.update", {"v": 5}) == f"{STREAM}:5"
        assert sent(await resumed.next_batch()) == [
            (f"{STREAM}:5", "object.values.update", '{"v":5}')
        ]
    finally:
        b.detach(resumed)
    entries = client.xrange(f"standin:sse:metasys:{STREAM}:log")
    assert [entry_id for entry_id, _ in entries] == [b"0-1", b"0-2", b"0-3", b"0-4", b"0-5"]


def test_an_event_the_store_refuses_is_neither_buffered_nor_numbered(
    client: redis.Redis,
) -> None:
    hub = replica_hub(client)
    hub.open("t/u", stream_id=STREAM, hello=("hello", STREAM))
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    working, hub.store = hub.store, RedisStreamStore(unreachable, "metasys")
    with pytest.raises(redis.ConnectionError):
        hub.publish(STREAM, "e", 2)
    info = hub.info(STREAM)
    assert info is not None
    assert (info.buffered, info.last_event_id) == (1, f"{STREAM}:1")
    hub.store = working
    assert hub.publish(STREAM, "e", 2) == f"{STREAM}:2"


def test_a_replica_that_lost_a_stream_cannot_add_to_it_behind_the_new_holders_back(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM))
    assert b.restore(STREAM) is not None
    # A still believes it holds the stream; what it publishes is refused, not numbered.
    with pytest.raises(StreamTakenOver):
        a.publish(STREAM, "e", "from a")
    assert b.publish(STREAM, "e", "from b") == f"{STREAM}:2"
    # Nor can A end it for the new holder when its own copy goes.
    assert a.close(STREAM)
    assert b.publish(STREAM, "e", "still b") == f"{STREAM}:3"
    stored = replica_hub(client).restore(STREAM)
    assert stored is not None
    assert [(e.id, e.data) for e in stored.events] == [
        (f"{STREAM}:1", json.dumps(STREAM)),
        (f"{STREAM}:2", '"from b"'),
        (f"{STREAM}:3", '"still b"'),
    ]


@pytest.mark.anyio
async def test_a_heartbeat_refused_after_a_take_over_cuts_the_old_replicas_connections(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open(
        "t/u",
        stream_id=STREAM,
        hello=("hello", STREAM),
        heartbeats=[Heartbeat("heartbeat", 30, isoformat)],
    )
    reader = a.attach(STREAM, 1)
    try:
        assert sent(await reader.next_batch()) == [(f"{STREAM}:1", "hello", json.dumps(STREAM))]
        assert b.restore(STREAM) is not None
        a.clock_of().advance(30)
        a.tick()
        # Cut, so its client resumes with Last-Event-Id where the stream is held now.
        assert reader.dropped == "severed"
        assert await reader.next_batch() is None
    finally:
        a.detach(reader)
    assert client.xlen(f"standin:sse:metasys:{STREAM}:log") == 1


def test_one_change_fanned_out_publishes_to_every_stream_and_refuses_only_a_lost_one(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    for name in ("s1", "s2", "s3"):
        a.open("t/u", stream_id=name, hello=("hello", name))
    assert a.publish_many([("s1", "e", 1), ("gone", "e", 1), ("s2", "e", 1), ("s1", "e", 2)]) == [
        "s1:2",
        None,
        "s2:2",
        "s1:3",
    ]
    assert b.restore("s2") is not None
    with pytest.raises(StreamTakenOver):
        a.publish_many([("s1", "e", 3), ("s2", "e", 2), ("s3", "e", 1)])
    # The streams A still holds got the change, here and in Redis; the lost one neither.
    assert [(a.info(n) or pytest.fail(n)).last_event_id for n in ("s1", "s3")] == ["s1:4", "s3:2"]
    info = a.info("s2")
    assert info is not None
    assert info.last_event_id == "s2:2"
    log = "standin:sse:metasys:{}:log"
    assert [client.xlen(log.format(n)) for n in ("s1", "s2", "s3")] == [4, 2, 2]
    assert b.publish("s2", "e", "b") == "s2:3"


def test_without_a_store_publishing_many_is_publishing_each(clock: Clock) -> None:
    hub = SseHub(clock)
    hub.open("o", stream_id="s", hello=("hello", "s"))
    assert hub.publish_many([("s", "e", 1), ("nope", "e", 1), ("s", "e", 2)]) == [
        "s:2",
        None,
        "s:3",
    ]
    assert hub.resume_point("s", "s:1") == 2


def test_a_stream_ended_for_good_is_gone_from_redis_and_cannot_be_resumed_elsewhere(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM))
    assert a.close(STREAM)
    assert client.exists(f"standin:sse:metasys:{STREAM}", f"standin:sse:metasys:{STREAM}:log") == 0
    assert b.restore(STREAM) is None
    with pytest.raises(ResumeRefused) as refused:
        b.resume(f"{STREAM}:1")
    assert refused.value.reason == "unknown_stream"


@pytest.mark.parametrize("hand_over", ["evict", "close_all"])
def test_a_stream_handed_over_or_shut_down_stays_in_redis_for_the_next_replica(
    client: redis.Redis, hand_over: str
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    ended: list[tuple[str, StreamEnd]] = []
    a.open(
        "t/u",
        stream_id=STREAM,
        hello=("hello", STREAM),
        on_close=lambda sid, why: ended.append((sid, why)),
    )
    if hand_over == "evict":
        assert a.evict([STREAM, "not-open"]) == 1
        assert ended == [(STREAM, "moved")]
    else:
        assert a.close_all() == 1
        assert ended == [(STREAM, "shutdown")]
    assert a.info(STREAM) is None
    stored = b.restore(STREAM)
    assert stored is not None
    assert [e.id for e in stored.events] == [f"{STREAM}:1"]


def test_another_owners_stream_is_not_restored_and_an_open_one_is_not_restored_twice(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM))
    assert b.restore(STREAM, owner="t/someone-else") is None
    assert b.info(STREAM) is None
    assert a.publish(STREAM, "e", "still held by a") == f"{STREAM}:2"
    assert b.restore(STREAM, owner="t/u") is not None
    assert b.restore(STREAM, owner="t/u") is None
    assert b.restore("never-opened") is None


def test_the_replay_log_is_bounded_like_the_buffer_and_ages_like_it_on_the_new_replica(
    client: redis.Redis,
) -> None:
    a = replica_hub(client, max_events=3)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM))
    for n in range(2, 11):
        a.publish(STREAM, "e", n)
    b = replica_hub(client, max_events=3)
    stored = b.restore(STREAM)
    assert stored is not None
    assert [e.id for e in stored.events] == [f"{STREAM}:{n}" for n in (8, 9, 10)]
    assert b.resume_point(STREAM, f"{STREAM}:8") == 9
    with pytest.raises(ResumeRefused) as refused:
        b.resume_point(STREAM, f"{STREAM}:7")
    assert refused.value.reason == "unknown_event"
    # Ageing reads each event's sandbox time, kept with it: past the retention only the
    # newest stays resumable, as on the replica that published them.
    b.clock_of().advance(31)
    with pytest.raises(ResumeRefused):
        b.resume_point(STREAM, f"{STREAM}:9")
    assert b.resume_point(STREAM, f"{STREAM}:10") == 11


def test_an_expiry_pushed_out_on_one_replica_holds_on_the_next_and_an_expired_stream_is_gone(
    client: redis.Redis,
) -> None:
    a = replica_hub(client)
    a.open("t/u", stream_id=STREAM, hello=("hello", STREAM), expires_at=NOW.timestamp() + 60)
    assert a.extend_owner("t/u", NOW.timestamp() + 600) == [STREAM]
    b = replica_hub(client)
    b.clock_of().advance(120)
    stored = b.restore(STREAM)
    assert stored is not None
    assert stored.expires_at == NOW.timestamp() + 600
    assert b.evict([STREAM]) == 1
    c = replica_hub(client)
    c.clock_of().advance(601)
    assert c.restore(STREAM) is None
    assert client.exists(f"standin:sse:metasys:{STREAM}") == 0


def test_notes_come_back_with_the_stream_and_a_forgotten_note_does_not(
    client: redis.Redis,
) -> None:
    a = replica_hub(client)
    a.open("t/u", stream_id=STREAM)
    a.annotate(STREAM, "tenant", "t")
    a.annotate(STREAM, "object:1", "[]")
    a.annotate(STREAM, "object:1", None)
    a.annotate(STREAM, "object:2", '[["o","presentValue"]]')
    stored = replica_hub(client).restore(STREAM)
    assert stored is not None
    assert dict(stored.notes) == {"tenant": "t", "object:2": '[["o","presentValue"]]'}
    assert stored.next_seq == 1
    assert stored.events == []


def test_a_replica_that_lost_a_stream_cannot_change_its_notes_behind_the_new_holders_back(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    a.open("t/u", stream_id=STREAM)
    a.annotate(STREAM, "object:1", "[]")
    assert b.restore(STREAM) is not None
    # A still believes it holds the stream: a subscription it notes, or forgets, is refused.
    with pytest.raises(StreamTakenOver):
        a.annotate(STREAM, "object:2", "[]")
    with pytest.raises(StreamTakenOver):
        a.annotate(STREAM, "object:1", None)
    b.annotate(STREAM, "object:3", "[]")
    assert b.evict([STREAM]) == 1
    stored = replica_hub(client).restore(STREAM)
    assert stored is not None
    assert dict(stored.notes) == {"object:1": "[]", "object:3": "[]"}


def test_a_tenants_streams_are_listed_wherever_held_until_they_end_or_their_keys_expire(
    client: redis.Redis,
) -> None:
    a, b = replica_hub(client), replica_hub(client)
    first, second, elsewhere = (f"{STREAM[:-1]}{n}" for n in (1, 2, 3))
    a.open("t/u", stream_id=first, tenant="t")
    a.open("t/v", stream_id=second, tenant="t")
    a.open("x/u", stream_id=elsewhere, tenant="x")
    assert b.kept("t") == [(first, "t/u"), (second, "t/v")]
    assert b.restore(second, owner="t/v") is not None  # held by B now: still the tenant's
    assert a.kept("t") == [(first, "t/u"), (second, "t/v")]
    assert b.close(second)
    assert a.kept("t") == [(first, "t/u")]
    # A stream whose replica was killed and that nobody resumed: its keys expire unseen.
    client.delete(f"standin:sse:metasys:{first}", f"standin:sse:metasys:{first}:log")
    assert b.kept("t") == []
    assert client.exists("standin:sse:metasys:tenant:t") == 0
    assert b.kept("x") == [(elsewhere, "x/u")]
    assert b.kept("nobody") == []


def test_a_hub_without_a_store_writes_nothing_and_restores_nothing(client: redis.Redis) -> None:
    hub = SseHub(frozen_clock())
    hub.open("t/u", stream_id=STREAM, hello=("hello", STREAM), tenant="t")
    hub.annotate(STREAM, "tenant", "t")
    assert hub.restore(STREAM) is None
    assert hub.kept("t") == []
    assert hub.close(STREAM)
    assert client.keys("*") == []


# --- Metasys over sockets: two replicas' sandboxes on one Redis ------------------------------


@contextmanager
def replica(client: redis.Redis) -> Iterator[Session]:
    """One replica: its own sandbox (its own copy of the default tenant, as a replica that
    loaded it) serving on its own port, its Metasys streams kept in the shared Redis."""
    sandbox = create_sandbox(clock=frozen_clock(), stream_stores=redis_stream_stores(client))
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        try:
            with httpx.Client(base_url=url, timeout=httpx.Timeout(5.0, read=2.0)) as http:
                yield Session(http, sandbox)
        finally:
            sandbox.vendor(MetasysApi).streams.hub.close_all()


def present_values(received: list[Received]) -> list[tuple[str, str, Any]]:
    return [(i, e, json.loads(d)["item"]["presentValue"]) for i, e, d in received]


def test_a_metasys_stream_dropped_on_a_resumes_on_b_with_its_subscriptions(
    client: redis.Redis,
) -> None:
    with replica(client) as a, replica(client) as b:
        with listening(a) as events:
            stream_id = hello(events)
            assert a.subscribe(stream_id).status_code == 202
            assert subscribe_activities(a, stream_id, activityType="alarm").status_code == 200
            a.adjust(74.5)
            seen = take(events, 2)
        assert present_values(seen) == [
            (f"{stream_id}:2", "object.values.update", 72.0),
            (f"{stream_id}:3", "object.values.update", 74.5),
        ]
        a.adjust(75.0)  # published while no connection reads it
        # The tenant moves to B: A lets go of its streams, Redis keeps them.
        assert a.sandbox.vendor(MetasysApi).streams.evict_tenant(DEFAULT_TENANT) == 1

        resumed = b.headers(**{"Last-Event-Id": f"{stream_id}:3"})
        with listening(b, headers=resumed) as events:
            assert present_values(take(events, 1)) == [
                (f"{stream_id}:4", "object.values.update", 75.0)
            ]
            # The subscriptions came along: B's own changes reach the stream, numbered on.
            b.adjust(76.5)
            assert present_values(take(events, 1)) == [
                (f"{stream_id}:5", "object.values.update", 76.5)
            ]
            b.adjust(90.0)  # past the setpoint's limit: an alarm
            received = take(events, 2)
        assert [(i, e) for i, e, _ in received] == [
            (f"{stream_id}:6", "object.values.update"),
            (f"{stream_id}:7", "activity.alarm.new"),
        ]
        assert json.loads(received[1][2])["activity"]["alarm"]["type"] == (
            "alarmValueEnumSet.avHiAlarm"
        )


def test_a_change_b_makes_after_taking_the_tenant_over_reaches_the_stream_before_it_resumes(
    client: redis.Redis,
) -> None:
    """The balancer's SIGKILL case: the command reaches the replica that takes the tenant over
    before the stream's client comes back; taking the tenant over re-creates its streams, so
    the change is in the stream's log and the resume replays it."""
    with replica(client) as a, replica(client) as b:
        with listening(a) as events:
            stream_id = hello(events)
            assert a.subscribe(stream_id).status_code == 202
            assert present_values(take(events, 1)) == [
                (f"{stream_id}:2", "object.values.update", 72.0)
            ]
        assert a.sandbox.vendor(MetasysApi).streams.evict_tenant(DEFAULT_TENANT) == 1
        streams = b.sandbox.vendor(MetasysApi).streams
        state = b.sandbox.tenant().states["metasys"]
        assert isinstance(state, MetasysState)
        # What B runs as it loads the tenant from Redis (``Sandbox.tenant_loaded``).
        assert streams.adopt(state, DEFAULT_TENANT) == 1
        assert streams.adopt(state, DEFAULT_TENANT) == 0  # open here already
        b.adjust(76.5)
        b.adjust(77.0)
        resumed = b.headers(**{"Last-Event-Id": f"{stream_id}:2"})
        with listening(b, headers=resumed) as events:
            assert present_values(take(events, 2)) == [
                (f"{stream_id}:3", "object.values.update", 76.5),
                (f"{stream_id}:4", "object.values.update", 77.0),
            ]


def test_a_diagram_subscription_comes_along_and_sends_every_value_at_the_next_change(
    client: redis.Redis,
) -> None:
    with replica(client) as a, replica(client) as b:
        control = object_id(a.sandbox, CONTROL)
        with listening(a) as events:
            stream_id = hello(events)
            subscribed = a.http.get(
                f"{BASE}/controls/{control}/diagram",
                headers=a.headers(**{"METASYS-SUBSCRIBE": stream_id}),
            )
            assert subscribed.status_code == 200
            subscription = subscribed.headers["METASYS-SUBSCRIPTION-LOCATION"].rsplit("/", 1)[1]
            assert [name for _, name, _ in take(events, 2)] == [
                "diagram.subscription.established",
                "diagram.values.update",
            ]
        a.sandbox.vendor(MetasysApi).streams.evict_tenant(DEFAULT_TENANT)
        resumed = b.headers(**{"Last-Event-Id": f"{stream_id}:3"})
        with listening(b, headers=resumed) as events:
            b.adjust(80.0, OAT_SP)
            (event_id, name, data) = next(events)
        assert (event_id, name) == (f"{stream_id}:4", "diagram.values.update")
        # What A had sent is not kept: every value again (more, never less).
        assert json.loads(data) == {
            "id": control,
            "subscriptionIds": [subscription],
            "items": [["8", 120.0], ["9", 80.0], ["10", 40.0], ["11", 50.0], ["12", 50.0]],
        }


def test_a_subscription_made_on_b_to_a_stream_a_held_re_creates_the_stream_there(
    client: redis.Redis,
) -> None:
    with replica(client) as a, replica(client) as b:
        with listening(a) as events:
            stream_id = hello(events)
        a.sandbox.vendor(MetasysApi).streams.evict_tenant(DEFAULT_TENANT)
        assert b.subscribe(stream_id).status_code == 202
        resumed = b.headers(**{"Last-Event-Id": f"{stream_id}:1"})
        with listening(b, headers=resumed) as events:
            (event_id, name, data) = next(events)
        assert (event_id, name) == (f"{stream_id}:2", "object.values.update")
        assert json.loads(data)["item"]["presentValue"] == 72.0


def test_another_users_stream_is_not_resumed_on_the_next_replica(client: redis.Redis) -> None:
    with replica(client) as a, replica(client) as b:
        with listening(a) as events:
            stream_id = hello(events)
        a.sandbox.vendor(MetasysApi).streams.evict_tenant(DEFAULT_TENANT)
        viewer = b.sandbox.credentials()["metasys"]
        b.token = b.login(str(viewer["viewer_username"]), str(viewer["viewer_password"]))
        response = b.http.get(
            f"{BASE}/stream", headers=b.headers(**{"Last-Event-Id": f"{stream_id}:1"})
        )
        assert (response.status_code, response.content) == (204, b"")
        assert b.sandbox.vendor(MetasysApi).streams.hub.info(stream_id) is None


# --- real replica processes (standin serve --redis) ------------------------------------------


def lease_holder(client: redis.Redis, tenant_id: str = DEFAULT_TENANT) -> str:
    """The URL of the replica serving the tenant (its lease: ``replica|url|fence``)."""
    value = client.get(f"standin:lease:{tenant_id}")
    assert value is not None
    return value.decode().rsplit("|", 2)[1]


@dataclass
class Processes:
    """Two ``standin serve --redis`` replicas on one Redis, ``a`` a client of the first and
    ``b`` of the second."""

    first: subprocess.Popen[bytes]
    first_url: str
    second_url: str
    a: httpx.Client
    b: httpx.Client
    redis: redis.Redis

    def holder(self) -> str:
        """The URL of the replica serving the default tenant."""
        return lease_holder(self.redis)

    def metasys_auth(self, http: httpx.Client | None = None) -> dict[str, str]:
        """A Metasys token of the default tenant's user, valid now, asked through ``http``
        (the first replica by default)."""
        client = self.a if http is None else http
        creds = client.get("/_sandbox/credentials").json()["metasys"]
        return {"Authorization": f"Bearer {metasys_token(client, creds)}"}

    def metasys_through_first(self) -> tuple[dict[str, str], str]:
        """A Metasys token and the zone setpoint's id, asked through the first replica, which
        then serves the tenant."""
        auth = self.metasys_auth()
        point = metasys_id(self.a, auth, ZONE_SETPOINT)
        assert self.holder() == self.first_url
        return auth, point

    def kill_first(self) -> None:
        self.first.send_signal(signal.SIGKILL)
        self.first.wait(timeout=10)


@pytest.fixture
def processes(redis_url: str, client: redis.Redis) -> Iterator[Processes]:
    with (
        replica_process(redis_url) as (first, first_url),
        replica_process(redis_url) as (_, second_url),
        httpx.Client(base_url=first_url, timeout=10, trust_env=False) as a,
        httpx.Client(base_url=second_url, timeout=10, trust_env=False) as b,
    ):
        yield Processes(first, first_url, second_url, a, b, client)


def test_a_command_through_one_replica_reaches_a_stream_opened_through_the_other(
    processes: Processes,
) -> None:
    a, b = processes.a, processes.b
    auth, point = processes.metasys_through_first()
    with value_stream(b, auth, point) as stream:
        metasys_adjust(a, auth, point, 74.5)
        metasys_adjust(b, auth, point, 75.5)
        assert updates(stream.events, 3, stream.seen) == [72.0, 74.5, 75.5]
    assert numbers(stream.id, stream.seen) == list(range(1, 1 + len(stream.seen)))


def test_a_stream_whose_replica_is_killed_resumes_through_the_other_losing_none(
    processes: Processes,
) -> None:
    b = processes.b
    auth, point = processes.metasys_through_first()
    # Held by the first replica, read through the second.
    with value_stream(b, auth, point) as stream:
        metasys_adjust(b, auth, point, 74.5)
        assert updates(stream.events, 2, stream.seen) == [72.0, 74.5]
    # The connection is gone; an event is published that nobody reads yet, then the
    # replica holding the stream dies.
    metasys_adjust(b, auth, point, 75.0)
    processes.kill_first()
    # A command before the client comes back: the second replica takes the tenant over
    # (and its streams with it) to serve it.
    metasys_adjust(b, auth, point, 75.5)
    assert processes.holder() == processes.second_url
    with sse(b, {**auth, "Last-Event-Id": stream.seen[-1][0]}) as events:
        assert updates(events, 2, stream.seen) == [75.0, 75.5]
        # The second replica serves the tenant now; the subscription came along.
        metasys_adjust(b, auth, point, 76.5)
        assert updates(events, 1, stream.seen) == [76.5]
    assert processes.holder() == processes.second_url
    assert numbers(stream.id, stream.seen) == list(range(1, 1 + len(stream.seen)))


def test_a_tenants_stream_options_hold_on_the_replica_that_takes_it_over(
    processes: Processes,
) -> None:
    a, b = processes.a, processes.b
    auth, point = processes.metasys_through_first()
    engine = metasys_id(a, auth, "ADS1:NAE-1")
    chosen = a.post(
        "/_sandbox/metasys/streaming", json={"arrayUpdates": True, "offlineErrors": True}
    )
    assert chosen.status_code == 200, chosen.text
    processes.kill_first()
    options = b.post("/_sandbox/metasys/streaming", json={})
    assert (options.status_code, options.json()["arrayUpdates"]) == (200, True)
    assert options.json()["offlineErrors"] is True
    assert processes.holder() == processes.second_url
    with value_stream(b, auth, point) as stream:
        (_, name, data) = next(stream.events)
        assert name == "object.values.update"
        [update] = json.loads(data)  # the array form the tenant chose
        assert (update["item"]["presentValue"], update["subscriptionId"]) == (
            72.0,
            stream.subscription,
        )
        offline = b.post(f"/_sandbox/metasys/devices/{engine}/offline", json={})
        assert offline.status_code == 200, offline.text
        (_, name, data) = next(stream.events)
    assert name == "object.values.error"
    assert json.loads(data) == {
        "item": {"id": point, "itemReference": ZONE_SETPOINT},
        "condition": {"presentValue": {"error": "statusEnumSet.deviceOffline"}},
        "subscriptionId": stream.subscription,
    }


# --- clock-driven progress reads the same through either replica (issue 16, item 3) ----------

BUILDINGMINDS = "/buildingminds/api/digitaltwinintegration"


def batch_view(http: httpx.Client, auth: dict[str, str], batch_id: str) -> Any:
    """The batch as a client sees it: its line in ``GET /batch`` and its inbound messages."""
    listed = http.get(f"{BUILDINGMINDS}/batch", params={"limit": 1000}, headers=auth)
    assert listed.status_code == 200, listed.text
    (line,) = [b for b in listed.json()["data"] if b["batchId"] == batch_id]
    inbound = http.get(f"{BUILDINGMINDS}/batch/{batch_id}/inbound", headers=auth)
    assert inbound.status_code == 200, inbound.text
    return line, inbound.json()["data"]


def test_a_batchs_progress_reads_the_same_through_either_replica_and_after_a_failover(
    processes: Processes,
) -> None:
    a, b = processes.a, processes.b
    assert a.post("/_sandbox/clock", json={"freeze": True}).status_code == 200
    creds = a.get("/_sandbox/credentials").json()["buildingminds"]
    auth = {"Authorization": f"Bearer {buildingminds_token(a, creds)}"}
    building = record("building", "B1", siteId="SITE-BER")
    submitted = a.post(f"{BUILDINGMINDS}/building", json=[building], headers=auth)
    assert submitted.status_code == 200, submitted.text
    batch_id = submitted.json()["batchId"]
    assert processes.holder() == processes.first_url

    statuses: list[str] = []
    for advance in (0, 6, 21):  # New; picked up; processed (a building is Published)
        moved = b.post("/_sandbox/clock", json={"advance": advance})
        assert moved.status_code == 200
        through_a, through_b = batch_view(a, auth, batch_id), batch_view(b, auth, batch_id)
        assert through_a == through_b
        statuses.append(through_b[1][0]["status"])
    assert statuses == ["New", "InProgress", "Published"]

    second = b.post(
        f"{BUILDINGMINDS}/building",
        json=[record("building", "B2", siteId="SITE-BER")],
        headers=auth,
    )
    assert second.status_code == 200, second.text
    second_id = second.json()["batchId"]
    assert b.post("/_sandbox/clock", json={"advance": 6}).status_code == 200
    before = batch_view(a, auth, second_id)
    assert before[1][0]["status"] == "InProgress"
    processes.kill_first()
    # The survivor takes the tenant over, its clock still frozen where it was: the same
    # answer, then the same progress.
    assert batch_view(b, auth, second_id) == before
    assert b.post("/_sandbox/clock", json={"advance": 21}).status_code == 200
    after = batch_view(b, auth, second_id)
    assert after[1][0]["status"] == "Published"
    assert processes.holder() == processes.second_url


def test_overrides_alarms_and_alerts_read_the_same_through_either_replica_and_after_failover(
    processes: Processes,
) -> None:
    a, b = processes.a, processes.b
    first_url, second_url = processes.first_url, processes.second_url
    assert a.post("/_sandbox/clock", json={"freeze": True}).status_code == 200
    auth, point = processes.metasys_through_first()
    # A token valid now (the clock moves past a token's lifetime here).
    fresh = processes.metasys_auth
    locus = a.get("/_sandbox/credentials").json()["locus"]

    def locus_alerts(http: httpx.Client) -> Any:
        """The partner's alerts updated in the six days before the sandbox's now."""
        token = http.post(
            "/locus/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": locus["client_id"],
                "client_secret": locus["client_secret"],
            },
        )
        assert token.status_code == 200, token.text
        now = http.get("/_sandbox/clock").json()["now"]
        since = (datetime.fromisoformat(now) - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%S")
        listed = http.get(
            f"/locus/v3/partners/{locus['partner_id']}/alerts",
            params={"updatedSince": since, "tz": "UTC"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert listed.status_code == 200, listed.text
        return listed.json()

    def present(http: httpx.Client) -> Any:
        read = http.get(f"{METASYS}/objects/{point}/attributes/presentValue", headers=fresh(http))
        assert read.status_code == 200, read.text
        return read.json()

    overridden = b.put(
        f"{METASYS}/objects/{point}/commands/temporaryOverrideCommand",
        headers=auth,
        json={"parameters": [65, 1, 30]},  # 1 h 30 min
    )
    assert overridden.status_code == 200, overridden.text
    raised = b.post(f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avHiAlarm"})
    assert raised.status_code == 201, raised.text
    alarm = f"{METASYS}/alarms/{raised.json()['id']}"
    assert b.post("/_sandbox/clock", json={"advance": 5399}).status_code == 200
    assert present(a) == present(b)
    assert present(b)["item"]["presentValue"] == 65.0
    # The same alarm, its links on the host the client asked.
    through_a = a.get(alarm, headers=fresh(a)).text.replace(first_url, second_url)
    assert json.loads(through_a) == b.get(alarm, headers=fresh(b)).json()
    alerts = locus_alerts(a), locus_alerts(b)
    assert alerts[0] == alerts[1]
    assert alerts[0]["alerts"]

    processes.kill_first()
    assert present(b)["item"]["presentValue"] == 65.0
    assert b.get(alarm, headers=fresh(b)).status_code == 200
    assert locus_alerts(b) == alerts[1]
    assert b.post("/_sandbox/clock", json={"advance": 1}).status_code == 200
    assert present(b)["item"]["presentValue"] == 72.0  # the override ended on the clock
    assert processes.holder() == second_url
