from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.metasys.api import MetasysApi
from standin.metasys.state import MetasysState

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


@pytest.fixture
def token(client: httpx.Client, sandbox: Sandbox) -> str:
    creds = sandbox.credentials()["metasys"]
    response = login(client, str(creds["username"]), str(creds["password"]))
    assert response.status_code == 200, response.text
    value: str = response.json()["accessToken"]
    return value


@pytest.fixture
def api(client: httpx.Client, sandbox: Sandbox) -> Any:
    """Call /metasys/api/v4 paths as the default API user, logging in again when the sandbox
    clock has moved past the token's expiry (tests move time by hours)."""
    creds = sandbox.credentials()["metasys"]
    session: dict[str, Any] = {"token": "", "expires": 0.0}

    def auth() -> dict[str, str]:
        if sandbox.clock.time() >= session["expires"]:
            response = login(client, str(creds["username"]), str(creds["password"]))
            assert response.status_code == 200, response.text
            session["token"] = response.json()["accessToken"]
            session["expires"] = sandbox.clock.time() + 1800
        return {"Authorization": f"Bearer {session['token']}"}

    class Api:
        def get(self, path: str, **kw: Any) -> httpx.Response:
            return client.get(BASE + path, headers={**auth(), **kw.pop("headers", {})}, **kw)

        def post(self, path: str, **kw: Any) -> httpx.Response:
            return client.post(BASE + path, headers={**auth(), **kw.pop("headers", {})}, **kw)

        def put(self, path: str, **kw: Any) -> httpx.Response:
            return client.put(BASE + path, headers={**auth(), **kw.pop("headers", {})}, **kw)

        def patch(self, path: str, **kw: Any) -> httpx.Response:
            return client.patch(BASE + path, headers={**auth(), **kw.pop("headers", {})}, **kw)

        def delete(self, path: str, **kw: Any) -> httpx.Response:
            return client.delete(BASE + path, headers={**auth(), **kw.pop("headers", {})}, **kw)

    return Api()
