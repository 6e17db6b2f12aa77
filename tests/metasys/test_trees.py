"""Object trees and user views, the public view of an object, and bulk creation (part 3)."""

from typing import Any

import httpx

from standin import Sandbox
from tests.metasys.conftest import BASE, PROGRAMMING, ZONE_SETPOINT, login, object_id, state_of

MEDIA = "application/vnd.metasysapi.v4+json"
HOST = "http://standin.test/metasys/api/v4"
OAT_SP = "ADS1:ADS1/Programming.OAT-SP"


def viewer(client: httpx.Client, sandbox: Sandbox) -> dict[str, str]:
    creds = sandbox.credentials()["metasys"]
    response = login(client, creds["viewer_username"], creds["viewer_password"])
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def view_ids(sandbox: Sandbox) -> dict[str, str]:
    return {view.name: view.id for view in state_of(sandbox).user_views}


def object_ids(nodes: list[dict[str, Any]]) -> list[str]:
    found = []
    for node in nodes:
        if node["objectUrl"] is not None:
            found.append(node["id"])
        found.extend(object_ids(node["items"]))
    return found


# --- trees -------------------------------------------------------------------------------------


def test_the_tree_list_names_the_all_items_tree_and_every_user_view(
    api: Any, sandbox: Sandbox
) -> None:
    site = state_of(sandbox).tree.root_id
    views = view_ids(sandbox)
    response = api.get("/objects/trees")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA
    body = response.json()
    assert [(i["name"], i["treeType"]) for i in body["items"]] == [
        ("All Items", "allItems"),
        ("Zone Temperatures", "userView"),
        ("Plant Engineering", "userView"),
    ]
    assert body["items"][0] == {
        "id": site,
        "name": "All Items",
        "itemReference": "ADS1:ADS1/$site",
        "treeType": "allItems",
        "self": f"{HOST}/objects/trees/{site}",
    }
    assert body["total"] == 3
    assert body["effectivePermissions"] == {
        "canRead": [site, views["Zone Temperatures"], views["Plant Engineering"]]
    }


