"""Nothing the vendor's documents use is refused: every ``<set>.<member>`` the Metasys reference or
the published v4 document names is a member of its set wherever the fake takes or describes it.

The lists come from the contract, where ``tools/metasys_enum_scan.py`` wrote what it found in
those documents (tests never read the documents themselves)."""

from __future__ import annotations

from typing import Any

import pytest

from standin import Sandbox, contracts
from tests.metasys.conftest import ZONE_SETPOINT, object_id

SCHEMAS = contracts.load("metasys")["components"]["schemas"]
SETS = {
    name: schema["enum"]
    for name, schema in SCHEMAS.items()
    if name.endswith("EnumSet") and "enum" in schema
}
SET_NAMES = "enumerationSetNamesEnumSet"
OBJECT = "{object}"
DEVICE = "{device}"

FILTERS = [
    ("alarmValueEnumSet", "/alarms", "type"),
    ("alarmValueEnumSet", f"/objects/{OBJECT}/alarms", "type"),
    ("alarmValueEnumSet", f"/networkDevices/{DEVICE}/alarms", "type"),
    ("alarmValueEnumSet", "/activities", "type"),
    ("objectCategoryEnumSet", "/alarms", "category"),
    ("objectCategoryEnumSet", f"/objects/{OBJECT}/alarms", "category"),
    ("objectCategoryEnumSet", f"/networkDevices/{DEVICE}/alarms", "category"),
    ("objectCategoryEnumSet", "/activities", "category"),
    ("auditOriginAppEnumSet", "/audits", "originApplication"),
    ("auditOriginAppEnumSet", f"/objects/{OBJECT}/audits", "originApplication"),
    ("auditOriginAppEnumSet", "/activities", "originApplication"),
    ("auditClassesEnumSet", "/audits", "classLevel"),
    ("auditClassesEnumSet", f"/objects/{OBJECT}/audits", "classLevel"),
    ("auditClassesEnumSet", "/activities", "classLevel"),
    ("auditActionTypeEnumSet", "/audits", "actionType"),
    ("auditActionTypeEnumSet", f"/objects/{OBJECT}/audits", "actionType"),
    ("auditActionTypeEnumSet", "/activities", "actionType"),
]
"""The list filters (repeatable query parameters) and the set each takes its values from."""


def test_the_contract_carries_the_members_the_issue_found_missing() -> None:
    assert "alarmValueEnumSet.avHighLimit" in SETS["alarmValueEnumSet"]
    assert "objectCategoryEnumSet.administrativeCategory" in SETS["objectCategoryEnumSet"]
    assert "auditActionTypeEnumSet.subsystemAuditActionType" in SETS["auditActionTypeEnumSet"]


@pytest.mark.parametrize(("set_id", "path", "name"), FILTERS)
def test_a_list_filter_accepts_every_documented_member_of_its_set(
    api: Any, sandbox: Sandbox, set_id: str, path: str, name: str
) -> None:
    where = path.format(
        object=object_id(sandbox, ZONE_SETPOINT), device=object_id(sandbox, "ADS1:NAE-1")
    )
    for member in SETS[set_id]:
        response = api.get(where, params={name: member})
        assert response.status_code == 200, (member, response.text)
    everything = api.get(where, params=[(name, member) for member in SETS[set_id]])
    assert everything.status_code == 200, everything.text


@pytest.mark.parametrize("member", SETS["spaceTypesEnumSet"])
def test_the_space_type_filter_accepts_every_documented_space_type(api: Any, member: str) -> None:
    response = api.get("/spaces", params={"type": member})
    assert response.status_code == 200, response.text
    assert all(space["type"] == member for space in response.json()["items"])


@pytest.mark.parametrize("member", SETS["objectTypeEnumSet"])
def test_the_object_type_filters_accept_every_documented_object_type(
    api: Any, sandbox: Sandbox, member: str
) -> None:
    devices = api.get("/networkDevices", params={"objectType": member})
    assert devices.status_code == 200, devices.text
    engine = object_id(sandbox, "ADS1:NAE-1")
    children = api.get(f"/objects/{engine}/objects", params={"objectType": member})
    assert children.status_code == 200, children.text


@pytest.mark.parametrize("set_id", sorted(SETS))
def test_every_documented_member_is_served_by_enumerations_and_schemas(
    api: Any, set_id: str
) -> None:
    listed = api.get(f"/enumerations/{set_id}")
    assert listed.status_code == 200, listed.text
    served = [member["id"] for member in listed.json()["item"]["members"]]
    schema = api.get(f"/schemas/enums/{set_id}")
    assert schema.status_code == 200, schema.text
    consts = [member["const"] for member in schema.json()["allOf"][0]["oneOf"]]
    assert served == consts
    assert set(SETS[set_id]) == set(served)


@pytest.mark.parametrize("member", SETS[SET_NAMES])
def test_every_documented_set_name_answers_by_short_and_long_name(api: Any, member: str) -> None:
    short = member.removeprefix(f"{SET_NAMES}.")
    for name in (short, member):
        for path in (f"/enumerations/{name}", f"/schemas/enums/{name}"):
            response = api.get(path)
            assert response.status_code == 200, (path, response.text)
    assert api.get(f"/enumerations/{short}").json()["item"]["id"] == short


def test_a_set_no_document_gives_members_is_served_empty_and_admits_nothing(api: Any) -> None:
    item = api.get("/enumerations/demandLimit").json()["item"]
    assert (item["title"], item["numberOfStates"], item["members"]) == ("Demand Limit", 0, [])
    schema = api.get("/schemas/enums/demandLimit").json()
    assert (schema["setId"], schema["allOf"]) == (40545, [{"not": {}}])


@pytest.mark.parametrize("member", SETS["attributeEnumSet"])
def test_reading_an_attribute_never_refuses_a_documented_attribute(
    api: Any, sandbox: Sandbox, member: str
) -> None:
    """A documented attribute the object lacks is not found (404), never a bad request."""
    point = object_id(sandbox, ZONE_SETPOINT)
    short = member.split(".", 1)[1]
    response = api.get(f"/objects/{point}/attributes/{short}")
    if response.status_code != 200:
        assert response.status_code == 404, response.text
        assert response.json() == {"Message": f"The object has no attribute {short}."}


@pytest.mark.parametrize("member", SETS["viewNameEnumSet"])
def test_asking_for_a_documented_view_is_never_a_bad_request(
    api: Any, sandbox: Sandbox, member: str
) -> None:
    """The sandbox holds the focus view of an object; any other documented view is not found."""
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.get(f"/objects/{point}", params={"viewId": member})
    if member == "viewNameEnumSet.focusView":
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 404, response.text
        assert response.json() == {"Message": f"The object has no view {member}."}


def test_a_documented_command_the_object_lacks_is_unsupported_not_unknown(
    api: Any, sandbox: Sandbox
) -> None:
    """Either the object takes the command (its own tests send it) or it does not support it:
    a documented command is never answered as no member of commandIdEnumSet."""
    point = object_id(sandbox, ZONE_SETPOINT)
    invocable = api.get(f"/objects/{point}/commands").json()["effectivePermissions"]["canInvoke"]
    lacking = [member for member in SETS["commandIdEnumSet"] if member not in invocable]
    assert "commandIdEnumSet.resetCommand" in lacking
    for member in lacking:
        short = member.split(".", 1)[1]
        for name in (short, member):
            response = api.put(f"/objects/{point}/commands/{name}", json={})
            assert response.status_code == 404, response.text
            assert response.json() == {
                "Message": f"The object does not support the command {name}."
            }
