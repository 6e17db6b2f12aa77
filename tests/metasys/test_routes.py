"""Metasys over HTTP: sessions, errors of the validation table, paging, objects, commands,
creation rules, relations, samples, network devices."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from standin import Sandbox
from tests.conftest import NOW
from tests.metasys.conftest import (
    BASE,
    FAN,
    MODE,
    PROGRAMMING,
    ZONE_SETPOINT,
    ZONE_TEMPERATURE,
    login,
    object_id,
    state_of,
)

MEDIA = "application/vnd.metasysapi.v4+json"
DENIED = {"Message": "Authorization has been denied for this request."}


# --- sessions ----------------------------------------------------------------------------------


def test_login_answers_a_jwt_expiring_after_the_users_30_minutes(client: httpx.Client) -> None:
    response = login(client, "api-admin", "Metasys-Sandbox-1")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA
    body = response.json()
    assert body["expires"] == "2026-11-20T12:30:30Z"
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == "api-admin"
    assert claims["exp"] - claims["iat"] == 1800


def test_the_token_lifetime_is_per_user(client: httpx.Client) -> None:
    response = login(client, "api-viewer", "Metasys-Viewer-1")
    assert response.json()["expires"] == "2026-11-20T13:00:30Z"


def test_a_user_without_api_access_is_refused_403(client: httpx.Client) -> None:
    response = login(client, "operator", "Metasys-Operator-1")
    assert response.status_code == 403
    assert response.json() == {
        "Message": "Invalid user type: the account does not have API access."
    }


def test_wrong_credentials_are_401_with_the_services_message(client: httpx.Client) -> None:
    for username, password in (("api-admin", "nope"), ("nobody", "x")):
        response = login(client, username, password)
        assert response.status_code == 401
        assert response.json() == DENIED
        assert response.headers["content-type"] == MEDIA


def test_missing_malformed_and_expired_tokens_are_401(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    assert client.get(f"{BASE}/spaces").json() == DENIED
    bad = client.get(f"{BASE}/spaces", headers={"Authorization": "Bearer not.a.jwt"})
    assert (bad.status_code, bad.json()) == (401, DENIED)
    auth = {"Authorization": f"Bearer {token}"}
    sandbox.clock.advance(1799)
    assert client.get(f"{BASE}/spaces", headers=auth).status_code == 200
    sandbox.clock.advance(1)
    expired = client.get(f"{BASE}/spaces", headers=auth)
    assert (expired.status_code, expired.json()) == (401, DENIED)


def test_refresh_answers_a_new_token_that_outlives_the_old(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    sandbox.clock.advance(1200)
    auth = {"Authorization": f"Bearer {token}"}
    refreshed = client.get(f"{BASE}/refreshToken", headers=auth)
    assert refreshed.status_code == 200
    assert refreshed.json()["expires"] == "2026-11-20T12:50:30Z"
    sandbox.clock.advance(1000)
    assert client.get(f"{BASE}/spaces", headers=auth).status_code == 401
    new = {"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
    assert client.get(f"{BASE}/spaces", headers=new).status_code == 200


def test_the_guides_bearer_colon_form_is_accepted(client: httpx.Client, token: str) -> None:
    response = client.get(f"{BASE}/spaces", headers={"Authorization": f"Bearer: {token}"})
    assert response.status_code == 200


def test_a_token_whose_user_is_gone_is_401(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{BASE}/spaces", headers=auth).status_code == 200
    assert state_of(sandbox).users.delete("api-admin")
    for path in ("/spaces", "/refreshToken", "/stream/keepalive"):
        response = client.get(BASE + path, headers=auth)
        assert (response.status_code, response.json()) == (401, DENIED), path
        assert response.headers["www-authenticate"] == "Bearer"


def test_the_access_token_query_parameter_is_taken_by_the_stream_only(
    client: httpx.Client, token: str
) -> None:
    response = client.get(f"{BASE}/spaces", params={"access_token": token})
    assert (response.status_code, response.json()) == (401, DENIED)


def journal(client: httpx.Client, count: int) -> list[dict[str, Any]]:
    """The newest ``count`` Metasys requests of the journal, oldest first."""
    listed = client.get("/_sandbox/requests", params={"api": "metasys", "limit": count})
    entries: list[dict[str, Any]] = listed.json()["requests"]
    return entries[::-1]


def test_an_authenticated_request_is_journaled_with_its_tenant(
    client: httpx.Client, token: str
) -> None:
    client.get(f"{BASE}/spaces", headers={"Authorization": f"Bearer {token}"})
    client.get(f"{BASE}/spaces")
    spaces, refused = journal(client, 2)
    assert (spaces["path"], spaces["status"], spaces["tenant"]) == (
        "/api/v4/spaces",
        200,
        "default",
    )
    assert (refused["status"], refused["tenant"]) == (401, None)


def test_a_request_of_another_tenant_is_journaled_with_that_tenant(
    client: httpx.Client,
) -> None:
    other = client.post("/_sandbox/tenants").json()
    logged_in = login(client, other["metasys"]["username"], other["metasys"]["password"])
    auth = {"Authorization": f"Bearer {logged_in.json()['accessToken']}"}
    client.get(f"{BASE}/spaces", headers=auth)
    client.get(f"{BASE}/stream/keepalive", headers=auth)
    entries = journal(client, 3)
    assert [(e["path"], e["status"], e["tenant"]) for e in entries] == [
        ("/api/v4/login", 200, other["tenant"]),  # the tenant's whose user name it sent
        ("/api/v4/spaces", 200, other["tenant"]),
        ("/api/v4/stream/keepalive", 204, other["tenant"]),
    ]


# --- the validation table ----------------------------------------------------------------------


def test_other_api_versions_are_not_served(client: httpx.Client, token: str) -> None:
    for version in ("v2", "v3"):
        response = client.get(
            f"/metasys/api/{version}/spaces", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == MEDIA
        assert response.json()["Message"].startswith("No HTTP resource was found")


def test_a_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        f"{BASE}/login", content=b"username=a", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.json() == {"Message": "Unsupported Content-Type: text/plain."}
    broken = client.post(
        f"{BASE}/login", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.json() == {"Message": "The request body is not valid JSON."}


def test_parameters_out_of_range_not_in_set_or_of_the_wrong_type_are_400(api: Any) -> None:
    cases = {
        "/spaces?pageSize=0": "The parameter pageSize is out of range.",
        "/spaces?pageSize=1001": "The parameter pageSize is out of range.",
        "/spaces?page=0": "The parameter page is out of range.",
        "/spaces?page=two": "The parameter page must be an integer.",
        "/spaces?sort=size": "The parameter sort must be one of itemReference, name, typeId.",
        "/objects?depth=2": "The parameter depth is out of range.",
        "/objects?flatten=yes": "The parameter flatten must be true or false.",
        "/spaces?type=spaceTypesEnumSet.moon": "spaceTypesEnumSet.moon is not a member of "
        "spaceTypesEnumSet.",
        "/objectIdentifiers": "The parameter fqr is required.",
    }
    for path, message in cases.items():
        response = api.get(path)
        assert (response.status_code, response.json()) == (400, {"Message": message}), path


def test_names_are_case_sensitive(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    assert api.get(f"/objects/{point}/attributes/presentValue").status_code == 200
    assert api.get(f"/objects/{point}/attributes/PresentValue").status_code == 400


def test_unknown_identifiers_are_404(api: Any) -> None:
    for path in (
        "/objects/5f0b3b7e-0000-5000-8000-000000000000",
        "/spaces/nope",
        "/equipment/nope",
        "/networkDevices/nope",
        "/schemas/enums/noSuchEnumSet",
        "/objectIdentifiers?fqr=ADS1:NAE-9",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"Message"}


def test_too_many_requests_are_403_with_retry_after(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    patched = client.patch("/_sandbox/limits", json={"metasys": {"requests": {"limit": 2}}})
    assert patched.status_code == 200
    assert [api.get("/spaces").status_code for _ in range(2)] == [200, 200]
    refused = api.get("/spaces")
    assert refused.status_code == 403
    assert refused.json() == {"Message": "Too many requests."}
    assert refused.headers["retry-after"] == "30"
    sandbox.clock.advance(30)
    assert api.get("/spaces").status_code == 200


def test_the_request_limit_counts_per_user(client: httpx.Client, api: Any) -> None:
    client.patch("/_sandbox/limits", json={"metasys": {"requests": {"limit": 1}}})
    assert api.get("/spaces").status_code == 200
    assert api.get("/spaces").status_code == 403
    viewer = login(client, "api-viewer", "Metasys-Viewer-1").json()["accessToken"]
    response = client.get(f"{BASE}/spaces", headers={"Authorization": f"Bearer {viewer}"})
    assert response.status_code == 200


def test_a_refused_token_is_401_before_the_limit_is_counted(client: httpx.Client, api: Any) -> None:
    client.patch("/_sandbox/limits", json={"metasys": {"requests": {"limit": 1}}})
    for _ in range(3):
        response = client.get(f"{BASE}/spaces", headers={"Authorization": "Bearer not.a.jwt"})
        assert (response.status_code, response.json()) == (401, DENIED)
    assert api.get("/spaces").status_code == 200


def test_an_offline_device_answers_503_for_its_objects(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    point = object_id(sandbox, ZONE_SETPOINT)
    other = object_id(sandbox, "ADS1:NAE-2/FC-1.VAV-201.ZN-SP")
    assert client.post(f"/_sandbox/metasys/devices/{engine}/offline", json={}).status_code == 200
    response = api.get(f"/objects/{point}")
    assert response.status_code == 503
    assert response.json() == {"Message": "The device is offline: ADS1:NAE-1."}
    command = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [70]})
    assert command.status_code == 503
    assert api.get(f"/objects/{other}").status_code == 200
    client.post(f"/_sandbox/metasys/devices/{engine}/offline", json={"offline": False})
    assert api.get(f"/objects/{point}").status_code == 200


# --- paging ------------------------------------------------------------------------------------


def test_pages_link_to_their_neighbours_absolutely(api: Any) -> None:
    first = api.get("/spaces?pageSize=3").json()
    assert first["total"] == 7
    assert [s["name"] for s in first["items"]] == ["Floor 1", "Floor 2", "Main Building"]
    assert first["previous"] is None
    assert first["next"] == "http://standin.test/metasys/api/v4/spaces?pageSize=3&page=2"
    last = api.get("/spaces?pageSize=3&page=3").json()
    assert [s["name"] for s in last["items"]] == ["Room 202"]
    assert last["next"] is None
    assert last["previous"] == "http://standin.test/metasys/api/v4/spaces?pageSize=3&page=2"
    assert api.get("/spaces?page=9").json()["items"] == []


def test_sort_descends_with_a_minus(api: Any) -> None:
    names = [e["name"] for e in api.get("/equipment?sort=-name").json()["items"]]
    assert names == ["VAV-202", "VAV-201", "VAV-102", "VAV-101", "AHU-2", "AHU-1"]


# --- objects -----------------------------------------------------------------------------------


def test_the_tree_starts_at_the_site_with_its_devices(api: Any) -> None:
    body = api.get("/objects").json()
    site = body["items"][0]
    assert (site["name"], site["objectType"], site["classification"]) == (
        "Site",
        "objectTypeEnumSet.siteClass",
        "site",
    )
    assert [c["name"] for c in site["items"]] == ["ADS1", "NAE-1", "NAE-2"]
    assert all(c["items"] == [] for c in site["items"])
    assert api.get("/objects?depth=0").json()["items"][0]["items"] == []


def test_path_to_returns_the_chain_to_an_object(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_TEMPERATURE)
    body = api.get(f"/objects?pathTo={point}&flatten=true").json()
    assert [o["itemReference"] for o in body["items"]] == [
        "ADS1:ADS1/$site",
        "ADS1:NAE-1",
        "ADS1:NAE-1/FC-1",
        "ADS1:NAE-1/FC-1.VAV-101",
        "ADS1:NAE-1/FC-1.VAV-101.ZN-T",
    ]


def test_extensions_appear_only_when_asked(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_TEMPERATURE)
    plain = api.get(f"/objects/{point}/objects").json()["items"][0]
    assert plain["items"] == []
    with_extensions = api.get(f"/objects/{point}/objects?includeExtensions=true").json()
    assert [c["name"] for c in with_extensions["items"][0]["items"]] == ["Trend1"]


def test_object_type_filter_keeps_the_objects_in_between(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    body = api.get(f"/objects/{engine}/objects?objectType=mvClass&flatten=true").json()
    assert [o["itemReference"] for o in body["items"]] == [
        "ADS1:NAE-1",
        "ADS1:NAE-1/FC-1",
        "ADS1:NAE-1/FC-1.AHU-1",
        "ADS1:NAE-1/FC-1.AHU-1.OCC-MODE",
    ]
    both = api.get(f"/objects/{engine}/objects?objectType=mvClass&classification=point")
    assert both.status_code == 400


def test_an_object_has_item_views_condition_and_permissions(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    body = api.get(f"/objects/{point}").json()
    assert body["objectType"] == "objectTypeEnumSet.avClass"
    assert body["item"]["presentValue"] == 72.0
    assert body["item"]["itemReference"] == ZONE_SETPOINT
    assert body["item"]["currentCommandPriority"] is None
    assert body["condition"] == {
        "presentValue": {
            "reliability": "reliabilityEnumSet.reliable",
            "priority": "writePriorityEnumSet.priorityNone",
        }
    }
    assert body["effectivePermissions"] == {"canDelete": False, "canModify": True}
    assert body["views"][0]["id"] == "viewNameEnumSet.focusView"
    assert body["networkDeviceUrl"].endswith(
        f"/networkDevices/{object_id(sandbox, 'ADS1:NAE-1/FC-1.VAV-101')}"
    )
    assert "schema" not in body
    assert "schema" in api.get(f"/objects/{point}?includeSchema=true").json()
    assert api.get(f"/objects/{point}?viewId=diagnosticView").status_code == 404
    assert api.get(f"/objects/{point}?viewId=frontView").status_code == 400


def test_object_identifiers_resolve_fully_qualified_references(api: Any, sandbox: Sandbox) -> None:
    response = api.get("/objectIdentifiers", params={"fqr": ZONE_SETPOINT})
    assert response.json() == object_id(sandbox, ZONE_SETPOINT)


def test_read_only_attributes_cannot_be_edited(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.patch(f"/objects/{point}", json={"item": {"reliability": "x"}})
    assert response.json() == {"Message": "The attribute reliability is read only."}
    edited = api.patch(f"/objects/{point}", json={"item": {"description": "Zone 101 setpoint"}})
    assert edited.status_code == 200
    assert api.get(f"/objects/{point}").json()["item"]["description"] == "Zone 101 setpoint"
    state = state_of(sandbox)
    assert [(e.attribute, e.value) for e in state.events] == [("description", "Zone 101 setpoint")]
    assert [(a.action_type, a.pre_data, a.post_data) for a in state.audits] == [
        ("auditActionTypeEnumSet.writeAuditActionType", None, "Zone 101 setpoint")
    ]


# --- commands ----------------------------------------------------------------------------------


def command(api: Any, point: str, name: str, **body: Any) -> httpx.Response:
    response: httpx.Response = api.put(f"/objects/{point}/commands/{name}", json=body)
    return response


def present(api: Any, point: str) -> tuple[Any, dict[str, Any]]:
    body = api.get(f"/objects/{point}/attributes/presentValue").json()
    return body["item"]["presentValue"], body["condition"]["presentValue"]


def test_the_priority_array_decides_the_present_value(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    adjust = command(
        api, point, "adjustCommand", parameters=[74], priority="writePriorityEnumSet.priority12"
    )
    assert (adjust.status_code, adjust.json()) == (200, "Success")
    assert present(api, point) == (
        74.0,
        {
            "reliability": "reliabilityEnumSet.reliable",
            "priority": "writePriorityEnumSet.priority12",
        },
    )
    command(api, point, "commandIdEnumSet.overrideCommand", parameters=[68])
    assert present(api, point)[0] == 68.0
    assert present(api, point)[1]["priority"] == "writePriorityEnumSet.priorityOperatorOverride"
    command(api, point, "adjustCommand", parameters=[80])  # default priority 16: lower
    assert present(api, point)[0] == 68.0
    command(api, point, "overrideReleaseCommand")
    assert present(api, point)[0] == 74.0
    command(
        api,
        point,
        "releaseCommand",
        parameters=["attributeEnumSet.presentValue", "writePriorityEnumSet.priority12"],
    )
    assert present(api, point) == (
        80.0,
        {
            "reliability": "reliabilityEnumSet.reliable",
            "priority": "writePriorityEnumSet.priorityDefault",
        },
    )
    command(api, point, "releaseAllCommand", parameters=["attributeEnumSet.presentValue"])
    assert present(api, point)[0] == 72.0
    assert api.get(f"/objects/{point}").json()["item"]["currentCommandPriority"] is None


def test_a_value_above_max_is_unreliable_high(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    command(api, point, "adjustCommand", parameters=[90])
    value, condition = present(api, point)
    assert (value, condition["reliability"]) == (90.0, "reliabilityEnumSet.unreliableHigh")
    item = api.get(f"/objects/{point}").json()["item"]
    assert (item["reliability"], item["status"]) == (
        "reliabilityEnumSet.unreliableHigh",
        "objectStatusEnumSet.osFault",
    )
    command(api, point, "adjustCommand", parameters=[50])
    assert present(api, point)[1]["reliability"] == "reliabilityEnumSet.unreliableLow"


def test_a_temporary_override_ends_on_the_clock(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    command(api, point, "temporaryOverrideCommand", parameters=[65, 1, 30])
    assert present(api, point)[0] == 65.0
    sandbox.clock.advance(5399)
    assert present(api, point)[0] == 65.0
    sandbox.clock.advance(1)
    assert present(api, point)[0] == 72.0


def test_command_bodies_are_checked_against_their_schema(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    cases = {
        "adjustCommand": ({"parameters": ["warm"]}, "Value must be a number."),
        "overrideCommand": (
            {"parameters": []},
            "parameters must be an array of 1 item(s) for overrideCommand.",
        ),
        "releaseAllCommand": (
            {"parameters": ["attributeEnumSet.presentValue"], "x": 1},
            "Unknown property in the command body: x.",
        ),
    }
    for name, (body, message) in cases.items():
        response = command(api, point, name, **body)
        assert (response.status_code, response.json()) == (400, {"Message": message}), name
    priority = command(api, point, "adjustCommand", parameters=[70], priority="priority12")
    assert priority.status_code == 400
    unsupported = command(api, point, "state0Command")
    assert unsupported.status_code == 404


def test_binary_and_multistate_points_group_their_states_under_adjust(
    api: Any, sandbox: Sandbox
) -> None:
    fan, mode = object_id(sandbox, FAN), object_id(sandbox, MODE)
    items = api.get(f"/objects/{fan}/commands").json()["items"]
    adjust = items[0]
    assert (adjust["id"], adjust["aggregateCommand"], adjust["invokeUrl"]) == (
        "commandIdEnumSet.adjustCommand",
        True,
        None,
    )
    assert [c["id"] for c in adjust["commandSet"]] == [
        "commandIdEnumSet.state0Command",
        "commandIdEnumSet.state1Command",
    ]
    command(api, fan, "state0Command", priority="writePriorityEnumSet.priority10")
    assert present(api, fan)[0] == "binarypvEnumSet.bacbinInactive"
    command(api, mode, "multistate3Command")
    assert present(api, mode)[0] == "statesEnumSet.state3"


def test_a_user_without_write_access_cannot_command(client: httpx.Client, sandbox: Sandbox) -> None:
    token = login(client, "api-viewer", "Metasys-Viewer-1").json()["accessToken"]
    point = object_id(sandbox, ZONE_SETPOINT)
    response = client.put(
        f"{BASE}/objects/{point}/commands/adjustCommand",
        json={"parameters": [70]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    listed = client.get(
        f"{BASE}/objects/{point}/commands", headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.json()["effectivePermissions"] == {"canInvoke": []}


def test_every_command_is_audited_and_every_change_is_an_event(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    command(api, point, "adjustCommand", parameters=[75], annotation="warmer")
    command(api, point, "disableAlarmsCommand")
    state = state_of(sandbox)
    assert [(a.user, a.action_type, a.description) for a in state.audits] == [
        (
            "api-admin",
            "auditActionTypeEnumSet.commandAuditActionType",
            "commandIdEnumSet.adjustCommand",
        ),
        (
            "api-admin",
            "auditActionTypeEnumSet.commandAuditActionType",
            "commandIdEnumSet.disableAlarmsCommand",
        ),
    ]
    assert (state.audits[0].pre_data, state.audits[0].post_data) == (72.0, 75.0)
    assert state.audits[0].annotation == "warmer"
    assert [(e.object_id, e.attribute, e.value) for e in state.events] == [
        (point, "presentValue", 75.0),
        (point, "alarmsEnabled", False),
    ]
    assert state.events[0].time == NOW.timestamp()


# --- creating and deleting objects --------------------------------------------------------------


def new_av(**changes: Any) -> dict[str, Any]:
    return {
        "parentId": "",
        "localUniqueIdentifier": "ZN-3-SETPT",
        "objectType": "objectTypeEnumSet.avClass",
        "item": {"name": "Zone 3 Setpoint", "minPresValue": 55, "maxPresValue": 95},
        **changes,
    }


def test_an_object_is_created_under_its_parent_then_deleted(api: Any, sandbox: Sandbox) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    created = api.post("/objects", json=new_av(parentId=folder))
    assert created.status_code == 200
    location = created.headers["location"]
    new_id = location.rsplit("/", 1)[1]
    body = api.get(f"/objects/{new_id}").json()
    assert body["item"]["itemReference"] == "ADS1:ADS1/Programming.ZN-3-SETPT"
    assert (body["item"]["name"], body["item"]["maxPresValue"]) == ("Zone 3 Setpoint", 95)
    assert body["effectivePermissions"]["canDelete"] is True
    duplicate = api.post("/objects", json=new_av(parentId=folder))
    assert duplicate.status_code == 409
    assert api.delete(f"/objects/{new_id}").status_code == 204
    assert api.get(f"/objects/{new_id}").status_code == 404


def test_creation_rules_are_400(api: Any, sandbox: Sandbox) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    point = object_id(sandbox, ZONE_SETPOINT)
    cases = [
        (
            new_av(parentId=folder, localUniqueIdentifier="ZN.3"),
            "localUniqueIdentifier is not in the correct format.",
        ),
        (
            new_av(parentId=point),
            "objectTypeEnumSet.avClass is not a supported child type of " + ZONE_SETPOINT + ".",
        ),
        (new_av(parentId=folder, item={}), "The item property name is required."),
        (
            new_av(parentId=folder, item={"name": "x", "status": "y"}),
            "The attribute status is read only.",
        ),
        (
            new_av(parentId=folder, objectType="objectTypeEnumSet.aiClass"),
            "objectTypeEnumSet.aiClass is not a supported child type of ADS1:ADS1/Programming.",
        ),
    ]
    for body, message in cases:
        response = api.post("/objects", json=body)
        assert (response.status_code, response.json()) == (400, {"Message": message})


def test_fixture_points_cannot_be_deleted(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.delete(f"/objects/{point}")
    assert response.status_code == 403


def test_supported_child_types_of_a_folder(api: Any, sandbox: Sandbox) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    types = api.get(f"/objects/{folder}/supportedChildTypes").json()
    assert [t["objectType"] for t in types] == ["containerClass", "avClass", "bvClass", "mvClass"]
    assert types[1] == {
        "objectType": "avClass",
        "description": "AV",
        "version": "1.0",
        "classification": "point",
        "isAuthorized": True,
    }


# --- spaces, equipment, network devices ---------------------------------------------------------


def names(api: Any, path: str) -> list[str]:
    return [item.get("name") or item.get("shortName") for item in api.get(path).json()["items"]]


def test_spaces_equipment_and_devices_relate(api: Any, sandbox: Sandbox) -> None:
    state = state_of(sandbox)
    by_name = {s.name: s.id for s in state.spaces.values()}
    equipment = {e.name: e.id for e in state.equipment.values()}
    engine = object_id(sandbox, "ADS1:NAE-1")
    assert names(api, f"/spaces/{by_name['Floor 1']}/spaces") == ["Room 101", "Room 102"]
    assert names(api, f"/spaces/{by_name['Room 101']}/equipment") == ["VAV-101"]
    assert names(api, f"/spaces/{by_name['Room 101']}/networkDevices") == [
        "FC-1",
        "NAE-1",
        "VAV-101",
    ]
    assert names(api, f"/equipment/{equipment['AHU-1']}/equipment") == ["VAV-101", "VAV-102"]
    assert names(api, f"/equipment/{equipment['VAV-201']}/upstreamEquipment") == ["AHU-2"]
    assert names(api, f"/equipment/{equipment['VAV-101']}/spaces") == ["Room 101"]
    assert names(api, f"/networkDevices/{engine}/equipment") == ["AHU-1", "VAV-101", "VAV-102"]
    assert names(api, f"/networkDevices/{engine}/spaces") == ["Floor 1", "Room 101", "Room 102"]
    assert names(api, f"/networkDevices/{engine}/networkDevices") == ["FC-1"]
    assert names(api, f"/equipment/{equipment['VAV-101']}/points") == ["DA-F", "ZN-SP", "ZN-T"]
    point = object_id(sandbox, ZONE_SETPOINT)
    mapped = api.get(f"/objects/{point}/points").json()["items"]
    assert [(m["equipmentName"], m["shortName"], m["attribute"]) for m in mapped] == [
        ("VAV-101", "ZN-SP", "attributeEnumSet.presentValue")
    ]


def test_network_devices_filter_by_classification(api: Any) -> None:
    assert names(api, "/networkDevices?classification=device") == ["NAE-1", "NAE-2"]
    assert names(api, "/networkDevices?classification=server") == ["ADS1"]
    assert len(api.get("/networkDevices?classification=controller").json()["items"]) == 6


def test_only_an_offline_engine_can_be_deleted(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    engine = object_id(sandbox, "ADS1:NAE-2")
    controller = object_id(sandbox, "ADS1:NAE-2/FC-1.VAV-201")
    director = object_id(sandbox, "ADS1:ADS1")
    assert api.delete(f"/networkDevices/{controller}").status_code == 400
    assert api.delete(f"/networkDevices/{director}").status_code == 400
    online = api.delete(f"/networkDevices/{engine}")
    assert online.status_code == 409
    client.post(f"/_sandbox/metasys/devices/{engine}/offline", json={"offline": True})
    assert api.delete(f"/networkDevices/{engine}").status_code == 204
    assert api.get(f"/networkDevices/{engine}").status_code == 404
    assert names(api, "/equipment") == ["AHU-1", "VAV-101", "VAV-102"]


# --- samples -----------------------------------------------------------------------------------


def test_samples_every_quarter_hour_plus_commanded_changes(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    trended = api.get(f"/objects/{point}/trendedAttributes").json()
    assert [t["attribute"] for t in trended["items"]] == ["attributeEnumSet.presentValue"]
    command(api, point, "adjustCommand", parameters=[90])
    sandbox.clock.advance(3600)
    window = {"startTime": "2026-11-20T12:00:00Z", "endTime": "2026-11-20T13:00:00Z"}
    body = api.get(f"/objects/{point}/trendedAttributes/presentValue/samples", params=window).json()
    assert body["total"] == 6
    assert [(s["timestamp"], s["value"]["value"], s["isReliable"]) for s in body["items"]] == [
        ("2026-11-20T12:00:00.000Z", 72.0, True),
        ("2026-11-20T12:00:30.000Z", 90.0, False),
        ("2026-11-20T12:15:00.000Z", 90.0, False),
        ("2026-11-20T12:30:00.000Z", 90.0, False),
        ("2026-11-20T12:45:00.000Z", 90.0, False),
        ("2026-11-20T13:00:00.000Z", 90.0, False),
    ]
    assert body["items"][0]["value"]["units"] == "unitEnumSet.degF"
    assert body["attribute"] == "attributeEnumSet.presentValue"
    newest = api.get(
        f"/objects/{point}/trendedAttributes/presentValue/samples",
        params={**window, "sort": "-timestamp", "pageSize": 2},
    ).json()
    assert [s["timestamp"] for s in newest["items"]] == [
        "2026-11-20T13:00:00.000Z",
        "2026-11-20T12:45:00.000Z",
    ]
    assert newest["next"].endswith("page=2")


def test_sensor_samples_follow_the_series_and_are_deterministic(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_TEMPERATURE)
    path = f"/objects/{point}/trendedAttributes/presentValue/samples"
    day = api.get(path, params={"pageSize": 10000}).json()
    assert day["total"] == 96
    values = [s["value"]["value"] for s in day["items"]]
    assert all(68.0 < v < 75.0 for v in values)
    assert len(set(values)) > 20
    assert api.get(path, params={"pageSize": 10000}).json()["items"] == day["items"]


def test_network_device_samples(api: Any, sandbox: Sandbox) -> None:
    engine = object_id(sandbox, "ADS1:NAE-1")
    trended = api.get(f"/networkDevices/{engine}/trendedAttributes").json()
    assert [t["attribute"] for t in trended["items"]] == [
        "attributeEnumSet.memoryUsage",
        "attributeEnumSet.cpuUsage",
    ]
    body = api.get(
        f"/networkDevices/{engine}/trendedAttributes/memoryUsage/samples", params={"pageSize": 1}
    ).json()
    assert body["total"] == 96
    assert body["items"][0]["value"]["units"] == "unitEnumSet.percent"
    assert body["networkDeviceUrl"].endswith(f"/networkDevices/{engine}")


def test_an_untrended_attribute_has_no_samples(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, MODE)
    response = api.get(f"/objects/{point}/trendedAttributes/presentValue/samples")
    assert response.status_code == 404


# --- schemas, enumerations, users, batch -------------------------------------------------------


def test_enumerations_describe_what_objects_use(api: Any) -> None:
    schema = api.get("/schemas/enums/writePriorityEnumSet").json()
    members = schema["allOf"][0]["oneOf"]
    assert members[16] == {
        "const": "writePriorityEnumSet.priorityDefault",
        "title": "16 (Default)",
        "memberId": 16,
    }
    reliability = api.get("/enumerations/reliabilityEnumSet").json()["item"]
    assert "reliabilityEnumSet.unreliableHigh" in [m["id"] for m in reliability["members"]]
    two_state = [e["id"] for e in api.get("/enumerations?enumType=twoState").json()["items"]]
    assert two_state == [
        "binarypvEnumSet",
        "noYesEnumSet",
        "falsetrueEnumSet",
        "activateChangesCmdEnumSet",
        "faultOkEnumSet",
    ]


def test_an_object_type_schema_lists_what_can_be_set(api: Any, sandbox: Sandbox) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    body = api.get(f"/schemas/objectTypes/objectTypeEnumSet.avClass?parentId={folder}").json()
    assert body["schema"]["required"] == ["name"]
    assert "presentValue" not in body["schema"]["properties"]
    assert "maxPresValue" in body["schema"]["properties"]
    ident = api.get(f"/schemas/objectTypes/avClass/identification?parentObjectId={folder}").json()
    assert ident["schema"]["properties"]["localUniqueIdentifier"]["default"] == "AV1"


def test_userinfo_and_users(api: Any) -> None:
    assert api.get("/userinfo").json()["userName"] == "api-admin"
    users = api.get("/users").json()
    assert [u["userName"] for u in users["items"]] == ["api-admin", "api-viewer", "operator"]
    assert [u["accessType"] for u in users["items"]] == ["API", "API", "Standard"]


def test_batch_reads_and_writes_answer_per_item(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    reads = api.post(
        "/objects/batch",
        json={
            "method": "GET",
            "requests": [
                {"id": "1", "relativeUrl": f"{point}/attributes/presentValue"},
                {"id": "2", "relativeUrl": f"{point}/attributes/ipAddress"},
                {"id": "3", "relativeUrl": "nope/attributes/presentValue"},
            ],
        },
    ).json()["responses"]
    assert [(r["id"], r["status"]) for r in reads] == [("1", 200), ("2", 404), ("3", 404)]
    assert reads[0]["body"]["item"] == {"presentValue": 72.0}
    assert reads[2]["body"]["error"]["statusName"] == "statusEnumSet.objectNotFound"
    writes = api.post(
        "/objects/batch",
        json={
            "method": "PATCH",
            "requests": [
                {"id": "a", "relativeUrl": point, "body": {"item": {"presentValue": 73.5}}},
                {"id": "b", "relativeUrl": point, "body": {"item": {"status": "x"}}},
            ],
        },
    ).json()["responses"]
    assert [(w["id"], w["status"]) for w in writes] == [("a", 200), ("b", 400)]
    assert writes[0]["body"]["item"] == {"presentValue": 73.5}
    assert present(api, point)[1]["priority"] == "writePriorityEnumSet.priorityDefault"


def test_a_batch_ignores_members_the_published_schema_does_not_name(
    api: Any, sandbox: Sandbox
) -> None:
    """The published request schema lists ``id`` and ``relativeUrl`` and closes neither a
    request nor the body, so other members are accepted and ignored."""
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.post(
        "/objects/batch",
        json={
            "method": "GET",
            "clientTag": "poll-7",
            "requests": [
                {
                    "id": "1",
                    "relativeUrl": f"{point}/attributes/presentValue",
                    "headers": {"Accept": "application/json"},
                    "dependsOn": [],
                },
                {"id": "2", "relativeUrl": f"{point}/attributes/presentValue", "body": None},
            ],
        },
    )
    assert response.status_code == 200
    value = {
        "item": {"presentValue": 72.0},
        "condition": {
            "presentValue": {
                "reliability": "reliabilityEnumSet.reliable",
                "priority": "writePriorityEnumSet.priorityNone",
            }
        },
    }
    assert response.json() == {
        "responses": [
            {"id": "1", "status": 200, "body": value},
            {"id": "2", "status": 200, "body": value},
        ]
    }
    written = api.post(
        "/objects/batch",
        json={
            "method": "PATCH",
            "requests": [
                {
                    "id": "a",
                    "relativeUrl": point,
                    "body": {"item": {"presentValue": 70.5}},
                    "note": "ignored",
                }
            ],
        },
    )
    assert [(w["id"], w["status"]) for w in written.json()["responses"]] == [("a", 200)]
    missing = api.post("/objects/batch", json={"method": "GET", "requests": [{"id": "1"}]})
    assert missing.status_code == 400
    assert missing.json() == {"Message": "Every request needs a string id and relativeUrl."}
    # ``body`` is the sandbox's own member (for PATCH): on a read it is ignored, in its shape.
    malformed = api.post(
        "/objects/batch",
        json={
            "method": "GET",
            "requests": [{"id": "1", "relativeUrl": f"{point}/attributes/presentValue", "body": 1}],
        },
    )
    assert malformed.status_code == 400
    assert malformed.json() == {"Message": 'A request body is {"item": {...}}, needed by PATCH.'}
    not_a_url = api.post(
        "/objects/batch", json={"method": "GET", "requests": [{"id": "1", "relativeUrl": "a b"}]}
    )
    assert not_a_url.status_code == 400
    assert not_a_url.json() == {"Message": "Each relativeUrl must be a URI reference."}


def test_a_subscribed_batch_that_accepts_nothing_answers_each_error_and_no_location(
    api: Any, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.post(
        "/objects/batch",
        headers={"METASYS-SUBSCRIBE": "40e47e37-0f24-4101-8e1d-de96af4b648b"},
        json={
            "method": "GET",
            "requests": [{"id": "B", "relativeUrl": f"{point}/attributes/states"}],
        },
    )
    assert response.status_code == 200
    assert "METASYS-SUBSCRIPTION-LOCATION" not in response.headers
    assert response.json() == {
        "responses": [
            {
                "id": "B",
                "status": 404,
                "body": {
                    "error": {
                        "statusName": "statusEnumSet.attributeNotFound",
                        "message": "The attribute states is not in attributeEnumSet.",
                    }
                },
            }
        ]
    }


# --- control plane and tenants -----------------------------------------------------------------


def test_the_control_plane_writes_a_point_like_field_logic(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    written = client.post(
        f"/_sandbox/metasys/objects/{point}/value", json={"value": 66.0, "priority": 3}
    )
    assert written.json() == {"id": point, "presentValue": 66.0, "priority": 3}
    assert present(api, point) == (
        66.0,
        {
            "reliability": "reliabilityEnumSet.reliable",
            "priority": "writePriorityEnumSet.priority3",
        },
    )
    released = client.post(
        f"/_sandbox/metasys/objects/{point}/value", json={"value": None, "priority": 3}
    )
    assert released.json()["presentValue"] == 72.0
    assert [e.value for e in state_of(sandbox).events] == [66.0, 72.0]
    bad = client.post(f"/_sandbox/metasys/objects/{point}/value", json={"priority": 17})
    assert bad.status_code == 400
    unknown = client.post("/_sandbox/metasys/devices/nope/offline", json={})
    assert unknown.status_code == 404


TRIGGER_VALUE_REFUSED = {
    "error": "value must be null, true or false, a number, or a string of at most 255 characters"
}


@pytest.mark.parametrize("value", ["v" * 256, ["v"] * 3, {"big": "v"}])
def test_a_trigger_value_a_point_could_not_hold_is_refused_and_nothing_is_kept(
    client: httpx.Client, api: Any, sandbox: Sandbox, value: object
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    alarms_before = api.get("/alarms").json()["total"]
    written = client.post(
        f"/_sandbox/metasys/objects/{point}/value", json={"value": value, "priority": 3}
    )
    assert (written.status_code, written.json()) == (400, TRIGGER_VALUE_REFUSED)
    raised = client.post(
        f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avHiAlarm", "value": value}
    )
    assert (raised.status_code, raised.json()) == (400, TRIGGER_VALUE_REFUSED)
    assert list(state_of(sandbox).events) == []
    assert api.get("/alarms").json()["total"] == alarms_before
    assert present(api, point)[0] == 72.0


def test_an_alarm_message_over_255_characters_is_refused_and_255_are_kept(
    client: httpx.Client, api: Any, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    refused = client.post(
        f"/_sandbox/metasys/objects/{point}/alarms",
        json={"type": "avHiAlarm", "message": "m" * 256},
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "message must hold at most 255 characters"},
    )
    raised = client.post(
        f"/_sandbox/metasys/objects/{point}/alarms",
        json={"type": "avHiAlarm", "message": "m" * 255, "value": "v" * 255},
    )
    assert raised.status_code == 201
    alarm = api.get(f"/alarms/{raised.json()['id']}").json()
    assert (alarm["message"], alarm["triggerValue"]["item"]) == ("m" * 255, "v" * 255)


def test_a_new_tenant_has_its_own_site_and_users(client: httpx.Client, sandbox: Sandbox) -> None:
    created = client.post("/_sandbox/tenants").json()
    creds = created["metasys"]
    assert creds["username"].startswith("api-admin@")
    token = login(client, creds["username"], creds["password"]).json()["accessToken"]
    auth = {"Authorization": f"Bearer {token}"}
    theirs = client.get(
        f"{BASE}/objectIdentifiers", params={"fqr": ZONE_SETPOINT}, headers=auth
    ).json()
    ours = object_id(sandbox, ZONE_SETPOINT)
    assert theirs != ours
    assert client.get(f"{BASE}/objects/{ours}", headers=auth).status_code == 404
    assert login(client, "api-admin", creds["password"]).status_code == 401


def test_a_page_far_past_the_end_is_empty_not_an_error(api: Any) -> None:
    body = api.get("/spaces", params={"page": "5" * 30}).json()
    assert (body["total"], body["items"], body["next"]) == (7, [], None)
    assert api.get("/spaces", params={"page": "5" * 4001}).status_code == 400


def test_the_control_plane_lists_metasys_and_its_triggers(client: httpx.Client) -> None:
    index = client.get("/_sandbox/").json()
    assert "metasys" in index["apis"]
    assert "POST /_sandbox/metasys/devices/{deviceId}/offline" in index["triggers"]["metasys"]
    assert "POST /_sandbox/metasys/objects/{objectId}/value" in index["triggers"]["metasys"]
    servers = client.get("/metasys/openapi.json").json()["servers"]
    assert servers[0]["url"] == "http://standin.test/metasys"
