"""`standin check` against a real server: it passes against standin, and says why it fails."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest
import requests
from starlette.applications import Starlette

from standin import build_app, contracts, create_sandbox
from standin.check.credentials import NoCredentials, control_headers, from_standin
from standin.check.pacing import PacedSession, Pacer
from standin.check.profiles import PROFILES, CredentialsRefused
from standin.check.profiles.atmotube import AtmotubeConnection
from standin.check.profiles.atrius import AtriusConnection
from standin.check.profiles.base import Target
from standin.check.profiles.metasys import MetasysConnection, token_lifetime
from standin.check.report import summary
from standin.check.runner import (
    CHECKS,
    CheckOptions,
    CheckReport,
    Redactor,
    run_check,
    skip_reason,
)
from standin.cli import main
from standin.registry import API_FACTORIES
from tests.check.conftest import FakeTime, Served, serving

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def contract_operations(api: str) -> list[str]:
    paths = contracts.load(api)["paths"]
    return [
        f"{m.upper()} {path}" for path, item in paths.items() for m in item if m in HTTP_METHODS
    ]


def quick(api: str, served: Served, fake_time: FakeTime, **options: Any) -> CheckReport:
    """A check with 2 examples an operation, paced on a fake clock (so it can never stall)."""
    pacer = Pacer(PROFILES[api].requests_per_minute, clock=fake_time.clock, sleep=fake_time.sleep)
    chosen = CheckOptions(api, served.base_url(api), **{"max_examples": 2, **options})
    return run_check(chosen, pacer=pacer)


def test_the_checks_are_the_ones_the_issue_names() -> None:
    assert [check.__name__ for check in CHECKS] == [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
    ]


def test_every_served_api_has_a_target_profile() -> None:
    """A new API adds its module under mocks/check/profiles/ and a line in PROFILES."""
    assert set(PROFILES) == set(API_FACTORIES)
    assert all(profile.api == key for key, profile in PROFILES.items())


def test_an_operation_a_profile_cannot_run_live_is_skipped_with_its_reason() -> None:
    class Streaming:
        api = "streaming"
        requests_per_minute = 60
        token_operations = frozenset({"POST /login"})
        unsupported = MappingProxyType({"GET /stream": "an event stream never ends"})

    profile: Any = Streaming()
    assert skip_reason(profile, "GET /stream", "GET", True) == "an event stream never ends"
    assert skip_reason(profile, "POST /login", "POST", False) is None


def test_secrets_of_the_credentials_never_reach_the_report() -> None:
    redact = Redactor({"client_id": "7dQm2xK9", "client_secret": "s3cr+t/=x", "gateway": "48213"})
    text = "client_id=7dQm2xK9&client_secret=s3cr%2Bt%2F%3Dx -d 's3cr+t/=x' gateway 48213"
    assert redact(text) == (
        "client_id=[Filtered]&client_secret=[Filtered] -d '[Filtered]' gateway 48213"
    )


def test_the_same_seed_sends_the_same_requests(served: Served, fake_time: FakeTime) -> None:
    def data_requests() -> list[str]:
        journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"limit": 1000})
        return [e["query"] for e in reversed(journal.json()["requests"]) if "data" in e["path"]]

    sent: list[list[str]] = []
    for seed in (5, 5, 6):
        seen = sum(len(queries) for queries in sent)
        quick("atmotube", served, fake_time, seed=seed, max_examples=6)
        sent.append(data_requests()[seen:])
    assert len(sent[0]) >= 6
    assert sent[1] == sent[0]
    assert sent[2] != sent[0]


@pytest.mark.parametrize(
    ("label", "method", "allowed"),
    [
        ("GET /meters/", "GET", False),
        ("POST /o/token/", "POST", False),
        ("POST /buildings/", "POST", False),
        ("PATCH /meters/{uuid}", "PATCH", False),
        ("POST /buildings/", "POST", True),
    ],
)
def test_writes_run_only_when_allowed_and_token_requests_always(
    label: str, method: str, allowed: bool
) -> None:
    runs = allowed or method == "GET" or label == "POST /o/token/"
    expected = None if runs else "a write operation (run with --allow-writes)"
    assert skip_reason(PROFILES["atrius"], label, method, allowed) == expected


NO_INVALID_INPUT = frozenset(
    {
        "GET /{tenant}/v2.0/.well-known/openid-configuration",
        "GET /{tenant}/discovery/v2.0/keys",
        "GET /{tenant}/.well-known/openid-configuration",
        "GET /{tenant}/discovery/keys",
    }
)
"""Operations whose only input is a free-form path segment: schemathesis has no negative example
to send, so they run their positive one only."""


@pytest.mark.parametrize("api", sorted(PROFILES))
def test_the_check_passes_against_standin_serve(
    api: str, served: Served, fake_time: FakeTime
) -> None:
    report = quick(api, served, fake_time)
    assert report.ok, summary(report, 2)
    assert [r.label for r in report.operations] == contract_operations(api)
    for result in report.operations:
        token = result.label in PROFILES[api].token_operations
        unsupported = PROFILES[api].unsupported.get(result.label)
        if unsupported is not None:
            assert (result.skipped, result.examples) == (unsupported, 0), result.label
        elif result.label.startswith("GET ") or token:
            examples = 1 if result.label in NO_INVALID_INPUT else 2
            assert (result.skipped, result.examples, result.failed) == (None, examples, 0), (
                result.label
            )
        else:
            assert result.skipped == "a write operation (run with --allow-writes)"
            assert result.examples == 0
    statuses = {status for r in report.operations for status in r.statuses}
    assert {200, 400} <= statuses
    assert fake_time.waits == []
    assert report.throttled == 0


def test_with_allow_writes_every_operation_runs_and_passes_against_standin_serve(
    served: Served, fake_time: FakeTime
) -> None:
    with served.control() as control:
        # 22 operations at 2 examples each are more than 100 requests: the sandbox's limit
        # would make the check wait a minute; the pacing has its own tests.
        off = {"atrius": {"requests": {"enabled": False}}}
        assert control.patch("/limits", json=off).status_code == 200
    report = quick("atrius", served, fake_time, allow_writes=True)
    assert report.ok, summary(report, 2)
    assert [r.label for r in report.operations] == contract_operations("atrius")
    assert all((r.skipped, r.examples, r.failed) == (None, 2, 0) for r in report.operations)
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"limit": 1000}).json()
    created = {(e["method"], e["path"]) for e in journal["requests"] if e["status"] == 201}
    assert created == {("POST", "/buildings/"), ("POST", "/meters/")}


def test_a_target_answering_a_wrong_body_fails_with_the_reason(
    served: Served, fake_time: FakeTime
) -> None:
    with served.control() as control:
        wrong = {"status": 0, "data": {"total": "many", "items": []}}
        fault = {"api": "atmotube", "path": "/api/v1/data", "status": 200, "body": wrong}
        assert control.post("/faults", json=fault).status_code == 201
    report = quick("atmotube", served, fake_time)
    assert not report.ok
    [result] = report.operations
    assert (result.examples, result.passed, result.failed) == (2, 0, 2)
    assert set(result.reasons) == {
        "Response violates schema",
        "Schema-violating request accepted",
        "API accepts requests without authentication",
    }
    text = summary(report, 2)
    assert "  FAIL  GET /api/v1/data    2 examples    0 passed    2 failed  statuses 200x2" in text
    assert "          Response violates schema (2)" in text
    assert '"many" is not of type "integer"' in text
    assert "curl -X GET" in text
    assert text.endswith("FAILED")


def test_refused_credentials_stop_the_check_before_any_operation(
    served: Served, fake_time: FakeTime, tmp_path: Path
) -> None:
    file = tmp_path / "atrius.json"
    file.write_text(json.dumps({"client_id": "nobody", "client_secret": "nothing"}))
    with pytest.raises(CredentialsRefused, match=r"POST /o/token/ answered 401"):
        quick("atrius", served, fake_time, credentials=file)


def test_wrong_api_key_fails_the_run_because_nothing_succeeds(
    served: Served, fake_time: FakeTime, tmp_path: Path
) -> None:
    file = tmp_path / "atmotube.json"
    file.write_text(json.dumps({"atmotube": {"api_key": "not-a-key", "macs": []}}))
    report = quick("atmotube", served, fake_time, credentials=file)
    assert report.operations[0].ok
    assert not report.succeeded
    assert not report.ok
    assert "no example was answered 2xx: are the credentials right?" in summary(report, 2)


def test_without_a_credentials_file_a_target_that_is_no_standin_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(Starlette()) as origin:
        code = main(["check", "--api", "atmotube", "--base-url", f"{origin}/api"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"standin check: {origin}/_sandbox/credentials answered 404: the target is not a "
        "standin; pass --credentials FILE (JSON in the shape of GET /_sandbox/credentials "
        "for the api)\n"
    )
    with pytest.raises(NoCredentials, match="cannot read credentials from"):
        run_check(
            CheckOptions(api="atmotube", base_url="http://x", credentials=tmp_path / "none.json")
        )


def test_the_command_prints_a_summary_writes_junit_xml_and_exits_0_on_success(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = tmp_path / "check.xml"
    base_url = served.base_url("atmotube")
    args = ["check", "--api", "atmotube", "--base-url", base_url, "--max-examples", "3"]
    assert main([*args, "--seed", "7", "--junit-xml", str(xml)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"standin check atmotube against {base_url} (seed 7, at most 3 examples per operation)"
    )
    assert out[1].startswith("  PASS  GET /api/v1/data    3 examples    3 passed    0 failed")
    assert out[-1] == "PASSED"
    suites = ET.parse(xml).getroot()
    assert suites.tag == "testsuites"
    [suite] = suites
    assert suite.attrib["name"] == "standin check atmotube"
    assert {k: suite.attrib[k] for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "2",
        "failures": "0",
        "errors": "0",
        "skipped": "0",
    }
    properties = {p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")}
    assert properties == {"api": "atmotube", "base_url": base_url, "seed": "7", "throttled": "0"}
    cases = suite.findall("testcase")
    assert [(c.attrib["classname"], c.attrib["name"]) for c in cases] == [
        ("standin.check.atmotube", "GET /api/v1/data"),
        ("standin.check.atmotube", "some example answered 2xx"),
    ]
    assert cases[0].find("failure") is None
    assert cases[0].findtext("system-out", "").startswith("3 examples, 3 passed, 0 failed;")


def test_the_command_prints_its_results_as_json_when_asked(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = served.base_url("atmotube")
    args = ["check", "--api", "atmotube", "--base-url", base_url, "--max-examples", "3"]
    assert main([*args, "--seed", "7", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    [operation] = results.pop("operations")
    assert results.pop("seconds") > 0
    assert results.pop("pacing_seconds") >= 0
    assert results == {
        "api": "atmotube",
        "base_url": base_url,
        "seed": 7,
        "max_examples": 3,
        "passed": True,
        "some_example_answered_2xx": True,
        "operations_run": 1,
        "operations_failed": 0,
        "operations_skipped": 0,
        "examples": 3,
        "throttled": 0,
    }
    statuses = operation.pop("statuses")
    assert operation.pop("seconds") >= 0
    assert operation == {
        "operation": "GET /api/v1/data",
        "verdict": "PASS",
        "skipped": None,
        "examples": 3,
        "passed": 3,
        "failed": 0,
        "reasons": {},
        "failing_examples": [],
    }
    assert sum(statuses.values()) == 3
    assert all(status.isdigit() for status in statuses)


def test_the_command_exits_1_and_the_junit_xml_names_failures_and_skips(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with served.control() as control:
        fault = {"api": "atrius", "path": "/units/", "status": 200, "body": {"units": 3}}
        assert control.post("/faults", json=fault).status_code == 201
    xml = tmp_path / "check.xml"
    base_url = served.base_url("atrius")
    args = ["check", "--api", "atrius", "--base-url", base_url, "--max-examples", "1"]
    assert main([*args, "--junit-xml", str(xml)]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  GET /units/" in out
    assert out.endswith("FAILED\n")
    [suite] = ET.parse(xml).getroot()
    operations = contract_operations("atrius")
    assert suite.attrib["tests"] == str(len(operations) + 1)
    assert suite.attrib["failures"] == "1"
    assert suite.attrib["skipped"] == str(
        sum(1 for o in operations if " /o/" not in o and not o.startswith("GET"))
    )
    cases = {c.attrib["name"]: c for c in suite.findall("testcase")}
    failure = cases["GET /units/"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == (
        "API accepts requests without authentication (1); Response violates schema (1)"
    )
    assert "curl -X GET" in (failure.text or "")
    skipped = cases["POST /buildings/"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "a write operation (run with --allow-writes)"
    assert cases["GET /meters/"].find("failure") is None
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"api": "atrius"}).json()
    assert {e["method"] for e in journal["requests"]} == {"GET", "POST"}
    posts = {e["path"] for e in journal["requests"] if e["method"] == "POST"}
    assert posts == {"/o/token/"}


def test_a_profile_breaking_on_an_example_is_reported_and_the_run_goes_on(
    served: Served, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: AtmotubeConnection, case: Any) -> None:
        raise ValueError("no such device")

    monkeypatch.setattr(AtmotubeConnection, "prepare", broken)
    [result] = quick("atmotube", served, fake_time, max_examples=4).operations
    assert (result.examples, result.failed) == (4, 4)
    assert dict(result.reasons) == {"error: ValueError": 4}
    assert result.details == ["error: ValueError: no such device"]


def test_authentication_breaking_off_generation_is_reported(
    served: Served, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_key = served.sandbox.credentials()["atmotube"]["api_key"]

    def broken(self: AtmotubeConnection, case: Any) -> str:
        raise RuntimeError(f"key {api_key} revoked")

    monkeypatch.setattr(AtmotubeConnection, "credential", broken)
    report = quick("atmotube", served, fake_time, max_examples=4)
    [result] = report.operations
    assert not report.ok
    assert result.examples < 4
    assert "positive examples stopped: RuntimeError" in result.reasons
    assert "key [Filtered] revoked" in "\n".join(result.details)
    assert str(api_key) not in summary(report, 4)


def test_a_single_api_standin_at_its_vendor_paths_passes_and_lends_its_credentials(
    fake_time: FakeTime,
) -> None:
    """`standin serve --api atmotube`: the vendor's paths at the root, /_sandbox beside them."""
    sandbox = create_sandbox(["atmotube"])
    with serving(build_app(sandbox, "atmotube")) as origin:
        pacer = Pacer(60, clock=fake_time.clock, sleep=fake_time.sleep)
        report = run_check(CheckOptions("atmotube", origin, max_examples=4), pacer=pacer)
    assert report.ok, summary(report, 4)
    assert report.operations[0].examples == 4


