"""Alarms: raised by commands past a point's limits and by the control plane; lists, filters,
paging, acknowledge, discard, annotations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.metasys.conftest import FAN, ZONE_SETPOINT, object_id

TIME = "2026-11-20T12:00:30.000Z"


def adjust(api: Any, point: str, value: Any) -> None:
    response = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [value]})
    assert response.status_code == 200, response.text


def trigger(client: httpx.Client, point: str, **body: Any) -> str:
    response = client.post(f"/_sandbox/metasys/objects/{point}/alarms", json=body)
    assert response.status_code == 201, response.text
    alarm_id: str = response.json()["id"]
    return alarm_id


def test_a_command_past_the_high_limit_raises_a_high_alarm_with_its_trigger_value(
    api: Any, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    adjust(api, point, 90.0)
    listed = api.get("/alarms")
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    body = listed.json()
    assert body["total"] == 1
    alarm = body["items"][0]
    base = "http://standin.test/metasys/api/v4"
    assert alarm == {
        "self": f"{base}/alarms/{alarm['id']}",
        "id": alarm["id"],
        "itemReference": ZONE_SETPOINT,
        "name": "Zone Setpoint",
        "description": "",
        "message": "High Alarm",
        "isAckRequired": True,
        "type": "alarmValueEnumSet.avHiAlarm",
        "priority": 70,
        "triggerValue": {
            "item": "90.0",
            "schema": {
                "type": "string",
                "metasysType": "string",
                "units": {"id": "unitEnumSet.degF", "title": "deg F"},
            },
        },
        "creationTime": TIME,
        "activityManagementStatus": "pending",
        "category": "objectCategoryEnumSet.hvacCategory",
        "objectUrl": f"{base}/objects/{point}",
        "annotationsUrl": None,
        "spaces": alarm["spaces"],
        "equipment": alarm["equipment"],
    }
    assert [e["equipmentName"] for e in alarm["equipment"]] == ["VAV-101"]
    assert [s["name"] for s in alarm["spaces"]] == ["Room 101"]
    assert body["effectivePermissions"] == [
        {"id": alarm["id"], "canAcknowledge": True, "canDiscard": True, "canAnnotate": True}
    ]
    assert api.get(f"/alarms/{alarm['id']}").json() == alarm


def test_returning_within_the_limits_raises_a_normal_that_needs_no_acknowledgement(
    api: Any, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    adjust(api, point, 90.0)
    adjust(api, point, 88.0)  # still high: no second alarm
    adjust(api, point, 70.0)
    items = api.get("/alarms", params={"sort": "-priority"}).json()["items"]
    assert [(a["type"], a["priority"], a["isAckRequired"]) for a in items] == [
        ("alarmValueEnumSet.avNormal", 200, False),
        ("alarmValueEnumSet.avHiAlarm", 70, True),
    ]


def test_acknowledge_then_discard_and_what_the_reference_refuses(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    point = object_id(sandbox, FAN)
    alarm = trigger(client, point, type="avAlarm")
    normal = trigger(client, point, type="alarmValueEnumSet.avNormal", isAckRequired=False)
    sandbox.clock.advance(60)
    ack = api.patch(f"/alarms/{alarm}", json={"activityManagementStatus": "acknowledged"})
    assert (ack.status_code, ack.content) == (204, b"")
    body = api.get(f"/alarms/{alarm}").json()
    assert body["activityManagementStatus"] == "acknowledged"
    assert body["acknowledgedTime"] == "2026-11-20T12:01:30.000Z"
    again = api.patch(f"/alarms/{alarm}", json={"activityManagementStatus": "acknowledged"})
    assert again.status_code == 400
    not_required = api.patch(f"/alarms/{normal}", json={"activityManagementStatus": "acknowledged"})
    assert not_required.status_code == 400
    discard = api.patch(
        f"/alarms/{alarm}",
        json={"activityManagementStatus": "discarded", "annotationText": "Filter replaced"},
    )
    assert discard.status_code == 204
    body = api.get(f"/alarms/{alarm}").json()
    assert body["activityManagementStatus"] == "discarded"
    assert body["discardedTime"] == "2026-11-20T12:01:30.000Z"
    assert (
        body["annotationsUrl"] == f"http://standin.test/metasys/api/v4/alarms/{alarm}/annotations"
    )
    notes = api.get(f"/alarms/{alarm}/annotations").json()
    assert notes == {
        "total": 1,
        "items": [
            {
                "id": 1,
                "text": "Filter replaced",
                "user": sandbox.credentials()["metasys"]["username"],
                "creationTime": "2026-11-20T12:01:30.000Z",
                "action": "discarded",
                "alarmUrl": f"http://standin.test/metasys/api/v4/alarms/{alarm}",
            }
        ],
        "next": None,
        "previous": None,
        "self": f"http://standin.test/metasys/api/v4/alarms/{alarm}/annotations",
    }
    discarded = api.patch(f"/alarms/{alarm}", json={"activityManagementStatus": "discarded"})
    assert discarded.status_code == 400


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["a", "b", "c"]),
        ({"includeAcknowledged": "true"}, ["b"]),
        ({"includeAcknowledged": "false"}, ["a", "c"]),
        ({"includeDiscarded": "true"}, ["c"]),
        ({"includeDiscarded": "false"}, ["a", "b"]),
        ({"includeAcknowledgementRequired": "false"}, ["c"]),
        ({"includeAcknowledgementNotRequired": "false"}, ["a", "b"]),
        ({"priorityRange": "0,60"}, ["a"]),
        ({"priorityRange": "61,255"}, ["b", "c"]),
        ({"type": "alarmValueEnumSet.avLoAlarm"}, ["b"]),
        ({"type": ["alarmValueEnumSet.avLoAlarm", "alarmValueEnumSet.avAlarm"]}, ["a", "b"]),
        ({"startTime": "2026-11-20T12:01:00Z"}, ["b", "c"]),
        ({"endTime": "2026-11-20T12:01:30Z"}, ["a", "b"]),
        ({"category": "objectCategoryEnumSet.hvacCategory"}, ["a", "b", "c"]),
        ({"category": "objectCategoryEnumSet.energyCategory"}, []),
        ({"sort": "-creationTime"}, ["c", "b", "a"]),
        ({"sort": "priority"}, ["a", "b", "c"]),
        ({"pageSize": "2", "page": "2"}, ["c"]),
    ],
)
def test_filters_and_their_three_valued_booleans(
    api: Any, sandbox: Sandbox, client: httpx.Client, params: dict[str, Any], expected: list[str]
) -> None:
    point = object_id(sandbox, FAN)
    names = {
        trigger(client, point, type="avAlarm", priority=50): "a",
    }
    sandbox.clock.advance(60)
    names[trigger(client, point, type="avLoAlarm", priority=80)] = "b"
    sandbox.clock.advance(60)
    names[trigger(client, point, type="avNormal", priority=200, isAckRequired=False)] = "c"
    b = next(k for k, v in names.items() if v == "b")
    c = next(k for k, v in names.items() if v == "c")
    assert (
        api.patch(f"/alarms/{b}", json={"activityManagementStatus": "acknowledged"}).status_code
        == 204
    )
    assert (
        api.patch(f"/alarms/{c}", json={"activityManagementStatus": "discarded"}).status_code == 204
    )
    response = api.get("/alarms", params=params)
    assert response.status_code == 200, response.text
    assert [names[a["id"]] for a in response.json()["items"]] == expected


@pytest.mark.parametrize(
    "params",
    [
        {"priorityRange": "0-255"},
        {"priorityRange": "0,256"},
        {"type": "avAlarm"},
        {"category": "hvacCategory"},
        {"includeDiscarded": "maybe"},
        {"pageSize": "10001"},
        {"sort": "name"},
        {"startTime": "yesterday"},
        {"object": [f"x{i}" for i in range(101)]},
    ],
)
def test_bad_filters_are_400(api: Any, params: dict[str, Any]) -> None:
    response = api.get("/alarms", params=params)
    assert response.status_code == 400
    assert set(response.json()) == {"Message"}


def test_object_and_network_device_alarms_hold_only_their_own(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    fan = object_id(sandbox, FAN)
    setpoint = object_id(sandbox, ZONE_SETPOINT)
    on_fan = trigger(client, fan, type="avAlarm")
    on_setpoint = trigger(client, setpoint, type="avHiAlarm")
    engine_two = object_id(sandbox, "ADS1:NAE-2")
    engine_one = object_id(sandbox, "ADS1:NAE-1")
    assert [a["id"] for a in api.get(f"/objects/{fan}/alarms").json()["items"]] == [on_fan]
    device = api.get(f"/networkDevices/{engine_one}/alarms").json()
    assert [a["id"] for a in device["items"]] == [on_fan, on_setpoint]
    assert api.get(f"/networkDevices/{engine_two}/alarms").json()["items"] == []
    filtered = api.get(f"/networkDevices/{engine_one}/alarms", params={"object": setpoint})
    assert [a["id"] for a in filtered.json()["items"]] == [on_setpoint]
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/objects/{unknown}/alarms").status_code == 404
    assert api.get(f"/alarms/{unknown}").status_code == 404
    assert api.get(f"/networkDevices/{fan}/alarms").status_code == 404


def test_a_read_only_user_cannot_change_an_alarm(client: httpx.Client, sandbox: Sandbox) -> None:
    alarm = trigger(client, object_id(sandbox, FAN), type="avAlarm")
    creds = sandbox.credentials()["metasys"]
    token = client.post(
        "/metasys/api/v4/login",
        json={"username": creds["viewer_username"], "password": creds["viewer_password"]},
    ).json()["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/metasys/api/v4/alarms", headers=headers).json()
    assert listed["effectivePermissions"] == [
        {"id": alarm, "canAcknowledge": False, "canDiscard": False, "canAnnotate": False}
    ]
    response = client.patch(
        f"/metasys/api/v4/alarms/{alarm}",
        headers=headers,
        json={"activityManagementStatus": "acknowledged"},
    )
    assert response.status_code == 403


def test_the_control_plane_refuses_unknown_types_and_objects(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    fan = object_id(sandbox, FAN)
    assert (
        client.post(f"/_sandbox/metasys/objects/{fan}/alarms", json={"type": "x"}).status_code
        == 400
    )
    unknown = client.post(
        "/_sandbox/metasys/objects/00000000-0000-0000-0000-000000000000/alarms",
        json={"type": "avAlarm"},
    )
    assert unknown.status_code == 404
