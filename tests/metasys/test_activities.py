"""GET /activities over alarms and audits (continuation tokens bound to the query) and
POST /activities/batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

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
    assert users["items"] == []  # user implies audits, and no audit is by nobody
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


# --- what each parameter implies: alarms only, audits only, or both ------------------------------


@dataclass(frozen=True)
class Scene:
    alarm: str
    """Requires acknowledgement: avHiAlarm, priority 70, on the zone setpoint (equipment VAV-101,
    serving Room 101), raised by the command that ``audit`` records."""
    audit: str
    """The command, by api-admin, on the zone setpoint, at the same time as ``alarm``."""
    quiet: str
    """Does not require acknowledgement: avAlarm, priority 200, on the supply fan (AHU-1),
    a minute later."""
    first: str
    """When ``alarm`` and ``audit`` were created; ``quiet`` follows 60 seconds later."""
    later: str
    """30 seconds after ``first``."""


@pytest.fixture
def scene(api: Any, sandbox: Sandbox, client: httpx.Client) -> Scene:
    alarm, audit = setup_activities(api, sandbox, client)
    first = api.get(f"/alarms/{alarm}").json()["creationTime"]
    moment = datetime.strptime(first, "%Y-%m-%dT%H:%M:%S.%f%z") + timedelta(seconds=30)
    later = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sandbox.clock.advance(60)
    fan = object_id(sandbox, FAN)
    raised = client.post(
        f"/_sandbox/metasys/objects/{fan}/alarms",
        json={"type": "avAlarm", "isAckRequired": False, "priority": 200},
    )
    assert raised.status_code == 201
    return Scene(alarm, audit, raised.json()["id"], first, later)


def selected(api: Any, **params: Any) -> set[str]:
    response = api.get("/activities", params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_activity_type_limits_the_activities_to_the_kinds_named(api: Any, scene: Scene) -> None:
    """The guide: "Limit the activities returned to a specific type"."""
    assert selected(api) == {scene.alarm, scene.audit, scene.quiet}
    assert selected(api, activityType="alarm") == {scene.alarm, scene.quiet}
    assert selected(api, activityType="audit") == {scene.audit}
    assert selected(api, activityType=["alarm", "audit"]) == {scene.alarm, scene.audit, scene.quiet}


def test_include_discarded_applies_to_alarms_and_audits_alike(api: Any, scene: Scene) -> None:
    """The guide: "Determines whether discarded activities will be included in the results or
    be the only type of activity in the results. Discarded activities are those for which the
    activityManagementStatus is discarded": a status both kinds have, so it implies neither."""
    for path in (f"/alarms/{scene.quiet}", f"/audits/{scene.audit}"):
        discarded = api.patch(path, json={"activityManagementStatus": "discarded"})
        assert discarded.status_code == 204
    assert selected(api, includeDiscarded="true") == {scene.quiet, scene.audit}
    assert selected(api, includeDiscarded="false") == {scene.alarm}


def test_a_continuation_token_carries_both_kinds_on(
    api: Any, sandbox: Sandbox, client: httpx.Client, scene: Scene
) -> None:
    """The guide: "Provide a token from a previous request to fetch the next set of results":
    the next set of the same query, with both kinds."""
    fan = object_id(sandbox, FAN)
    for _ in range(100):
        sandbox.clock.advance(1)
        raised = client.post(f"/_sandbox/metasys/objects/{fan}/alarms", json={"type": "avAlarm"})
        assert raised.status_code == 201
    first = api.get("/activities", params={"sort": "-creationTime"}).json()
    assert (first["total"], len(first["items"])) == (103, 100)
    token = parse_qs(urlsplit(first["next"]).query)["continuationToken"][0]
    rest = selected(api, sort="-creationTime", continuationToken=token)
    assert rest == {scene.quiet, scene.alarm, scene.audit}


def test_sorting_by_priority_keeps_audits_after_every_alarm(api: Any, scene: Scene) -> None:
    """The guide: "The criteria to use when sorting results": an order, not a filter; audits,
    which have no priority, come after every alarm."""
    ascending = api.get("/activities", params={"sort": "priority"}).json()["items"]
    assert [i["id"] for i in ascending] == [scene.alarm, scene.quiet, scene.audit]
    descending = api.get("/activities", params={"sort": "-priority"}).json()["items"]
    assert [i["id"] for i in descending] == [scene.audit, scene.quiet, scene.alarm]


def test_start_time_applies_to_alarms_and_audits_alike(api: Any, scene: Scene) -> None:
    """The guide: "Only include results generated on or after this date-time"."""
    assert selected(api, startTime=scene.first) == {scene.alarm, scene.audit, scene.quiet}
    assert selected(api, startTime=scene.later) == {scene.quiet}


def test_end_time_applies_to_alarms_and_audits_alike(api: Any, scene: Scene) -> None:
    """The guide: "Only include results generated on or before this date-time"."""
    assert selected(api, endTime=scene.later) == {scene.alarm, scene.audit}
    assert selected(api, endTime=scene.first) == {scene.alarm, scene.audit}


