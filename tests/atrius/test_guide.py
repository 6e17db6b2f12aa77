"""The Atrius API guide's ten steps, walked with the reference client against the fake.

Every answer is checked against the guide's response example (the example's keys are there,
with the example's JSON types), and the readings pushed in step 9 come back exactly in step 10.
The guide's examples are copied here; nothing is read from the guide at test time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.clients.atrius import AtriusClient, DataPoint, MeterPushReport
from standin.inprocess import standin

BASE_URL = "https://api.buildingos.com"

# --- the guide's response examples, verbatim -------------------------------------------------

TOKEN_EXAMPLE = {
    "access_token": "<YOUR_ACCESS_TOKEN>",
    "expires_in": 36000,
    "token_type": "Bearer",
    "scope": "read write",
}
GATEWAY_EXAMPLE = {
    "data": {
        "id": "xxxxx",
        "object": "gateway",
        "organization": "https://api.buildingos.com/organizations/xxxx",
    }
}
BUILDINGS_EXAMPLE = {
    "results": [
        {
            "id": "xxxxxx",
            "uuid": "UNIQUE_UUID_HERE",
            "enabled": True,
            "name": "Building Name Here",
            "organization": "https://api.buildingos.com/organizations/xxxx",
        }
    ]
}
BUILDING_CREATED_EXAMPLE = {
    "id": "176498",
    "name": "Your Building Name",
    "organization": "https://api.buildingos.com/organizations/6732",
}
METER_CREATED_EXAMPLE = {
    "uuid": "Meter_UUID_Returned_Here",
    "id": "xxxxx",
    "displayName": "Meter Display Name Here",
    "resourceType": "Resource Type Here",
}

# --- the guide's request bodies (placeholders filled in) -------------------------------------

GUIDE_BUILDING = {"name": "Your Building Name", "postalCode": "12345"}
"""Step 7's body, besides ``"organization": xxxx`` (the number from step 6)."""
GUIDE_METER = {
    "status": "online",
    "storageUnit": "degf",
    "displayUnit": "degf",
    "displayName": "Meter Display Name Here",
    "sourceUnit": "degf",
    "resourceType": "temperature",
    "vendorMeterId": "Meter_ID_Here",
    "defaultTimescale": "month",
    "scope": "submeter",
    "readingType": "instantaneous",
}
"""Step 8's body, besides building and gateway; the readings of step 9 (72.5, 73.2, 72.8)
are temperatures, so the placeholders are a temperature meter's."""
GUIDE_READINGS = [
    ["2024-01-15T10:00:00Z", 72.5],
    ["2024-01-15T10:15:00Z", 73.2],
    ["2024-01-15T10:30:00Z", 72.8],
]
SECOND_METER_READINGS = [["2024-01-15T10:00:00Z", 150.3]]
"""The guide's multiple-meters example: Meter2 reads 150.3 (kW, say) at 10:00Z."""


def shaped_like(actual: Any, example: Any, where: str = "body") -> None:
    """``actual`` has every key of ``example``, recursively, each with the example's JSON type
    (extra keys are allowed: the guide's examples are abridged)."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where} is not an object"
        for key, value in example.items():
            assert key in actual, f"{where} has no {key!r}"
            shaped_like(actual[key], value, f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where} is not an array"
        assert actual, f"{where} is empty"
        for index, item in enumerate(actual):
            shaped_like(item, example[0], f"{where}[{index}]")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{where} is not a boolean"
    elif isinstance(example, int | float):
        assert isinstance(actual, int | float), f"{where} is not a number"
        assert not isinstance(actual, bool), f"{where} is not a number"
    else:
        assert isinstance(actual, type(example)), f"{where} is not a {type(example).__name__}"


class Answers:
    """An httpx response hook keeping each answer's decoded JSON body."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, Any]] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        self.seen.append((request.method, request.url.path, response.status_code, response.json()))

    def last(self, method: str, path: str) -> tuple[int, Any]:
        for seen_method, seen_path, status, body in reversed(self.seen):
            if (seen_method, seen_path) == (method, path):
                return status, body
        raise AssertionError(f"no answer to {method} {path}")


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def fake(sandbox: Sandbox) -> Iterator[Sandbox]:
    with standin(sandbox):
        yield sandbox


@pytest.fixture
def http(answers: Answers) -> Iterator[httpx.Client]:
    with httpx.Client(event_hooks={"response": [answers]}) as client:
        yield client


