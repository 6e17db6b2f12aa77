"""The BuildingMinds routes over HTTP: every error of the guide's tables, exact bodies."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import jwt
import pytest

from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin.buildingminds import state as buildingminds_state
from standin.buildingminds.state import BuildingMindsState
from standin.inprocess import AsgiBridge
from tests.buildingminds.conftest import BASE, record, token_for, token_form

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
UNAUTHORIZED = {"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."}
FORBIDDEN = {"statusCode": 403, "message": "The authenticated user has no access to this resource."}
REFUSED = {"error": "Request validation failed"}


def token_url(creds: dict[str, str], tenant: str | None = None) -> str:
    return f"/buildingminds/{tenant or creds['tenant']}/oauth2/v2.0/token"


def forbidden_client(creds: dict[str, str]) -> dict[str, str]:
    """The tenant's second client: a valid token, without the read-write role."""
    return {
        "client_id": creds["forbidden_client_id"],
        "client_secret": creds["forbidden_client_secret"],
        "scope": creds["forbidden_scope"],
        "tenant": creds["tenant"],
    }


def aad_error(response: httpx.Response, status: int, error: str, code: int, text: str) -> None:
    """Azure AD's error body, with the AADSTS code, the description and trace fields."""
    assert response.status_code == status
    body = response.json()
    assert set(body) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    }
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["timestamp"] == "2026-11-20 12:00:30Z"
    assert re.fullmatch(UUID, body["trace_id"])
    assert body["error_description"] == (
        f"AADSTS{code}: {text}\r\nTrace ID: {body['trace_id']}\r\n"
        f"Correlation ID: {body['correlation_id']}\r\nTimestamp: 2026-11-20 12:00:30Z"
    )
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"
    assert response.headers["cache-control"] == "no-store, no-cache"


# --- Step 1: the token ------------------------------------------------------------------------


def test_the_token_answer_is_azure_ads(client: httpx.Client, creds: dict[str, str]) -> None:
    response = client.post(token_url(creds), data=token_form(creds))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert (body["token_type"], body["expires_in"], body["ext_expires_in"]) == (
        "Bearer",
        3599,
        3599,
    )
    assert response.headers["cache-control"] == "no-store, no-cache"
    assert response.headers["pragma"] == "no-cache"


