"""The pytest plugin as a user's suite meets it: a small test file per concern, run by pytester
with only the entry point's plugin loaded."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from standin import build_app, create_sandbox
from standin.pytest_plugin import live_variables
from standin.registry import API_FACTORIES
from standin.testing import SandboxFaults, connect_client
from tests.check.conftest import serving

ROOT = Path(__file__).resolve().parents[2]

SANDBOX_SUITE = """
import datetime as dt

import httpx
import pytest

from standin.clients.atmotube import AtmotubeClient
from standin.clients.atrius import AtriusClient
from standin.clients.buildingminds import BuildingMindsClient
from standin.clients.locus import LocusClient
from standin.clients.metasys import MetasysClient

MADE = []


def test_every_client_reaches_the_sandbox_with_the_default_credentials(
    standin, atmotube_client, atrius_client, buildingminds_client, locus_client, metasys_client
):
    credentials = standin.credentials()
    mac = credentials["atmotube"]["macs"][0]
    assert isinstance(atmotube_client, AtmotubeClient)
    assert atmotube_client.page(mac, limit=1).total > 0
    assert isinstance(atrius_client, AtriusClient)
    assert atrius_client.token().token_type == "Bearer"
    assert isinstance(buildingminds_client, BuildingMindsClient)
    assert buildingminds_client.token().access_token
    assert isinstance(locus_client, LocusClient)
    assert locus_client.token().access_token
    assert isinstance(metasys_client, MetasysClient)
    assert metasys_client.user_info().user_name == credentials["metasys"]["username"]
    apis = {entry.api for entry in standin.journal.entries(None, 100)}
    assert apis == {"atmotube", "atrius", "buildingminds", "locus", "metasys"}
    MADE.extend(
        [atmotube_client, atrius_client, buildingminds_client, locus_client, metasys_client]
    )


def test_the_clients_of_the_last_test_were_closed():
    assert len(MADE) == 5
    assert all(client._http.is_closed for client in MADE)


def test_the_clients_read_the_sandbox_clock(standin_clock, atrius_client):
    standin_clock.freeze(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    token = atrius_client.token()
    assert token.expires_at == dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        seconds=token.expires_in
    )


def test_a_429_fault_is_waited_out_on_the_sandbox_clock(
    standin, standin_faults, standin_time, standin_clock, atmotube_client
):
    # 20 s before the minute's window resets, so the Retry-After of 30 s is the longer wait.
    standin_clock.freeze(dt.datetime(2030, 1, 1, 0, 0, 40, tzinfo=dt.UTC))
    mac = standin.credentials()["atmotube"]["macs"][0]
    fault = standin_faults.add(
        "atmotube", path="/api/v1/data", status=429, headers={"Retry-After": "30"}, count=1
    )
    assert [f["id"] for f in standin_faults.list()] == [fault]
    assert atmotube_client.page(mac, limit=1).total > 0
    assert standin_time.waits == [30.0]
    assert standin_clock.now() == dt.datetime(2030, 1, 1, 0, 1, 10, tzinfo=dt.UTC)
    assert standin_faults.list() == []


def test_a_fault_the_control_plane_would_refuse_is_a_value_error(standin_faults):
    try:
        standin_faults.add("nosuchapi", status=500)
    except ValueError as error:
        assert "api must be one of" in str(error)
    else:
        raise AssertionError("accepted")


def test_a_new_tenant_has_its_own_clients_and_data(standin, standin_tenant, standin_clients):
    mine = standin_clients.metasys(standin_tenant)
    theirs = standin_clients.metasys()
    assert mine.user_info().user_name == standin_tenant.credentials["metasys"]["username"]
    assert mine.user_info().user_name != theirs.user_info().user_name
    assert standin_tenant.id in {tenant.id for tenant in standin.tenants.all()}


def test_a_client_on_its_own_transport_is_not_intercepted(standin):
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204))) as client:
        assert client.get("https://example.org/").status_code == 204


def test_other_hosts_are_refused(standin):
    from standin import UnroutedHost

    try:
        httpx.get("https://example.org/")
    except UnroutedHost as refused:
        assert refused.host == "example.org"
    else:
        raise AssertionError("reached the network")