def test_an_unreachable_target_without_credentials_is_a_clear_error() -> None:
    with serving(Starlette()) as origin:
        pass  # the port is closed again
    with pytest.raises(
        NoCredentials, match=r"/_sandbox/credentials is unreachable or not a standin"
    ):
        run_check(CheckOptions("atrius", f"{origin}/atrius"))


def test_the_atrius_token_is_renewed_a_minute_before_it_expires(
    served: Served, fake_time: FakeTime
) -> None:
    creds = served.sandbox.credentials()["atrius"]
    with PacedSession(Pacer(100, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        target = Target("atrius", served.base_url("atrius"), creds, session, fake_time.clock)
        connection = AtriusConnection(target)
        first = connection.token()
        fake_time.now += 36000 - 60 - 1
        assert connection.token() == first
        fake_time.now += 1
        renewed = connection.token()
    assert renewed != first
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"api": "atrius"}).json()
    assert [(e["method"], e["path"]) for e in journal["requests"]] == [("POST", "/o/token/")] * 2


def test_the_metasys_token_is_refreshed_five_minutes_before_it_expires_and_replaced_after(
    served: Served, fake_time: FakeTime
) -> None:
    creds = served.sandbox.credentials()["metasys"]
    with PacedSession(Pacer(600, clock=fake_time.clock, sleep=fake_time.sleep)) as session:
        target = Target("metasys", served.base_url("metasys"), creds, session, fake_time.clock)
        connection = MetasysConnection(target)
        first = connection.token()
        fake_time.now += 25 * 60 - 1
        assert connection.token() == first
        fake_time.now += 1
        refreshed = connection.token()
        assert refreshed != first
        fake_time.now += 30 * 60
        replaced = connection.token()
    assert replaced not in (first, refreshed)
    journal = httpx.get(f"{served.origin}/_sandbox/requests", params={"api": "metasys"}).json()
    assert [(e["method"], e["path"]) for e in reversed(journal["requests"])] == [
        ("POST", "/api/v4/login"),
        ("GET", "/api/v4/refreshToken"),
        ("POST", "/api/v4/login"),
    ]


