"""Every figure the Metasys guide states, checked against the fake: heartbeat periods, the token's
lifetime, page sizes, list lengths, depths, text lengths and batch sizes. Where the guide and the
published document disagree, the guide wins (the published document has ``activity.heartbeat``
every 120 seconds; the guide says 30).

Each test quotes the guide's words in a comment. Page-size defaults are checked in the contract
(a default only shows in an answer with more items than the sandbox holds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from standin import Sandbox, build_app, contracts
from standin._core.liveserver import live_server
from standin.metasys.api import MetasysApi
from tests.metasys.certificate_cases import PARAMETERS
from tests.metasys.conftest import ZONE_SETPOINT, object_id
from tests.metasys.test_streaming import Session, hello, listening, set_streaming, take

CONTRACT = contracts.load("metasys")
OUT_OF_RANGE = {"Message": "The parameter pageSize is out of range."}
START = "2026-11-20T12:00:30.000Z"
"""The sandbox clock, frozen for the tests."""


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[str]:
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        yield url
        sandbox.vendor(MetasysApi).streams.hub.close_all()


@pytest.fixture
def session(served: str, sandbox: Sandbox) -> Iterator[Session]:
    with httpx.Client(base_url=served, timeout=httpx.Timeout(5.0, read=2.0)) as http:
        yield Session(http, sandbox)


@pytest.fixture
def ids(api: Any, sandbox: Sandbox, client: httpx.Client) -> dict[str, str]:
    """One of each resource a path of the table below names."""
    point = object_id(sandbox, ZONE_SETPOINT)
    raised = client.post(f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avAlarm"})
    assert raised.status_code == 201, raised.text
    adjusted = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [71.0]})
    assert adjusted.status_code == 200, adjusted.text
    return {
        "object": point,
        "device": object_id(sandbox, "ADS1:NAE-1"),
        "equipment": api.get("/equipment").json()["items"][0]["id"],
        "space": api.get("/spaces").json()["items"][0]["id"],
        "alarm": raised.json()["id"],
        "audit": api.get("/audits").json()["items"][0]["id"],
    }


# --- heartbeats --------------------------------------------------------------------------------


def test_activity_heartbeats_come_every_30_seconds(session: Session, sandbox: Sandbox) -> None:
    # The guide: "activity.heartbeat - A heartbeat event is sent to show that the subscription is
    # still alive. ... is sent every 30 seconds."
    set_streaming(session, heartbeatSeconds=3600)  # the stream's own beat out of the way
    with listening(session) as events:
        stream_id = hello(events)
        subscribed = session.http.get(
            "/metasys/api/v4/activities",
            headers=session.headers(**{"METASYS-SUBSCRIBE": stream_id}),
        )
        assert subscribed.status_code == 200, subscribed.text
        sandbox.clock.advance(29)
        session.adjust(70.0)  # an audit in between; the beat must not come early
        assert take(events, 1)[0][1] == "activity.audit.new"
        sandbox.clock.advance(1)
        (_, name, data) = take(events, 1)[0]
    assert name == "activity.heartbeat"
    assert json.loads(data)["currentTime"] == "2026-11-20T12:01:00.000Z"


def test_object_value_heartbeats_come_every_30_seconds(session: Session, sandbox: Sandbox) -> None:
    # The guide: "object.values.heartbeat - A heartbeat event is sent to show that the
    # subscription is still alive. ... is sent every 30 seconds."
    set_streaming(session, heartbeatSeconds=3600)
    with listening(session) as events:
        stream_id = hello(events)
        assert session.subscribe(stream_id).status_code == 202
        assert take(events, 1)[0][1] == "object.values.update"
        sandbox.clock.advance(30)
        assert take(events, 1)[0][1:] == ("object.values.heartbeat", '"2026-11-20T12:01:00.000Z"')


def test_a_dropped_stream_resumes_30_seconds_after_the_drop(
    session: Session, sandbox: Sandbox
) -> None:
    # The guide: "Metasys continues to buffer events for at least thirty seconds after the
    # connection failure is detected, so you can resume streams ..."
    hub = sandbox.vendor(MetasysApi).streams.hub
    set_streaming(session, heartbeatSeconds=3600)
    with listening(session) as events:
        stream_id = hello(events)
        session.subscribe(stream_id)
        take(events, 1)
        hub.drop_connections(stream_id)
        with pytest.raises((httpx.RemoteProtocolError, StopIteration)):
            take(events, 1)
    session.adjust(76.0)
    sandbox.clock.advance(30)
    hub.tick()
    resumed = session.headers(**{"Last-Event-Id": f"{stream_id}:2"})
    with listening(session, headers=resumed) as events:
        (event_id, name, data) = take(events, 1)[0]
    assert (event_id, name) == (f"{stream_id}:3", "object.values.update")
    assert json.loads(data)["item"]["presentValue"] == 76.0


# --- the access token ---------------------------------------------------------------------------


def test_a_token_expires_within_60_minutes_of_its_issue(api: Any, sandbox: Sandbox) -> None:
    # The guide: "If the expiration time of the access token is greater than 60 minutes from
    # issue, disregard and refresh before 60 minutes to prevent session expiration."
    refreshed = api.get("/refreshToken")
    assert refreshed.status_code == 200, refreshed.text
    expires = datetime.strptime(refreshed.json()["expires"], "%Y-%m-%dT%H:%M:%SZ")
    lifetime = expires.replace(tzinfo=UTC).timestamp() - sandbox.clock.time()
    assert 0 < lifetime <= 60 * 60


# --- page sizes ---------------------------------------------------------------------------------

PAGE_SIZES = [
    # The guide, for each list of alarms, audits and annotations: "pageSize integer [ 1 .. 10000 ]
    # Default: 100".
    ("/alarms", 10000, 100),
    ("/objects/{object}/alarms", 10000, 100),
    ("/networkDevices/{device}/alarms", 10000, 100),
    ("/alarms/{alarm}/annotations", 10000, 100),
    ("/audits", 10000, 100),
    ("/objects/{object}/audits", 10000, 100),
    ("/audits/{audit}/annotations", 10000, 100),
    # The guide, for equipment, network devices, spaces and points: "pageSize integer
    # [ 1 .. 1000 ] Default: 100".
    ("/equipment", 1000, 100),
    ("/equipment/{equipment}/equipment", 1000, 100),
    ("/equipment/{equipment}/upstreamEquipment", 1000, 100),
    ("/equipment/{equipment}/points", 1000, 100),
    ("/equipment/{equipment}/networkDevices", 1000, 100),
    ("/equipment/{equipment}/spaces", 1000, 100),
    ("/networkDevices", 1000, 100),
    ("/networkDevices/{device}/networkDevices", 1000, 100),
    ("/networkDevices/{device}/equipment", 1000, 100),
    ("/networkDevices/{device}/spaces", 1000, 100),
    ("/spaces", 1000, 100),
    ("/spaces/{space}/spaces", 1000, 100),
    ("/spaces/{space}/equipment", 1000, 100),
    ("/spaces/{space}/networkDevices", 1000, 100),
    ("/objects/{object}/points", 1000, 100),
    # The guide, for each well-known query: "pageSize integer [ 1 .. 1000 ] Default: 100".
    ("/objects/{device}/objects/wellKnownQuery/alarm", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/disabled", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/offline", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/operatorOverride", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/outOfService", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/supervisoryOverride", 1000, 100),
    ("/objects/{device}/objects/wellKnownQuery/trouble", 1000, 100),
    # The guide, for samples: "pageSize integer [ 1 .. 10000 ] Default: 1000".
    ("/objects/{object}/trendedAttributes/presentValue/samples", 10000, 1000),
    # The guide, for time series: "pageSize integer [ 1 .. 2000 ] Default: 100".
    ("/timeSeries", 2000, 100),
]


def contract_page_size(path: str) -> dict[str, Any]:
    templated = (
        path.replace("{object}", "{objectId}")
        .replace("{alarm}", "{alarmId}")
        .replace("{audit}", "{auditId}")
        .replace("{equipment}", "{equipmentId}")
        .replace("{space}", "{spaceId}")
        .replace("/objects/{device}/", "/objects/{objectId}/")
        .replace("{device}", "{networkDeviceId}")
        .replace("/trendedAttributes/presentValue/", "/trendedAttributes/{attributeId}/")
    )
    operation = CONTRACT["paths"][f"/api/v4{templated}"]["get"]
    (found,) = [p for p in operation["parameters"] if p["name"] == "pageSize"]
    schema: dict[str, Any] = found["schema"]
    return schema


@pytest.mark.parametrize(("path", "largest", "default"), PAGE_SIZES)
def test_a_page_holds_at_most_the_guides_page_size(
    api: Any, ids: dict[str, str], path: str, largest: int, default: int
) -> None:
    where = path.format(**ids)
    assert api.get(where, params={"pageSize": largest}).status_code == 200
    too_many = api.get(where, params={"pageSize": largest + 1})
    assert (too_many.status_code, too_many.json()) == (400, OUT_OF_RANGE)
    too_few = api.get(where, params={"pageSize": 0})
    assert (too_few.status_code, too_few.json()) == (400, OUT_OF_RANGE)
    schema = contract_page_size(path)
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, largest, default)


SORT_DEFAULTS = [
    # The guide, for the alarm, audit and activity lists: "sort string Default: "creationTime"".
    ("/alarms", "creationTime"),
    ("/audits", "creationTime"),
    ("/activities", "creationTime"),
    # The guide, for equipment, spaces and network devices: "sort string Default: "name"".
    ("/equipment", "name"),
    ("/spaces", "name"),
    ("/networkDevices", "name"),
    # The guide, for time series: "sort string Default: "itemReference"".
    ("/timeSeries", "itemReference"),
]


@pytest.mark.parametrize(("path", "default"), SORT_DEFAULTS)
def test_a_list_is_sorted_by_the_guides_default(
    api: Any, client: httpx.Client, sandbox: Sandbox, path: str, default: str
) -> None:
    point = object_id(sandbox, ZONE_SETPOINT)
    for value in (71.0, 72.0):  # two alarms and two audits, a minute apart
        sandbox.clock.advance(60)
        raised = client.post(f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avAlarm"})
        assert raised.status_code == 201, raised.text
        adjusted = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [value]})
        assert adjusted.status_code == 200, adjusted.text
    by_default = api.get(path).json()["items"]
    assert len(by_default) >= 2
    assert api.get(path, params={"sort": default}).json()["items"] == by_default
    assert api.get(path, params={"sort": f"-{default}"}).json()["items"] != by_default


def test_enumerations_list_every_type_by_default(api: Any) -> None:
    # The guide, for GET /enumerations: "enumType string Default: "all"".
    listed = api.get("/enumerations").json()
    assert listed["items"] == api.get("/enumerations", params={"enumType": "all"}).json()["items"]
    two_state = api.get("/enumerations", params={"enumType": "twoState"}).json()
    assert listed["total"] > two_state["total"]


def test_alarm_lists_include_both_acknowledgement_kinds_by_default(
    api: Any, client: httpx.Client, sandbox: Sandbox
) -> None:
    # The guide: "includeAcknowledgementRequired boolean Default: true" and
    # "includeAcknowledgementNotRequired boolean Default: true".
    point = object_id(sandbox, ZONE_SETPOINT)
    for needs_ack in (True, False):
        raised = client.post(
            f"/_sandbox/metasys/objects/{point}/alarms",
            json={"type": "avAlarm", "isAckRequired": needs_ack},
        )
        assert raised.status_code == 201, raised.text
    by_default = api.get("/alarms").json()["items"]
    both = {"includeAcknowledgementRequired": "true", "includeAcknowledgementNotRequired": "true"}
    assert api.get("/alarms", params=both).json()["items"] == by_default
    assert {alarm["isAckRequired"] for alarm in by_default} == {True, False}


# --- list lengths -------------------------------------------------------------------------------

LIST_LENGTHS = [
    # The guide, for the alarm lists: "type Array of strings [ items <= 100 items ]", and for
    # "equipment", "object", "space": "Array of strings <= 100 items".
    ("/alarms", "type", "alarmValueEnumSet.avAlarm"),
    ("/alarms", "equipment", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/alarms", "object", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/alarms", "space", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/networkDevices/{device}/alarms", "type", "alarmValueEnumSet.avAlarm"),
    ("/objects/{object}/alarms", "type", "alarmValueEnumSet.avAlarm"),
    # The guide, for the audit lists: "user", "equipment", "object", "space": "Array of strings
    # <= 100 items".
    ("/audits", "user", "someone"),
    ("/audits", "equipment", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/audits", "object", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/audits", "space", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/objects/{object}/audits", "user", "someone"),
    # The guide, for activities: "type Array of strings [ items <= 100 items ]"; "equipment",
    # "object", "space", "user": "Array of strings <= 100 items".
    ("/activities", "type", "alarmValueEnumSet.avAlarm"),
    ("/activities", "equipment", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/activities", "object", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/activities", "space", "b7ed8b3e-cb95-410d-aaa7-37158852c398"),
    ("/activities", "user", "someone"),
]


@pytest.mark.parametrize(("path", "name", "value"), LIST_LENGTHS)
def test_a_list_parameter_takes_at_most_100_items(
    api: Any, ids: dict[str, str], path: str, name: str, value: str
) -> None:
    where = path.format(**ids)
    assert api.get(where, params=[(name, value)] * 100).status_code == 200
    refused = api.get(where, params=[(name, value)] * 101)
    assert refused.status_code == 400
    assert refused.json() == {"Message": f"The parameter {name} has more than 100 items."}


def test_activities_take_at_most_two_activity_types(api: Any) -> None:
    # The guide: "activityType Array of strings [ items <= 2 items ]".
    both = api.get("/activities", params=[("activityType", "alarm"), ("activityType", "audit")])
    assert both.status_code == 200, both.text
    three = api.get(
        "/activities", params=[("activityType", "alarm")] * 2 + [("activityType", "audit")]
    )
    assert three.status_code == 400


# --- depths, texts, batches ---------------------------------------------------------------------


def test_a_child_list_takes_minus_one_for_the_whole_depth(api: Any, ids: dict[str, str]) -> None:
    # The guide, for an object's children: "depth ... Default: 1 ... Use -1 for maximum depth."
    where = f"/objects/{ids['device']}/objects"
    whole = api.get(where, params={"depth": -1})
    assert whole.status_code == 200, whole.text
    by_default = api.get(where).json()["items"]
    assert api.get(where, params={"depth": 1}).json()["items"] == by_default
    assert json.dumps(whole.json()["items"]).count('"id"') > json.dumps(by_default).count('"id"')


def test_the_object_list_goes_at_most_one_level_deep_by_default_one(api: Any) -> None:
    # The guide, for GET /objects: "depth integer [ 0 .. 1 ] Default: 1".
    assert api.get("/objects", params={"depth": 0}).status_code == 200
    by_default = api.get("/objects").json()["items"]
    assert api.get("/objects", params={"depth": 1}).json()["items"] == by_default
    deeper = api.get("/objects", params={"depth": 2})
    assert (deeper.status_code, deeper.json()) == (
        400,
        {"Message": "The parameter depth is out of range."},
    )


@pytest.mark.parametrize("kind", ["alarm", "audit"])
def test_an_annotation_holds_1_to_255_characters(api: Any, ids: dict[str, str], kind: str) -> None:
    # The guide, for annotating an alarm and an audit: "text required string [ 1 .. 255 ]
    # characters \S".
    where = f"/{kind}s/{ids[kind]}/annotations"
    assert api.post(where, json={"text": "x" * 255}).status_code in (200, 201)
    for text in ("x" * 256, "", "   "):
        assert api.post(where, json={"text": text}).status_code == 400, text


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        # The guide, for a certificate signing request: "emailAddress required string <email>
        # [ 1 .. 63 ] characters"; "orgName", "orgUnitName", "city", "stateProvince": "required
        # string [ 1 .. 63 ] characters"; "domainName string or null [ 1 .. 47 ] characters".
        ("orgName", 63),
        ("orgUnitName", 63),
        ("city", 63),
        ("stateProvince", 63),
        ("domainName", 47),
    ],
)
def test_a_signing_request_field_holds_the_guides_number_of_characters(
    api: Any, sandbox: Sandbox, field: str, longest: int
) -> None:
    device = object_id(sandbox, "ADS1:NAE-1")
    where = f"/networkDevices/{device}/signingRequests/bacnet"
    too_long = api.post(where, json={**PARAMETERS, field: "a" * (longest + 1)})
    assert too_long.status_code == 400, too_long.text
    fits = api.post(where, json={**PARAMETERS, field: "a" * longest})
    assert fits.status_code == 201, fits.text


def test_a_signing_request_country_is_two_characters(api: Any, sandbox: Sandbox) -> None:
    # The guide: "country required string = 2 characters".
    device = object_id(sandbox, "ADS1:NAE-1")
    where = f"/networkDevices/{device}/signingRequests/bacnet"
    for country in ("U", "USA"):
        assert api.post(where, json={**PARAMETERS, "country": country}).status_code == 400
    assert api.post(where, json=PARAMETERS).status_code == 201


def test_a_network_device_batch_takes_at_most_1000_requests(api: Any, sandbox: Sandbox) -> None:
    # The guide: "This batch operation supports up to 1000 requests at a time."
    device = object_id(sandbox, "ADS1:NAE-1")
    entry = {"method": "GET", "relativeUrl": f"{device}/signingRequests/bacnet"}
    largest = [{**entry, "id": str(n)} for n in range(1000)]
    answered = api.post("/networkDevices/batch", json={"requests": largest})
    assert answered.status_code == 200, answered.text
    assert len(answered.json()["responses"]) == 1000
    one_more = [*largest, {**entry, "id": "1000"}]
    refused = api.post("/networkDevices/batch", json={"requests": one_more})
    assert (refused.status_code, refused.json()) == (
        400,
        {"Message": "A batch takes at most 1000 requests."},
    )
