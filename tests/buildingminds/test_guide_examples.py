"""Every example request of the BuildingMinds guide, sent as written with the hosts swapped.

Step 1 (the token) and Step 2 (``GET /batch``) are each shown three ways, curl, PowerShell and
Python requests, which send the same request: the method, URL, form fields and headers are
transcribed below. Only the hosts (``https://login.microsoftonline.com`` and
``https://api.onbuildingminds.com``, both ``/buildingminds`` in the sandbox) and the
placeholders (``<YOUR_CLIENT_ID>``, ``<YOUR_CLIENT_SECRET>``, ``<YOUR_SCOPE>``: the sandbox's
credentials) change. ``test_guide.py`` runs the curl commands themselves over a socket; here
each request is checked against the answer the guide documents for it. Nothing is read from
the guide at test time.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from standin._core.clock import Clock
from tests.buildingminds.conftest import record

LOGIN_HOST = "https://login.microsoftonline.com"
API_HOST = "https://api.onbuildingminds.com"
SANDBOX_HOST = "/buildingminds"

TOKEN_URL = "https://login.microsoftonline.com/buildingminds.onmicrosoft.com/oauth2/v2.0/token"
TOKEN_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN_FORM = {
    "client_id": "<YOUR_CLIENT_ID>",
    "client_secret": "<YOUR_CLIENT_SECRET>",
    "scope": "<YOUR_SCOPE>/.default",
    "grant_type": "client_credentials",
}
BATCH_URL = "https://api.onbuildingminds.com/api/digitaltwinintegration/batch"

TOKEN_ANSWER = {
    "token_type": "Bearer",
    "expires_in": 3599,
    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIs...",
}
"""What the guide says comes back from Step 1 (the token shortened, as the guide shows it)."""


def sandboxed(url: str) -> str:
    for host in (LOGIN_HOST, API_HOST):
        if url.startswith(host):
            return SANDBOX_HOST + url.removeprefix(host)
    raise AssertionError(url)


def filled(form: dict[str, str], creds: dict[str, str]) -> dict[str, str]:
    placeholders = {
        "<YOUR_CLIENT_ID>": creds["client_id"],
        "<YOUR_CLIENT_SECRET>": creds["client_secret"],
        "<YOUR_SCOPE>": creds["scope"],
    }
    out = {}
    for name, value in form.items():
        for placeholder, actual in placeholders.items():
            value = value.replace(placeholder, actual)
        out[name] = value
    return out


def step_1(client: httpx.Client, creds: dict[str, str]) -> httpx.Response:
    return client.post(sandboxed(TOKEN_URL), headers=TOKEN_HEADERS, data=filled(TOKEN_FORM, creds))


def jwt_header(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    header: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
    return header


def test_step_1_answers_a_bearer_token_for_3599_seconds(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    response = step_1(client, creds)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(TOKEN_ANSWER) <= set(body)
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3599)
    token = body["access_token"]
    assert isinstance(token, str)
    # The guide's token begins as every Azure AD access token does: a JWT signed with RS256.
    shown = TOKEN_ANSWER["access_token"].removesuffix("...")
    assert token.startswith(shown)
    assert list(jwt_header(token).items())[:2] == [("typ", "JWT"), ("alg", "RS256")]


def test_step_2_with_the_step_1_token_is_200_with_a_json_list(
    client: httpx.Client, creds: dict[str, str]
) -> None:
    token = step_1(client, creds).json()["access_token"]
    response = client.get(sandboxed(BATCH_URL), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["data"], list)


def test_the_ingestion_walkthrough_submit_in_any_order_then_poll_the_batch(
    client: httpx.Client, creds: dict[str, str], clock: Clock
) -> None:
    """ "How ingestion works": a POST of a JSON array of records to an entity endpoint (the
    guide's example, ``/building``) answers 200 with a ``batchId``; ``GET
    /batch/{batchId}/inbound`` shows each record's status until it is ``Completed`` (or
    ``Published``). Order does not matter: the building is sent before its site, waits for it,
    and is onboarded once the site is."""
    token = step_1(client, creds).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    base = sandboxed(BATCH_URL).removesuffix("/batch")

    def inbound(batch_id: str) -> dict[str, Any]:
        response = client.get(f"{base}/batch/{batch_id}/inbound", headers=auth)
        assert response.status_code == 200, response.text
        [entry] = response.json()["data"]
        return dict(entry)

    building = record("building", "BLD-GUIDE", siteId="SITE-GUIDE")
    submitted = client.post(f"{base}/building", headers=auth, json=[building])
    assert submitted.status_code == 200, submitted.text
    building_batch = submitted.json()["batchId"]
    clock.advance(60)
    held = inbound(building_batch)
    assert held["status"] not in {"Completed", "Published"}
    assert held["missingDependencies"] == [{"entityType": "Site", "entityId": "SITE-GUIDE"}]

    site = record("site", "SITE-GUIDE", addressIds=["ADDR-BER-001"])
    submitted = client.post(f"{base}/site", headers=auth, json=[site])
    assert submitted.status_code == 200, submitted.text
    site_batch = submitted.json()["batchId"]
    clock.advance(600)
    assert inbound(site_batch)["status"] in {"Completed", "Published"}
    assert inbound(building_batch)["status"] in {"Completed", "Published"}