def test_the_guides_ten_steps_with_the_reference_client(
    fake: Sandbox, http: httpx.Client, answers: Answers
) -> None:
    # Steps 1-4 happen in the Atrius web UI: an admin user, an API client (Client ID and
    # Client Secret), and a gateway whose 5-digit number is in its URL. The sandbox hands out
    # the same things.
    credentials = {k: str(v) for k, v in fake.credentials()["atrius"].items()}
    client_id, client_secret = credentials["client_id"], credentials["client_secret"]
    gateway_number = credentials["gateway"]
    assert client_id
    assert client_secret
    assert len(gateway_number) == 5
    assert gateway_number.isdigit()
    atrius = AtriusClient(client_id, client_secret, http=http, clock=fake.clock.now)

    # Step 5: obtain an OAuth token.
    token = atrius.token()
    status, body = answers.last("POST", "/o/token/")
    assert status == 200
    shaped_like(body, TOKEN_EXAMPLE)
    assert (body["expires_in"], body["token_type"], body["scope"]) == (
        36000,
        "Bearer",
        "read write",
    )
    assert (token.access_token, token.expires_in, token.token_type, token.scope) == (
        body["access_token"],
        36000,
        "Bearer",
        "read write",
    )

    # Step 6: the organization number from the gateway, and the existing buildings.
    gateway = atrius.gateway(gateway_number)
    status, body = answers.last("GET", f"/gateways/{gateway_number}")
    assert status == 200
    shaped_like(body, GATEWAY_EXAMPLE)
    assert body["data"]["object"] == "gateway"
    organization = gateway.organization_id
    assert organization.isdigit()
    assert body["data"]["organization"] == f"{BASE_URL}/organizations/{organization}"
    assert (gateway.id, gateway.organization) == (gateway_number, body["data"]["organization"])
    assert organization == credentials["organization"]

    existing = list(atrius.buildings())
    status, body = answers.last("GET", "/buildings/")
    assert status == 200
    shaped_like(body, BUILDINGS_EXAMPLE)
    assert [b.id for b in existing] == [b["id"] for b in body["results"]]
    assert all(b.organization_id == organization for b in existing)

    # Step 7: create a building with the guide's body.
    building = atrius.create_building(
        int(organization), GUIDE_BUILDING["name"], GUIDE_BUILDING["postalCode"]
    )
    status, body = answers.last("POST", "/buildings/")
    assert status == 201
    shaped_like(body, BUILDING_CREATED_EXAMPLE)
    assert body["name"] == "Your Building Name"
    assert body["organization"] == f"{BASE_URL}/organizations/{organization}"
    assert building.id == body["id"]
    assert building.id not in {b.id for b in existing}
    assert building in list(atrius.buildings())

    # Step 8: create a meter with the guide's fields (the building id as a string and the
    # gateway as a number, as the guide writes them).
    meter = atrius.create_meter(
        building=building.id,
        gateway=int(gateway_number),
        status=GUIDE_METER["status"],
        storage_unit=GUIDE_METER["storageUnit"],
        display_unit=GUIDE_METER["displayUnit"],
        display_name=GUIDE_METER["displayName"],
        source_unit=GUIDE_METER["sourceUnit"],
        resource_type=GUIDE_METER["resourceType"],
        vendor_meter_id=GUIDE_METER["vendorMeterId"],
        default_timescale=GUIDE_METER["defaultTimescale"],
        scope=GUIDE_METER["scope"],
        reading_type=GUIDE_METER["readingType"],
    )
    status, body = answers.last("POST", "/meters/")
    assert status == 201
    shaped_like(body, METER_CREATED_EXAMPLE)
    assert (body["displayName"], body["resourceType"]) == ("Meter Display Name Here", "temperature")
    assert (meter.uuid, meter.id, meter.display_name) == (
        body["uuid"],
        body["id"],
        body["displayName"],
    )
    assert meter.building_id == building.id
    assert meter.gateway_id == gateway_number
    # "Get a List of Points" now lists it.
    assert meter.uuid in {m.uuid for m in atrius.meters()}

    # Step 9: push the guide's three readings, then its two-meter example.
    [report] = atrius.push(gateway_number, {meter.uuid: [(t, v) for t, v in GUIDE_READINGS]})
    assert report.accepted == 3
    assert report.meters == {meter.uuid: MeterPushReport(accepted=3)}

    second = atrius.create_meter(
        building=building.id,
        gateway=int(gateway_number),
        display_name="Meter2 Display Name",
        resource_type="electricity",
        reading_type="instantaneous",
        storage_unit="kw",
        display_unit="kw",
        source_unit="kw",
        scope="submeter",
        vendor_meter_id="Meter2_ID_Here",
    )
    [report] = atrius.push(
        gateway_number,
        {
            meter.uuid: [(GUIDE_READINGS[0][0], GUIDE_READINGS[0][1])],
            second.uuid: [(t, v) for t, v in SECOND_METER_READINGS],
        },
    )
    assert (report.accepted, report.skipped, report.rejected_meters) == (2, 0, ())

    # Step 10: read the data back at resolution=live.
    day = dt.date(2024, 1, 15)
    assert atrius.data(meter.uuid, day, day, resolution="live") == [
        DataPoint(dt.datetime.fromisoformat(t), v) for t, v in GUIDE_READINGS
    ]
    assert atrius.data(second.uuid, day, day, resolution="live") == [
        DataPoint(dt.datetime.fromisoformat(t), v) for t, v in SECOND_METER_READINGS
    ]
    status, body = answers.last("GET", f"/meters/{second.uuid}/data/")
    assert body["data"] == [{"localtime": "2024-01-15T10:00:00+00:00", "value": 150.3}]
    # Every call used the one token of step 5.
    assert [path for _, path, _, _ in answers.seen].count("/o/token/") == 1


