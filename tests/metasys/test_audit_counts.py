"""Audit counts (PRIVATE ``GET /audits/counts``): the audits every write leaves, counted per
audit string id (command 41, write 42, creation 107, deletion 150) and calendar interval."""

from datetime import timedelta
from typing import Any

from standin import Sandbox
from tests.conftest import NOW
from tests.metasys.conftest import PROGRAMMING, ZONE_SETPOINT, object_id

DAY = {"startTime": "2000-01-01T00:00:00Z", "endTime": "2100-01-01T00:00:00Z"}


def write_some(api: Any, sandbox: Sandbox) -> None:
    """Two commands, a write and a creation now; a command and a deletion two hours later."""
    point = object_id(sandbox, ZONE_SETPOINT)
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [70]})
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [71]})
    api.patch(f"/objects/{point}", json={"item": {"description": "Zone"}})
    created = api.post(
        "/objects",
        json={
            "parentId": object_id(sandbox, PROGRAMMING),
            "localUniqueIdentifier": "TMP",
            "objectType": "objectTypeEnumSet.bvClass",
            "item": {"name": "Temporary"},
        },
    )
    assert created.status_code == 200
    sandbox.clock.advance(2 * 3600)
    api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [72]})
    assert api.delete(created.headers["location"].split("/api/v4")[1]).status_code == 204


def counts(api: Any, **params: Any) -> list[tuple[int, str, str, int]]:
    response = api.get("/audits/counts", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    return [(c["auditStringId"], c["startTime"], c["endTime"], c["count"]) for c in response.json()]


def test_without_an_interval_the_period_is_counted_per_audit_string(
    api: Any, sandbox: Sandbox
) -> None:
    write_some(api, sandbox)
    start, end = "2000-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"
    assert counts(api, **DAY) == [
        (41, start, end, 3),
        (42, start, end, 1),
        (107, start, end, 1),
        (150, start, end, 1),
    ]


def test_hours_split_the_counts_and_clip_to_the_period(api: Any, sandbox: Sandbox) -> None:
    assert NOW.minute == 0
    write_some(api, sandbox)
    hour = NOW.strftime("%Y-%m-%dT%H")
    later = NOW.replace(hour=NOW.hour + 2).strftime("%Y-%m-%dT%H")
    start = f"{hour}:30:00Z"
    found = counts(api, startTime=f"{hour}:00:00Z", endTime=f"{later}:30:00Z", timeInterval="Hour")
    assert found == [
        (41, f"{hour}:00:00.000Z", f"{NOW.replace(hour=NOW.hour + 1):%Y-%m-%dT%H}:00:00.000Z", 2),
        (42, f"{hour}:00:00.000Z", f"{NOW.replace(hour=NOW.hour + 1):%Y-%m-%dT%H}:00:00.000Z", 1),
        (107, f"{hour}:00:00.000Z", f"{NOW.replace(hour=NOW.hour + 1):%Y-%m-%dT%H}:00:00.000Z", 1),
        (41, f"{later}:00:00.000Z", f"{later}:30:00.000Z", 1),
        (150, f"{later}:00:00.000Z", f"{later}:30:00.000Z", 1),
    ]
    # A period starting after the first writes leaves them out.
    assert [c[0] for c in counts(api, startTime=start, endTime=f"{later}:30:00Z")] == [41, 150]


def test_days_weeks_and_months_are_calendar_intervals(api: Any, sandbox: Sandbox) -> None:
    write_some(api, sandbox)
    day = counts(api, timeInterval="Day", **DAY)
    assert {(c[1], c[2]) for c in day} == {
        (f"{NOW:%Y-%m-%d}T00:00:00.000Z", f"{NOW.replace(day=NOW.day + 1):%Y-%m-%d}T00:00:00.000Z")
    }
    week = counts(api, timeInterval="Week", **DAY)
    monday = NOW.date() - timedelta(days=NOW.weekday())
    assert {(c[1], c[2]) for c in week} == {
        (f"{monday}T00:00:00.000Z", f"{monday + timedelta(days=7)}T00:00:00.000Z")
    }
    month = counts(api, timeInterval="Month", **DAY)
    assert {c[1] for c in month} == {f"{NOW:%Y-%m}-01T00:00:00.000Z"}
    assert sum(c[3] for c in month) == sum(c[3] for c in day) == 6


def test_audit_actions_filter_by_integer_id_in_either_form(api: Any, sandbox: Sandbox) -> None:
    write_some(api, sandbox)
    assert [c[0] for c in counts(api, auditActions="42,150", **DAY)] == [42, 150]
    repeated = api.get("/audits/counts", params={"auditActions": ["107", "41"], **DAY})
    assert [c["auditStringId"] for c in repeated.json()] == [41, 107]
    assert counts(api, auditActions="999", **DAY) == []


def test_an_end_before_the_start_counts_nothing(api: Any, sandbox: Sandbox) -> None:
    write_some(api, sandbox)
    assert counts(api, startTime="2100-01-01T00:00:00Z", endTime="2000-01-01T00:00:00Z") == []


def test_bad_parameters_are_400(api: Any) -> None:
    for params, message in [
        ({"startTime": DAY["startTime"]}, "The parameters startTime and endTime are required."),
        ({"endTime": DAY["endTime"]}, "The parameters startTime and endTime are required."),
        ({**DAY, "startTime": "yesterday"}, "The parameter startTime is not a valid date-time."),
        ({**DAY, "timeInterval": "Minute"}, "timeInterval must be None, Hour, Day, Week or Month."),
        ({**DAY, "auditActions": "41,write"}, "The parameter auditActions must list integers."),
        ({**DAY, "auditActions": "-1"}, "The parameter auditActions must list integers."),
    ]:
        response = api.get("/audits/counts", params=params)
        assert (response.status_code, response.json()) == (400, {"Message": message}), params
