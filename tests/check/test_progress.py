"""`standin check` reports as it goes: a line per finished operation, a line per wait with its
reason, and on a terminal a live display above which the same lines are printed."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest

from standin.check.pacing import Pacer
from standin.check.profiles import PROFILES
from standin.check.progress import Lines, Live, operation_line, progress_for
from standin.check.runner import CheckOptions, OperationResult, pacing_reason, run_check
from standin.cli import main
from tests.check.conftest import FakeTime, Served


class TimedOut(io.StringIO):
    """Output that notes the (fake) time at which each line was written."""

    def __init__(self, fake_time: FakeTime) -> None:
        super().__init__()
        self.fake_time = fake_time
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        if text.strip():
            self.lines.append((self.fake_time.now - 1000.0, text))
        return super().write(text)


def test_every_finished_operation_and_every_wait_is_written_when_it_happens(
    served: Served, fake_time: FakeTime
) -> None:
    reason = pacing_reason(PROFILES["atrius"], None)
    pacer = Pacer(4, clock=fake_time.clock, sleep=fake_time.sleep, reason=reason)
    out = TimedOut(fake_time)
    options = CheckOptions("atrius", served.base_url("atrius"), max_examples=2)
    run_check(options, pacer=pacer, clock=fake_time.clock, progress=Lines(out))
    wait = "waiting 60.0 s: Atrius allows 100 requests per client id in any 60 s"
    skip = "a write operation (run with --allow-writes)"
    assert out.lines[:9] == [
        (0.0, f"standin check atrius against {served.base_url('atrius')}: 22 operations"),
        (0.0, "[ 1/22] PASS  POST /o/token/  2 examples, 0 failed (0.0 s)"),
        # Written when the wait starts, not when it is over.
        (0.0, wait),
        (60.0, "[ 2/22] PASS  GET /gateways/{number}  2 examples, 0 failed (60.0 s)"),
        (60.0, "[ 3/22] PASS  GET /gateways/{number}/  2 examples, 0 failed (0.0 s)"),
        (60.0, f"[ 4/22] SKIP  POST /gateways/{{number}}/data: {skip}"),
        (60.0, f"[ 5/22] SKIP  POST /gateways/{{number}}/data/: {skip}"),
        (60.0, wait),
        (120.0, "[ 6/22] PASS  GET /organizations/{id}  2 examples, 0 failed (60.0 s)"),
    ]
    finished = [line for _, line in out.lines if line.startswith("[")]
    assert len(finished) == 22
    assert finished[-1].startswith("[22/22] PASS  GET /units/  2 examples, 0 failed")
    assert out.getvalue() == "".join(f"{line}\n" for _, line in out.lines)


def test_a_429_wait_says_what_the_target_answered(fake_time: FakeTime) -> None:
    waits: list[tuple[float, str]] = []
    pacer = Pacer(60, clock=fake_time.clock, sleep=fake_time.sleep, wall_clock=lambda: 1.7e9)
    pacer.on_wait = lambda seconds, why: waits.append((seconds, why))
    pacer.after_throttled({"retry-after": "7"})
    pacer.after_throttled({"retry-after": "Tue, 14 Nov 2023 22:13:32 GMT"}, 403)
    pacer.after_throttled({})
    assert waits == [
        (7.0, "the target answered 429 with Retry-After: 7"),
        (12.0, "the target answered 403 with Retry-After: Tue, 14 Nov 2023 22:13:32 GMT"),
        (60.0, "the target answered 429 without Retry-After"),
    ]
    assert fake_time.waits == [7.0, 12.0, 60.0]


def test_every_profile_names_whose_limit_the_check_keeps_to() -> None:
    reasons = {api: pacing_reason(profile, None) for api, profile in PROFILES.items()}
    assert reasons == {
        "atmotube": "Atmotube allows 60 requests per API key per clock minute",
        "atrius": "Atrius allows 100 requests per client id in any 60 s",
        "buildingminds": "BuildingMinds allows 100 requests per credential a minute",
        "locus": "the check sends Locus at most 600 requests a minute (Locus limits "
        "concurrency, not rate)",
        "metasys": "Metasys allows 600 requests per user per clock minute",
    }
    assert pacing_reason(PROFILES["atrius"], 30) == (
        "--requests-per-minute allows 30 requests in any 60 s"
    )


def test_an_operation_line_says_its_verdict_examples_time_and_reasons() -> None:
    passed = OperationResult("GET /meters/", passed=20, seconds=3.21)
    failed = OperationResult("GET /units/", passed=17, failed=3, seconds=0.5)
    failed.reasons = Counter({"Response violates schema": 2, "Server error": 1})
    empty = OperationResult("GET /nothing", seconds=0.01)
    skipped = OperationResult("POST /meters/", skipped="a write operation")
    assert [
        operation_line(r, n, 14) for n, r in enumerate([passed, failed, empty, skipped], 1)
    ] == [
        "[ 1/14] PASS  GET /meters/  20 examples, 0 failed (3.2 s)",
        "[ 2/14] FAIL  GET /units/  20 examples, 3 failed (0.5 s): "
        "Response violates schema (2); Server error (1)",
        "[ 3/14] FAIL  GET /nothing  0 examples, 0 failed (0.0 s): no example could be generated",
        "[ 4/14] SKIP  POST /meters/: a write operation",
    ]


def test_output_that_is_not_a_terminal_gets_plain_lines() -> None:
    out = io.StringIO()
    with progress_for(out) as progress:
        assert isinstance(progress, Lines)
        progress.begin("atmotube", "http://127.0.0.1:8000/atmotube", 1)
        progress.operation_started("GET /api/v1/data")
        progress.waiting(12.0, "Atmotube allows 60 requests per API key per clock minute")
        progress.operation_finished(OperationResult("GET /api/v1/data", passed=2, seconds=12))
    assert out.getvalue() == (
        "standin check atmotube against http://127.0.0.1:8000/atmotube: 1 operation\n"
        "waiting 12.0 s: Atmotube allows 60 requests per API key per clock minute\n"
        "[1/1] PASS  GET /api/v1/data  2 examples, 0 failed (12.0 s)\n"
    )


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_a_terminal_gets_a_live_display_with_the_same_lines_printed_above_it() -> None:
    out = io.StringIO()
    with progress_for(out, live=True) as progress:
        assert isinstance(progress, Live)
        progress.begin("atrius", "http://127.0.0.1:8000/atrius", 2)
        progress.operation_started("GET /meters/")
        progress.progress.refresh()
        progress.waiting(12.0, "Atrius allows 100 requests per client id in any 60 s")
        progress.progress.refresh()
        progress.resumed()
        progress.progress.refresh()
        progress.operation_finished(OperationResult("GET /meters/", passed=2, seconds=12))
        progress.operation_finished(OperationResult("POST /meters/", skipped="a write"))
    screen = ANSI.sub("", out.getvalue()).replace("\r", "\n")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert [line for line in lines if "━" not in line] == [
        "standin check atrius against http://127.0.0.1:8000/atrius: 2 operations",
        "waiting 12.0 s: Atrius allows 100 requests per client id in any 60 s",
        "[1/2] PASS  GET /meters/  2 examples, 0 failed (12.0 s)",
        "[2/2] SKIP  POST /meters/: a write",
    ]
    # The bar (spinner, what runs, bar, count, time) shows the operation, its wait, the count.
    bar = [re.sub(r"[━ ]+", " ", line[1:]).strip() for line in lines if "━" in line]
    assert list(dict.fromkeys(re.sub(r" \d+:\d\d:\d\d$", "", line) for line in bar)) == [
        "starting 0/2",
        "GET /meters/ 0/2",
        "GET /meters/ (waiting 12.0 s) 0/2",
        "2/2",
    ]


def test_the_command_reports_progress_on_stderr_and_the_summary_on_stdout(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = served.base_url("atmotube")
    args = ["check", "--api", "atmotube", "--base-url", base_url, "--max-examples", "2"]
    assert main(args) == 0
    captured = capsys.readouterr()
    err = re.sub(r"\(\d+\.\d s\)", "(T s)", captured.err)
    assert err == (
        f"standin check atmotube against {base_url}: 1 operation\n"
        "[1/1] PASS  GET /api/v1/data  2 examples, 0 failed (T s)\n"
    )
    assert captured.out.startswith(f"standin check atmotube against {base_url} (seed 0, ")