@pytest.mark.standin_pass_through("127.0.0.1")
def test_a_marked_test_lets_its_hosts_through(standin):
    from standin import UnroutedHost, build_app, create_sandbox
    from standin._core.liveserver import live_server

    with live_server(build_app(create_sandbox())) as url:
        assert httpx.get(f"{url}/_sandbox/health").status_code == 200
    try:
        httpx.get("https://other.example/")
    except UnroutedHost as refused:
        assert refused.host == "other.example"
    else:
        raise AssertionError("reached the network")


def test_the_unrouted_sandbox_is_a_fresh_one(standin_sandbox):
    assert set(standin_sandbox.apis) == {"atmotube", "atrius", "buildingminds", "locus", "metasys"}
    assert standin_sandbox.clock.mode == "real"
"""

BOTH_WAYS_SUITE = """
import pytest


@pytest.mark.vendor_live("atrius")
def test_a_token_and_the_buildings(atrius_client, standin_target):
    print("TARGET", "sandbox" if standin_target is None else standin_target.base_url)
    assert atrius_client.token().access_token
    assert list(atrius_client.buildings())


@pytest.mark.vendor_live("atrius")
def test_other_credentials_on_the_same_target(target_client, standin_credentials):
    from standin.clients.atrius import AtriusAuthError

    assert standin_credentials["atrius"]["client_id"]
    wrong = target_client("atrius", client_secret="wrong")
    try:
        wrong.token()
    except AtriusAuthError as error:
        assert error.error == "invalid_client"
    else:
        raise AssertionError("a wrong secret got a token")


@pytest.mark.vendor_live("atrius")
def test_a_client_of_another_api_in_the_live_run(locus_client):
    assert locus_client.token().access_token


@pytest.mark.vendor_live("atrius")
def test_the_sandbox_in_the_live_run(atrius_client, standin_time):
    assert atrius_client.token().access_token
"""


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [
        "STANDIN_LIVE_ATRIUS_BASE_URL",
        "STANDIN_LIVE_ATRIUS_CREDENTIALS",
    ]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def run(pytester: pytest.Pytester, suite: str) -> pytest.RunResult:
    pytester.makepyfile(test_suite=suite)
    # Plain asserts: rewriting would warn that this session already imported standin.
    options = ("-p", "no:cacheprovider", "-rA", "-s", "-W", "error", "--assert=plain")
    return pytester.runpytest(*options)


def test_the_sandbox_fixtures_and_every_client_fixture_work_as_documented(
    pytester: pytest.Pytester, quiet_env: pytest.MonkeyPatch
) -> None:
    result = run(pytester, SANDBOX_SUITE)
    result.assert_outcomes(passed=10)


def test_without_a_live_target_a_marked_client_test_runs_on_the_sandbox_and_skips_live(
    pytester: pytest.Pytester, quiet_env: pytest.MonkeyPatch
) -> None:
    result = run(pytester, BOTH_WAYS_SUITE)
    result.assert_outcomes(passed=4, skipped=4)
    reason = (
        "atrius live target not configured: STANDIN_LIVE_ATRIUS_BASE_URL and "
        "STANDIN_LIVE_ATRIUS_CREDENTIALS not set"
    )
    result.stdout.fnmatch_lines(
        [
            "PASSED test_suite.py::test_a_token_and_the_buildings[[]standin[]]",
            "PASSED test_suite.py::test_other_credentials_on_the_same_target[[]standin[]]",
            "PASSED test_suite.py::test_a_client_of_another_api_in_the_live_run[[]standin[]]",
            "PASSED test_suite.py::test_the_sandbox_in_the_live_run[[]standin[]]",
            f"SKIPPED [[]1[]] test_suite.py:4: {reason}",
            f"SKIPPED [[]1[]] test_suite.py:11: {reason}",
            f"SKIPPED [[]1[]] test_suite.py:25: {reason}",
            f"SKIPPED [[]1[]] test_suite.py:30: {reason}",
        ]
    )
    assert "TARGET sandbox" in result.stdout.str()


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A standin on a socket, standing in for the vendor: its Atrius base URL and a
    credentials file for it."""
    sandbox = create_sandbox()
    credentials = tmp_path / "atrius.json"
    credentials.write_text(json.dumps(sandbox.credentials()))
    with serving(build_app(sandbox)) as origin:
        yield f"{origin}/atrius", credentials


