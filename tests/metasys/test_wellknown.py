"""The well-known object queries (INTERNAL) over the live state: commands, offline devices,
alarms."""

from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.metasys.conftest import ZONE_SETPOINT, ZONE_TEMPERATURE, object_id

QUERIES = (
    "alarm",
    "disabled",
    "offline",
    "operatorOverride",
    "outOfService",
    "supervisoryOverride",
    "trouble",
)
VAV_101 = "ADS1:NAE-1/FC-1.VAV-101"


def found(api: Any, engine: str, name: str, **params: Any) -> list[str]:
    response = api.get(f"/objects/{engine}/objects/wellKnownQuery/{name}", params=params)
    assert response.status_code == 200, response.text
    return [item["itemReference"] for item in response.json()["items"]]


@pytest.mark.parametrize("name", QUERIES)
def test_a_quiet_engine_has_nothing_to_report(api: Any, sandbox: Sandbox, name: str) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    response = api.get(f"/objects/{engine}/objects/wellKnownQuery/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    assert response.json() == {"self": str(response.url), "items": [], "next": None}


def test_an_operator_override_lists_the_point_until_released(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_SETPOINT)
    api.put(f"/objects/{point}/commands/overrideCommand", json={"parameters": [68]})
    response = api.get(f"/objects/{engine}/objects/wellKnownQuery/operatorOverride")
    [item] = response.json()["items"]
    assert item["id"] == point
    assert item["itemReference"] == ZONE_SETPOINT
    assert item["objectType"] == "objectTypeEnumSet.avClass"
    assert item["self"] == f"http://standin.test/metasys/api/v4/objects/{point}"
    # Another engine's override is not this engine's.
    other = object_id(sandbox, "ADS1:NAE-2")
    assert found(api, other, "operatorOverride") == []
    api.put(f"/objects/{point}/commands/overrideReleaseCommand", json={})
    assert found(api, engine, "operatorOverride") == []


def test_an_adjust_at_a_lower_priority_is_no_override(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_SETPOINT)
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [70]})
    assert found(api, engine, "operatorOverride") == []


def test_an_unreliable_value_is_trouble(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_SETPOINT)
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [90]})
    assert found(api, engine, "trouble") == [ZONE_SETPOINT]


def test_out_of_service_and_disabled_alarms_follow_their_commands(
    api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_TEMPERATURE)
    for name in ("outOfServiceCommand", "disableAlarmsCommand"):
        response = api.put(f"/objects/{point}/commands/{name}", json={})
        assert response.status_code == 200, response.text
    assert found(api, engine, "outOfService") == [ZONE_TEMPERATURE]
    assert found(api, engine, "disabled") == [ZONE_TEMPERATURE]
    api.put(f"/objects/{point}/commands/inServiceCommand", json={})
    api.put(f"/objects/{point}/commands/enableAlarmsCommand", json={})
    assert found(api, engine, "outOfService") == []
    assert found(api, engine, "disabled") == []


def test_an_alarm_lists_its_object_until_discarded(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_SETPOINT)
    raised = client.post(f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avHiAlarm"})
    assert raised.status_code == 201
    assert found(api, engine, "alarm") == [ZONE_SETPOINT]
    alarm = raised.json()["id"]
    acknowledged = api.patch(f"/alarms/{alarm}", json={"activityManagementStatus": "acknowledged"})
    assert acknowledged.status_code == 204
    assert found(api, engine, "alarm") == [ZONE_SETPOINT]
    discarded = api.patch(f"/alarms/{alarm}", json={"activityManagementStatus": "discarded"})
    assert discarded.status_code == 204
    assert found(api, engine, "alarm") == []


def test_an_offline_field_controller_lists_itself_and_its_points(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    controller = object_id(sandbox, VAV_101)
    answer = client.post(f"/_sandbox/metasys/devices/{controller}/offline", json={})
    assert answer.status_code == 200
    assert found(api, engine, "offline") == [
        VAV_101,
        f"{VAV_101}.ZN-T",
        f"{VAV_101}.ZN-SP",
        f"{VAV_101}.DA-F",
    ]
    assert found(api, object_id(sandbox, "ADS1:NAE-2"), "offline") == []


def test_the_cursor_pages_through_the_list(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    client.post(f"/_sandbox/metasys/devices/{object_id(sandbox, VAV_101)}/offline", json={})
    path = f"/objects/{engine}/objects/wellKnownQuery/offline"
    first = api.get(path, params={"pageSize": 3}).json()
    assert [i["itemReference"] for i in first["items"]] == [
        VAV_101,
        f"{VAV_101}.ZN-T",
        f"{VAV_101}.ZN-SP",
    ]
    assert first["next"] == f"http://standin.test/metasys/api/v4{path}?pageSize=3&cursor=3"
    second = api.get(path, params={"pageSize": 3, "cursor": 3}).json()
    assert ([i["itemReference"] for i in second["items"]], second["next"]) == (
        [f"{VAV_101}.DA-F"],
        None,
    )
    assert api.get(path, params={"cursor": 99}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageSize": 0}, "The parameter pageSize is out of range."),
        ({"pageSize": 1001}, "The parameter pageSize is out of range."),
        ({"pageSize": "x"}, "The parameter pageSize must be an integer."),
        ({"cursor": -1}, "The parameter cursor is out of range."),
        ({"cursor": "next"}, "The parameter cursor must be an integer."),
    ],
)
def test_bad_paging_is_400(
    api: Any, sandbox: Sandbox, params: dict[str, Any], message: str
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    response = api.get(f"/objects/{engine}/objects/wellKnownQuery/trouble", params=params)
    assert (response.status_code, response.json()) == (400, {"Message": message})


def test_only_a_supervisory_device_can_be_queried(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    controller = object_id(sandbox, VAV_101)
    for target in (point, controller):
        response = api.get(f"/objects/{target}/objects/wellKnownQuery/alarm")
        assert (response.status_code, response.json()) == (
            400,
            {"Message": "The object id needs to be a supervisory device."},
        )
    site_director = object_id(sandbox, "ADS1:ADS1")
    assert api.get(f"/objects/{site_director}/objects/wellKnownQuery/alarm").status_code == 200


def test_unknown_objects_and_queries_are_404(api: Any) -> None:
    unknown = "32cfddc0-411f-5b9e-9a6d-442cb62fecbb"
    response = api.get(f"/objects/{unknown}/objects/wellKnownQuery/alarm")
    assert (response.status_code, response.json()) == (
        404,
        {"Message": f"Object {unknown} was not found."},
    )
    assert api.get(f"/objects/{unknown}/objects/wellKnownQuery/broken").status_code == 404


def test_an_offline_engine_answers_503(client: httpx.Client, api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    client.post(f"/_sandbox/metasys/devices/{engine}/offline", json={})
    response = api.get(f"/objects/{engine}/objects/wellKnownQuery/offline")
    assert (response.status_code, response.json()) == (
        503,
        {"Message": "The device is offline: ADS1:NAE-1."},
    )


def test_the_queries_need_a_token(client: httpx.Client, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    response = client.get(f"/metasys/api/v4/objects/{engine}/objects/wellKnownQuery/alarm")
    assert (response.status_code, response.json()) == (
        401,
        {"Message": "Authorization has been denied for this request."},
    )
