"""`standin serve`, `standin credentials`, the console page and single-API mode."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from standin import Sandbox, build_app, create_sandbox
from standin._core.cluster.gateway import KEEP_ALIVE_EXPIRY_S
from standin._core.liveserver import live_server
from standin.cli import KEEP_ALIVE_SECONDS, main, settle_collector
from standin.inprocess import AsgiBridge
from standin.registry import API_FACTORIES
from tests.support import serving


def test_credentials_json_prints_every_apis_default_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["credentials", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["atmotube"]["api_key"] == "3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21"
    assert printed["atmotube"]["macs"] == ["C2:4E:91:7A:3B:10", "D7:1F:0C:55:A2:8E"]


def test_credentials_of_a_shared_server_are_asked_with_the_admin_or_a_tenants_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n", shared=True)
    tenant, token = sandbox.create_tenant_with_token()
    monkeypatch.delenv("STANDIN_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("STANDIN_TENANT_TOKEN", raising=False)
    printed: list[object] = []
    with live_server(build_app(sandbox)) as url:
        ask = ["credentials", "--json", "--base-url", url]
        assert main(ask) == 1
        refused = capsys.readouterr().err
        for extra in (
            ["--admin-token", "adm1n"],
            ["--tenant-token", token],
            ["--admin-token", "adm1n", "--tenant", tenant.id],
        ):
            assert main([*ask, *extra]) == 0
            printed.append(json.loads(capsys.readouterr().out))
        monkeypatch.setenv("STANDIN_ADMIN_TOKEN", "adm1n")
        assert main(ask) == 0
        printed.append(json.loads(capsys.readouterr().out))
    assert refused == (
        f"standin credentials: {url}/_sandbox/credentials answered 401: control plane requires "
        "the X-Standin-Admin-Token or X-Standin-Tenant-Token header\n"
    )
    default, own = sandbox.credentials(), tenant.credentials
    assert printed == [default, own, own, default]


def test_credentials_text_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["credentials", "--api", "atmotube"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "[atmotube]",
        "  api_key: 3f6c1b9e-2a7d-4c58-9e1f-5b8d0a4c7e21",
        "  macs: C2:4E:91:7A:3B:10, D7:1F:0C:55:A2:8E",
    ]


def test_the_root_serves_the_sandbox_console(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/console/console.js" defer></script>' in page.text
    assert '<link rel="stylesheet" href="/console/console.css">' in page.text


def test_odd_paths_under_a_prefix_still_get_the_vendors_errors(client: httpx.Client) -> None:
    response = client.get("/atmotube/api/v1/da%0Ata")
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Not found"}
    assert client.get("/atmotube").json() == {"status": 404, "message": "Not found"}
    assert client.get("/atmotubes/x").json() == {"error": "not found"}


def test_single_api_mode_serves_vendor_paths_at_the_root(sandbox: Sandbox) -> None:
    bridge = AsgiBridge(build_app(sandbox, "atmotube"))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://h") as client:
        response = client.get("/api/v1/data", params={"api_key": "nope", "mac": "x"})
        assert response.json() == {"status": 401, "message": "Invalid API key"}
        assert client.get("/_sandbox/clock").status_code == 200
        assert client.get("/nope").json() == {"status": 404, "message": "Not found"}
        assert client.get("/openapi.json").json()["servers"][0]["url"] == "http://h"
    bridge.close()


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with serving("--log-level", "warning") as running:
        yield running


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_over_a_socket_and_stops_cleanly(
    served: tuple[subprocess.Popen[bytes], str], stop: signal.Signals
) -> None:
    process, base = served
    credentials = httpx.get(f"{base}/_sandbox/credentials").json()
    response = httpx.get(
        f"{base}/atmotube/api/v1/data",
        params={
            "api_key": credentials["atmotube"]["api_key"],
            "mac": "C2:4E:91:7A:3B:10",
            "date": "2022-06-13",
            "limit": 1,
        },
    )
    assert response.status_code == 200
    assert httpx.get(f"{base}/").status_code == 200
    process.send_signal(stop)
    assert process.wait(timeout=15) == 0
    assert process.stderr is not None
    printed = process.stderr.read().decode()
    assert f"standin: serving {', '.join(API_FACTORIES)} on {base}" in printed
    assert printed.endswith("standin: stopped\n")


def test_serve_off_loopback_requires_an_admin_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, object] = {}

    def fake_run(app: object, host: str, port: int, **options: object) -> None:
        seen["host"] = host
        seen["shutdown_wait"] = options["timeout_graceful_shutdown"]

    def recording_build_app(sandbox: Sandbox, api: str | None = None) -> object:
        seen["sandbox"] = sandbox
        return build_app(sandbox, api)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setattr("standin.server.build_app", recording_build_app)
    monkeypatch.delenv("STANDIN_ADMIN_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 0
    sandbox = seen["sandbox"]
    assert isinstance(sandbox, Sandbox)
    assert sandbox.admin_token
    assert f"admin token: {sandbox.admin_token}" in capsys.readouterr().err
    # Event streams never end by themselves: a stop must not wait for their clients forever.
    assert seen["shutdown_wait"] == 2

    assert sandbox.is_shared
    assert main(["serve", "--host", "127.0.0.1", "--port", "1"]) == 0
    loopback = seen["sandbox"]
    assert isinstance(loopback, Sandbox)
    assert loopback.admin_token is None
    assert not loopback.is_shared

    monkeypatch.setenv("STANDIN_ADMIN_TOKEN", "from-env")
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 0
    from_env = seen["sandbox"]
    assert isinstance(from_env, Sandbox)
    assert from_env.admin_token == "from-env"


def test_serve_keeps_an_idle_connection_longer_than_another_replicas_gateway_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The gateway closes its idle connections to a replica first (it never sends a request on
    one the replica is closing): `standin serve` pins uvicorn's idle timeout above the
    gateway's, rather than relying on uvicorn's default."""
    seen: dict[str, object] = {}

    def fake_run(app: object, host: str, port: int, **options: object) -> None:
        seen.update(options)

    monkeypatch.setattr("uvicorn.run", fake_run)
    assert main(["serve", "--port", "1"]) == 0
    assert seen["timeout_keep_alive"] == KEEP_ALIVE_SECONDS == 5
    assert KEEP_ALIVE_SECONDS > KEEP_ALIVE_EXPIRY_S == 2.0


