"""GET /activities over alarms and audits (continuation tokens bound to the query) and
POST /activities/batch."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from standin import Sandbox
from tests.metasys.conftest import FAN, ZONE_SETPOINT, object_id


def setup_activities(api: Any, sandbox: Sandbox, client: httpx.Client) -> tuple[str, str]:
    """One audit (a command) and one alarm (it pushed the setpoint past its limit)."""
    point = object_id(sandbox, ZONE_SETPOINT)
    response = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [90.0]})
    assert response.status_code == 200
    alarm = api.get("/alarms").json()["items"][0]["id"]
    audit = api.get("/audits").json()["items"][0]["id"]
    return alarm, audit


def test_activities_hold_alarms_and_audits_with_permissions(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    alarm, audit = setup_activities(api, sandbox, client)
    body = api.get("/activities").json()
    assert body["total"] == 2
    assert body["next"] is None
    assert sorted(item["id"] for item in body["items"]) == sorted([alarm, audit])
    kinds = {item["id"]: ("alarm" in item, "audit" in item) for item in body["items"]}
    assert kinds == {alarm: (True, False), audit: (False, True)}
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[alarm]["alarm"]["type"] == "alarmValueEnumSet.avHiAlarm"
    assert by_id[audit]["audit"]["actionType"] == "auditActionTypeEnumSet.commandAuditActionType"
    assert {p["id"] for p in body["effectivePermissions"]} == {alarm, audit}
    only_alarms = api.get("/activities", params={"activityType": "alarm"}).json()
    assert [i["id"] for i in only_alarms["items"]] == [alarm]
    users = api.get("/activities", params={"user": "nobody"}).json()
    assert [i["id"] for i in users["items"]] == [alarm]  # user filters audits only
    prioritised = api.get("/activities", params={"sort": "priority"}).json()
    assert [i["id"] for i in prioritised["items"]] == [alarm, audit]
    assert api.get("/activities", params={"activityType": "event"}).status_code == 400


def test_activities_page_by_continuation_token_bound_to_the_query(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    fan = object_id(sandbox, FAN)
    for _ in range(150):
        response = client.post(f"/_sandbox/metasys/objects/{fan}/alarms", json={"type": "avAlarm"})
        assert response.status_code == 201
        sandbox.clock.advance(1)
    first = api.get("/activities", params={"activityType": "alarm"}).json()
    assert (first["total"], len(first["items"])) == (150, 100)
    token = parse_qs(urlsplit(first["next"]).query)["continuationToken"][0]
    assert parse_qs(urlsplit(first["next"]).query)["activityType"] == ["alarm"]
    second = api.get("/activities", params={"activityType": "alarm", "continuationToken": token})
    assert second.status_code == 200
    assert len(second.json()["items"]) == 50
    assert second.json()["next"] is None
    ids = [i["id"] for i in first["items"] + second.json()["items"]]
    assert len(set(ids)) == 150
    other = api.get("/activities", params={"activityType": "audit", "continuationToken": token})
    assert other.status_code == 400
    assert other.json() == {"Message": "The continuation token is not valid for this query."}
    forged = api.get("/activities", params={"activityType": "alarm", "continuationToken": "abc"})
    assert forged.status_code == 400


def test_a_batch_answers_each_request_with_its_own_status(
    api: Any, sandbox: Sandbox, client: httpx.Client
) -> None:
    alarm, audit = setup_activities(api, sandbox, client)
    base = "https://anyhost/api/v4"
    unknown = "00000000-0000-0000-0000-000000000000"
    response = api.post(
        "/activities/batch",
        json={
            "method": "PATCH",
            "requests": [
                {
                    "id": "1",
                    "requestUrl": f"{base}/audits/{audit}",
                    "body": {"activityManagementStatus": "discarded", "annotationText": "Done"},
                },
                {
                    "id": "2",
                    "requestUrl": f"{base}/audits/{audit}",
                    "body": {"activityManagementStatus": "discarded"},
                },
                {
                    "id": "3",
                    "requestUrl": f"{base}/alarms/{alarm}",
                    "body": {"activityManagementStatus": "acknowledged"},
                },
                {
                    "id": "4",
                    "requestUrl": f"{base}/alarms/{unknown}",
                    "body": {"activityManagementStatus": "discarded"},
                },
            ],
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "responses": [
            {"responseId": "1", "status": 204},
            {
                "responseId": "2",
                "status": 405,
                "body": {"Message": "The audit is already discarded."},
            },
            {"responseId": "3", "status": 204},
            {
                "responseId": "4",
                "status": 404,
                "body": {"Message": f"Alarm {unknown} was not found."},
            },
        ]
    }
    annotate = api.post(
        "/activities/batch",
        json={
            "method": "POST",
            "requests": [
                {
                    "id": "a",
                    "requestUrl": f"{base}/alarms/{alarm}/annotations",
                    "body": {"text": "ok"},
                },
                {
                    "id": "b",
                    "requestUrl": f"{base}/audits/{audit}/annotations",
                    "body": {"text": " "},
                },
            ],
        },
    )
    assert annotate.json() == {
        "responses": [
            {"responseId": "a", "status": 201},
            {
                "responseId": "b",
                "status": 400,
                "body": {"Message": "text must hold 1 to 255 characters, not only whitespace."},
            },
        ]
    }
    assert api.get(f"/alarms/{alarm}/annotations").json()["total"] == 1
    duplicate = api.post(
        "/activities/batch",
        json={
            "method": "PATCH",
            "requests": [
                {"id": "1", "requestUrl": f"{base}/alarms/{alarm}", "body": {}},
                {"id": "1", "requestUrl": f"{base}/alarms/{alarm}", "body": {}},
            ],
        },
    )
    assert duplicate.status_code == 400
