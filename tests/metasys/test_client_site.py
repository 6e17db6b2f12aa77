"""The client's calls of the remaining public operations: one audit and the audits' users, a
network device's alarms, attributes and schemas, and ending subscriptions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.liveserver import live_server
from standin.clients.metasys import MetasysClient, MetasysNotFound
from tests.metasys.conftest import FAN, ZONE_SETPOINT, object_id
from tests.metasys.test_client_stream import client_for, hub_of

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def sandbox(standin: Sandbox) -> Sandbox:
    """The plugin's routed sandbox, which ``metasys_client`` and ``client`` share here."""
    return standin


@pytest.fixture
def metasys(metasys_client: MetasysClient) -> MetasysClient:
    return metasys_client


def test_an_audit_reads_as_listed_and_its_user_is_among_the_audit_users(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    metasys.adjust(point, 71.0)
    listed = list(metasys.audits(point))
    assert len(listed) == 1
    assert metasys.audit(listed[0]["id"]) == listed[0]
    assert metasys.audit_users() == [sandbox.credentials()["metasys"]["username"]]
    with pytest.raises(MetasysNotFound):
        metasys.audit(UNKNOWN)


def test_a_network_devices_alarms_are_those_of_its_objects(
    metasys: MetasysClient, sandbox: Sandbox, client: httpx.Client
) -> None:
    fan = object_id(sandbox, FAN)
    engine = object_id(sandbox, "ADS1:NAE-1")
    raised = client.post(f"/_sandbox/metasys/objects/{fan}/alarms", json={"type": "avAlarm"})
    assert raised.status_code == 201, raised.text
    alarms = list(metasys.network_device_alarms(engine))
    assert [a["id"] for a in alarms] == [raised.json()["id"]]
    assert list(metasys.network_device_alarms(object_id(sandbox, "ADS1:NAE-2"))) == []
    with pytest.raises(MetasysNotFound):
        list(metasys.network_device_alarms(fan))


def test_attributes_and_schemas_are_json_schemas(metasys: MetasysClient, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    attributes = metasys.attributes(engine)
    assert attributes["title"] == "JCI NAE55"
    assert {"name", "description"} <= set(attributes["properties"])
    priorities = metasys.enumeration_schema("writePriorityEnumSet")
    assert priorities["title"] == "Write Priority"
    members = [m["const"] for m in priorities["allOf"][0]["oneOf"]]
    assert "writePriorityEnumSet.priorityDefault" in members
    analog = metasys.object_type_schema("avClass", engine)
    assert analog == metasys.object_type_schema("objectTypeEnumSet.avClass", engine)
    assert analog["schema"]["title"] == "JCI AV"
    with pytest.raises(MetasysNotFound):
        metasys.object_type_schema("avClass", UNKNOWN)


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[str]:
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        yield f"{url}/metasys/api/v4"
        hub_of(sandbox).close_all()


@pytest.mark.standin_pass_through("127.0.0.1")  # the stream needs the socket of `served`
def test_subscriptions_are_ended_by_their_stream_and_subscription_ids(
    sandbox: Sandbox, served: str
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    with client_for(sandbox, served) as client, client.stream() as stream:
        on_value = stream.subscribe_value(point)
        on_activities = stream.subscribe_activities(activityType="alarm")
        value_parts = on_value.rstrip("/").split("/")
        activity_parts = on_activities.rstrip("/").split("/")
        assert value_parts[-5:-4] == ["objects"]
        assert activity_parts[-5:-4] == ["activities"]
        client.unsubscribe_objects(value_parts[-3], value_parts[-1])
        client.unsubscribe_activities(activity_parts[-3], activity_parts[-1])
        with pytest.raises(MetasysNotFound):
            client.unsubscribe_objects(value_parts[-3], value_parts[-1])
        with pytest.raises(MetasysNotFound):
            client.unsubscribe_activities(activity_parts[-3], activity_parts[-1])


def test_an_operator_override_shows_in_the_engines_well_known_query_until_released(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    engine = object_id(sandbox, "ADS1:NAE-1")
    assert point not in {o.id for o in metasys.well_known_objects(engine, "operatorOverride")}
    metasys.override(point, 68.0)
    found = list(metasys.well_known_objects(engine, "operatorOverride", page_size=1))
    assert [o.item_reference for o in found] == [ZONE_SETPOINT]
    metasys.release(point, 8)
    assert list(metasys.well_known_objects(engine, "operatorOverride")) == []
    with pytest.raises(MetasysNotFound):
        list(metasys.well_known_objects(UNKNOWN, "alarm"))


def test_a_query_that_is_not_well_known_is_refused_before_any_request(
    metasys: MetasysClient,
) -> None:
    with pytest.raises(ValueError, match="not a well-known query: 'inAlarm'"):
        metasys.well_known_objects(UNKNOWN, "inAlarm")