def test_serve_shared_on_loopback_makes_local_clients_show_a_generated_admin_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Sandbox] = []

    def recording_build_app(sandbox: Sandbox, api: str | None = None) -> object:
        seen.append(sandbox)
        return build_app(sandbox, api)

    monkeypatch.setattr("uvicorn.run", lambda app, host, port, **options: None)
    monkeypatch.setattr("standin.server.build_app", recording_build_app)
    monkeypatch.delenv("STANDIN_ADMIN_TOKEN", raising=False)
    assert main(["serve", "--port", "1", "--shared"]) == 0
    (sandbox,) = seen
    assert sandbox.shared
    assert sandbox.admin_token
    assert f"admin token: {sandbox.admin_token}" in capsys.readouterr().err
    bridge = AsgiBridge(build_app(sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://s.test") as client:
        refused = client.get("/_sandbox/credentials")
        opened = client.get(
            "/_sandbox/credentials", headers={"X-Standin-Admin-Token": sandbox.admin_token}
        )
    bridge.close()
    assert refused.status_code == 401
    assert opened.json() == sandbox.credentials()


def test_serve_tenant_ttl_reaches_the_sandbox_and_is_off_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Sandbox] = []

    def recording_build_app(sandbox: Sandbox, api: str | None = None) -> object:
        seen.append(sandbox)
        return build_app(sandbox, api)

    monkeypatch.setattr("uvicorn.run", lambda app, host, port, **options: None)
    monkeypatch.setattr("standin.server.build_app", recording_build_app)
    assert main(["serve", "--port", "1", "--tenant-ttl", "0.5"]) == 0
    assert main(["serve", "--port", "1"]) == 0
    assert [sandbox.tenant_ttl for sandbox in seen] == [0.5, None]


def test_serve_logs_one_line_per_request_with_tenant_and_never_a_credential() -> None:
    with serving() as (process, base):
        key = httpx.get(f"{base}/_sandbox/credentials").json()["atmotube"]["api_key"]
        params = {"api_key": key, "mac": "C2:4E:91:7A:3B:10", "limit": 1}
        assert httpx.get(f"{base}/atmotube/api/v1/data", params=params).status_code == 200
        assert httpx.get(f"{base}/atmotube/api/v1/data", params={"api_key": "x"}).status_code == 401
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert process.stderr is not None
        lines = process.stderr.read().decode().splitlines()
    data = [line for line in lines if "/atmotube/api/v1/data" in line]
    assert len(data) == 2, lines
    assert data[0].endswith("ms")
    assert " tenant=default api=atmotube GET /atmotube/api/v1/data 200 " in data[0]
    assert " tenant=- api=atmotube GET /atmotube/api/v1/data 401 " in data[1]
    assert any(" api=_sandbox GET /_sandbox/credentials 200 " in line for line in lines)
    assert not any(key in line for line in lines)
    assert not any("api_key" in line for line in lines)


def test_the_console_page_shows_no_credentials_when_the_control_plane_needs_a_token() -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n")
    bridge = AsgiBridge(build_app(sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://s.test") as client:
        page = client.get("/")
    bridge.close()
    assert page.status_code == 200
    assert sandbox.credentials()["atmotube"]["api_key"] not in page.text


def test_a_request_a_local_proxy_forwards_for_another_machine_is_not_local() -> None:
    """uvicorn takes the client from X-Forwarded-For when a loopback peer sends it, so the
    locality rule judges the machine the proxy forwards for, not the proxy."""
    with serving() as (_process, base):
        local = httpx.get(f"{base}/_sandbox/clock")
        forwarded = httpx.get(f"{base}/_sandbox/clock", headers={"X-Forwarded-For": "192.0.2.10"})
        health = httpx.get(f"{base}/_sandbox/health", headers={"X-Forwarded-For": "192.0.2.10"})
    assert local.status_code == 200
    assert (forwarded.status_code, forwarded.json()) == (
        401,
        {
            "error": "control plane requires the X-Standin-Admin-Token or "
            "X-Standin-Tenant-Token header"
        },
    )
    assert health.status_code == 200


def test_serve_collects_the_oldest_generation_ten_times_less_often_and_the_young_as_python_does(
    restore_collector: None,
) -> None:
    young, middle, _ = gc.get_threshold()
    settle_collector()
    assert gc.get_threshold() == (young, middle, 100)
    assert gc.get_freeze_count() > 0


@pytest.fixture
def restore_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