def test_the_token_is_a_v1_access_token_verifiable_with_the_v1_discovery_document(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    token = token_for(client, creds)
    discovery = client.get(
        f"/buildingminds/{creds['tenant']}/.well-known/openid-configuration"
    ).json()
    assert discovery["token_endpoint"] == (
        "http://standin.test/buildingminds/buildingminds.onmicrosoft.com/oauth2/v2.0/token"
    )
    jwks_path = discovery["jwks_uri"].removeprefix("http://standin.test")
    (key,) = client.get(jwks_path).json()["keys"]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key["kid"], "typ": "JWT"}
    public = jwt.PyJWK(key).key
    claims = jwt.decode(
        token,
        public,
        algorithms=["RS256"],
        audience="api://buildingminds-dti-sandbox",
        issuer=discovery["issuer"],
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert discovery["issuer"] == f"https://sts.windows.net/{creds['directory_id']}/"
    assert claims["idp"] == discovery["issuer"]
    assert claims["tid"] == creds["directory_id"]
    assert claims["appid"] == creds["client_id"]
    assert "azp" not in claims  # a v2.0 claim
    assert claims["roles"] == ["DigitalTwinIntegration.ReadWrite"]
    assert claims["ver"] == "1.0"
    assert claims["sub"] == claims["oid"]
    assert claims["exp"] - claims["iat"] == 3599
    assert claims["iat"] == 1795176030  # the frozen sandbox clock, 2026-11-20T12:00:30Z


def test_the_v2_discovery_document_names_the_v2_issuer_and_the_same_keys(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    tenant = creds["tenant"]
    v1 = client.get(f"/buildingminds/{tenant}/.well-known/openid-configuration").json()
    v2 = client.get(f"/buildingminds/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert v2["issuer"] == f"https://login.microsoftonline.com/{creds['directory_id']}/v2.0"
    assert v2["jwks_uri"] == f"http://standin.test/buildingminds/{tenant}/discovery/v2.0/keys"
    assert v1["jwks_uri"] == f"http://standin.test/buildingminds/{tenant}/discovery/keys"
    assert v1["token_endpoint"] == v2["token_endpoint"]  # the only token endpoint served
    keys = [client.get(d["jwks_uri"].removeprefix("http://standin.test")).json() for d in (v1, v2)]
    assert keys[0] == keys[1]


def test_the_token_endpoint_takes_the_directory_id_and_http_basic(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
    response = client.post(
        token_url(creds, creds["directory_id"]),
        data={"scope": creds["scope"] + "/.default", "grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "error", "code", "text"),
    [
        (
            {"client_secret": "wrong"},
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret value, not the client secret ID, for a secret added to app "
            "'54e282bf-1e0d-4bf9-915a-9ba45f0bcaac'.",
        ),
        (
            {"client_id": "54e282bf-1e0d-4bf9-915a-9ba45f0bcaaO"},
            400,
            "unauthorized_client",
            700016,
            "Application with identifier '54e282bf-1e0d-4bf9-915a-9ba45f0bcaaO' was not found in "
            "the directory 'buildingminds.onmicrosoft.com'. This can happen if the application "
            "has not been installed by the administrator of the tenant or consented to by any "
            "user in the tenant. You may have sent your authentication request to the wrong "
            "tenant.",
        ),
        (
            {"scope": "api://buildingminds-dti-sandbox"},
            400,
            "invalid_scope",
            1002012,
            "The provided value for scope api://buildingminds-dti-sandbox is not valid. Client "
            "credential flows must have a scope value with /.default suffixed to the resource "
            "identifier (application ID URI).",
        ),
        (
            {"scope": "api://buildingminds-dti-sandbx/.default"},
            400,
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid. The scope "
            "api://buildingminds-dti-sandbx/.default is not valid.",
        ),
        (
            {"scope": ""},
            400,
            "invalid_request",
            90014,
            "The required field 'scope' is missing from the credential. Ensure that you have all "
            "the necessary parameters for the login request.",
        ),
        (
            {"grant_type": "password"},
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type 'password'.",
        ),
        (
            {"grant_type": ""},
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
        (
            {"client_id": ""},
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        ),
        (
            {"client_secret": ""},
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        ),
    ],
)
def test_each_step_1_failure_of_the_guide_has_its_aadsts_error(
    client: httpx.Client,
    creds: dict[str, str],
    changes: dict[str, str],
    status: int,
    error: str,
    code: int,
    text: str,
) -> None:
    response = client.post(token_url(creds), data=token_form(creds, **changes))
    aad_error(response, status, error, code, text)


def test_an_unknown_tenant_is_aadsts90002(client: httpx.Client, creds: dict[str, str]) -> None:
    response = client.post(token_url(creds, "contoso.onmicrosoft.com"), data=token_form(creds))
    aad_error(
        response,
        400,
        "invalid_request",
        90002,
        "Tenant 'contoso.onmicrosoft.com' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud. Check with your subscription "
        "administrator, this may happen if there are no active subscriptions for the tenant.",
    )


def test_a_get_on_the_token_endpoint_is_aadsts900561(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    response = client.get(token_url(creds))
    aad_error(
        response,
        405,
        "invalid_request",
        900561,
        "The endpoint only accepts POST, OPTIONS requests. Received a GET request.",
    )
    assert response.headers["allow"] == "POST"


def test_a_json_body_carries_no_parameters(client: httpx.Client, creds: dict[str, str]) -> None:
    response = client.post(token_url(creds), json=token_form(creds))
    assert response.json()["error_codes"] == [900144]


def test_a_new_tenant_has_its_own_directory(client: httpx.Client, sandbox: Sandbox) -> None:
    theirs = sandbox.create_tenant().credentials["buildingminds"]
    assert theirs["tenant"] == theirs["directory_id"]
    assert client.post(token_url(theirs), data=token_form(theirs)).status_code == 200
    ours = sandbox.credentials()["buildingminds"]
    elsewhere = client.post(token_url(theirs), data=token_form(ours))
    assert elsewhere.json()["error_codes"] == [700016]


# --- Step 2 and authentication ---------------------------------------------------------------


def test_step_2_lists_the_onboarded_portfolios_batches(client: httpx.Client, auth: Any) -> None:
    response = client.get(f"{BASE}/batch", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert (body["message"], body["totalCount"]) == ("Success", 7)
    assert [b["entityType"] for b in body["data"]] == [
        "Meter",
        "RentalUnit",
        "Space",
        "Floor",
        "Building",
        "Site",
        "Address",
    ]
    assert body["data"][-1]["createdAt"] == "2026-11-02T08:00:00.000Z"
    assert body["data"][-1]["statusCounts"] == {"Completed": 2}
    assert body["data"][-2]["statusCounts"] == {"Published": 2}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer not-a-jwt",
        "Bearer eyJ.eyJ.sig",
        "Bearer é".encode(),
    ],
)
def test_a_missing_or_malformed_token_is_401(
    client: httpx.Client, authorization: str | bytes | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(f"{BASE}/batch", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api.onbuildingminds.com", error="invalid_token"'
    )


def test_a_token_expires_after_3599_seconds(
    client: httpx.Client, auth: dict[str, str], clock: Clock
) -> None:
    clock.advance(3598)
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 200
    clock.advance(1)
    response = client.get(f"{BASE}/batch", headers=auth)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_token_signed_by_someone_else_is_401(
    client: httpx.Client, creds: dict[str, str], clock: Clock
) -> None:
    other = create_sandbox(["buildingminds"], clock=clock)
    bridge = AsgiBridge(build_app(other))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://other") as them:
        foreign = token_for(them, creds)
    bridge.close()
    response = client.get(f"{BASE}/batch", headers={"Authorization": f"Bearer {foreign}"})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_token_for_another_environment_is_403(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    for token in (
        token_for(client, forbidden_client(creds)),
        token_for(client, creds, scope="api://buildingminds-dti-staging/.default"),
    ):
        headers = {"Authorization": f"Bearer {token}"}
        for response in (
            client.get(f"{BASE}/batch", headers=headers),
            client.post(f"{BASE}/site", json=[record("site", "S")], headers=headers),
        ):
            assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_the_101st_request_in_a_minute_is_429_until_the_window_moves(
    client: httpx.Client, auth: dict[str, str], clock: Clock
) -> None:
    for _ in range(100):
        assert client.get(f"{BASE}/batch", params={"limit": 1}, headers=auth).status_code == 200
        clock.advance(0.3)
    response = client.get(f"{BASE}/batch", headers=auth)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "31"
    assert response.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 31 seconds.",
    }
    clock.advance(30.1)
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 200


def test_the_rate_limit_is_per_credential(
    client: httpx.Client, auth: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.limits.configure({"buildingminds": {"requests": {"limit": 1}}})
    other = sandbox.create_tenant().credentials["buildingminds"]
    theirs = {"Authorization": f"Bearer {token_for(client, other)}"}
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 200
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 429
    assert client.get(f"{BASE}/batch", headers=theirs).status_code == 200


def test_over_the_limit_a_forbidden_client_is_429_before_403(
    client: httpx.Client, creds: dict[str, str], sandbox: Sandbox
) -> None:
    sandbox.limits.configure({"buildingminds": {"requests": {"limit": 1}}})
    headers = {"Authorization": f"Bearer {token_for(client, forbidden_client(creds))}"}
    first = client.get(f"{BASE}/batch", headers=headers)
    assert (first.status_code, first.json()) == (403, FORBIDDEN)
    second = client.get(f"{BASE}/batch", headers=headers)
    assert (second.status_code, second.headers["retry-after"]) == (429, "60")
    assert second.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 60 seconds.",
    }


def test_an_authenticated_request_is_journaled_with_its_tenant(
    client: httpx.Client, auth: dict[str, str], creds: dict[str, str], sandbox: Sandbox
) -> None:
    other = sandbox.create_tenant()
    theirs = {"Authorization": f"Bearer {token_for(client, other.credentials['buildingminds'])}"}
    refused = {"Authorization": f"Bearer {token_for(client, forbidden_client(creds))}"}
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 200
    submitted = client.post(f"{BASE}/site", json=[record("site", "S")], headers=theirs)
    assert submitted.status_code == 200
    assert client.get(f"{BASE}/batch", headers=refused).status_code == 403
    assert client.get(f"{BASE}/batch").status_code == 401
    assert client.post(token_url(creds), data=token_form(creds)).status_code == 200
    journal = client.get("/_sandbox/requests", params={"api": "buildingminds", "limit": 5})
    assert [
        (entry["method"], entry["path"], entry["status"], entry["tenant"])
        for entry in reversed(journal.json()["requests"])
    ] == [
        ("GET", "/api/digitaltwinintegration/batch", 200, "default"),
        ("POST", "/api/digitaltwinintegration/site", 200, other.id),
        ("GET", "/api/digitaltwinintegration/batch", 403, "default"),
        ("GET", "/api/digitaltwinintegration/batch", 401, None),
        # The tenant's whose client id it sent.
        ("POST", "/buildingminds.onmicrosoft.com/oauth2/v2.0/token", 200, "default"),
    ]


def test_a_503_comes_from_the_control_plane(client: httpx.Client, auth: dict[str, str]) -> None:
    client.post(
        "/_sandbox/faults",
        json={
            "api": "buildingminds",
            "path": "/api/digitaltwinintegration/batch",
            "status": 503,
            "count": 1,
        },
    )
    response = client.get(f"{BASE}/batch", headers=auth)
    assert (response.status_code, response.json()) == (503, {"message": "Injected fault"})
    assert client.get(f"{BASE}/batch", headers=auth).status_code == 200


# --- submitting --------------------------------------------------------------------------------


def test_valid_records_are_accepted_with_a_batch_id(api: Any) -> None:
    response = api.post("/building", json=[record("building", "B1", siteId="SITE-BER")])
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Records accepted and validated"
    assert re.fullmatch(UUID, body["batchId"])
    (message,) = api.inbound(body["batchId"])
    assert message == {
        "inboundId": message["inboundId"],
        "batchId": body["batchId"],
        "entityType": "Building",
        "entityId": "B1",
        "eventType": "BuildingAdded",
        "status": "New",
        "missingDependencies": [],
        "message": None,
        "payload": record("building", "B1", siteId="SITE-BER"),
        "createdAt": "2026-11-20T12:00:30.000Z",
        "updatedAt": "2026-11-20T12:00:30.000Z",
    }


def one_record_refused(batch_id: str, original: Any, reason: str) -> dict[str, Any]:
    """The 400 body of a submission one record of which was refused for ``reason``, the rest
    queued in ``batch_id``."""
    return {
        "message": "1 record(s) failed validation",
        "batchId": batch_id,
        "failedMessages": [{"originalMessage": original, "validationMessage": reason}],
    }


def test_some_invalid_records_are_400_and_the_rest_queued(api: Any) -> None:
    bad = {"floorId": "F2", "buildingId": "BLD-BER-A", "name": "Second floor"}
    response = api.post("/floor", json=[record("floor", "F1", buildingId="BLD-BER-A"), bad])
    assert response.status_code == 400
    body = response.json()
    assert body == one_record_refused(
        body["batchId"],
        bad,
        "'floorNumber' is mandatory; 'validFrom' is mandatory; 'validUntil' is mandatory",
    )
    assert [m["entityId"] for m in api.inbound(body["batchId"])] == ["F1"]


def test_no_valid_record_is_400_without_a_batch(api: Any) -> None:
    response = api.post("/meter", json=[{"meterId": "M"}])
    assert response.status_code == 400
    assert response.json()["batchId"] is None
    assert api.get("/batch").json()["totalCount"] == 7


@pytest.mark.parametrize(
    "content",
    [b"", b"{}", b"[]", b"not json", b'{"buildingId": "B"}', b"[NaN]", b"[" * 100000, b'"x"'],
)
def test_a_body_that_is_not_a_json_array_of_records_is_400(api: Any, content: bytes) -> None:
    response = api.post("/building", content=content, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, REFUSED)


def test_more_than_1000_records_is_400(api: Any) -> None:
    records = [record("address", f"A{i}") for i in range(1001)]
    assert api.post("/address", json=records).json() == REFUSED
    assert api.post("/address", json=records[:1000]).status_code == 200


def test_an_unknown_entity_is_404_and_a_wrong_method_405(
    client: httpx.Client, api: Any, auth: dict[str, str]
) -> None:
    response = api.post("/castle", json=[{}])
    assert (response.status_code, response.json()) == (
        404,
        {"statusCode": 404, "message": "Resource not found"},
    )
    response = client.get(f"{BASE}/building", headers=auth)
    assert (response.status_code, response.json()) == (
        405,
        {"statusCode": 405, "message": "Method not allowed"},
    )
    assert response.headers["allow"] == "POST"
    assert client.post(f"{BASE}/batch", headers=auth).status_code == 405


# --- reading batches ---------------------------------------------------------------------------


def test_batch_filters_and_paging(api: Any) -> None:
    new = api.post("/floor", json=[record("floor", "F1", buildingId="BLD-BER-A")]).json()["batchId"]
    assert api.get("/batch", params={"createdAt": "2026-11-20"}).json()["totalCount"] == 1
    assert api.get("/batch", params={"createdTo": "2026-11-19"}).json()["totalCount"] == 7
    window = {"createdFrom": "2026-11-02", "createdTo": "2026-11-02"}
    assert api.get("/batch", params=window).json()["totalCount"] == 7
    page = api.get("/batch", params={"skip": 1, "limit": 2}).json()
    assert page["totalCount"] == 8
    assert [b["entityType"] for b in page["data"]] == ["Meter", "RentalUnit"]
    (only,) = api.get("/batch", params={"batchId": new}).json()["data"]
    assert (only["batchId"], only["status"], only["totalRecords"]) == (new, "New", 1)
    unknown = api.get("/batch", params={"batchId": "00000000-0000-4000-8000-000000000000"})
    assert unknown.json() == {"message": "Success", "totalCount": 0, "data": []}


@pytest.mark.parametrize(
    "params",
    [
        {"batchId": "not-a-uuid"},
        {"createdAt": "2026-13-01"},
        {"createdFrom": "20261101"},
        {"createdTo": "yesterday"},
        {"skip": "-1"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
    ],
)
def test_a_bad_batch_query_is_request_validation_failed(api: Any, params: dict[str, str]) -> None:
    response = api.get("/batch", params=params)
    assert (response.status_code, response.json()) == (400, REFUSED)


def test_inbound_filters_by_status_and_missing_dependencies(api: Any, clock: Clock) -> None:
    floors = [record("floor", "F1", buildingId="BLD-BER-A"), record("floor", "F2", buildingId="B9")]
    batch = api.post("/floor", json=floors).json()["batchId"]
    clock.advance(5)
    held = api.inbound(batch, missingDependencies="true")
    assert [(m["entityId"], m["missingDependencies"]) for m in held] == [
        ("F2", [{"entityType": "Building", "entityId": "B9"}])
    ]
    assert [m["entityId"] for m in api.inbound(batch, missingDependencies="false")] == ["F1"]
    assert [m["entityId"] for m in api.inbound(batch, status="InProgress")] == ["F1"]
    page = api.get(f"/batch/{batch}/inbound", params={"skip": 1, "limit": 1}).json()
    assert (page["totalCount"], [m["entityId"] for m in page["data"]]) == (2, ["F2"])


@pytest.mark.parametrize(
    "params", [{"status": "new"}, {"status": "Done"}, {"missingDependencies": "yes"}, {"skip": "x"}]
)
def test_a_bad_inbound_query_is_request_validation_failed(api: Any, params: dict[str, str]) -> None:
    batch = api.get("/batch").json()["data"][0]["batchId"]
    response = api.get(f"/batch/{batch}/inbound", params=params)
    assert (response.status_code, response.json()) == (400, REFUSED)


def test_another_tenants_batch_is_404(client: httpx.Client, api: Any, sandbox: Sandbox) -> None:
    other = sandbox.create_tenant().credentials["buildingminds"]
    theirs = {"Authorization": f"Bearer {token_for(client, other)}"}
    batch = api.post("/address", json=[record("address", "A1")]).json()["batchId"]
    response = client.get(f"{BASE}/batch/{batch}/inbound", headers=theirs)
    assert (response.status_code, response.json()) == (404, {"error": "Batch not found"})
    assert api.get("/batch/not-a-uuid/inbound").json() == {"error": "Batch not found"}
    assert client.get(f"{BASE}/batch", headers=theirs).json()["totalCount"] == 7


# --- the control plane ------------------------------------------------------------------------


def test_processing_times_are_read_and_changed_through_the_control_plane(
    client: httpx.Client, api: Any, clock: Clock
) -> None:
    url = "/_sandbox/buildingminds/processing"
    assert client.get(url).json() == {
        "pickup_seconds": 5.0,
        "processing_seconds": 20.0,
        "geocoding_seconds": 10.0,
    }
    changed = client.patch(url, json={"pickup_seconds": 1, "processing_seconds": 2})
    assert changed.json()["processing_seconds"] == 2.0
    refused = client.patch(url, json={"pickup_seconds": "soon"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "pickup_seconds must be a number of seconds, 0 or more"},
    )
    batch = api.post("/site", json=[record("site", "S1", addressIds=["ADDR-BER-001"])]).json()
    clock.advance(3)
    assert [m["status"] for m in api.inbound(batch["batchId"])] == ["Published"]


def test_a_trigger_completes_a_batch(client: httpx.Client, api: Any) -> None:
    batch = api.post("/address", json=[record("address", "A1")]).json()["batchId"]
    response = client.post(f"/_sandbox/buildingminds/batches/{batch}/complete")
    assert response.status_code == 200
    assert response.json()["tenant"] == "default"
    assert response.json()["statusCounts"] == {"Completed": 1}
    assert [m["status"] for m in api.inbound(batch)] == ["Completed"]
    missing = client.post("/_sandbox/buildingminds/batches/nope/complete")
    assert (missing.status_code, missing.json()) == (404, {"error": "unknown batch 'nope'"})


def test_a_trigger_fails_a_record_as_processing_can(client: httpx.Client, api: Any) -> None:
    batch = api.post("/address", json=[record("address", "A1")]).json()["batchId"]
    (message,) = api.inbound(batch)
    url = f"/_sandbox/buildingminds/messages/{message['inboundId']}/fail"
    failed = client.post(url, json={"status": "TransformationFailed", "message": "Bad mapping"})
    assert failed.status_code == 200
    (message,) = api.inbound(batch)
    assert (message["status"], message["message"]) == ("TransformationFailed", "Bad mapping")
    again = client.post(url, json={})
    assert (again.status_code, again.json()) == (
        409,
        {"error": f"message {message['inboundId']} is already TransformationFailed"},
    )
    wrong = client.post(url, json={"status": "Completed"})
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"error": "status must be one of: Failed, TransformationFailed"},
    )
    unknown = client.post("/_sandbox/buildingminds/messages/nope/fail", json={})
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "unknown inbound message 'nope'"},
    )


def test_alone_it_answers_at_the_vendor_paths(sandbox: Sandbox, creds: dict[str, str]) -> None:
    """`standin serve --api buildingminds`: the token and the API at the root."""
    bridge = AsgiBridge(build_app(sandbox, "buildingminds"))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://h") as alone:
        url = f"/{creds['tenant']}/oauth2/v2.0/token"
        token = alone.post(url, data=token_form(creds)).json()["access_token"]
        batches = alone.get(
            "/api/digitaltwinintegration/batch", headers={"Authorization": f"Bearer {token}"}
        )
        assert (batches.status_code, batches.json()["totalCount"]) == (200, 7)
        assert alone.get("/nope").json() == {"statusCode": 404, "message": "Resource not found"}
    bridge.close()


def test_discovery_of_an_unknown_tenant_is_aadsts90002(client: httpx.Client) -> None:
    for path in ("v2.0/.well-known/openid-configuration", "discovery/v2.0/keys"):
        response = client.get(f"/buildingminds/contoso.onmicrosoft.com/{path}")
        aad_error(
            response,
            400,
            "invalid_request",
            90002,
            "Tenant 'contoso.onmicrosoft.com' not found. Check to make sure you have the correct "
            "tenant ID and are signing into the correct cloud.",
        )


def test_a_body_over_10_mib_is_413(api: Any) -> None:
    response = api.post("/site", content=b" " * (10 * 1024 * 1024 + 1))
    assert (response.status_code, response.json()) == (
        413,
        {"statusCode": 413, "message": "Request body exceeds 10485760 bytes"},
    )


# --- the entity quota (sandbox choice) ------------------------------------------------------


def test_a_record_that_would_add_an_entity_past_the_quota_is_refused_and_the_rest_queued(
    api: Any, state: BuildingMindsState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buildingminds_state, "MAX_ENTITIES", len(state.entities) + 1)
    first, second = (record("building", f"B{n}", siteId="SITE-BER") for n in (1, 2))
    update = record("building", "BLD-BER-A", siteId="SITE-BER", name="Renamed")
    response = api.post("/building", json=[first, second, update])
    assert response.status_code == 400
    body = response.json()
    assert body == one_record_refused(
        body["batchId"],
        second,
        f"Sandbox quota: this tenant already holds {len(state.entities) + 1:,} entities "
        "(onboarded or queued to be added); delete some, or use another tenant",
    )
    assert [m["entityId"] for m in api.inbound(body["batchId"])] == ["B1", "BLD-BER-A"]