def test_a_viewer_sees_every_tree_but_can_read_only_the_open_ones(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    headers = viewer(client, sandbox)
    views = view_ids(sandbox)
    body = client.get(f"{BASE}/objects/trees", headers=headers).json()
    assert body["total"] == 3
    assert body["effectivePermissions"]["canRead"] == [
        state_of(sandbox).tree.root_id,
        views["Zone Temperatures"],
    ]
    closed = client.get(f"{BASE}/objects/trees/{views['Plant Engineering']}", headers=headers)
    assert closed.status_code == 403
    assert closed.json() == {"Message": "The user is not authorized to read this tree."}


def test_a_user_view_lists_its_folders_and_objects(api: Any, sandbox: Sandbox) -> None:
    view = view_ids(sandbox)["Zone Temperatures"]
    response = api.get(f"/objects/trees/{view}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"self", "id", "name", "itemReference", "items"}
    assert body["name"] == "Zone Temperatures"
    floor, _, setpoint = body["items"]
    assert floor["name"] == "Floor 1"
    assert floor["objectUrl"] is None
    assert floor["classification"] == "folder"
    assert floor["itemReference"] == "ADS1:ADS1/$site.UserTrees.ZoneTemperatures.Floor1"
    temperature = object_id(sandbox, "ADS1:NAE-1/FC-1.VAV-101.ZN-T")
    assert floor["items"][0] == {
        "id": temperature,
        "name": "Zone Temperature",
        "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-T",
        "objectType": "objectTypeEnumSet.aiClass",
        "classification": "point",
        "objectUrl": f"{HOST}/objects/{temperature}",
        "items": [],
    }
    assert setpoint["itemReference"] == OAT_SP


def test_permissions_list_what_the_user_may_do_with_the_trees_objects(
    api: Any, sandbox: Sandbox
) -> None:
    view = view_ids(sandbox)["Zone Temperatures"]
    body = api.get(f"/objects/trees/{view}", params={"includePermissions": "true"}).json()
    named = object_ids(body["items"])
    assert len(named) == 5
    assert body["effectivePermissions"] == {
        "canDelete": [object_id(sandbox, OAT_SP)],
        "canView": named,
        "canModify": named,
    }


def test_a_deleted_object_stays_in_the_view_and_its_condition_says_so(
    api: Any, sandbox: Sandbox
) -> None:
    view = view_ids(sandbox)["Zone Temperatures"]
    setpoint = object_id(sandbox, OAT_SP)
    before = api.get(f"/objects/trees/{view}", params={"includeConditions": "true"}).json()
    assert before["condition"] == {"deleted": []}
    assert api.delete(f"/objects/{setpoint}").status_code == 204
    after = api.get(
        f"/objects/trees/{view}", params={"includeConditions": "true", "includePermissions": True}
    ).json()
    assert after["condition"] == {"deleted": [setpoint]}
    assert after["items"][2]["name"] == "Outdoor Air Setpoint"
    assert setpoint not in after["effectivePermissions"]["canView"]
    assert api.get(f"/objects/{setpoint}").status_code == 404


def test_the_all_items_tree_is_the_live_object_tree(api: Any, sandbox: Sandbox) -> None:
    site = state_of(sandbox).tree.root_id
    body = api.get(f"/objects/trees/{site}", params={"includeConditions": "true"}).json()
    [root] = body["items"]
    assert root["itemReference"] == "ADS1:ADS1/$site"
    assert len(object_ids(body["items"])) == len(state_of(sandbox).tree)
    assert body["condition"] == {"deleted": []}
    created = api.post(
        "/objects",
        json={
            "parentId": object_id(sandbox, PROGRAMMING),
            "localUniqueIdentifier": "NEW-AV",
            "objectType": "objectTypeEnumSet.avClass",
            "item": {"name": "New"},
        },
    )
    assert created.status_code == 200
    again = api.get(f"/objects/trees/{site}").json()
    assert len(object_ids(again["items"])) == len(object_ids(body["items"])) + 1


def test_an_unknown_tree_is_404_and_a_bad_flag_400(api: Any, sandbox: Sandbox) -> None:
    missing = api.get("/objects/trees/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json() == {
        "Message": "The tree 00000000-0000-0000-0000-000000000000 was not found."
    }
    site = state_of(sandbox).tree.root_id
    bad = api.get(f"/objects/trees/{site}", params={"includeConditions": "yes"})
    assert bad.status_code == 400
    assert bad.json() == {"Message": "The parameter includeConditions must be true or false."}


def test_trees_need_a_token(client: httpx.Client) -> None:
    response = client.get(f"{BASE}/objects/trees")
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}


# --- public view -------------------------------------------------------------------------------


def test_the_public_view_of_a_point_has_its_default_attribute(api: Any, sandbox: Sandbox) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [70.5]})
    response = api.get(f"/objects/{point}/publicView")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "self": f"{HOST}/objects/{point}/publicView",
        "objectType": "objectTypeEnumSet.avClass",
        "item": {
            "id": point,
            "itemReference": ZONE_SETPOINT,
            "name": "Zone Setpoint",
            "description": None,
            "objectCategory": "objectCategoryEnumSet.hvacCategory",
            "defaultAttribute": "attributeEnumSet.presentValue",
            "presentValue": 70.5,
        },
        "effectivePermissions": {"canDelete": False, "canModify": True},
        "condition": {
            "presentValue": {
                "reliability": "reliabilityEnumSet.reliable",
                "priority": "writePriorityEnumSet.priorityDefault",
            }
        },
    }


def test_a_folder_has_no_default_attribute_and_the_schema_covers_the_item(
    api: Any, sandbox: Sandbox
) -> None:
    folder = object_id(sandbox, PROGRAMMING)
    body = api.get(f"/objects/{folder}/publicView", params={"includeSchema": "true"}).json()
    assert "defaultAttribute" not in body["item"]
    assert "presentValue" not in body["item"]
    assert set(body["schema"]["properties"]) <= set(body["item"])
    assert "name" in body["schema"]["properties"]