def test_equipment_applies_to_alarms_and_audits_alike(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of equipment identifiers"; both kinds have equipment."""
    vav = api.get(f"/alarms/{scene.alarm}").json()["equipment"][0]["id"]
    assert selected(api, equipment=vav) == {scene.alarm, scene.audit}


def test_object_applies_to_alarms_and_audits_alike(
    api: Any, sandbox: Sandbox, scene: Scene
) -> None:
    """The guide: "Filter by list of object identifiers"; both kinds have an object."""
    setpoint = object_id(sandbox, ZONE_SETPOINT)
    assert selected(api, object=setpoint) == {scene.alarm, scene.audit}
    assert selected(api, object=object_id(sandbox, FAN)) == {scene.quiet}


def test_space_applies_to_alarms_and_audits_alike(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of space identifiers"; both kinds have spaces."""
    room = api.get(f"/alarms/{scene.alarm}").json()["spaces"][0]["id"]
    assert selected(api, space=room) == {scene.alarm, scene.audit}


def test_priority_range_implies_alarms(api: Any, scene: Scene) -> None:
    """The guide: "Includes only results within the specified alarm priority range, from 0 to
    255 inclusive": an audit has no alarm priority, so none is within any range."""
    assert selected(api, priorityRange="0,255") == {scene.alarm, scene.quiet}
    assert selected(api, priorityRange="0,100") == {scene.alarm}


def test_type_implies_alarms(api: Any, scene: Scene) -> None:
    """The guide: "Limits the alarms returned to specified types", types from
    alarmValueEnumSet, which only alarms carry."""
    assert selected(api, type="alarmValueEnumSet.avAlarm") == {scene.quiet}
    both = ["alarmValueEnumSet.avAlarm", "alarmValueEnumSet.avHiAlarm"]
    assert selected(api, type=both) == {scene.alarm, scene.quiet}


def test_include_acknowledged_implies_alarms(api: Any, scene: Scene) -> None:
    """The guide: "Determines whether acknowledged alarms will be included in the results or be
    the only type of alarm in the results. Acknowledged alarms are those which have an
    acknowledgedTime value set": only alarms have one, so, as with the acknowledgement-required
    filters, its use implies alarms, false as well as true."""
    acknowledged = api.patch(
        f"/alarms/{scene.alarm}", json={"activityManagementStatus": "acknowledged"}
    )
    assert acknowledged.status_code == 204
    assert selected(api, includeAcknowledged="true") == {scene.alarm}
    assert selected(api, includeAcknowledged="false") == {scene.quiet}


def test_include_acknowledgement_required_implies_alarms_whatever_its_value(
    api: Any, scene: Scene
) -> None:
    """The guide: "The use of this parameter implies a filter of activityType=alarm and the
    results will not include any audits"."""
    assert selected(api, includeAcknowledgementRequired="true") == {scene.alarm, scene.quiet}
    assert selected(api, includeAcknowledgementRequired="false") == {scene.quiet}


def test_include_acknowledgement_not_required_implies_alarms_whatever_its_value(
    api: Any, scene: Scene
) -> None:
    """The guide: "The use of this parameter implies a filter of activityType=alarm and the
    results will not include any audits"."""
    assert selected(api, includeAcknowledgementNotRequired="true") == {scene.alarm, scene.quiet}
    assert selected(api, includeAcknowledgementNotRequired="false") == {scene.alarm}


def test_category_implies_alarms(api: Any, scene: Scene) -> None:
    """The guide: "The authorization category of the requested activities", from
    objectCategoryEnumSet; only an alarm carries a category (the guide's audit activities have
    none), so no audit is of any category."""
    assert selected(api, category="objectCategoryEnumSet.hvacCategory") == {
        scene.alarm,
        scene.quiet,
    }
    assert selected(api, category="objectCategoryEnumSet.lightingCategory") == set()


def test_origin_application_implies_audits(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of origin applications. The origin application property
    indicates which application in Metasys generated the audit message"."""
    origin = "auditOriginAppEnumSet.deviceManagerAuditOriginApp"
    assert selected(api, originApplication=origin) == {scene.audit}


def test_class_level_implies_audits(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of class levels. The class level of an audit indicates the
    class or family the audit belongs to"."""
    assert selected(api, classLevel="auditClassesEnumSet.userActionAuditClass") == {scene.audit}


def test_action_type_implies_audits(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of action types. The action type property indicates the user
    or system action performed", from auditActionTypeEnumSet, which only audits carry."""
    command = "auditActionTypeEnumSet.commandAuditActionType"
    assert selected(api, actionType=command) == {scene.audit}
    write = "auditActionTypeEnumSet.writeAuditActionType"
    assert selected(api, actionType=write) == set()


def test_user_implies_audits(api: Any, scene: Scene) -> None:
    """The guide: "Filter by list of users. The user property indicates which user initiated
    the action being audited"."""
    assert selected(api, user="api-admin") == {scene.audit}
    assert selected(api, user="nobody") == set()


def test_filters_implying_both_kinds_select_nothing(api: Any, scene: Scene) -> None:
    """Filters are all applied: one implying alarms and one implying audits leave no activity,
    and neither kind survives an activityType the filters exclude."""
    assert selected(api, type="alarmValueEnumSet.avAlarm", user="api-admin") == set()
    assert selected(api, activityType="alarm", user="api-admin") == set()
    assert selected(api, activityType="audit", includeAcknowledgementRequired="true") == set()
