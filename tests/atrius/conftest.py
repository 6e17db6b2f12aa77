from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.conftest import ApiCalls, bearer, json_of_ok

LIBRARY = "176498"
SCIENCE = "176499"
LIB_ELECTRICITY = "3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"
"""Cumulative kWh, Main Library (America/New_York)."""
LIB_DEMAND = "6d4c8b2a0e9f4c1d7a3b5e8f2c6d9a0b"
"""Instantaneous kW, source unit W."""
LIB_TEMPERATURE = "9a7b5c3d1e2f4a6b8c0d2e4f6a8b0c1d"
"""Instantaneous degF, source unit degC."""
SCI_WATER = "7c9e1a3b5d7f4a2c6e8b0d1f3a5c7e9b"
"""Cumulative, stored in gal, displayed in kgal."""


@pytest.fixture
def creds(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.credentials()["atrius"]


def token_for(client: httpx.Client, creds: dict[str, str]) -> str:
    form = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "grant_type": "client_credentials",
    }
    token: str = json_of_ok(client.post("/atrius/o/token/", data=form))["access_token"]
    return token


@pytest.fixture
def auth(client: httpx.Client, creds: dict[str, str]) -> dict[str, str]:
    return bearer(token_for(client, creds))


@pytest.fixture
def api(client: httpx.Client, auth: dict[str, str]) -> ApiCalls:
    """Call /atrius paths with the default tenant's bearer token."""
    return ApiCalls(client, "/atrius", lambda: auth)


def meter_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "building": LIBRARY,
        "status": "online",
        "gateway": 48213,
        "storageUnit": "kwh",
        "displayUnit": "kwh",
        "displayName": "Chiller 2 Energy",
        "sourceUnit": "wh",
        "resourceType": "electricity",
        "vendorMeterId": "CH2-KWH",
        "defaultTimescale": "month",
        "scope": "submeter",
        "readingType": "cumulative",
    }
    body.update(changes)
    return body
