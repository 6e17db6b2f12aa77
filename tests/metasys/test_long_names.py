"""Parameters the guide says take the long name only: each answers the vendor's 400 for a short
name, and its guide example (a long name) is answered.

The guide, for each: "Only the long name of the <thing> (for example, <set>.<member> instead of
<member>) is accepted." The one exception is ``GET /networkDevices?objectType``, where the guide's
own example request sends a short name (a Sandbox choice in the contract, tested below)."""

from __future__ import annotations

from typing import Any

import pytest

from standin import Sandbox
from tests.metasys.conftest import ZONE_SETPOINT, object_id

OBJECT = "{object}"
DEVICE = "{device}"

LONG_ONLY = [
    ("/spaces", "type", "spaceTypesEnumSet.building"),
    ("/alarms", "type", "alarmValueEnumSet.avHighLimit"),
    ("/alarms", "category", "objectCategoryEnumSet.hvacCategory"),
    (f"/objects/{OBJECT}/alarms", "type", "alarmValueEnumSet.avHighLimit"),
    (f"/objects/{OBJECT}/alarms", "category", "objectCategoryEnumSet.hvacCategory"),
    (f"/networkDevices/{DEVICE}/alarms", "type", "alarmValueEnumSet.avHighLimit"),
    (f"/networkDevices/{DEVICE}/alarms", "category", "objectCategoryEnumSet.hvacCategory"),
    ("/audits", "originApplication", "auditOriginAppEnumSet.deviceManagerAuditOriginApp"),
    ("/audits", "classLevel", "auditClassesEnumSet.userActionAuditClass"),
    ("/audits", "actionType", "auditActionTypeEnumSet.writeAuditActionType"),
    (
        f"/objects/{OBJECT}/audits",
        "originApplication",
        "auditOriginAppEnumSet.deviceManagerAuditOriginApp",
    ),
    (f"/objects/{OBJECT}/audits", "classLevel", "auditClassesEnumSet.userActionAuditClass"),
    (f"/objects/{OBJECT}/audits", "actionType", "auditActionTypeEnumSet.writeAuditActionType"),
    ("/activities", "type", "alarmValueEnumSet.avHighLimit"),
    ("/activities", "category", "objectCategoryEnumSet.hvacCategory"),
    ("/activities", "originApplication", "auditOriginAppEnumSet.deviceManagerAuditOriginApp"),
    ("/activities", "classLevel", "auditClassesEnumSet.userActionAuditClass"),
    ("/activities", "actionType", "auditActionTypeEnumSet.writeAuditActionType"),
]
"""(operation, parameter, the guide's example value) for every parameter the guide says takes the
long name only."""


def where(sandbox: Sandbox, path: str) -> str:
    return path.format(
        object=object_id(sandbox, ZONE_SETPOINT), device=object_id(sandbox, "ADS1:NAE-1")
    )


def refusal(name: str, value: str) -> dict[str, str]:
    if name == "type" and value.startswith("spaceTypesEnumSet."):
        return {"Message": f"{value.split('.', 1)[1]} is not a member of spaceTypesEnumSet."}
    return {"Message": f"The parameter {name} is not in its set."}


@pytest.mark.parametrize(("path", "name", "example"), LONG_ONLY)
def test_a_long_name_only_parameter_refuses_the_short_name_with_400(
    api: Any, sandbox: Sandbox, path: str, name: str, example: str
) -> None:
    short = example.split(".", 1)[1]
    response = api.get(where(sandbox, path), params={name: short})
    assert response.status_code == 400, response.text
    assert response.json() == refusal(name, example)


@pytest.mark.parametrize(("path", "name", "example"), LONG_ONLY)
def test_a_long_name_only_parameter_takes_the_guides_example(
    api: Any, sandbox: Sandbox, path: str, name: str, example: str
) -> None:
    response = api.get(where(sandbox, path), params={name: example})
    assert response.status_code == 200, response.text


def test_the_space_type_filter_returns_the_buildings_by_long_name(api: Any) -> None:
    buildings = api.get("/spaces", params={"type": "spaceTypesEnumSet.building"}).json()["items"]
    assert buildings
    assert {space["type"] for space in buildings} == {"spaceTypesEnumSet.building"}


def test_network_devices_take_the_guides_example_with_a_short_object_type(api: Any) -> None:
    """The guide's example request: ``objectType=bacnetIntegrationClass`` (short) together with
    ``classification``, though its text says long names only and never both. Its example wins."""
    params = [
        ("objectType", "bacnetIntegrationClass"),
        ("page", "1"),
        ("pageSize", "100"),
        ("sort", "name"),
        ("classification", "device"),
        ("classification", "server"),
        ("classification", "controller"),
    ]
    response = api.get("/networkDevices", params=params)
    assert response.status_code == 200, response.text
    long = api.get("/networkDevices", params={"objectType": "objectTypeEnumSet.nae55Class"})
    short = api.get("/networkDevices", params={"objectType": "nae55Class"})
    assert long.status_code == short.status_code == 200
    assert long.json()["items"] == short.json()["items"] != []
