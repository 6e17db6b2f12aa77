from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.metasys.api import MetasysApi
from standin.metasys.state import MetasysState
from tests.conftest import ApiCalls, bearer, json_of_ok

BASE = "/metasys/api/v4"
ZONE_SETPOINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
"""An AV: relinquishDefault 72.0, min 60, max 85, trended."""
ZONE_TEMPERATURE = "ADS1:NAE-1/FC-1.VAV-101.ZN-T"
"""An AI following its series, trended."""
FAN = "ADS1:NAE-1/FC-1.AHU-1.SF-CMD"
"""A BO, relinquishDefault active, trended."""
MODE = "ADS1:NAE-1/FC-1.AHU-1.OCC-MODE"
"""An MV, relinquishDefault state1."""
PROGRAMMING = "ADS1:ADS1/Programming"
"""A folder on the site director where objects can be created."""


def state_of(sandbox: Sandbox) -> MetasysState:
    state: MetasysState = sandbox.vendor(MetasysApi).state(sandbox.tenants.default())
    return state


def object_id(sandbox: Sandbox, reference: str) -> str:
    found = state_of(sandbox).tree.find(reference)
    assert found is not None, reference
    return found.id


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(f"{BASE}/login", json={"username": username, "password": password})


def api_user_token(client: httpx.Client, sandbox: Sandbox) -> str:
    """A token of the default API user."""
    creds = sandbox.credentials()["metasys"]
    response = login(client, str(creds["username"]), str(creds["password"]))
    value: str = json_of_ok(response)["accessToken"]
    return value


@pytest.fixture
def token(client: httpx.Client, sandbox: Sandbox) -> str:
    return api_user_token(client, sandbox)


@pytest.fixture
def api(client: httpx.Client, sandbox: Sandbox) -> ApiCalls:
    """Call /metasys/api/v4 paths as the default API user, logging in again when the sandbox
    clock has moved past the token's expiry (tests move time by hours)."""
    session: dict[str, Any] = {"token": "", "expires": 0.0}

    def auth() -> dict[str, str]:
        if sandbox.clock.time() >= session["expires"]:
            session["token"] = api_user_token(client, sandbox)
            session["expires"] = sandbox.clock.time() + 1800
        return bearer(session["token"])

    return ApiCalls(client, BASE, auth)
