"""Audits: every command and edit made through the API, served with filters, discard and
annotations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.metasys.conftest import BASE, ZONE_SETPOINT, object_id

HOST = "http://standin.test/metasys/api/v4"


def command_and_edit(api: Any, sandbox: Sandbox) -> str:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [74.0]})
    assert response.status_code == 200
    sandbox.clock.advance(60)
    response = api.patch(f"/objects/{point}", json={"item": {"description": "Zone 101"}})
    assert response.status_code == 200, response.text
    return point


def test_a_command_and_an_edit_are_audited_with_user_action_and_values(
    api: Any, sandbox: Sandbox
) -> None:
    point = command_and_edit(api, sandbox)
    user = sandbox.credentials()["metasys"]["username"]
    body = api.get("/audits", params={"sort": "creationTime"}).json()
    assert body["total"] == 2
    command, edit = body["items"]
    assert command == {
        "self": f"{HOST}/audits/{command['id']}",
        "id": command["id"],
        "creationTime": "2026-11-20T12:00:30.000Z",
        "actionType": "auditActionTypeEnumSet.commandAuditActionType",
        "activityManagementStatus": "pending",
        "discardedTime": None,
        "status": "statusEnumSet.ok",
        "preData": {"item": 72.0, "schema": {"type": "number", "metasysType": "float"}},
        "postData": {"item": 74.0, "schema": {"type": "number", "metasysType": "float"}},
        "parameters": [{"item": 74.0, "schema": {"type": "number", "metasysType": "float"}}],
        "errorString": None,
        "user": user,
        "objectUrl": f"{HOST}/objects/{point}",
        "itemReference": ZONE_SETPOINT,
        "objectName": "Zone Setpoint",
        "classLevel": "auditClassesEnumSet.userActionAuditClass",
        "originApplication": "auditOriginAppEnumSet.deviceManagerAuditOriginApp",
        "description": "commandIdEnumSet.adjustCommand",
        "annotationsUrl": None,
        "spaces": command["spaces"],
        "equipment": command["equipment"],
    }
    assert [e["equipmentName"] for e in command["equipment"]] == ["VAV-101"]
    assert edit["actionType"] == "auditActionTypeEnumSet.writeAuditActionType"
    assert edit["description"] == "attributeEnumSet.description"
    assert edit["postData"] == {
        "item": "Zone 101",
        "schema": {"type": "string", "metasysType": "string"},
    }
    assert body["effectivePermissions"] == [
        {"id": command["id"], "canDiscard": True, "canAnnotate": True},
        {"id": edit["id"], "canDiscard": True, "canAnnotate": True},
    ]
    assert api.get(f"/audits/{edit['id']}").json() == edit
    assert api.get(f"/objects/{point}/audits").json()["objectUrl"] == f"{HOST}/objects/{point}"
    assert api.get("/audits/users").json() == {
        "total": 1,
        "items": [user],
        "self": f"{HOST}/audits/users",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["command", "write"]),
        ({"sort": "-creationTime"}, ["write", "command"]),
        ({"actionType": "auditActionTypeEnumSet.writeAuditActionType"}, ["write"]),
        ({"includeDiscarded": "true"}, ["command"]),
        ({"includeDiscarded": "false"}, ["write"]),
        ({"startTime": "2026-11-20T12:01:00Z"}, ["write"]),
        ({"user": "someone-else"}, []),
        ({"classLevel": "auditClassesEnumSet.systemErrorAuditClass"}, []),
        (
            {"originApplication": "auditOriginAppEnumSet.deviceManagerAuditOriginApp"},
            ["command", "write"],
        ),
    ],
)
def test_audit_filters(
    api: Any, sandbox: Sandbox, params: dict[str, str], expected: list[str]
) -> None:
    command_and_edit(api, sandbox)
    items = api.get("/audits").json()["items"]
    names = {items[0]["id"]: "command", items[1]["id"]: "write"}
    assert (
        api.patch(
            f"/audits/{items[0]['id']}", json={"activityManagementStatus": "discarded"}
        ).status_code
        == 204
    )
    response = api.get("/audits", params=params)
    assert response.status_code == 200, response.text
    assert [names[a["id"]] for a in response.json()["items"]] == expected


def test_discard_once_then_405_and_annotations(api: Any, sandbox: Sandbox) -> None:
    command_and_edit(api, sandbox)
    audit = api.get("/audits").json()["items"][0]["id"]
    made = api.post(f"/audits/{audit}/annotations", json={"text": "  Checked  "})
    assert (made.status_code, made.content) == (201, b"")
    assert api.post(f"/audits/{audit}/annotations", json={"text": "   "}).status_code == 400
    discard = api.patch(
        f"/audits/{audit}",
        json={"activityManagementStatus": "discarded", "annotationText": "Done"},
    )
    assert discard.status_code == 204
    again = api.patch(f"/audits/{audit}", json={"activityManagementStatus": "discarded"})
    assert again.status_code == 405
    assert again.json() == {"Message": "The audit is already discarded."}
    body = api.get(f"/audits/{audit}").json()
    assert body["activityManagementStatus"] == "discarded"
    assert body["discardedTime"] == "2026-11-20T12:01:30.000Z"
    notes = api.get(f"/audits/{audit}/annotations").json()
    user = sandbox.credentials()["metasys"]["username"]
    assert [(n["id"], n["text"], n["user"], n["action"]) for n in notes["items"]] == [
        (1, "Checked", user, "none"),
        (2, "Done", user, "discarded"),
    ]
    assert (
        api.patch(f"/audits/{audit}", json={"activityManagementStatus": "pending"}).status_code
        == 400
    )
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.get(f"/audits/{unknown}").status_code == 404


def test_bad_audit_filters_are_400(api: Any, client: httpx.Client) -> None:
    for params in (
        {"actionType": "writeAuditActionType"},
        {"includeDiscarded": "1"},
        {"user": [f"u{i}" for i in range(101)]},
        {"sort": "priority"},
    ):
        response = api.get("/audits", params=params)
        assert response.status_code == 400, params
    assert client.get(f"{BASE}/audits").status_code == 401