def test_a_metasys_token_lives_as_its_claims_say_and_never_past_an_hour() -> None:
    def jwt(claims: dict[str, int]) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"e30.{payload}.sig"

    assert token_lifetime(jwt({"iat": 100, "exp": 1900}), "2020-01-01T00:00:00Z") == 1800.0
    assert token_lifetime(jwt({"iat": 100, "exp": 100 + 86400}), None) == 3600.0
    assert token_lifetime("opaque", "not a time") == 1800.0


def test_refused_metasys_credentials_stop_the_check_before_any_operation(
    served: Served, fake_time: FakeTime, tmp_path: Path
) -> None:
    file = tmp_path / "metasys.json"
    file.write_text(json.dumps({"username": "api-admin", "password": "wrong"}))
    with pytest.raises(CredentialsRefused, match=r"POST /api/v4/login answered 401"):
        quick("metasys", served, fake_time, credentials=file)


def test_a_shared_standin_lends_its_credentials_for_the_admin_or_a_tenants_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n", shared=True)
    tenant, tenant_token = sandbox.create_tenant_with_token()
    monkeypatch.delenv("STANDIN_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("STANDIN_TENANT_TOKEN", raising=False)
    with serving(build_app(sandbox)) as origin, requests.Session() as session:
        with pytest.raises(
            NoCredentials,
            match=r"answered 401: this standin's control plane needs --admin-token "
            r"\(STANDIN_ADMIN_TOKEN\) or --tenant-token",
        ):
            from_standin(origin, "atmotube", session)
        admin = from_standin(origin, "atmotube", session, control_headers("adm1n", None))
        own = from_standin(origin, "atmotube", session, control_headers(None, tenant_token))
        monkeypatch.setenv("STANDIN_ADMIN_TOKEN", "adm1n")
        from_env = from_standin(origin, "atmotube", session)
    assert admin == from_env == sandbox.credentials()["atmotube"]
    assert own == tenant.credentials["atmotube"]


def test_standin_check_takes_the_tokens_as_options_or_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[CheckOptions] = []

    def recording_run_check(options: CheckOptions, **kw: Any) -> Any:
        seen.append(options)
        raise NoCredentials("stop here")

    monkeypatch.setattr("standin.check.runner.run_check", recording_run_check)
    monkeypatch.setenv("STANDIN_ADMIN_TOKEN", "from-env")
    monkeypatch.setenv("STANDIN_TENANT_TOKEN", "st_from-env")
    base = ["check", "--api", "atmotube", "--base-url", "http://127.0.0.1:1/atmotube"]
    assert main(base) == 2
    assert main([*base, "--admin-token", "given", "--tenant-token", "st_given"]) == 2
    assert [(o.admin_token, o.tenant_token) for o in seen] == [
        ("from-env", "st_from-env"),
        ("given", "st_given"),
    ]
