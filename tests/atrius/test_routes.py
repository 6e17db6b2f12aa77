"""The Atrius (BuildingOS) fake, operation by operation and error by error."""

import base64
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.atrius import state as atrius_state
from tests.atrius.conftest import (
    LIB_DEMAND,
    LIB_ELECTRICITY,
    LIB_TEMPERATURE,
    LIBRARY,
    SCI_WATER,
    meter_body,
    token_for,
)

NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}

# --- POST /o/token/ --------------------------------------------------------------------------


def test_client_credentials_token_matches_the_guides_response(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    response = client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (
        36000,
        "Bearer",
        "read write",
    )
    assert response.headers["cache-control"] == "no-store"


def test_client_may_authenticate_with_http_basic(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
    response = client.post(
        "/atrius/o/token/",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


def test_password_grant_returns_a_refresh_token_that_works_once(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    first = client.post(
        "/atrius/o/token/",
        data={
            "grant_type": "password",
            "username": creds["username"],
            "password": creds["password"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    ).json()
    assert first["expires_in"] == 36000
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    renewed = client.post("/atrius/o/token/", data=refresh)
    assert renewed.status_code == 200
    assert renewed.json()["access_token"] != first["access_token"]
    reused = client.post("/atrius/o/token/", data=refresh)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid credentials given.",
    }


@pytest.mark.parametrize(
    ("change", "status", "body"),
    [
        ({"client_secret": "wrong"}, 401, {"error": "invalid_client"}),
        ({"client_id": "nobody"}, 401, {"error": "invalid_client"}),
        ({"client_id": None, "client_secret": None}, 401, {"error": "invalid_client"}),
        ({"grant_type": "authorization_code"}, 400, {"error": "unsupported_grant_type"}),
        (
            {"grant_type": None},
            400,
            {"error": "invalid_request", "error_description": "Request is missing grant type."},
        ),
        (
            {"grant_type": "password"},
            400,
            {
                "error": "invalid_request",
                "error_description": "Request is missing username parameter.",
            },
        ),
        (
            {"grant_type": "password", "username": "apiuser@standin.example", "password": "nope"},
            400,
            {"error": "invalid_grant", "error_description": "Invalid credentials given."},
        ),
        ({"scope": "admin"}, 400, {"error": "invalid_scope"}),
    ],
)
def test_token_errors_follow_rfc_6749(
    client: httpx.Client,
    creds: dict[str, str],
    change: dict[str, Any],
    status: int,
    body: dict[str, str],
) -> None:
    form = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "grant_type": "client_credentials",
        **change,
    }
    response = client.post(
        "/atrius/o/token/", data={k: v for k, v in form.items() if v is not None}
    )
    assert response.status_code == status
    assert response.json() == body


def test_a_json_token_request_carries_no_parameters(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    response = client.post("/atrius/o/token/", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_token_stops_working_after_36000_seconds(
    client: httpx.Client, creds: dict[str, str], sandbox: Sandbox
) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, creds)}"}
    sandbox.clock.advance(35999)
    assert client.get("/atrius/buildings/", headers=headers).status_code == 200
    sandbox.clock.advance(1)
    expired = client.get("/atrius/buildings/", headers=headers)
    assert expired.status_code == 401
    assert expired.json() == NOT_AUTHENTICATED
    assert expired.headers["www-authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header", [None, "", "Token abc", "Bearer", "Bearer ", "Bearer not-a-token", "bearer x y"]
)
def test_missing_or_bad_bearer_tokens_are_refused(client: httpx.Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/atrius/buildings/", headers=headers)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_a_token_without_the_bearer_prefix_is_refused(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    token = token_for(client, creds)
    assert client.get("/atrius/buildings/", headers={"Authorization": token}).status_code == 401


# --- gateways and organizations --------------------------------------------------------------


def test_gateway_answers_as_the_guide_shows(api: Any) -> None:
    response = api.get("/gateways/48213")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": "48213",
            "object": "gateway",
            "organization": "http://standin.test/atrius/organizations/6732",
        }
    }
    assert api.get("/gateways/48213/").json() == response.json()


def test_the_organization_url_handed_out_answers(api: Any, client: httpx.Client, auth: Any) -> None:
    url = api.get("/gateways/48213").json()["data"]["organization"]
    response = client.get(url, headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "id": "6732",
            "object": "organization",
            "name": "Standin Demo Campus",
            "url": "http://standin.test/atrius/organizations/6732",
        }
    }


def test_unknown_gateway_and_organization_are_not_found(api: Any) -> None:
    for path in ("/gateways/11111", "/organizations/1", "/gateways/abc"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_another_tenants_gateway_is_not_found(
    client: httpx.Client, sandbox: Sandbox, auth: Any
) -> None:
    other = sandbox.create_tenant().credentials["atrius"]
    assert other["gateway"] != "48213"
    assert client.get(f"/atrius/gateways/{other['gateway']}", headers=auth).status_code == 404
    theirs = {"Authorization": f"Bearer {token_for(client, other)}"}
    assert client.get(f"/atrius/gateways/{other['gateway']}", headers=theirs).status_code == 200
    assert client.get("/atrius/gateways/48213", headers=theirs).status_code == 404


# --- buildings -------------------------------------------------------------------------------


def test_buildings_are_listed_with_drf_paging(api: Any) -> None:
    body = api.get("/buildings/").json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    first = body["results"][0]
    assert first == {
        "id": "176498",
        "uuid": "5b0e6f0a9c3d4e2f8a1b7c6d5e4f3a2b",
        "enabled": True,
        "name": "Main Library",
        "organization": "http://standin.test/atrius/organizations/6732",
        "postalCode": "02139",
        "timeZone": "America/New_York",
        "url": "http://standin.test/atrius/buildings/176498",
    }


def test_building_pages_link_to_each_other(api: Any) -> None:
    for n in range(3):
        api.post("/buildings/", json={"organization": 6732, "name": f"B{n}", "postalCode": "1"})
    first = api.get("/buildings/", params={"per_page": 2}).json()
    assert first["count"] == 5
    assert first["next"] == "http://standin.test/atrius/buildings/?per_page=2&page=2"
    assert first["previous"] is None
    second = api.get("/buildings/", params={"per_page": 2, "page": 2}).json()
    assert second["previous"] == "http://standin.test/atrius/buildings/?per_page=2"
    assert second["next"] == "http://standin.test/atrius/buildings/?per_page=2&page=3"
    last = api.get("/buildings/", params={"per_page": 2, "page": 3}).json()
    assert [b["name"] for b in last["results"]] == ["B2"]
    assert last["next"] is None


@pytest.mark.parametrize("page", ["0", "-1", "x", "9"])
def test_a_bad_page_is_not_found_as_drf_answers(api: Any, page: str) -> None:
    response = api.get("/buildings/", params={"page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_bad_per_page_is_ignored_as_drf_does(api: Any) -> None:
    assert api.get("/buildings/", params={"per_page": "lots"}).json()["count"] == 2


def test_creating_a_building_answers_as_the_guide_shows(api: Any) -> None:
    response = api.post(
        "/buildings/",
        json={"organization": 6732, "name": "Your Building Name", "postalCode": "12345"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"].isdigit()
    assert body["name"] == "Your Building Name"
    assert body["organization"] == "http://standin.test/atrius/organizations/6732"
    assert api.get(f"/buildings/{body['id']}").json() == {"data": body}


def test_building_validation_reports_every_field(api: Any) -> None:
    response = api.post("/buildings/", json={"organization": 999, "name": ""})
    assert response.status_code == 400
    assert response.json() == {
        "organization": ['Invalid pk "999" - object does not exist.'],
        "name": ["This field may not be blank."],
        "postalCode": ["This field is required."],
    }


def test_an_organization_may_be_given_by_its_url(api: Any) -> None:
    url = "https://api.buildingos.com/organizations/6732"
    response = api.post("/buildings/", json={"organization": url, "name": "N", "postalCode": "1"})
    assert response.status_code == 201


def test_a_building_in_another_tenants_organization_is_refused(api: Any, sandbox: Sandbox) -> None:
    theirs = sandbox.create_tenant().credentials["atrius"]["organization"]
    response = api.post(
        "/buildings/", json={"organization": theirs, "name": "N", "postalCode": "1"}
    )
    assert response.status_code == 400
    assert response.json() == {"organization": [f'Invalid pk "{theirs}" - object does not exist.']}


def test_unknown_building_is_not_found(api: Any) -> None:
    assert api.get("/buildings/1").json() == {"detail": "Not found."}


# --- meters ----------------------------------------------------------------------------------


def test_creating_a_meter_answers_with_its_uuid(api: Any) -> None:
    response = api.post("/meters/", json=meter_body())
    assert response.status_code == 201
    body = response.json()
    assert len(body["uuid"]) == 32
    assert all(c in "0123456789abcdef" for c in body["uuid"])
    assert body["id"].isdigit()
    assert (body["displayName"], body["resourceType"]) == ("Chiller 2 Energy", "electricity")
    assert body["building"] == f"http://standin.test/atrius/buildings/{LIBRARY}"
    assert body["gateway"] == "http://standin.test/atrius/gateways/48213"
    assert api.get(f"/meters/{body['uuid']}").json() == {"data": body}


def test_every_missing_required_meter_field_is_reported(api: Any) -> None:
    response = api.post("/meters/", json={})
    assert response.status_code == 400
    assert response.json() == {
        name: ["This field is required."]
        for name in (
            "building",
            "gateway",
            "displayName",
            "resourceType",
            "readingType",
            "storageUnit",
            "displayUnit",
            "sourceUnit",
            "scope",
        )
    }


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"readingType": "average"}, {"readingType": ['"average" is not a valid choice.']}),
        ({"scope": "campus"}, {"scope": ['"campus" is not a valid choice.']}),
        ({"resourceType": "wind"}, {"resourceType": ['"wind" is not a valid choice.']}),
        ({"status": "broken"}, {"status": ['"broken" is not a valid choice.']}),
        ({"defaultTimescale": "decade"}, {"defaultTimescale": ['"decade" is not a valid choice.']}),
        ({"displayUnit": "xyz"}, {"displayUnit": ['"xyz" is not a valid unit for electricity.']}),
        (
            {"displayUnit": "kw"},
            {"displayUnit": ['"kw" (power) cannot be converted to "kwh" (energy).']},
        ),
        ({"building": "1"}, {"building": ['Invalid pk "1" - object does not exist.']}),
        ({"gateway": 11111}, {"gateway": ['Invalid pk "11111" - object does not exist.']}),
        ({"gateway": [48213]}, {"gateway": ["Incorrect type. Expected pk value, received list."]}),
        (
            {"displayName": "x" * 256},
            {"displayName": ["Ensure this field has no more than 255 characters."]},
        ),
        ({"displayName": None}, {"displayName": ["This field may not be null."]}),
        (
            {"storageUnit": "kw", "displayUnit": "kw", "sourceUnit": "w"},
            {
                "readingType": [
                    '"cumulative" needs a quantity unit (energy, volume or mass), not "kw" (power).'
                ]
            },
        ),
    ],
)
def test_invalid_meter_fields_are_reported(
    api: Any, change: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = api.post("/meters/", json=meter_body(**change))
    assert response.status_code == 400
    assert response.json() == errors


def test_unit_codes_are_case_insensitive(api: Any) -> None:
    response = api.post(
        "/meters/", json=meter_body(storageUnit="kWh", displayUnit="MWh", sourceUnit="Wh")
    )
    assert response.status_code == 201
    assert (response.json()["storageUnit"], response.json()["displayUnit"]) == ("kwh", "mwh")


def test_a_vendor_meter_id_is_unique_per_gateway(api: Any) -> None:
    response = api.post("/meters/", json=meter_body(vendorMeterId="LIB-ELEC-MAIN"))
    assert response.status_code == 400
    assert response.json() == {
        "vendorMeterId": ["meter with this vendorMeterId already exists on this gateway."]
    }


def test_only_one_meter_per_request(api: Any) -> None:
    response = api.post("/meters/", json=[meter_body(), meter_body(vendorMeterId="B")])
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_a_building_of_another_tenant_is_refused_for_a_meter(
    client: httpx.Client, sandbox: Sandbox, api: Any
) -> None:
    other = sandbox.create_tenant().credentials["atrius"]
    theirs = {"Authorization": f"Bearer {token_for(client, other)}"}
    their_building = client.get("/atrius/buildings/", headers=theirs).json()["results"][0]["id"]
    response = api.post("/meters/", json=meter_body(building=their_building))
    assert response.status_code == 400
    assert response.json() == {
        "building": [f'Invalid pk "{their_building}" - object does not exist.']
    }


def test_meters_are_listed_paged_and_filtered_by_building(api: Any) -> None:
    body = api.get("/meters/").json()
    assert body["count"] == 6
    assert api.get("/meters/", params={"building": LIBRARY}).json()["count"] == 3
    assert len(api.get("/meters/", params={"per_page": 4}).json()["results"]) == 4


def test_patch_changes_only_the_given_fields(api: Any) -> None:
    response = api.patch(f"/meters/{LIB_ELECTRICITY}", json={"displayName": "Library Main kWh"})
    assert response.status_code == 200
    assert response.json()["displayName"] == "Library Main kWh"
    assert response.json()["vendorMeterId"] == "LIB-ELEC-MAIN"


def test_patch_checks_units_against_the_existing_resource_type(api: Any) -> None:
    response = api.patch(f"/meters/{LIB_ELECTRICITY}", json={"displayUnit": "gal"})
    assert response.status_code == 400
    assert response.json() == {"displayUnit": ['"gal" is not a valid unit for electricity.']}


def test_put_needs_every_required_field(api: Any) -> None:
    response = api.put(f"/meters/{LIB_ELECTRICITY}", json={"displayName": "x"})
    assert response.status_code == 400
    assert "building" in response.json()
    full = api.put(f"/meters/{LIB_ELECTRICITY}", json=meter_body(vendorMeterId="LIB-ELEC-MAIN"))
    assert full.status_code == 200
    assert full.json()["sourceUnit"] == "wh"


def test_meters_cannot_be_deleted_through_the_api(api: Any) -> None:
    response = api.delete(f"/meters/{LIB_ELECTRICITY}")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert api.get(f"/meters/{LIB_ELECTRICITY}").status_code == 200


def test_unknown_meter_is_not_found(api: Any) -> None:
    assert api.get("/meters/0123456789abcdef0123456789abcdef").status_code == 404
    assert api.patch("/meters/0123456789abcdef0123456789abcdef", json={}).status_code == 404


def test_non_json_bodies_are_unsupported(api: Any) -> None:
    response = api.post("/buildings/", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_malformed_json_is_a_parse_error(api: Any) -> None:
    response = api.post("/buildings/", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize("raw", [b'{"name": NaN}', b"[" * 100000 + b"]" * 100000])
def test_json_that_python_would_accept_but_drf_refuses_is_a_parse_error(
    api: Any, raw: bytes
) -> None:
    response = api.post("/buildings/", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


def test_the_unit_reference_is_served(api: Any) -> None:
    body = api.get("/units/", params={"per_page": 1000}).json()
    codes = {(u["resourceType"], u["code"]) for u in body["results"]}
    assert {
        ("electricity", "kwh"),
        ("gas", "therm"),
        ("water", "gal"),
        ("temperature", "degf"),
        ("steam", "klb"),
    } <= codes


# --- pushing data ----------------------------------------------------------------------------


def push(
    api: Any, data: dict[str, Any], naive_utc: bool = False, path: str = "/gateways/48213/data"
) -> httpx.Response:
    return api.post(path, json={"meta": {"naive_timestamp_utc": naive_utc}, "data": data})


def live(api: Any, meter: str, day: str, **params: str) -> list[dict[str, Any]]:
    response = api.get(
        f"/meters/{meter}/data/", params={"start": day, "end": day, "resolution": "live", **params}
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def test_pushed_readings_come_back_at_live_resolution(api: Any) -> None:
    meter = api.post("/meters/", json=meter_body(sourceUnit="kwh")).json()["uuid"]
    response = push(
        api,
        {
            meter: [
                ["2024-01-15T10:00:00Z", 72.5],
                ["2024-01-15T10:15:00Z", 73.2],
                ["2024-01-15T10:30:00Z", 72.8],
            ]
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 3,
        "skipped": 0,
        "rejected_meters": [],
        "meters": {meter: {"accepted": 3, "skipped": []}},
    }
    assert live(api, meter, "2024-01-15") == [
        {"localtime": "2024-01-15T05:00:00-05:00", "value": 72.5},
        {"localtime": "2024-01-15T05:15:00-05:00", "value": 73.2},
        {"localtime": "2024-01-15T05:30:00-05:00", "value": 72.8},
    ]


def test_push_works_with_and_without_the_trailing_slash(api: Any) -> None:
    point = {LIB_DEMAND: [["2024-01-15T10:00:00Z", 1000]]}
    assert push(api, point).status_code == 200
    assert push(api, point, path="/gateways/48213/data/").status_code == 200


def test_several_meters_in_one_push_and_units_converted(api: Any) -> None:
    response = push(
        api,
        {
            LIB_DEMAND: [["2024-01-15T10:00:00-05:00", 150000]],
            LIB_TEMPERATURE: [["2024-01-15T10:00:00-05:00", 20.0]],
        },
    )
    assert response.json()["accepted"] == 2
    assert live(api, LIB_DEMAND, "2024-01-15") == [
        {"localtime": "2024-01-15T10:00:00-05:00", "value": 150.0}
    ]
    assert live(api, LIB_TEMPERATURE, "2024-01-15") == [
        {"localtime": "2024-01-15T10:00:00-05:00", "value": 68.0}
    ]


def test_pushing_the_same_timestamp_again_replaces_the_value(api: Any) -> None:
    push(api, {LIB_DEMAND: [["2024-01-15T10:00:00Z", 1000]]})
    push(api, {LIB_DEMAND: [["2024-01-15T10:00:00+00:00", 2000]]})
    assert [r["value"] for r in live(api, LIB_DEMAND, "2024-01-15")] == [2.0]


def test_backfill_is_allowed(api: Any) -> None:
    push(api, {LIB_DEMAND: [["2019-03-01T12:00:00Z", 5000]]})
    assert [r["value"] for r in live(api, LIB_DEMAND, "2019-03-01")] == [5.0]


def test_points_that_cannot_be_ingested_are_skipped_with_reasons(api: Any) -> None:
    response = push(
        api,
        {
            LIB_DEMAND: [
                ["2024-01-15T10:00:00Z", 1000],
                ["2024-01-15T10:15:00", 1000],
                ["2024-01-15T10:30:00Z", "1000"],
                ["2024-01-15T10:45:00Z", None],
                ["2024-01-15T11:00:00Z", ""],
                ["yesterday", 1],
                ["2024-01-15T11:15:00Z", True],
                [1705316400, 1],
                ["2024-01-15T11:30:00Z"],
            ]
        },
    )
    report = response.json()["meters"][LIB_DEMAND]
    assert report["accepted"] == 1
    assert [(s["index"], s["reason"]) for s in report["skipped"]] == [
        (1, "timestamp has no UTC offset and meta.naive_timestamp_utc is false"),
        (2, "value is a string, not a number"),
        (3, "value is null"),
        (4, "value is blank"),
        (5, "timestamp is not ISO 8601"),
        (6, "value is not a number"),
        (7, "timestamp must be an ISO 8601 string"),
        (8, "expected a [timestamp, value] pair"),
    ]
    assert response.json()["skipped"] == 8


def test_naive_timestamps_are_utc_when_the_meta_says_so(api: Any) -> None:
    push(api, {LIB_DEMAND: [["2024-01-15T10:00:00", 1000]]}, naive_utc=True)
    assert live(api, LIB_DEMAND, "2024-01-15") == [
        {"localtime": "2024-01-15T05:00:00-05:00", "value": 1.0}
    ]


def test_unknown_meters_and_other_tenants_meters_are_reported_and_not_stored(
    api: Any, client: httpx.Client, sandbox: Sandbox
) -> None:
    other = sandbox.create_tenant().credentials["atrius"]
    theirs = {"Authorization": f"Bearer {token_for(client, other)}"}
    their_meter = client.get("/atrius/meters/", headers=theirs).json()["results"][0]["uuid"]
    response = push(
        api,
        {
            "0123456789abcdef0123456789abcdef": [["2024-01-15T10:00:00Z", 1]],
            their_meter: [["2024-01-15T10:00:00Z", 1]],
            LIB_DEMAND: [["2024-01-15T10:00:00Z", 1000]],
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["accepted"] == 1
    assert body["rejected_meters"] == sorted(["0123456789abcdef0123456789abcdef", their_meter])
    assert body["meters"][their_meter] == {"accepted": 0, "skipped": [], "error": "unknown meter"}
    their_data = client.get(
        f"/atrius/meters/{their_meter}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "live"},
        headers=theirs,
    ).json()["data"]
    assert {"localtime": "2024-01-15T05:00:00-05:00", "value": 1.0} not in their_data


def test_pushing_to_another_gateway_is_not_found(api: Any) -> None:
    response = push(api, {LIB_DEMAND: [["2024-01-15T10:00:00Z", 1]]}, path="/gateways/11111/data")
    assert response.status_code == 404


def minutes_from(day: str, count: int) -> list[list[Any]]:
    start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
    return [
        [(start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), float(i % 97)]
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [1200, 5000])
def test_a_push_of_more_than_1000_points_is_accepted(api: Any, count: int) -> None:
    # The guide's FAQ: "there's no strict limit" (it recommends < 1000 points per request).
    half = count // 2
    response = push(
        api,
        {
            LIB_DEMAND: minutes_from("2024-01-10", half),
            LIB_TEMPERATURE: minutes_from("2024-01-10", count - half),
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == count
    assert body["meters"][LIB_DEMAND] == {"accepted": half, "skipped": []}


def test_a_push_body_over_1_mib_is_too_large(api: Any) -> None:
    points = minutes_from("2024-01-01", 40_000)  # about 1.3 MB as JSON
    response = push(api, {LIB_DEMAND: points})
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body exceeds 1048576 bytes."}


def test_an_oversized_body_is_too_large(api: Any) -> None:
    big = {LIB_DEMAND: [["2024-01-15T10:00:00Z", 1.0]], "padding": ["x" * 1_100_000]}
    response = push(api, big)
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body exceeds 1048576 bytes."}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"meta": {}}, {"data": ["This field is required."]}),
        ({"data": []}, {"data": ['Expected a dictionary of items but got type "list".']}),
        (
            {"data": {}, "meta": {"naive_timestamp_utc": "yes"}},
            {"meta": {"naive_timestamp_utc": ["Must be a valid boolean."]}},
        ),
        ([1, 2], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_malformed_push_bodies_are_refused(api: Any, body: Any, errors: dict[str, Any]) -> None:
    response = api.post("/gateways/48213/data", json=body)
    assert response.status_code == 400
    assert response.json() == errors


# --- pulling data ----------------------------------------------------------------------------


def test_instantaneous_data_is_averaged_at_coarser_resolutions(api: Any) -> None:
    push(
        api,
        {
            LIB_DEMAND: [
                ["2024-01-15T15:00:00Z", 1000],
                ["2024-01-15T15:15:00Z", 2000],
                ["2024-01-15T15:30:00Z", 3000],
                ["2024-01-15T16:00:00Z", 5000],
            ]
        },
    )
    rows = api.get(
        f"/meters/{LIB_DEMAND}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "hour"},
    ).json()["data"]
    assert len(rows) == 24
    assert rows[10] == {"localtime": "2024-01-15T10:00:00-05:00", "value": 2.0}
    assert rows[11] == {"localtime": "2024-01-15T11:00:00-05:00", "value": 5.0}
    assert rows[9]["value"] is None


def test_cumulative_data_is_differenced_at_coarser_resolutions(api: Any) -> None:
    meter = api.post("/meters/", json=meter_body(sourceUnit="kwh")).json()["uuid"]
    push(
        api,
        {
            meter: [
                ["2024-01-15T05:00:00Z", 100],
                ["2024-01-15T05:30:00Z", 110],
                ["2024-01-15T06:00:00Z", 125],
                ["2024-01-15T06:45:00Z", 140],
            ]
        },
    )
    rows = api.get(
        f"/meters/{meter}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "hour"},
    ).json()["data"]
    assert rows[0] == {"localtime": "2024-01-15T00:00:00-05:00", "value": 10.0}
    assert rows[1] == {"localtime": "2024-01-15T01:00:00-05:00", "value": 30.0}
    day = api.get(
        f"/meters/{meter}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "day"},
    ).json()["data"]
    assert day == [{"localtime": "2024-01-15T00:00:00-05:00", "value": 40.0}]


def test_data_is_in_the_meters_display_unit(api: Any) -> None:
    push(api, {SCI_WATER: [["2024-01-15T10:00:00Z", 1500]]})
    assert live(api, SCI_WATER, "2024-01-15") == [
        {"localtime": "2024-01-15T05:00:00-05:00", "value": 1.5}
    ]


def test_order_desc_returns_newest_first(api: Any) -> None:
    push(api, {LIB_DEMAND: [["2024-01-15T10:00:00Z", 1000], ["2024-01-15T11:00:00Z", 2000]]})
    assert [r["value"] for r in live(api, LIB_DEMAND, "2024-01-15", order="desc")] == [2.0, 1.0]


def test_meters_never_pushed_to_have_generated_data(api: Any) -> None:
    rows = api.get(
        f"/meters/{LIB_ELECTRICITY}/data/",
        params={"start": "2024-01-15", "end": "2024-01-16", "resolution": "day"},
    ).json()
    assert rows["meta"]["unit"] == "kwh"
    assert [r["localtime"] for r in rows["data"]] == [
        "2024-01-15T00:00:00-05:00",
        "2024-01-16T00:00:00-05:00",
    ]
    assert all(2000 < r["value"] < 6000 for r in rows["data"])
    hourly = api.get(
        f"/meters/{LIB_ELECTRICITY}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "hour"},
    ).json()["data"]
    assert sum(r["value"] for r in hourly) == pytest.approx(rows["data"][0]["value"])
    again = api.get(
        f"/meters/{LIB_ELECTRICITY}/data/",
        params={"start": "2024-01-15", "end": "2024-01-16", "resolution": "day"},
    ).json()
    assert again == rows


def test_generated_temperature_is_plausible_and_follows_the_day(api: Any) -> None:
    rows = api.get(
        f"/meters/{LIB_TEMPERATURE}/data/",
        params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "hour"},
    ).json()["data"]
    values = [r["value"] for r in rows]
    assert all(60 < v < 80 for v in values)
    assert max(values[12:18]) > min(values[0:6])


def test_no_data_after_the_sandbox_clock(api: Any) -> None:
    rows = api.get(
        f"/meters/{LIB_DEMAND}/data/",
        params={"start": "2026-11-20", "end": "2026-11-21", "resolution": "live"},
    ).json()["data"]
    assert rows
    assert rows[-1]["localtime"] <= "2026-11-20T07:00:30-05:00"


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"end": "2024-01-15"}, {"start": ["This field is required."]}),
        (
            {"start": "2024-1-15", "end": "2024-01-15"},
            {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"start": "2024-01-15", "end": "2024-02-30"},
            {"end": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"start": "2024-01-15", "end": "2024-01-14"}, {"end": ["end must not be before start."]}),
        (
            {"start": "2023-01-01", "end": "2024-01-02"},
            {"end": ["The range may span at most 366 days."]},
        ),
        (
            {"start": "2024-01-15", "end": "2024-01-15", "resolution": "minute"},
            {"resolution": ['"minute" is not a valid choice.']},
        ),
        (
            {"start": "2024-01-15", "end": "2024-01-15", "order": "up"},
            {"order": ['"up" is not a valid choice.']},
        ),
    ],
)
def test_bad_data_queries_are_refused(
    api: Any, params: dict[str, str], errors: dict[str, Any]
) -> None:
    response = api.get(f"/meters/{LIB_DEMAND}/data/", params=params)
    assert response.status_code == 400
    assert response.json() == errors


# --- rate limit and routing ------------------------------------------------------------------


def test_the_101st_request_in_a_minute_is_throttled(api: Any, sandbox: Sandbox) -> None:
    for _ in range(100):
        assert api.get("/gateways/48213").status_code == 200
    refused = api.get("/gateways/48213")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json() == {"detail": "Request was throttled. Expected available in 60 seconds."}
    sandbox.clock.advance(60)
    assert api.get("/gateways/48213").status_code == 200


def test_the_limit_counts_per_client_id_not_per_token_or_user(
    client: httpx.Client, sandbox: Sandbox, creds: dict[str, str]
) -> None:
    sandbox.limits.configure({"atrius": {"requests": {"limit": 1}}})
    user = client.post(
        "/atrius/o/token/",
        data={
            "grant_type": "password",
            "username": creds["username"],
            "password": creds["password"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    ).json()["access_token"]
    app = {"Authorization": f"Bearer {token_for(client, creds)}"}
    assert client.get("/atrius/buildings/", headers=app).status_code == 200
    same_client = client.get("/atrius/buildings/", headers={"Authorization": f"Bearer {user}"})
    assert same_client.status_code == 429
    theirs = sandbox.create_tenant().credentials["atrius"]
    other = {"Authorization": f"Bearer {token_for(client, theirs)}"}
    assert client.get("/atrius/buildings/", headers=other).status_code == 200


def test_the_token_endpoint_is_not_throttled(
    client: httpx.Client, creds: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.limits.configure({"atrius": {"requests": {"limit": 1}}})
    for _ in range(3):
        token_for(client, creds)


def test_unknown_paths_answer_drf_json(api: Any) -> None:
    response = api.get("/nothing/here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- the journal ---------------------------------------------------------------------------


def journal(client: httpx.Client, limit: int) -> list[tuple[str, str, int, str | None]]:
    """The newest ``limit`` Atrius requests, oldest first, as (method, path, status, tenant)."""
    answer = client.get("/_sandbox/requests", params={"api": "atrius", "limit": limit})
    entries = reversed(answer.json()["requests"])
    return [(e["method"], e["path"], e["status"], e["tenant"]) for e in entries]


def test_authenticated_requests_are_journaled_with_their_tenant(
    client: httpx.Client, sandbox: Sandbox, creds: dict[str, str]
) -> None:
    other = sandbox.create_tenant()
    theirs = other.credentials["atrius"]
    ours = {"Authorization": f"Bearer {token_for(client, creds)}"}
    assert client.get("/atrius/buildings/", headers=ours).status_code == 200
    headers = {"Authorization": f"Bearer {token_for(client, theirs)}"}
    assert client.get(f"/atrius/gateways/{theirs['gateway']}", headers=headers).status_code == 200
    assert client.get("/atrius/units/", headers=headers).status_code == 200
    assert client.get("/atrius/buildings/").status_code == 401
    # A token request is its client's tenant's (the tenant's whose client id it sent).
    assert journal(client, 6) == [
        ("POST", "/o/token/", 200, "default"),
        ("GET", "/buildings/", 200, "default"),
        ("POST", "/o/token/", 200, other.id),
        ("GET", f"/gateways/{theirs['gateway']}", 200, other.id),
        ("GET", "/units/", 200, other.id),
        ("GET", "/buildings/", 401, None),
    ]


def test_a_throttled_request_is_journaled_with_its_tenant(
    client: httpx.Client, sandbox: Sandbox, creds: dict[str, str]
) -> None:
    other = sandbox.create_tenant()
    other.limits.configure({"atrius": {"requests": {"limit": 1}}})
    headers = {"Authorization": f"Bearer {token_for(client, other.credentials['atrius'])}"}
    assert client.get("/atrius/buildings/", headers=headers).status_code == 200
    assert client.get("/atrius/buildings/", headers=headers).status_code == 429
    assert journal(client, 2) == [
        ("GET", "/buildings/", 200, other.id),
        ("GET", "/buildings/", 429, other.id),
    ]


# --- edges found by property tests ---------------------------------------------------------


def test_a_blank_scope_is_the_default_scope(client: httpx.Client, creds: dict[str, str]) -> None:
    response = client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
            "scope": " ",
        },
    )
    assert response.json()["scope"] == "read write"


def test_a_reading_too_large_for_a_double_refuses_the_push_as_unparsable(api: Any) -> None:
    """No number beyond a double's range is read into state: it could not be answered back."""
    response = api.post(
        "/gateways/48213/data",
        content=b'{"data": {"%s": [["2024-01-15T10:00:00Z", 1%s]]}}'
        % (LIB_DEMAND.encode(), b"0" * 400),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - number is infinity when parsed as double: "
        "line 1 column 73 (char 72)"
    }


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01")]
)
def test_the_ends_of_the_calendar_answer_without_data(api: Any, start: str, end: str) -> None:
    for resolution in ("live", "hour", "day", "month"):
        response = api.get(
            f"/meters/{LIB_ELECTRICITY}/data/",
            params={"start": start, "end": end, "resolution": resolution},
        )
        assert response.status_code == 200
        assert response.json()["data"] == []


def test_fractions_of_a_second_are_dropped_even_before_1970(api: Any) -> None:
    push(api, {LIB_DEMAND: [["1969-12-31T23:59:59.5Z", 1000]]})
    assert live(api, LIB_DEMAND, "1969-12-31") == [
        {"localtime": "1969-12-31T18:59:59-05:00", "value": 1.0}
    ]


def test_a_skipped_point_is_echoed_safely_however_deep(api: Any) -> None:
    deep: Any = 1
    for _ in range(400):
        deep = [deep]
    response = api.post("/gateways/48213/data", json={"data": {LIB_DEMAND: [deep]}})
    assert response.status_code == 200
    assert response.json()["meters"][LIB_DEMAND]["skipped"][0]["point"] == [[["..."]]]


def test_a_year_of_quarter_hours_equals_its_days_asked_one_at_a_time(api: Any) -> None:
    # Over 2,000 rows the answer is made on a worker thread; a day (96 rows) on the loop.
    year = api.get(
        f"/meters/{LIB_ELECTRICITY}/data/",
        params={"start": "2023-01-01", "end": "2023-12-31", "resolution": "quarterhour"},
    ).json()
    assert len(year["data"]) == 365 * 96
    assert year["meta"]["start"] == "2023-01-01"
    assert year["meta"]["end"] == "2023-12-31"
    # Days before daylight saving time starts: a generated series' phase follows the offset
    # at the start of the range asked for (a range starting in summer is shifted an hour).
    for day in ("2023-01-01", "2023-01-17", "2023-02-28"):
        alone = api.get(
            f"/meters/{LIB_ELECTRICITY}/data/",
            params={"start": day, "end": day, "resolution": "quarterhour"},
        ).json()["data"]
        assert [row for row in year["data"] if row["localtime"].startswith(day)] == alone
    newest_first = api.get(
        f"/meters/{LIB_ELECTRICITY}/data/",
        params={
            "start": "2023-01-01",
            "end": "2023-12-31",
            "resolution": "quarterhour",
            "order": "desc",
        },
    ).json()["data"]
    assert newest_first == year["data"][::-1]


# --- the pushed-readings quota (sandbox choice) ----------------------------------------------


def noon(day: str, count: int) -> list[list[Any]]:
    """``count`` readings a minute apart from noon UTC (inside the library's local day), the
    n-th of value 1000 n (n kW once converted)."""
    return [[f"{day}T12:{n:02d}:00Z", 1000.0 * n] for n in range(count)]


@pytest.fixture
def quota_of_five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atrius_state, "PUSHED_READINGS_LIMIT", 5)


@pytest.mark.usefixtures("quota_of_five")
def test_a_push_past_the_tenants_reading_quota_is_refused_whole_with_400(api: Any) -> None:
    assert push(api, {LIB_DEMAND: noon("2024-01-15", 3)}).json()["accepted"] == 3
    response = push(
        api,
        {
            LIB_DEMAND: noon("2024-01-16", 2),
            LIB_TEMPERATURE: noon("2024-01-16", 1),
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "data": [
            "This push would add 3 readings to the 3 this sandbox tenant keeps; it keeps at most "
            "5 pushed readings (sandbox quota). Nothing of this push was stored."
        ]
    }
    assert live(api, LIB_TEMPERATURE, "2024-01-16")[0]["value"] is not None  # still generated
    assert [r["value"] for r in live(api, LIB_DEMAND, "2024-01-15")] == [0.0, 1.0, 2.0]
    assert live(api, LIB_DEMAND, "2024-01-16") == []


@pytest.mark.usefixtures("quota_of_five")
def test_a_push_up_to_the_quota_is_stored_and_replacing_values_does_not_count(api: Any) -> None:
    assert push(api, {LIB_DEMAND: noon("2024-01-15", 5)}).json()["accepted"] == 5
    again = push(api, {LIB_DEMAND: [["2024-01-15T12:01:00Z", 7000]] * 2})
    assert again.status_code == 200
    assert again.json()["accepted"] == 2
    assert [r["value"] for r in live(api, LIB_DEMAND, "2024-01-15")] == [
        0.0,
        7.0,
        2.0,
        3.0,
        4.0,
    ]
    assert push(api, {LIB_DEMAND: noon("2024-01-16", 1)}).status_code == 400