def test_with_a_live_target_a_marked_client_test_runs_both_ways(
    pytester: pytest.Pytester, quiet_env: pytest.MonkeyPatch, deployed: tuple[str, Path]
) -> None:
    base_url, credentials = deployed
    quiet_env.setenv("STANDIN_LIVE_ATRIUS_BASE_URL", base_url)
    quiet_env.setenv("STANDIN_LIVE_ATRIUS_CREDENTIALS", str(credentials))
    result = run(pytester, BOTH_WAYS_SUITE)
    result.assert_outcomes(passed=6, errors=2)
    out = result.stdout.str()
    assert "PASSED test_suite.py::test_a_token_and_the_buildings[live]" in out
    assert "PASSED test_suite.py::test_other_credentials_on_the_same_target[live]" in out
    assert f"TARGET {base_url}" in out
    assert "TARGET sandbox" in out
    assert (
        "a locus client cannot run against the atrius live target of this test's "
        "@pytest.mark.vendor_live('atrius')" in out
    )
    assert "cannot use the sandbox's fixtures" in out


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA"]
LIVE_CLIENT_TESTS = [f"tests/{api}/test_client_live.py" for api in API_FACTORIES]


def test_each_apis_client_tests_marked_vendor_live_pass_against_a_deployed_standin(
    tmp_path: Path,
) -> None:
    """The ``[live]`` runs of every API's marked client tests, with a standin on a socket as the
    live target: the clients find the contract's paths under any base URL."""
    sandbox = create_sandbox()
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps(sandbox.credentials()))
    # Not the live variables of this run, nor its shard (the child runs every test it is given).
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STANDIN_LIVE_") and k != "STANDIN_TEST_SHARD"
    }
    with serving(build_app(sandbox)) as origin:
        for api in API_FACTORIES:
            url_name, credentials_name = live_variables(api)
            environ[url_name], environ[credentials_name] = f"{origin}/{api}", str(credentials)
        completed = subprocess.run(
            [*PYTEST, "-k", "not standin", *LIVE_CLIENT_TESTS],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    last = completed.stdout.strip().splitlines()[-1]
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert re.fullmatch(r"17 passed, 17 deselected in [0-9.]+s", last), last
    assert all(
        line.endswith("[live]") for line in completed.stdout.splitlines() if "PASSED" in line
    )


def test_a_live_base_url_is_where_the_contracts_paths_start_for_every_client() -> None:
    creds = create_sandbox().credentials()
    tenant = creds["buildingminds"]["tenant"]
    expected = {
        "atmotube": "https://api.atmotube.com",
        "atrius": "https://api.buildingos.com",
        "buildingminds": "https://api.onbuildingminds.com/api/digitaltwinintegration",
        "locus": "https://api.locusenergy.com",
        "metasys": "https://bas.example.com/api/v4",
    }
    roots = {api: "/".join(url.split("/")[:3]) + "/" for api, url in expected.items()}
    for api, root in roots.items():
        client = connect_client(api, creds[api], base_url=root)
        with client:
            assert client.base_url == expected[api]
    bm = connect_client("buildingminds", creds["buildingminds"], base_url=roots["buildingminds"])
    with bm:
        assert bm.token_url == f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    served = connect_client("buildingminds", creds["buildingminds"], base_url="http://h/bm")
    with served:
        assert served.token_url == f"http://h/bm/{tenant}/oauth2/v2.0/token"
    with pytest.raises(ValueError, match="no reference client for 'nosuch'"):
        connect_client("nosuch", {})


def test_faults_are_listed_and_removed_by_id() -> None:
    sandbox = create_sandbox(["atrius"])
    faults = SandboxFaults(sandbox)
    first = faults.add("atrius", method="GET", path="/buildings/*", status=503)
    second = faults.add("atrius", latency_ms=5)
    assert [f["id"] for f in faults.list()] == [first, second]
    assert faults.remove(first) is True
    assert faults.remove(first) is False
    faults.clear()
    assert faults.list() == []