def test_a_viewer_reads_the_public_view_of_a_point_it_may_not_change(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = client.get(f"{BASE}/objects/{point}/publicView", headers=viewer(client, sandbox))
    assert response.status_code == 200
    assert response.json()["effectivePermissions"] == {"canDelete": False, "canModify": False}


def test_the_public_view_of_an_offline_point_is_503(api: Any, sandbox: Sandbox) -> None:
    state_of(sandbox).offline.add(object_id(sandbox, "ADS1:NAE-1"))
    response = api.get(f"/objects/{object_id(sandbox, ZONE_SETPOINT)}/publicView")
    assert response.status_code == 503
    assert response.json() == {"Message": "The device is offline: ADS1:NAE-1."}
    assert api.get("/objects/nothing/publicView").status_code == 404


# --- bulk creation -----------------------------------------------------------------------------


def creation(sandbox: Sandbox, label: str, **extra: Any) -> dict[str, Any]:
    return {
        "parentId": object_id(sandbox, PROGRAMMING),
        "localUniqueIdentifier": label,
        "objectType": "objectTypeEnumSet.avClass",
        "item": {"name": label},
        **extra,
    }


def test_bulk_creation_answers_each_item_in_order(api: Any, sandbox: Sandbox) -> None:
    body = [
        creation(sandbox, "ZN-4"),
        creation(sandbox, "ZN-4"),
        creation(sandbox, "ZN-5", parentId="nothing"),
        creation(sandbox, "ZN-6", item={"name": "ZN-6", "colour": "red"}),
        creation(sandbox, "ZN-7"),
    ]
    response = api.post("/objects/bulk", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA
    results = response.json()
    first = state_of(sandbox).tree.find("ADS1:ADS1/Programming.ZN-4")
    assert first is not None
    assert results[0] == {
        "status": 201,
        "localUniqueIdentifier": "ZN-4",
        "id": first.id,
        "self": f"{HOST}/objects/{first.id}",
        "message": None,
    }
    assert [(r["status"], r["message"]) for r in results[1:]] == [
        (409, "An object with the reference ADS1:ADS1/Programming.ZN-4 already exists."),
        (404, "Object nothing was not found."),
        (400, "The attribute colour does not exist on this object."),
        (201, None),
    ]
    assert state_of(sandbox).tree.find("ADS1:ADS1/Programming.ZN-7") is not None
    # Each creation is audited as a single creation would be.
    assert [a.action_type for a in state_of(sandbox).audits[-2:]] == [
        "auditActionTypeEnumSet.createAuditActionType"
    ] * 2


def test_a_malformed_bulk_body_is_refused_whole(api: Any, sandbox: Sandbox) -> None:
    cases = [
        ({}, "The request body must be an array of 1 to 100."),
        ([], "The request body must be an array of 1 to 100."),
        ([creation(sandbox, "A")] * 101, "The request body must be an array of 1 to 100."),
        ([creation(sandbox, "A"), 3], "Each item of the body must be a JSON object."),
        ([creation(sandbox, "A", extra=1)], "Unknown property: extra."),
        ([creation(sandbox, "A.B")], "localUniqueIdentifier is not in the correct format."),
        (
            [creation(sandbox, "A", objectType="objectTypeEnumSet.aiClass")],
            "objectType is not a member of objectTypeEnumSet.",
        ),
        ([creation(sandbox, "A", item=[])], "item must be an object."),
    ]
    for body, message in cases:
        response = api.post("/objects/bulk", json=body)
        assert (response.status_code, response.json()) == (400, {"Message": message}), body
    assert state_of(sandbox).tree.find("ADS1:ADS1/Programming.A") is None


def test_a_viewer_may_not_create_in_bulk(client: httpx.Client, sandbox: Sandbox) -> None:
    response = client.post(
        f"{BASE}/objects/bulk", json=[creation(sandbox, "V1")], headers=viewer(client, sandbox)
    )
    assert response.status_code == 403
    assert response.json() == {"Message": "The user is not authorized to create objects."}
