from typing import Any

import httpx
import pytest

from standin import Sandbox

OFFICE = "C2:4E:91:7A:3B:10"
"""Indoor, no GPS, first key."""
BIKE = "D7:1F:0C:55:A2:8E"
"""Outdoor with GPS coordinates, first key."""
DOCK = "E9:63:2D:B4:7C:05"
"""Outdoor, second key, history from 2023-06-01."""


@pytest.fixture
def api_key(sandbox: Sandbox) -> str:
    key: str = sandbox.credentials()["atmotube"]["api_key"]
    return key


@pytest.fixture
def data(client: httpx.Client, api_key: str) -> Any:
    """GET /atmotube/api/v1/data with the default key and the given parameters."""

    def get(**params: Any) -> httpx.Response:
        return client.get("/atmotube/api/v1/data", params={"api_key": api_key, **params})

    return get