def test_the_guides_curl_requests_work_unchanged(fake: Sandbox) -> None:
    """The guide's cURL commands as plain httpx calls: a form-encoded token request, then a
    Bearer header on everything else."""
    credentials = {k: str(v) for k, v in fake.credentials()["atrius"].items()}
    gateway_number = credentials["gateway"]
    with httpx.Client() as client:
        token = client.post(
            "https://api.buildingos.com/o/token/",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data={
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
                "grant_type": "client_credentials",
            },
        )
        assert token.status_code == 200
        shaped_like(token.json(), TOKEN_EXAMPLE)
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

        gateway = client.get(f"https://api.buildingos.com/gateways/{gateway_number}", headers=auth)
        assert gateway.status_code == 200
        shaped_like(gateway.json(), GATEWAY_EXAMPLE)
        organization = gateway.json()["data"]["organization"].rpartition("/")[2]

        buildings = client.get("https://api.buildingos.com/buildings/", headers=auth)
        shaped_like(buildings.json(), BUILDINGS_EXAMPLE)

        building = client.post(
            "https://api.buildingos.com/buildings/",
            headers={**auth, "Content-Type": "application/json"},
            json={"organization": int(organization), **GUIDE_BUILDING},
        )
        assert building.status_code == 201
        shaped_like(building.json(), BUILDING_CREATED_EXAMPLE)

        meter = client.post(
            "https://api.buildingos.com/meters/",
            headers={**auth, "Content-Type": "application/json"},
            json={"building": building.json()["id"], "gateway": int(gateway_number), **GUIDE_METER},
        )
        assert meter.status_code == 201
        shaped_like(meter.json(), METER_CREATED_EXAMPLE)
        meter_uuid = meter.json()["uuid"]

        points = client.get("https://api.buildingos.com/meters/", headers=auth)
        assert meter_uuid in {m["uuid"] for m in points.json()["results"]}

        pushed = client.post(
            f"https://api.buildingos.com/gateways/{gateway_number}/data",
            headers={**auth, "Content-Type": "application/json"},
            json={"meta": {"naive_timestamp_utc": False}, "data": {meter_uuid: GUIDE_READINGS}},
        )
        assert pushed.status_code == 200

        data = client.get(
            f"https://api.buildingos.com/meters/{meter_uuid}/data/"
            "?start=2024-01-15&end=2024-01-15&resolution=live",
            headers=auth,
        )
        assert data.status_code == 200
        assert [row["value"] for row in data.json()["data"]] == [v for _, v in GUIDE_READINGS]


def test_the_guides_python_script_pushes_with_status_200(fake: Sandbox) -> None:
    """The guide's automation example (``requests`` there, httpx here: the same calls)."""
    credentials = {k: str(v) for k, v in fake.credentials()["atrius"].items()}
    meter_uuid = "6d4c8b2a0e9f4c1d7a3b5e8f2c6d9a0b"  # a fixture meter on the gateway

    def get_token() -> str:
        url = "https://api.buildingos.com/o/token/"
        data = {
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "grant_type": "client_credentials",
        }
        response = httpx.post(url, data=data)
        token: str = response.json()["access_token"]
        return token

    def push_data(token: str, readings: list[list[Any]]) -> int:
        url = f"https://api.buildingos.com/gateways/{credentials['gateway']}/data"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload = {"meta": {"naive_timestamp_utc": False}, "data": {meter_uuid: readings}}
        response = httpx.post(url, headers=headers, json=payload)
        return response.status_code

    token = get_token()
    readings = [["2024-01-15T10:00:00Z", 72.5], ["2024-01-15T10:15:00Z", 73.2]]
    assert push_data(token, readings) == 200


def test_the_guides_multiple_meters_example_pushes_both_meters(fake: Sandbox) -> None:
    """Step 9's "Multiple Meters" body, verbatim but for its two meter UUID placeholders."""
    credentials = {k: str(v) for k, v in fake.credentials()["atrius"].items()}
    example = (
        '{ "meta": { "naive_timestamp_utc": false }, "data": { "Meter1_UUID_Here": [ '
        '["2024-01-15T10:00:00Z", 72.5] ], "Meter2_UUID_Here": [ ["2024-01-15T10:00:00Z", '
        "150.3] ] } }"
    )
    demand, temperature = "6d4c8b2a0e9f4c1d7a3b5e8f2c6d9a0b", "9a7b5c3d1e2f4a6b8c0d2e4f6a8b0c1d"
    body = example.replace("Meter1_UUID_Here", demand).replace("Meter2_UUID_Here", temperature)
    with httpx.Client() as client:
        token = client.post(
            "https://api.buildingos.com/o/token/",
            data={
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        pushed = client.post(
            f"https://api.buildingos.com/gateways/{credentials['gateway']}/data",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            content=body,
        )
    assert pushed.status_code == 200
    report = pushed.json()
    assert report["accepted"] == 2
    assert report["meters"][demand] == {"accepted": 1, "skipped": []}
    assert report["meters"][temperature] == {"accepted": 1, "skipped": []}
