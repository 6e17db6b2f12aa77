"""The client's stream consumer and its alarm/audit/activity methods, against the fake over a
real socket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from standin import Sandbox, build_app
from standin._core.faults import Fault
from standin._core.liveserver import live_server
from standin._core.sse import SseHub
from standin.clients.metasys import MetasysClient, StreamEvent
from standin.metasys.api import MetasysApi
from tests.metasys.conftest import ZONE_SETPOINT, object_id


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[str]:
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        yield f"{url}/metasys/api/v4"
        hub_of(sandbox).close_all()


def hub_of(sandbox: Sandbox) -> SseHub:
    hub: SseHub = sandbox.vendor(MetasysApi).streams.hub
    return hub


def client_for(sandbox: Sandbox, url: str) -> MetasysClient:
    creds = sandbox.credentials()["metasys"]
    return MetasysClient(
        str(creds["username"]),
        str(creds["password"]),
        base_url=url,
        clock=sandbox.clock.now,
    )


def next_named(events: Iterator[StreamEvent], name: str) -> StreamEvent:
    for event in events:
        if event.name == name:
            return event
    raise AssertionError(name)


def test_a_subscriber_gets_the_update_and_the_alarm_for_another_clients_command(
    sandbox: Sandbox, served: str
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with client_for(sandbox, served) as client, client_for(sandbox, served) as other:
        with client.stream() as stream:
            stream.subscribe_value(point)
            stream.subscribe_activities(activityType="alarm")
            events = stream.events()
            first = next(events)
            assert (first.name, first.value) == ("object.values.update", 72.0)
            other.adjust(point, 90.0)
            update = next(events)
            assert (update.name, update.value) == ("object.values.update", 90.0)
            alarm = next(events)
            assert alarm.name == "activity.alarm.new"
            assert alarm.activity is not None
            alarm_id = alarm.activity["id"]
            other.acknowledge_alarm(alarm_id, "Seen")
            acknowledged = next(events)
            assert acknowledged.name == "activity.alarm.ack"
        assert [a["id"] for a in other.alarms()] == [alarm_id]
        assert other.alarm(alarm_id)["activityManagementStatus"] == "acknowledged"
        assert [n["text"] for n in other.annotations("alarms", alarm_id)] == ["Seen"]


def test_a_dropped_connection_is_resumed_without_losing_an_event(
    sandbox: Sandbox, served: str
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with client_for(sandbox, served) as client, client.stream() as stream:
        stream.subscribe_value(point)
        events = stream.events()
        assert next(events).value == 72.0
        assert stream.stream_id is not None
        hub_of(sandbox).drop_connections(stream.stream_id)
        client.adjust(point, 73.0)
        client.adjust(point, 74.0)
        received = [next(events), next(events)]
        assert [e.value for e in received] == [73.0, 74.0]
        assert [e.id for e in received] == [f"{stream.stream_id}:3", f"{stream.stream_id}:4"]
        assert (stream.reconnects, stream.restarts) == (1, 0)


def test_a_lost_stream_is_started_over_and_subscribed_again(sandbox: Sandbox, served: str) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with client_for(sandbox, served) as client, client.stream() as stream:
        stream.subscribe_value(point)
        events = stream.events()
        assert next(events).value == 72.0
        lost = stream.stream_id
        assert lost is not None
        hub_of(sandbox).close(lost)  # the server forgets it: the resume answers 204
        again = next(events)
        assert stream.stream_id != lost
        assert (again.id, again.name, again.value) == (
            f"{stream.stream_id}:2",
            "object.values.update",
            72.0,
        )
        assert stream.restarts == 1
        assert stream.locations[0].split("/streams/")[1].startswith(str(stream.stream_id))


def test_the_token_is_refreshed_before_expiry_so_the_stream_outlives_it(
    sandbox: Sandbox, served: str
) -> None:
    hub = hub_of(sandbox)
    with client_for(sandbox, served) as client, client.stream() as stream:
        events = stream.events()
        assert stream.stream_id is not None
        sandbox.clock.advance(26 * 60)  # within refresh_before of the 30 min expiry
        assert next(events).name == "heartbeat"
        assert client.session.refreshes == 1
        sandbox.clock.advance(10 * 60)  # past the first token's expiry
        assert next(events).name == "heartbeat"
        info = hub.info(stream.stream_id)
        assert info is not None
        assert info.expires_at is not None
        assert info.expires_at > sandbox.clock.time()
        assert client.refresh_before == dt.timedelta(minutes=5)


def test_audits_and_activities_through_the_client(sandbox: Sandbox, served: str) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with client_for(sandbox, served) as client:
        client.adjust(point, 90.0)
        audits = list(client.audits(point))
        assert [a["actionType"] for a in audits] == [
            "auditActionTypeEnumSet.commandAuditActionType"
        ]
        client.annotate_audit(audits[0]["id"], "Checked")
        client.discard_audit(audits[0]["id"])
        assert [n["text"] for n in client.annotations("audits", audits[0]["id"])] == ["Checked"]
        kinds = sorted("alarm" if "alarm" in a else "audit" for a in client.activities())
        assert kinds == ["alarm", "audit"]
        alarm_id = next(client.alarms())["id"]
        answers = client.batch_activities(
            "PATCH",
            [
                {
                    "id": "1",
                    "requestUrl": f"{served}/alarms/{alarm_id}",
                    "body": {"activityManagementStatus": "discarded"},
                },
                {
                    "id": "2",
                    "requestUrl": f"{served}/audits/{audits[0]['id']}",
                    "body": {"activityManagementStatus": "discarded"},
                },
            ],
        )
        assert [(a["responseId"], a["status"]) for a in answers] == [("1", 204), ("2", 405)]


def test_server_errors_on_reconnect_are_waited_out_then_the_stream_resumes(
    sandbox: Sandbox, served: str
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    waits: list[float] = []
    creds = sandbox.credentials()["metasys"]
    client = MetasysClient(
        str(creds["username"]),
        str(creds["password"]),
        base_url=served,
        clock=sandbox.clock.now,
        sleep=waits.append,
    )
    with client, client.stream(backoff=0.5) as stream:
        stream.subscribe_value(point)
        events = stream.events()
        assert next(events).value == 72.0
        assert stream.stream_id is not None
        sandbox.faults.add(
            Fault(api="metasys", method="GET", path="/api/v4/stream", status=503, count=2)
        )
        hub_of(sandbox).drop_connections(stream.stream_id)
        client.adjust(point, 76.0)
        update = next(events)
        assert (update.id, update.value) == (f"{stream.stream_id}:3", 76.0)
        assert waits == [0.5, 1.0]
        assert (stream.reconnects, stream.restarts) == (3, 0)
