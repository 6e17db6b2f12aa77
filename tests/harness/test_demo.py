"""`standin demo`: each reference client through its vendor's documented workflow."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence

import httpx
import pytest

from standin import Sandbox, build_app, create_sandbox
from standin._core.faults import Fault
from standin._core.liveserver import live_server
from standin.atrius.api import AtriusApi
from standin.buildingminds.api import BuildingMindsApi
from standin.cli import main
from standin.demo import WORKFLOWS, DemoContext, Step, WorkflowFactory, run_demo
from standin.demo.workflow import Traffic
from standin.metasys.api import MetasysApi
from standin.registry import API_FACTORIES

SUMMARY_ROWS = [
    r"atrius: the API guide's ten steps\s+10/10\s+10\s+1\s+1\s+[0-9.]+ s\s+passed",
    r"atmotube: a week of readings\s+4/4\s+16\s+1\s+0\s+[0-9.]+ s\s+passed",
    r"buildingminds: onboarding a portfolio, polled to completion\s+6/6\s+77\s+1\s+1"
    r"\s+[0-9.]+ s\s+passed",
    r"locus: the reference's three common workflows\s+6/6\s+24\s+1\s+1\s+[0-9.]+ s\s+passed",
    r"metasys: log in, command a point, stream the update, acknowledge an alarm\s+12/12\s+22"
    r"\s+1\s+1\s+[0-9.]+ s\s+passed",
]
"""Steps, requests, 429s absorbed and tokens refreshed of each workflow."""


def summary_of(output: str) -> list[str]:
    lines = output.splitlines()
    return lines[lines.index("Summary") :]


def test_standin_demo_walks_every_workflow_in_process_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    output = capsys.readouterr().out
    summary = summary_of(output)
    assert summary[1].split() == [
        "workflow",
        "steps",
        "requests",
        "429s",
        "absorbed",
        "tokens",
        "refreshed",
        "time",
        "result",
    ]
    rows = 3 + len(SUMMARY_ROWS)
    for pattern, row in zip(SUMMARY_ROWS, summary[3:rows], strict=True):
        assert re.fullmatch(pattern, row), row
    assert summary[rows:] == [f"all passed ({len(SUMMARY_ROWS)} workflows)"]
    assert "  10/10 Verify the data, a day later ... 3 readings read back as pushed" in output
    assert "   4/4 The last day of C2:4E:91:7A:3B:10 as CSV ... " in output
    assert (
        "   4/6 Children wait for their parents ... "
        "meter MTR-HAM-A-ELEC is New, waiting for Building BLD-HAM-A " in output
    )
    assert "   6/6 An hour later: re-send a building (an update) ... " in output
    assert "   4/6 Getting lifetime energy for the component ... " in output
    assert " since startup (token refreshed, a 429 waited out) (3 requests, " in output
    assert (
        "   6/12 The update arrives on the stream ... object.values.update 74.0 (event " in output
    )
    assert (
        "   9/12 Too many requests: a 403 with Retry-After is waited out ... waited 2 s" in output
    )
    assert re.search(
        r"  10/12 Command it past its high limit: an alarm is raised \.\.\. adjust to 90\.0 "
        r"\(maxPresValue 85\.0\): high alarm [0-9a-f-]{36}, pending \(4 requests, ",
        output,
    )
    assert re.search(
        r"  11/12 Acknowledge the alarm \.\.\. alarm [0-9a-f-]{36} acknowledged ", output
    )


def test_demo_json_prints_each_workflows_figures_and_sends_the_steps_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--api", "atmotube", "--json"]) == 0
    printed = capsys.readouterr()
    results = json.loads(printed.out)
    [workflow] = results["workflows"]
    assert results["passed"] is True
    assert set(workflow) == {
        "api",
        "title",
        "steps_done",
        "steps",
        "requests",
        "throttled_absorbed",
        "tokens_refreshed",
        "seconds",
        "passed",
        "failure",
    }
    assert {k: workflow[k] for k in ("api", "title", "steps_done", "steps", "passed")} == {
        "api": "atmotube",
        "title": "Atmotube: a week of readings",
        "steps_done": 4,
        "steps": 4,
        "passed": True,
    }
    assert workflow["failure"] is None
    assert workflow["requests"] > 0
    assert workflow["seconds"] > 0
    assert "[atmotube] Atmotube: a week of readings" in printed.err
    assert summary_of(printed.err)[-1] == "all passed (1 workflow)"


def test_the_demo_runs_in_its_own_tenant(sandbox: Sandbox) -> None:
    atrius = sandbox.api("atrius")
    assert isinstance(atrius, AtriusApi)
    default = atrius.state(sandbox.tenants.default())
    before = (len(default.buildings), len(default.meters))
    results = run_demo({"atrius": WORKFLOWS["atrius"]}, out=io.StringIO(), sandbox=sandbox)
    assert [r.passed for r in results] == [True]
    assert (len(default.buildings), len(default.meters)) == before
    (demo,) = [t for t in sandbox.tenants.all() if t is not sandbox.tenants.default()]
    assert (len(atrius.state(demo).buildings), len(atrius.state(demo).meters)) == (3, 7)


def test_the_buildingminds_demo_onboards_its_portfolio_in_its_own_tenant(
    sandbox: Sandbox,
) -> None:
    bm = sandbox.api("buildingminds")
    assert isinstance(bm, BuildingMindsApi)
    default = bm.state(sandbox.tenants.default())
    before = len(default.batches)
    out = io.StringIO()
    results = run_demo({"buildingminds": WORKFLOWS["buildingminds"]}, out=out, sandbox=sandbox)
    assert [(r.passed, r.traffic.throttled, r.traffic.tokens_refreshed) for r in results] == [
        (True, 1, 1)
    ]
    assert len(default.batches) == before
    (demo,) = [t for t in sandbox.tenants.all() if t is not sandbox.tenants.default()]
    assert len(bm.state(demo).batches) == before + 8
    assert "8 records onboarded (2 Published)" in out.getvalue()


def test_the_demo_runs_against_a_running_server_moving_only_its_own_tenants_clock() -> None:
    sandbox = create_sandbox()
    out = io.StringIO()
    before = sandbox.clock.time()
    with live_server(build_app(sandbox)) as url:
        results = run_demo(WORKFLOWS, out=out, base_url=url)
    (demo,) = [t for t in sandbox.tenants.all() if not t.is_default]
    assert demo.clock.time() - before > 3600  # the demo waits hours on its own clock
    assert sandbox.clock.time() - before < 600  # everyone else's only ran on
    journal = "\n".join(
        f"{e.method} {e.path} {e.status}" for e in reversed(sandbox.journal.entries("locus"))
    )
    assert [(r.api, r.passed, r.steps_done) for r in results] == [
        ("atrius", True, 10),
        ("atmotube", True, 4),
        ("buildingminds", True, 6),
        ("locus", True, 6),
        ("metasys", True, 12),
    ], f"{out.getvalue()}\n{journal}"
    assert out.getvalue().startswith(f"standin demo: {url}\n")
    paths = {entry.path for entry in sandbox.journal.entries()}
    assert "/o/token/" in paths
    assert "/api/v1/data" in paths
    assert "/api/digitaltwinintegration/batch" in paths
    assert "/oauth/token" in paths
    assert {"/api/v4/login", "/api/v4/refreshToken", "/api/v4/stream"} <= paths
    assert any(path.startswith("/api/v4/alarms/") for path in paths)


def test_a_step_the_fake_fails_stops_its_workflow_and_the_demo_exits_1(
    sandbox: Sandbox,
) -> None:
    tenant = sandbox.create_tenant()
    tenant.faults.add(Fault(api="atrius", method="POST", path="/buildings/", status=500))
    out = io.StringIO()
    results = run_demo(WORKFLOWS, out=out, sandbox=sandbox, tenant=tenant)
    assert [(r.api, r.passed, r.steps_done) for r in results] == [
        ("atrius", False, 6),
        ("atmotube", True, 4),
        ("buildingminds", True, 6),
        ("locus", True, 6),
        ("metasys", True, 12),
    ]
    output = out.getvalue()
    assert "   7/10 Create a building ... FAILED: AtriusError: " in output
    summary = summary_of(output)
    assert re.fullmatch(
        r"atrius: the API guide's ten steps\s+6/10\s+4\s+-\s+0\s+[0-9.]+ s\s+FAILED", summary[3]
    )
    assert summary[-1].startswith("FAILED: atrius step 7 (Create a building): AtriusError: ")


class BrokenWorkflow:
    title = "Broken: one step that fails"
    token_path = None

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo

    def steps(self) -> Sequence[Step]:
        return [("Fail", self.fail)]

    def fail(self) -> str:
        raise ValueError("no")

    def close(self) -> None:
        pass


def test_the_command_exits_1_when_a_workflow_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken: dict[str, WorkflowFactory] = {"atmotube": BrokenWorkflow}
    monkeypatch.setattr("standin.demo.WORKFLOWS", broken)
    assert main(["demo"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "FAILED: atmotube step 1 (Fail): ValueError: no"
    )


class StreamingWorkflow:
    """Says where it was sent, as a workflow that needs a socket would connect."""

    title = "Streaming: needs a socket"
    token_path = None
    needs_server = True

    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo

    def steps(self) -> Sequence[Step]:
        return [("Connect", self.connect)]

    def connect(self) -> str:
        assert self.demo.base_url is not None
        response = self.demo.http.get(self.demo.base_url + "/openapi.json")
        return f"{self.demo.base_url} answered {response.status_code}"

    def close(self) -> None:
        pass


def test_a_workflow_that_needs_a_socket_gets_the_sandbox_on_a_loopback_port(
    sandbox: Sandbox,
) -> None:
    out = io.StringIO()
    results = run_demo({"atrius": StreamingWorkflow}, out=out, sandbox=sandbox)
    assert [r.passed for r in results] == [True]
    assert re.search(r"Connect \.\.\. http://127\.0\.0\.1:\d+/atrius answered 200 ", out.getvalue())
    assert [e.path for e in sandbox.journal.entries("atrius")] == ["/openapi.json"]


def test_an_unreachable_server_is_reported_with_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--base-url", "http://127.0.0.1:9"]) == 1
    assert capsys.readouterr().err.startswith("standin demo: the sandbox's control plane failed: ")


def test_every_served_api_has_a_demo_workflow() -> None:
    missing = sorted(set(API_FACTORIES) - set(WORKFLOWS))
    assert missing == [], (
        f"{', '.join(missing)} served but not in `standin demo`: write mocks/demo/<api>.py "
        "(a workflow class: title, token_path, steps(), close()) and add it to WORKFLOWS in "
        "mocks/demo/__init__.py"
    )


def test_the_locus_demo_absorbs_one_429_and_renews_its_token_an_hour_in(sandbox: Sandbox) -> None:
    results = run_demo({"locus": WORKFLOWS["locus"]}, out=io.StringIO(), sandbox=sandbox)
    assert [(r.passed, r.traffic.throttled, r.traffic.tokens_refreshed) for r in results] == [
        (True, 1, 1)
    ]
    entries = list(reversed(sandbox.journal.entries("locus")))
    tokens = [i for i, e in enumerate(entries) if e.path == "/oauth/token"]
    throttled = [i for i, e in enumerate(entries) if e.status == 429]
    assert [entries[i].status for i in tokens] == [200, 200]
    # The renewal comes before the throttled data request, which is then retried.
    assert len(throttled) == 1
    assert tokens[1] < throttled[0]
    assert entries[throttled[0]].path.endswith("/data")
    assert entries[throttled[0] + 1].path == entries[throttled[0]].path
    assert entries[throttled[0] + 1].status == 200


def _answer(status: int, headers: dict[str, str], path: str = "/api/v4/objects") -> httpx.Response:
    request = httpx.Request("GET", f"https://metasys.standin.example{path}")
    return httpx.Response(status, headers=headers, request=request)


def test_a_403_counts_as_throttled_only_for_its_vendor_and_only_with_retry_after() -> None:
    metasys = Traffic(token_path=("/login", "/refreshToken"), throttle_status=403)
    for answer in (
        _answer(403, {"Retry-After": "2"}),
        _answer(403, {}),
        _answer(429, {}),
        _answer(200, {}, "/api/v4/login"),
        _answer(200, {}, "/api/v4/refreshToken"),
    ):
        metasys(answer)
    assert (metasys.requests, metasys.throttled, metasys.tokens_refreshed) == (5, 2, 1)
    others = Traffic()
    others(_answer(403, {"Retry-After": "2"}))
    assert others.throttled == 0


def test_the_metasys_demo_streams_its_update_and_acknowledges_its_alarm_in_its_own_tenant(
    sandbox: Sandbox,
) -> None:
    metasys = sandbox.api("metasys")
    assert isinstance(metasys, MetasysApi)
    default = metasys.state(sandbox.tenants.default())
    out = io.StringIO()
    results = run_demo({"metasys": WORKFLOWS["metasys"]}, out=out, sandbox=sandbox)
    assert [(r.passed, r.steps_done, r.traffic.requests) for r in results] == [(True, 12, 22)]
    assert default.alarms.items == {}
    (demo,) = [t for t in sandbox.tenants.all() if t is not sandbox.tenants.default()]
    alarms = list(metasys.state(demo).alarms.items.values())
    # The release brings the setpoint back within its limits: a return to normal follows.
    assert [(a.type, a.trigger_value, a.status) for a in alarms] == [
        ("alarmValueEnumSet.avHiAlarm", 90.0, "acknowledged"),
        ("alarmValueEnumSet.avNormal", 72.0, "pending"),
    ]
    streams = [e.status for e in sandbox.journal.entries() if e.path == "/api/v4/stream"]
    assert streams == [200]
    assert [info.connections for info in metasys.streams.hub.streams()] == [0]


def test_a_metasys_stream_that_cannot_open_fails_its_step_without_retrying(
    sandbox: Sandbox,
) -> None:
    tenant = sandbox.create_tenant()
    tenant.faults.add(Fault(api="metasys", method="GET", path="/api/v4/stream", status=500))
    out = io.StringIO()
    results = run_demo({"metasys": WORKFLOWS["metasys"]}, out=out, sandbox=sandbox, tenant=tenant)
    assert [(r.passed, r.steps_done) for r in results] == [(False, 3)]
    assert "   4/12 Subscribe to its presentValue on a stream ... FAILED: " in out.getvalue()
    stream_requests = [e for e in sandbox.journal.entries() if e.path == "/api/v4/stream"]
    assert [e.status for e in stream_requests] == [500]


def test_the_demo_opens_a_shared_servers_control_plane_with_the_admin_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = create_sandbox(["atmotube"], admin_token="adm1n", shared=True)
    monkeypatch.delenv("STANDIN_ADMIN_TOKEN", raising=False)
    with live_server(build_app(sandbox)) as url:
        assert main(["demo", "--base-url", url, "--api", "atmotube"]) == 1
        refused = capsys.readouterr().err
        assert main(["demo", "--base-url", url, "--api", "atmotube", "--admin-token", "adm1n"]) == 0
        monkeypatch.setenv("STANDIN_ADMIN_TOKEN", "adm1n")
        assert main(["demo", "--base-url", url, "--api", "atmotube"]) == 0
    assert refused.startswith("standin demo: the sandbox's control plane failed: ")
    assert "401 Unauthorized" in refused
    assert len([t for t in sandbox.tenants.all() if not t.is_default]) == 2
