"""Metasys streaming over a real socket (httpx's ASGI transport buffers whole responses).

The sandbox clock is frozen: tests move it instead of waiting, and every read is bounded by a
read timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from httpx_sse import aconnect_sse, connect_sse

from standin import Sandbox, build_app, contracts
from standin._core.liveserver import live_server
from standin.metasys.api import MetasysApi
from standin.metasys.streaming import MAX_SUBSCRIPTIONS
from tests.metasys.conftest import BASE, ZONE_SETPOINT, object_id

Received = tuple[str, str, str]
CONTRACT = contracts.load("metasys")


def conforms(data: str, schema_name: str) -> Any:
    """The event's data, checked against its payload schema in the contract."""
    parsed = json.loads(data)
    jsonschema.validate(
        parsed,
        {"$ref": f"#/components/schemas/{schema_name}", "components": CONTRACT["components"]},
        cls=jsonschema.Draft202012Validator,
        format_checker=jsonschema.FormatChecker(),
    )
    return parsed


class Session:
    def __init__(self, http: httpx.Client, sandbox: Sandbox) -> None:
        self.http = http
        self.sandbox = sandbox
        creds = sandbox.credentials()["metasys"]
        self.token = self.login(str(creds["username"]), str(creds["password"]))

    def login(self, username: str, password: str) -> str:
        response = self.http.post(
            f"{BASE}/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["accessToken"]
        return token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def subscribe(
        self, stream_id: str, reference: str = ZONE_SETPOINT, attribute: str = "presentValue"
    ) -> httpx.Response:
        point = object_id(self.sandbox, reference)
        return self.http.get(
            f"{BASE}/objects/{point}/attributes/{attribute}",
            headers=self.headers(**{"METASYS-SUBSCRIBE": stream_id}),
        )

    def command(self, name: str, parameters: list[Any], reference: str = ZONE_SETPOINT) -> None:
        point = object_id(self.sandbox, reference)
        response = self.http.put(
            f"{BASE}/objects/{point}/commands/{name}",
            headers=self.headers(),
            json={"parameters": parameters},
        )
        assert response.status_code == 200, response.text

    def adjust(self, value: float, reference: str = ZONE_SETPOINT) -> None:
        point = object_id(self.sandbox, reference)
        response = self.http.put(
            f"{BASE}/objects/{point}/commands/adjustCommand",
            headers=self.headers(),
            json={"parameters": [value]},
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[str]:
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        yield url
        sandbox.vendor(MetasysApi).streams.hub.close_all()


@pytest.fixture
def session(served: str, sandbox: Sandbox) -> Iterator[Session]:
    with httpx.Client(base_url=served, timeout=httpx.Timeout(5.0, read=2.0)) as http:
        yield Session(http, sandbox)


@contextmanager
def listening(
    session: Session, headers: dict[str, str] | None = None, query: str = ""
) -> Iterator[Iterator[Received]]:
    with connect_sse(
        session.http,
        "GET",
        f"{BASE}/stream{query}",
        headers=session.headers() if headers is None else headers,
    ) as source:
        assert source.response.status_code == 200
        yield ((e.id, e.event, e.data) for e in source.iter_sse())


def take(events: Iterator[Received], count: int) -> list[Received]:
    return [next(events) for _ in range(count)]


def hello(events: Iterator[Received]) -> str:
    (event_id, name, data) = next(events)
    stream_id = conforms(data, "HelloEvent")
    assert (event_id, name) == (f"{stream_id}:1", "hello")
    return str(stream_id)


def set_streaming(session: Session, **periods: float) -> None:
    response = session.http.post("/_sandbox/metasys/streaming", json=periods)
    assert response.status_code == 200, response.text


def test_a_stream_opens_with_hello_whose_data_is_the_quoted_stream_id(session: Session) -> None:
    with connect_sse(session.http, "GET", f"{BASE}/stream", headers=session.headers()) as source:
        response = source.response
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        first = next(source.iter_sse())
    stream_id = json.loads(first.data)
    assert first.data == f'"{stream_id}"'
    assert (first.id, first.event) == (f"{stream_id}:1", "hello")


def test_the_access_token_query_parameter_opens_a_stream_too(session: Session) -> None:
    with listening(session, headers={}, query=f"?access_token={session.token}") as events:
        assert hello(events)


def test_the_access_token_of_a_user_who_is_gone_opens_no_stream(
    session: Session, sandbox: Sandbox
) -> None:
    state = sandbox.vendor(MetasysApi).state(sandbox.tenants.default())
    assert state.users.delete("api-admin")
    response = session.http.get(f"{BASE}/stream", params={"access_token": session.token})
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
def test_a_stream_without_a_valid_token_is_401(session: Session, headers: dict[str, str]) -> None:
    response = session.http.get(f"{BASE}/stream", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


def test_heartbeats_follow_the_sandbox_clock_with_ids_increasing_by_one(
    session: Session, sandbox: Sandbox
) -> None:
    set_streaming(session, heartbeatSeconds=5)
    with listening(session) as events:
        stream_id = hello(events)
        sandbox.clock.advance(5)
        assert take(events, 1) == [(f"{stream_id}:2", "heartbeat", '"2026-11-20T12:00:35.000Z"')]
        sandbox.clock.advance(5)
        assert take(events, 1) == [(f"{stream_id}:3", "heartbeat", '"2026-11-20T12:00:40.000Z"')]


def test_the_default_heartbeat_period_is_30_seconds(session: Session, sandbox: Sandbox) -> None:
    with listening(session) as events:
        stream_id = hello(events)
        sandbox.clock.advance(29)
        session.adjust(70.0)  # a request in between must not bring a beat early
        sandbox.clock.advance(1)
        assert take(events, 1) == [(f"{stream_id}:2", "heartbeat", '"2026-11-20T12:01:00.000Z"')]


def test_a_subscription_sends_the_current_value_then_every_commanded_change(
    session: Session, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with listening(session) as events:
        stream_id = hello(events)
        response = session.subscribe(stream_id)
        assert response.status_code == 202
        location = response.headers["METASYS-SUBSCRIPTION-LOCATION"]
        prefix = f"{session.http.base_url}{BASE}/objects/streams/{stream_id}/subscriptions/"
        assert location.startswith(prefix)
        assert response.content == b""
        session.adjust(74.5)
        received = take(events, 2)
    reference = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
    assert [(i, e) for i, e, _ in received] == [
        (f"{stream_id}:2", "object.values.update"),
        (f"{stream_id}:3", "object.values.update"),
    ]
    assert [conforms(d, "ObjectValuesUpdateEvent") for _, _, d in received] == [
        {
            "item": {"presentValue": 72.0, "id": point, "itemReference": reference},
            "condition": {
                "presentValue": {
                    "reliability": "reliabilityEnumSet.reliable",
                    "priority": "writePriorityEnumSet.priorityNone",
                }
            },
        },
        {
            "item": {"presentValue": 74.5, "id": point, "itemReference": reference},
            "condition": {
                "presentValue": {
                    "reliability": "reliabilityEnumSet.reliable",
                    "priority": "writePriorityEnumSet.priorityDefault",
                }
            },
        },
    ]


@pytest.mark.parametrize("array_updates", [False, True])
def test_a_struct_attribute_streams_notifications_without_its_value(
    session: Session, sandbox: Sandbox, array_updates: bool
) -> None:
    """``overrideExpirationTime`` is a struct: its current value and each change are sent as
    ``object.values.notification`` (the reference's payload, never in the array form), and the
    client rereads the attribute to learn the value."""
    # Heartbeats an hour apart, so that none falls in the override's 15 minutes.
    set_streaming(
        session, arrayUpdates=array_updates, heartbeatSeconds=3600, objectHeartbeatSeconds=3600
    )
    point = object_id(sandbox, ZONE_SETPOINT)
    path = f"{BASE}/objects/{point}/attributes/overrideExpirationTime"
    with listening(session) as events:
        stream_id = hello(events)
        response = session.subscribe(stream_id, attribute="overrideExpirationTime")
        assert response.status_code == 202
        assert response.content == b""
        session.command("temporaryOverrideCommand", [66, 0, 15])
        received = take(events, 2)
        overridden = session.http.get(path, headers=session.headers())
        sandbox.clock.advance(15 * 60)
        ended = session.http.get(path, headers=session.headers())  # the read sees the end
        received += take(events, 1)
    assert [(i, e) for i, e, _ in received] == [
        (f"{stream_id}:2", "object.values.notification"),
        (f"{stream_id}:3", "object.values.notification"),
        (f"{stream_id}:4", "object.values.notification"),
    ]
    condition = {
        "overrideExpirationTime": {
            "reliability": "reliabilityEnumSet.reliable",
            "priority": "writePriorityEnumSet.priorityNone",
        }
    }
    notification = {
        "item": {"id": point, "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"},
        "condition": condition,
        "attribute": "attributeEnumSet.overrideExpirationTime",
    }
    assert [conforms(d, "ObjectValuesNotificationEvent") for _, _, d in received] == [
        notification
    ] * 3
    # Site time is UTC-6: the override started at 12:00:30 UTC and lasts 15 minutes.
    assert overridden.status_code == 200
    assert overridden.json() == {
        "item": {"overrideExpirationTime": {"date": "2026-11-20", "time": "06:15:30"}},
        "condition": condition,
    }
    assert ended.json() == {
        "item": {"overrideExpirationTime": {"date": None, "time": None}},
        "condition": condition,
    }


def test_a_subscribed_stream_also_gets_object_values_heartbeats(
    session: Session, sandbox: Sandbox
) -> None:
    set_streaming(session, heartbeatSeconds=60, objectHeartbeatSeconds=10)
    with listening(session) as events:
        stream_id = hello(events)
        assert session.subscribe(stream_id).status_code == 202
        sandbox.clock.advance(10)
        assert [(i, e, d) for i, e, d in take(events, 2)][1] == (
            f"{stream_id}:3",
            "object.values.heartbeat",
            '"2026-11-20T12:00:40.000Z"',
        )


def test_after_unsubscribing_a_change_sends_nothing(session: Session, sandbox: Sandbox) -> None:
    set_streaming(session, heartbeatSeconds=10)
    with listening(session) as events:
        stream_id = hello(events)
        location = session.subscribe(stream_id).headers["METASYS-SUBSCRIPTION-LOCATION"]
        assert take(events, 1)[0][1] == "object.values.update"
        deleted = session.http.delete(location, headers=session.headers())
        assert deleted.status_code == 200
        assert deleted.content == b""
        session.adjust(75.0)
        sandbox.clock.advance(10)
        # The heartbeat is the next event: the change sent nothing.
        assert take(events, 1) == [(f"{stream_id}:3", "heartbeat", '"2026-11-20T12:00:40.000Z"')]
        again = session.http.delete(location, headers=session.headers())
        assert again.status_code == 404
        assert again.json() == {"Message": "The subscription was not found."}


def test_subscribing_with_an_unknown_stream_id_is_accepted_and_sends_nothing(
    session: Session,
) -> None:
    response = session.subscribe("b6d184ee-e137-44aa-b9b1-14bc704cd25d")
    assert response.status_code == 202
    assert (
        "/objects/streams/b6d184ee-e137-44aa-b9b1-14bc704cd25d/subscriptions/"
        in (response.headers["METASYS-SUBSCRIPTION-LOCATION"])
    )


def test_a_dropped_connection_resumes_with_last_event_id_losing_nothing(
    session: Session, sandbox: Sandbox
) -> None:
    hub = sandbox.vendor(MetasysApi).streams.hub
    with listening(session) as events:
        stream_id = hello(events)
        session.subscribe(stream_id)
        take(events, 1)
        hub.drop_connections(stream_id)
        with pytest.raises((httpx.RemoteProtocolError, StopIteration)):
            take(events, 1)
    session.adjust(76.0)
    session.adjust(77.0)
    resumed = session.headers(**{"Last-Event-Id": f"{stream_id}:2"})
    with listening(session, headers=resumed) as events:
        received = take(events, 2)
    assert [(i, json.loads(d)["item"]["presentValue"]) for i, _, d in received] == [
        (f"{stream_id}:3", 76.0),
        (f"{stream_id}:4", 77.0),
    ]


def test_streams_whose_clients_left_are_released_after_the_grace_though_the_clock_is_frozen(
    session: Session, sandbox: Sandbox
) -> None:
    streams = sandbox.vendor(MetasysApi).streams
    hub = streams.hub
    hub.release_after = 4.0  # RELEASE_SECONDS is 30; the test waits for a short one
    assert sandbox.clock.mode == "frozen"
    opened: list[str] = []
    with ExitStack() as connections:
        for _ in range(20):
            events = connections.enter_context(listening(session))
            opened.append(hello(events))
            assert session.subscribe(opened[-1]).status_code == 202
            assert take(events, 1)[0][1] == "object.values.update"
    # Every client is gone; within the grace a stream still resumes where it was.
    resumed = session.headers(**{"Last-Event-Id": f"{opened[0]}:2"})
    with listening(session, headers=resumed) as events:
        session.adjust(76.0)
        assert json.loads(take(events, 1)[0][2])["item"]["presentValue"] == 76.0
    assert sorted(s.id for s in hub.streams()) == sorted(opened)
    deadline = time.monotonic() + hub.release_after + 5.0
    while hub.streams() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hub.streams() == []
    # Released: a resume answers 204, a change reaches no stream, the subscriptions are gone.
    response = session.http.get(f"{BASE}/stream", headers=resumed)
    assert (response.status_code, response.content) == (204, b"")
    session.adjust(77.0)
    assert hub.streams() == []
    assert all(streams.owned(stream_id, "api-admin") is None for stream_id in opened)
    assert (streams._records, streams._by_target) == ({}, {})


def test_an_id_no_longer_buffered_or_unknown_answers_204(
    session: Session, sandbox: Sandbox
) -> None:
    set_streaming(session, heartbeatSeconds=100)
    with listening(session) as events:
        stream_id = hello(events)
    hub = sandbox.vendor(MetasysApi).streams.hub
    # Two beats later the hello is older than the 30 s the buffer keeps, and not the last one
    # before them. Nobody listens, so the hub settles each step only when asked.
    sandbox.clock.advance(100)
    hub.tick()
    sandbox.clock.advance(100)
    hub.tick()
    for last in (f"{stream_id}:1", "b6d184ee-e137-44aa-b9b1-14bc704cd25d:5"):
        response = session.http.get(
            f"{BASE}/stream", headers=session.headers(**{"Last-Event-Id": last})
        )
        assert response.status_code == 204
        assert response.content == b""
    resumed = session.headers(**{"Last-Event-Id": f"{stream_id}:2"})
    with listening(session, headers=resumed) as events:
        assert take(events, 1) == [(f"{stream_id}:3", "heartbeat", '"2026-11-20T12:03:50.000Z"')]


def test_a_stream_ends_when_its_token_expires(session: Session, sandbox: Sandbox) -> None:
    hub = sandbox.vendor(MetasysApi).streams.hub
    set_streaming(session, heartbeatSeconds=3600)
    with listening(session) as events:
        stream_id = hello(events)
        sandbox.clock.advance(30 * 60)
        assert list(events) == []
    assert hub.info(stream_id) is None


def test_refreshing_the_token_keeps_the_stream_open_past_the_first_expiry(
    session: Session, sandbox: Sandbox
) -> None:
    set_streaming(session, heartbeatSeconds=25 * 60)
    with listening(session) as events:
        stream_id = hello(events)
        sandbox.clock.advance(20 * 60)
        refreshed = session.http.get(f"{BASE}/refreshToken", headers=session.headers())
        assert refreshed.status_code == 200
        sandbox.clock.advance(15 * 60)
        # 35 minutes in: past the first token's 30, the stream still beats.
        assert take(events, 1) == [(f"{stream_id}:2", "heartbeat", '"2026-11-20T12:35:30.000Z"')]
        sandbox.clock.advance(15 * 60)
        assert list(events) == []


def test_keepalive_extends_the_users_streams_to_the_presented_token(
    session: Session, sandbox: Sandbox
) -> None:
    hub = sandbox.vendor(MetasysApi).streams.hub
    with listening(session) as events:
        stream_id = hello(events)
        sandbox.clock.advance(20 * 60)
        session.token = session.http.get(f"{BASE}/refreshToken", headers=session.headers()).json()[
            "accessToken"
        ]
        before: Any = hub.info(stream_id).expires_at
        sandbox.clock.advance(1 * 60)
        creds = sandbox.credentials()["metasys"]
        session.token = session.login(str(creds["username"]), str(creds["password"]))
        response = session.http.get(f"{BASE}/stream/keepalive", headers=session.headers())
        assert response.status_code == 204
        assert hub.info(stream_id).expires_at == before + 60


def subscribe_activities(session: Session, stream_id: str, **params: Any) -> httpx.Response:
    return session.http.get(
        f"{BASE}/activities",
        params=params,
        headers=session.headers(**{"METASYS-SUBSCRIBE": stream_id}),
    )


def test_alarm_activities_stream_to_an_activity_subscription(
    session: Session, sandbox: Sandbox
) -> None:
    with listening(session) as events:
        stream_id = hello(events)
        response = subscribe_activities(session, stream_id, activityType="alarm")
        assert response.status_code == 200
        location = response.headers["METASYS-SUBSCRIPTION-LOCATION"]
        subscription_id = location.rsplit("/", 1)[1]
        assert location == (
            f"{session.http.base_url}{BASE}/activities/streams/{stream_id}"
            f"/subscriptions/{subscription_id}"
        )
        session.adjust(90.0)  # past the setpoint's limit: an alarm (and an audit, filtered out)
        (event_id, name, data) = next(events)
        assert (event_id, name) == (f"{stream_id}:2", "activity.alarm.new")
        payload = conforms(data, "ActivityAlarmEvent")
        alarm_id = payload["activity"]["id"]
        assert payload["subscriptionIds"] == [subscription_id]
        assert payload["activity"]["alarm"]["type"] == "alarmValueEnumSet.avHiAlarm"
        assert payload["activity"]["alarm"]["triggerValue"]["item"] == "90.0"
        assert payload["effectivePermission"] == {
            "id": alarm_id,
            "canAcknowledge": True,
            "canDiscard": True,
            "canAnnotate": True,
        }
        acked = session.http.patch(
            f"{BASE}/alarms/{alarm_id}",
            headers=session.headers(),
            json={"activityManagementStatus": "acknowledged"},
        )
        assert acked.status_code == 204
        (_, name, data) = next(events)
        assert name == "activity.alarm.ack"
        assert json.loads(data)["activity"]["activityManagementStatus"] == "acknowledged"
        deleted = session.http.delete(location, headers=session.headers())
        assert deleted.status_code == 200
        set_streaming(session, heartbeatSeconds=5)
        session.adjust(70.0)  # a return to normal: nobody is subscribed any more
        sandbox.clock.advance(30)
        assert next(events)[1] == "heartbeat"


def test_a_subscription_gets_only_the_kind_its_filters_imply(session: Session) -> None:
    """The guide: "When subscribing to an activities request that uses filters, the events
    received are also limited to the same filter criteria": a filter implying alarms sends no
    audit, one implying audits no alarm (one event per activity and stream, naming the
    subscriptions it is for)."""
    with listening(session) as events:
        stream_id = hello(events)
        alarms = subscribe_activities(session, stream_id, includeAcknowledgementRequired="true")
        audits = subscribe_activities(session, stream_id, user="api-admin")
        alarms_id, audits_id = (
            r.headers["METASYS-SUBSCRIPTION-LOCATION"].rsplit("/", 1)[1] for r in (alarms, audits)
        )
        session.adjust(90.0)  # past the setpoint's limit: an alarm, and the command's audit
        received = {name: json.loads(data) for _, name, data in take(events, 2)}
    assert sorted(received) == ["activity.alarm.new", "activity.audit.new"]
    assert received["activity.alarm.new"]["subscriptionIds"] == [alarms_id]
    assert received["activity.audit.new"]["subscriptionIds"] == [audits_id]


def test_a_status_filter_does_not_hide_a_status_change_of_an_activity(
    session: Session, sandbox: Sandbox
) -> None:
    set_streaming(session, activityHeartbeatSeconds=10)
    with listening(session) as events:
        stream_id = hello(events)
        subscribe_activities(session, stream_id, activityType="audit", includeDiscarded="false")
        session.adjust(74.0)
        (_, name, data) = next(events)
        assert name == "activity.audit.new"
        audit_id = json.loads(data)["activity"]["id"]
        discarded = session.http.patch(
            f"{BASE}/audits/{audit_id}",
            headers=session.headers(),
            json={"activityManagementStatus": "discarded"},
        )
        assert discarded.status_code == 204
        (_, name, data) = next(events)
        assert name == "activity.audit.discard"
        assert conforms(data, "ActivityAuditEvent")["activity"]["activityManagementStatus"] == (
            "discarded"
        )
        sandbox.clock.advance(10)
        (_, name, data) = next(events)
        assert name == "activity.heartbeat"
        assert conforms(data, "ActivityHeartbeatEvent")["currentTime"] == (
            "2026-11-20T12:00:40.000Z"
        )


def test_a_client_gets_the_update_and_the_alarm_for_another_clients_command(
    session: Session, sandbox: Sandbox, served: str
) -> None:
    """The issue's acceptance scenario: subscribed to a point and to alarms, a client receives
    both events for a command another client sends, across a dropped connection."""
    hub = sandbox.vendor(MetasysApi).streams.hub
    with listening(session) as events:
        stream_id = hello(events)
        session.subscribe(stream_id)
        subscribe_activities(session, stream_id, activityType="alarm")
        take(events, 1)
        hub.drop_connections(stream_id)
    with httpx.Client(base_url=served, timeout=5.0) as other_http:
        other = Session(other_http, sandbox)
        other.adjust(90.0)
    resumed = session.headers(**{"Last-Event-Id": f"{stream_id}:2"})
    with listening(session, headers=resumed) as events:
        received = take(events, 2)
    assert [(i, e) for i, e, _ in received] == [
        (f"{stream_id}:3", "object.values.update"),
        (f"{stream_id}:4", "activity.alarm.new"),
    ]
    assert json.loads(received[0][2])["item"]["presentValue"] == 90.0


def test_a_tenant_may_choose_array_updates_and_offline_errors(
    session: Session, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    engine = object_id(sandbox, "ADS1:NAE-1")
    set_streaming(session, arrayUpdates=True, offlineErrors=True)
    with listening(session) as events:
        stream_id = hello(events)
        location = session.subscribe(stream_id).headers["METASYS-SUBSCRIPTION-LOCATION"]
        subscription_id = location.rsplit("/", 1)[1]
        take(events, 1)
        session.adjust(73.0)
        (_, name, data) = next(events)
        assert name == "object.values.update"
        assert conforms(data, "ObjectValuesUpdateArrayEvent") == [
            {
                "item": {"presentValue": 73.0, "id": point, "itemReference": ZONE_SETPOINT},
                "condition": {
                    "presentValue": {
                        "reliability": "reliabilityEnumSet.reliable",
                        "priority": "writePriorityEnumSet.priorityDefault",
                    }
                },
                "subscriptionId": subscription_id,
            }
        ]
        offline = session.http.post(f"/_sandbox/metasys/devices/{engine}/offline", json={})
        assert offline.status_code == 200
        (_, name, data) = next(events)
        assert name == "object.values.error"
        assert conforms(data, "ObjectValuesErrorEvent") == {
            "item": {"id": point, "itemReference": ZONE_SETPOINT},
            "condition": {"presentValue": {"error": "statusEnumSet.deviceOffline"}},
            "subscriptionId": subscription_id,
        }
    refused = session.http.post("/_sandbox/metasys/streaming", json={"arrayUpdates": "yes"})
    assert refused.status_code == 400


def test_streaming_options_with_one_invalid_field_change_nothing(session: Session) -> None:
    refused = session.http.post(
        "/_sandbox/metasys/streaming",
        json={"arrayUpdates": True, "offlineErrors": True, "heartbeatSeconds": 0},
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "heartbeatSeconds must be a positive number of seconds"},
    )
    unchanged = session.http.post("/_sandbox/metasys/streaming", json={})
    assert (unchanged.status_code, unchanged.json()) == (
        200,
        {
            "heartbeatSeconds": 30.0,
            "objectHeartbeatSeconds": 30.0,
            "activityHeartbeatSeconds": 30.0,
            "arrayUpdates": False,
            "offlineErrors": False,
        },
    )


def test_with_array_updates_every_update_is_an_array_from_the_current_value_on(
    session: Session, sandbox: Sandbox
) -> None:
    """A client that reads the array form reads the first event (the current value sent at
    subscribe time) as an array too."""
    point = object_id(sandbox, ZONE_SETPOINT)
    set_streaming(session, arrayUpdates=True)
    with listening(session) as events:
        stream_id = hello(events)
        location = session.subscribe(stream_id).headers["METASYS-SUBSCRIPTION-LOCATION"]
        subscription_id = location.rsplit("/", 1)[1]
        session.adjust(73.0)
        received = take(events, 2)
    assert [name for _, name, _ in received] == ["object.values.update"] * 2
    assert [conforms(d, "ObjectValuesUpdateArrayEvent") for _, _, d in received] == [
        [
            {
                "item": {"presentValue": value, "id": point, "itemReference": ZONE_SETPOINT},
                "condition": {
                    "presentValue": {
                        "reliability": "reliabilityEnumSet.reliable",
                        "priority": priority,
                    }
                },
                "subscriptionId": subscription_id,
            }
        ]
        for value, priority in [
            (72.0, "writePriorityEnumSet.priorityNone"),
            (73.0, "writePriorityEnumSet.priorityDefault"),
        ]
    ]


def test_with_array_updates_a_batch_subscription_sends_its_current_values_as_one_array(
    session: Session, sandbox: Sandbox
) -> None:
    setpoint = object_id(sandbox, ZONE_SETPOINT)
    fan = object_id(sandbox, "ADS1:NAE-1/FC-1.AHU-1.SF-CMD")
    set_streaming(session, arrayUpdates=True)
    with listening(session) as events:
        stream_id = hello(events)
        response = session.http.post(
            f"{BASE}/objects/batch",
            headers=session.headers(**{"METASYS-SUBSCRIBE": stream_id}),
            json={
                "method": "GET",
                "requests": [
                    {"id": "1", "relativeUrl": f"{setpoint}/attributes/presentValue"},
                    {"id": "2", "relativeUrl": f"{fan}/attributes/presentValue"},
                ],
            },
        )
        subscription_id = response.headers["METASYS-SUBSCRIPTION-LOCATION"].rsplit("/", 1)[1]
        (_, name, data) = next(events)
        session.adjust(71.0)
        (_, later_name, later) = next(events)
    assert (name, later_name) == ("object.values.update", "object.values.update")
    first = conforms(data, "ObjectValuesUpdateArrayEvent")
    assert [(u["item"]["id"], u["item"]["presentValue"], u["subscriptionId"]) for u in first] == [
        (setpoint, 72.0, subscription_id),
        (fan, "binarypvEnumSet.bacbinActive", subscription_id),
    ]
    assert [u["item"]["presentValue"] for u in conforms(later, "ObjectValuesUpdateArrayEvent")] == [
        71.0
    ]


def test_a_batch_read_with_the_subscribe_header_streams_every_attribute_it_reads(
    session: Session, sandbox: Sandbox
) -> None:
    """The published document: each request answers on its own, 202 and no body when
    accepted, its error otherwise (404 ``attributeNotFound``), in a 200 answer."""
    setpoint = object_id(sandbox, ZONE_SETPOINT)
    fan = object_id(sandbox, "ADS1:NAE-1/FC-1.AHU-1.SF-CMD")
    with listening(session) as events:
        stream_id = hello(events)
        response = session.http.post(
            f"{BASE}/objects/batch",
            headers=session.headers(**{"METASYS-SUBSCRIBE": stream_id}),
            json={
                "method": "GET",
                "requests": [
                    {"id": "1", "relativeUrl": f"{setpoint}/attributes/presentValue"},
                    {"id": "2", "relativeUrl": f"{fan}/attributes/presentValue"},
                    {"id": "3", "relativeUrl": f"{fan}/attributes/noSuchThing"},
                    {"id": "4", "relativeUrl": f"{fan}/attributes/ipAddress"},
                ],
            },
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.metasysapi.v4+json"
        assert response.json() == {
            "responses": [
                {"id": "1", "status": 202, "body": None},
                {"id": "2", "status": 202, "body": None},
                {
                    "id": "3",
                    "status": 404,
                    "body": {
                        "error": {
                            "statusName": "statusEnumSet.attributeNotFound",
                            "message": "The attribute noSuchThing is not in attributeEnumSet.",
                        }
                    },
                },
                {
                    "id": "4",
                    "status": 404,
                    "body": {
                        "error": {
                            "statusName": "statusEnumSet.attributeNotFound",
                            "message": "The object has no attribute ipAddress.",
                        }
                    },
                },
            ]
        }
        assert response.headers["METASYS-SUBSCRIPTION-LOCATION"].startswith(
            f"{session.http.base_url}{BASE}/objects/streams/{stream_id}/subscriptions/"
        )
        first = [conforms(d, "ObjectValuesUpdateEvent") for _, _, d in take(events, 2)]
        assert [(e["item"]["id"], e["item"]["presentValue"]) for e in first] == [
            (setpoint, 72.0),
            (fan, "binarypvEnumSet.bacbinActive"),
        ]
        session.adjust(71.0)
        (_, name, data) = next(events)
        assert name == "object.values.update"
        assert json.loads(data)["item"]["presentValue"] == 71.0


@pytest.mark.anyio
async def test_200_streams_subscribed_to_one_point_each_receive_every_change(
    session: Session, sandbox: Sandbox, served: str
) -> None:
    """Streams are opened and subscribed over HTTP, the changes come from commands; no stream
    misses one."""
    count, changes = 200, [73.0, 74.0, 75.0]
    everyone_ready = anyio.Event()
    ready = 0
    results: dict[str, list[float]] = {}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    headers = session.headers()
    point = object_id(sandbox, ZONE_SETPOINT)
    async with httpx.AsyncClient(base_url=served, limits=limits, timeout=20) as client:

        async def consume(n: int) -> None:
            nonlocal ready
            values: list[float] = []
            async with aconnect_sse(client, "GET", f"{BASE}/stream", headers=headers) as source:
                async for event in source.aiter_sse():
                    if event.event == "hello":
                        subscribe = {**headers, "METASYS-SUBSCRIBE": json.loads(event.data)}
                        response = await client.get(
                            f"{BASE}/objects/{point}/attributes/presentValue", headers=subscribe
                        )
                        assert response.status_code == 202
                    elif event.event == "object.values.update":
                        values.append(json.loads(event.data)["item"]["presentValue"])
                        if len(values) == 1:
                            ready += 1
                            if ready == count:
                                everyone_ready.set()
                        if len(values) == 1 + len(changes):
                            break
            results[str(n)] = values

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                for n in range(count):
                    group.start_soon(consume, n)
                await everyone_ready.wait()
                for value in changes:
                    response = await client.put(
                        f"{BASE}/objects/{point}/commands/adjustCommand",
                        headers=headers,
                        json={"parameters": [value]},
                    )
                    assert response.status_code == 200
    assert len(results) == count
    assert all(values == [72.0, *changes] for values in results.values())


def test_a_stream_holds_at_most_1000_object_subscriptions_and_one_ended_makes_room(
    session: Session, sandbox: Sandbox
) -> None:
    api = sandbox.vendor(MetasysApi)
    tenant = sandbox.tenants.default()
    username = str(sandbox.credentials()["metasys"]["username"])
    with listening(session) as events:
        stream_id = hello(events)
        held = [
            api.streams.subscribe_object(
                api.state(tenant), stream_id, f"{tenant.id}/{username}", []
            )
            for _ in range(MAX_SUBSCRIPTIONS)
        ]
        refused = session.subscribe(stream_id)
        assert refused.status_code == 400
        assert refused.json() == {
            "Message": "Sandbox quota: this stream already holds 1,000 object value "
            "subscriptions, the most one stream may hold; unsubscribe from some or open "
            "another stream."
        }
        assert "METASYS-SUBSCRIPTION-LOCATION" not in refused.headers
        ended = session.http.delete(
            f"{BASE}/objects/streams/{stream_id}/subscriptions/{held[0]}",
            headers=session.headers(),
        )
        assert ended.status_code == 200
        accepted = session.subscribe(stream_id)
        assert accepted.status_code == 202
        assert take(events, 1)[0][1] == "object.values.update"
