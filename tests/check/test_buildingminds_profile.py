"""The BuildingMinds target profile: where its tokens come from, their renewal, and a check that
writes."""

from __future__ import annotations

import httpx
import pytest

import contracts
from mocks import build_app, create_sandbox
from mocks.check.pacing import PacedSession, Pacer
from mocks.check.profiles.base import Target
from mocks.check.profiles.buildingminds import BuildingMindsConnection, token_url
from mocks.check.report import summary
from mocks.check.runner import CheckOptions, run_check
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
