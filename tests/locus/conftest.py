from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin import Sandbox
from tests.conftest import bearer, json_of_ok

PARTNER = 123
OTHER_PARTNER = 5050
MISSION = 123
"""San Francisco, weather station, startup mid-month (2019-04-15)."""
HUDSON = 789
"""Hoboken, two inverters at the site, no startup date, no TMY3 station."""
CAMELBACK = 3393714
"""Phoenix (no DST), a meter over one inverter."""
KAKAAKO = 3393717
"""Honolulu, no components."""
ADELAIDE = 3393718
"""Australia/Adelaide: a half-hour offset."""
PV_METER = 54369
INVERTER_E1 = 456
INVERTER_W1 = 90
WEATHER_STATION = 54372
ADELAIDE_INVERTER = 61020
NET_METER = 54373
THEIR_SITE = 5000001
THEIR_COMPONENT = 5000011


@pytest.fixture
def creds(sandbox: Sandbox) -> dict[str, Any]:
    return dict(sandbox.credentials()["locus"])


def password_token(client: httpx.Client, creds: dict[str, Any]) -> dict[str, Any]:
    form = {
        "grant_type": "password",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "username": creds["username"],
        "password": creds["password"],
    }
    return json_of_ok(client.post("/locus/oauth/token", data=form))


@pytest.fixture
def auth(client: httpx.Client, creds: dict[str, Any]) -> dict[str, str]:
    return bearer(password_token(client, creds)["access_token"])


@pytest.fixture
def api(client: httpx.Client, auth: dict[str, str]) -> Any:
    """GET /locus/v3 paths with the default tenant's bearer token."""

    class Api:
        def get(self, path: str, **params: Any) -> httpx.Response:
            return client.get(f"/locus/v3{path}", headers=auth, params=params)

    return Api()
