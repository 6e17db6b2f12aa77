"""The BuildingMinds target profile: where its tokens come from, their renewal, and a check that
writes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from standin import build_app, contracts, create_sandbox
from standin.check.pacing import PacedSession, Pacer
from standin.check.profiles.base import Target
from standin.check.profiles.buildingminds import BuildingMindsConnection, login_url, token_url
from standin.check.report import summary
from standin.check.runner import CheckOptions, operation_base_url, run_check
from tests.check.conftest import FakeTime, Served, serving
from tests.check.test_check import contract_operations, quick

TENANT = "4f0c2a9e-1b7d-4c3a-9e8f-2d6b5a1c7e90"


@pytest.mark.parametrize(
    ("base_url", "credentials", "expected"),
    [
        (
            "https://api.onbuildingminds.com",
            {},
            "https://login.microsoftonline.com/buildingminds.onmicrosoft.com/oauth2/v2.0/token",
        ),
        (
            "https://api.onbuildingminds.com/",
            {"tenant": TENANT},
            f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
        ),
        (
            "http://127.0.0.1:8000/buildingminds",
            {"tenant": TENANT},
            f"http://127.0.0.1:8000/buildingminds/{TENANT}/oauth2/v2.0/token",
        ),
        (
            "http://127.0.0.1:8000",
            {"tenant": "contoso.onmicrosoft.com", "login_url": "https://login.example/"},
            "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/token",
        ),
        (
            "https://api.onbuildingminds.com",
            {"tenant": TENANT, "token_url": "https://login.example/t/token"},
            "https://login.example/t/token",
        ),
    ],
)
def test_the_token_url_comes_from_the_credentials_or_else_the_base_url(
    base_url: str, credentials: dict[str, str], expected: str
) -> None:
    assert token_url(base_url, credentials) == expected


def test_the_token_is_renewed_a_minute_before_it_expires(
    served: Served, fake_time: FakeTime
) -> None:
    creds = served.sandbox.credentials()["buildingminds"]
    base = served.base_url("buildingminds")
    with PacedSession(Pacer(100, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        connection = BuildingMindsConnection(
            Target("buildingminds", base, creds, session, fake_time.clock)
        )
        first = connection.token()
        fake_time.now += 3599 - 60 - 1
        assert connection.token() == first
        fake_time.now += 1
        renewed = connection.token()
    assert renewed != first
    journal = httpx.get(
        f"{served.origin}/_sandbox/requests", params={"api": "buildingminds"}
    ).json()
    token_path = f"/{creds['tenant']}/oauth2/v2.0/token"
    assert [(e["method"], e["path"]) for e in journal["requests"]] == [("POST", token_path)] * 2


def test_with_allow_writes_every_operation_runs_and_records_are_queued(
    served: Served, fake_time: FakeTime
) -> None:
    report = quick("buildingminds", served, fake_time, allow_writes=True)
    assert report.ok, summary(report, 2)
    assert [r.label for r in report.operations] == contract_operations("buildingminds")
    assert all((r.skipped, r.failed) == (None, 0) for r in report.operations)
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"limit": 1000}).json()
    posts = [e for e in journal["requests"] if e["method"] == "POST"]
    queued = {e["path"] for e in posts if e["status"] == 200}
    entities = {
        path
        for path in contracts.load("buildingminds")["paths"]
        if path.startswith("/api/") and "batch" not in path
    }
    assert entities <= queued


def test_a_single_api_standin_at_the_vendor_paths_passes(fake_time: FakeTime) -> None:
    """`standin serve --api buildingminds`: Azure AD and the API both at the root."""
    sandbox = create_sandbox(["buildingminds"])
    with serving(build_app(sandbox, "buildingminds")) as origin:
        pacer = Pacer(100, clock=fake_time.clock, sleep=fake_time.sleep)
        report = run_check(CheckOptions("buildingminds", origin, max_examples=2), pacer=pacer)
    assert report.ok, summary(report, 2)


class ApiHostOnly:
    """The API's host: it knows no Azure AD path (answers 404 and counts the attempt)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.azure_ad_requests: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith("/buildingminds/api/"):
            self.azure_ad_requests.append(path)
            await PlainTextResponse("no such host here", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_azure_ad_operations_are_checked_at_the_login_host_not_the_api_base_url(
    tmp_path: Path, fake_time: FakeTime
) -> None:
    """As at the vendor: the API at one host, Azure AD at another (``login_url``)."""
    sandbox = create_sandbox(["buildingminds"])
    app = build_app(sandbox)
    api_host = ApiHostOnly(app)
    with serving(api_host) as api_origin, serving(app) as login_origin:
        credentials = tmp_path / "credentials.json"
        login = f"{login_origin}/buildingminds"
        creds = {**sandbox.credentials()["buildingminds"], "login_url": login}
        credentials.write_text(json.dumps(creds))
        pacer = Pacer(100, clock=fake_time.clock, sleep=fake_time.sleep)
        options = CheckOptions(
            "buildingminds", f"{api_origin}/buildingminds", credentials, max_examples=2
        )
        report = run_check(options, pacer=pacer)
    assert report.ok, summary(report, 2)
    azure_ad = [r for r in report.operations if r.label.startswith(("GET /{", "POST /{"))]
    assert [r.label for r in azure_ad] == [
        "POST /{tenant}/oauth2/v2.0/token",
        "GET /{tenant}/v2.0/.well-known/openid-configuration",
        "GET /{tenant}/discovery/v2.0/keys",
        "GET /{tenant}/.well-known/openid-configuration",
        "GET /{tenant}/discovery/keys",
    ]
    assert all(200 in r.statuses for r in azure_ad)
    assert api_host.azure_ad_requests == []


def test_the_operation_base_url_is_the_login_host_for_azure_ad_paths_only() -> None:
    creds = {"client_id": "c", "client_secret": "s", "scope": "x", "tenant": TENANT}
    target = Target("buildingminds", "https://api.onbuildingminds.com", creds, None)  # type: ignore[arg-type]
    connection = BuildingMindsConnection(target)
    assert connection.operation_base_url("/{tenant}/oauth2/v2.0/token") == (
        "https://login.microsoftonline.com"
    )
    assert connection.operation_base_url("/{tenant}/discovery/v2.0/keys") == (
        "https://login.microsoftonline.com"
    )
    assert connection.operation_base_url("/api/digitaltwinintegration/batch") is None
    assert operation_base_url(connection, "/api/digitaltwinintegration/batch", "https://a") == (
        "https://a"
    )
    explicit = {**creds, "token_url": f"https://login.example/{TENANT}/oauth2/v2.0/token"}
    assert login_url("https://api.onbuildingminds.com", explicit) == "https://login.example"
