"""Adding an alarm annotation (INTERNAL): as an audit annotation, checked and trimmed, listed with
the alarm's annotations."""

from typing import Any

import httpx

from standin import Sandbox
from tests.metasys.conftest import BASE, ZONE_SETPOINT, login, object_id, state_of

HOST = "http://standin.test/metasys/api/v4"


def raise_alarm(client: httpx.Client, sandbox: Sandbox) -> str:
    point = object_id(sandbox, ZONE_SETPOINT)
    response = client.post(f"/_sandbox/metasys/objects/{point}/alarms", json={"type": "avHiAlarm"})
    assert response.status_code == 201, response.text
    alarm_id: str = response.json()["id"]
    return alarm_id


def test_an_annotation_is_trimmed_and_listed(
    api: Any, client: httpx.Client, sandbox: Sandbox
) -> None:
    alarm = raise_alarm(client, sandbox)
    response = api.post(f"/alarms/{alarm}/annotations", json={"text": "  Looks okay.  "})
    assert response.status_code == 201
    assert response.content == b""
    sandbox.clock.advance(60)
    assert api.post(f"/alarms/{alarm}/annotations", json={"text": "Fixed"}).status_code == 201
    listed = api.get(f"/alarms/{alarm}/annotations").json()
    assert listed["total"] == 2
    assert [(a["text"], a["user"], a["action"]) for a in listed["items"]] == [
        ("Looks okay.", sandbox.credentials()["metasys"]["username"], "none"),
        ("Fixed", sandbox.credentials()["metasys"]["username"], "none"),
    ]
    assert listed["items"][0]["alarmUrl"] == f"{HOST}/alarms/{alarm}"
    assert api.get(f"/alarms/{alarm}").json()["annotationsUrl"] == (
        f"{HOST}/alarms/{alarm}/annotations"
    )


def test_text_must_hold_1_to_255_characters_not_only_whitespace(
    api: Any, client: httpx.Client, sandbox: Sandbox
) -> None:
    alarm = raise_alarm(client, sandbox)
    refused = [
        ({}, "text is required."),
        ({"text": None}, "text is required."),
        ({"text": 5}, "text must be a string."),
        ({"text": ""}, "text must hold 1 to 255 characters, not only whitespace."),
        ({"text": " \t "}, "text must hold 1 to 255 characters, not only whitespace."),
        ({"text": "x" * 256}, "text must hold 1 to 255 characters, not only whitespace."),
        ([], "The request body must be a JSON object."),
    ]
    for body, message in refused:
        response = api.post(f"/alarms/{alarm}/annotations", json=body)
        assert (response.status_code, response.json()) == (400, {"Message": message}), body
    assert api.post(f"/alarms/{alarm}/annotations", json={"text": "x" * 255}).status_code == 201
    assert api.get(f"/alarms/{alarm}/annotations").json()["total"] == 1


def test_an_unknown_alarm_is_404_and_a_viewer_is_403(
    client: httpx.Client, sandbox: Sandbox, api: Any
) -> None:
    missing = api.post("/alarms/nothing/annotations", json={"text": "Hi"})
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "Alarm nothing was not found."},
    )
    alarm = raise_alarm(client, sandbox)
    creds = sandbox.credentials()["metasys"]
    token = login(client, creds["viewer_username"], creds["viewer_password"]).json()
    refused = client.post(
        f"{BASE}/alarms/{alarm}/annotations",
        json={"text": "Hi"},
        headers={"Authorization": f"Bearer {token['accessToken']}"},
    )
    assert refused.status_code == 403
    assert refused.json() == {"Message": "The user is not authorized to annotate this alarm."}


def test_an_annotation_is_told_to_the_alarm_listeners_as_the_stream_hears_it(
    api: Any, client: httpx.Client, sandbox: Sandbox
) -> None:
    """The stream's ``activity.alarm.annotate`` comes from these listeners (test_streaming.py
    follows them over a socket)."""
    alarm = raise_alarm(client, sandbox)
    heard: list[tuple[str, str]] = []
    state_of(sandbox).alarms.listeners.append(
        lambda action, found: heard.append((action, found.id))
    )
    assert api.post(f"/alarms/{alarm}/annotations", json={"text": "Heard"}).status_code == 201
    assert heard == [("annotate", alarm)]
