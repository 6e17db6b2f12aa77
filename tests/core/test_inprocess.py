"""In-process mode: unchanged client code reaches the fakes at the vendors' real host names."""

import httpx
import pytest

from standin import Sandbox, UnroutedHost, build_app, create_sandbox, standin
from standin._core.liveserver import live_server

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


def refusal(method: str, url: str, host: str) -> str:
    return (
        f"standin refused {method} {url}: no fake answers host '{host}', and in-process mode "
        f"sends nothing to the network. Route it to a fake with "
        f"standin(hosts={{'<api>': ['{host}']}}), or let it through with "
        f"standin(pass_through=['{host}']) (or pass_through=True for every host)"
    )


def test_a_request_for_a_host_no_fake_answers_is_refused_with_how_to_route_or_allow_it() -> None:
    with standin(), httpx.Client() as client, pytest.raises(UnroutedHost) as refused:
        client.get("https://api.example.org/v1/things?page=2")
    assert str(refused.value) == refusal(
        "GET", "https://api.example.org/v1/things?page=2", "api.example.org"
    )
    assert refused.value.host == "api.example.org"


@pytest.mark.anyio
async def test_an_async_request_for_an_unrouted_host_is_refused_too() -> None:
    with standin():
        async with httpx.AsyncClient() as client:
            with pytest.raises(UnroutedHost) as refused:
                await client.post("http://10.1.2.3:8080/login", json={})
    assert str(refused.value) == refusal("POST", "http://10.1.2.3:8080/login", "10.1.2.3")


def test_a_replaced_host_name_is_no_longer_routed() -> None:
    sandbox = create_sandbox()
    routed = standin(sandbox, hosts={"atmotube": ["air.internal"]})
    with routed, httpx.Client() as client, pytest.raises(UnroutedHost) as refused:
        client.get("https://api.atmotube.com/api/v1/data", params=atmotube_params(sandbox))
    assert refused.value.host == "api.atmotube.com"


def test_a_host_named_in_pass_through_reaches_the_network() -> None:
    with live_server(build_app(create_sandbox())) as origin, httpx.Client() as client:
        with standin(), pytest.raises(UnroutedHost):
            client.get(f"{origin}/_sandbox/health")
        with standin(pass_through=["127.0.0.1"]) as sandbox:
            live = client.get(f"{origin}/_sandbox/health")
            routed = client.get(
                "https://api.atmotube.com/api/v1/data", params=atmotube_params(sandbox)
            )
            with pytest.raises(UnroutedHost):
                client.get("https://api.example.org/")
    assert live.status_code == 200
    assert routed.status_code == 200
    # Only the vendor's request reached the in-process sandbox; the health check went over TCP.
    assert [(e.api, e.path) for e in sandbox.journal.entries()] == [("atmotube", "/api/v1/data")]


def test_pass_through_true_lets_every_unrouted_host_through() -> None:
    with live_server(build_app(create_sandbox())) as origin, standin(pass_through=True):
        assert httpx.get(f"{origin}/_sandbox/health").status_code == 200


def test_pass_through_takes_a_list_of_hosts_not_one_string() -> None:
    wrong = standin(pass_through="127.0.0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass_through takes a list of host names, or True"):
        wrong.__enter__()


def test_the_pytest_fixture_refuses_unrouted_hosts(standin: Sandbox) -> None:
    with pytest.raises(UnroutedHost) as refused:
        httpx.get("https://vendor-we-forgot.example/api")
    assert refused.value.host == "vendor-we-forgot.example"
