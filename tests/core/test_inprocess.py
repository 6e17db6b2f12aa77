"""In-process mode: unchanged client code reaches the fakes at the vendors' real host names."""

import httpx
import pytest

from standin import Sandbox, create_sandbox, standin

OFFICE = "C2:4E:91:7A:3B:10"


def atmotube_params(sandbox: Sandbox) -> dict[str, str]:
    key: str = sandbox.credentials()["atmotube"]["api_key"]
    return {"api_key": key, "mac": OFFICE, "date": "2022-06-13", "limit": "2"}


def test_a_sync_client_reaches_the_fake_at_the_real_host() -> None:
    with standin() as sandbox, httpx.Client() as client:
        response = client.get(
            "https://api.atmotube.com/api/v1/data", params=atmotube_params(sandbox)
        )
    assert response.status_code == 200
    assert response.json()["data"]["total"] == 1440
    assert response.headers["content-type"] == "application/json"


@pytest.mark.anyio
async def test_an_async_client_reaches_the_fake_at_the_real_host() -> None:
    with standin() as sandbox:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                "https://api.atmotube.com/api/v1/data", params=atmotube_params(sandbox)
            )
    assert response.status_code == 200
    assert len(response.json()["data"]["items"]) == 2


def test_the_test_drives_the_same_sandbox_the_client_talks_to() -> None:
    with standin() as sandbox, httpx.Client() as client:
        sandbox.limits.configure({"atmotube": {"requests": {"limit": 1}}})
        url = "https://api.atmotube.com/api/v1/data"
        assert client.get(url, params=atmotube_params(sandbox)).status_code == 200
        assert client.get(url, params=atmotube_params(sandbox)).status_code == 429
        sandbox.clock.advance(60)
        assert client.get(url, params=atmotube_params(sandbox)).status_code == 200
        assert [e.status for e in sandbox.journal.entries("atmotube")] == [200, 429, 200]


def test_host_names_can_be_replaced() -> None:
    sandbox = create_sandbox()
    with standin(sandbox, hosts={"atmotube": ["air.internal"]}), httpx.Client() as client:
        response = client.get("http://air.internal/api/v1/data", params=atmotube_params(sandbox))
    assert response.status_code == 200


def test_the_pytest_fixture_routes_requests_to_a_fresh_sandbox(standin: Sandbox) -> None:
    response = httpx.get(
        "https://api.atmotube.com/api/v1/data", params={"api_key": "nope", "mac": OFFICE}
    )
    assert response.status_code == 401
    assert [e.status for e in standin.journal.entries()] == [401]
