"""``standin demo``: every registered workflow, one after the other, with progress lines and a
summary table; the exit code says whether all of them passed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, TextIO

import httpx

from standin._core.liveserver import live_server
from standin._core.sandbox import Sandbox
from standin._core.tenants import Tenant
from standin.clients._http import DEFAULT_TIMEOUT
from standin.demo.control import InProcessControl, RemoteControl, SandboxControl
from standin.demo.workflow import DemoContext, Traffic, WorkflowFactory
from standin.inprocess import standin
from standin.registry import create_sandbox
from standin.server import build_app


@dataclass
class WorkflowResult:
    api: str
    title: str
    steps_done: int
    steps: int
    traffic: Traffic
    seconds: float
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


def run_workflow(
    api: str, factory: WorkflowFactory, control: SandboxControl, base_url: str | None, out: TextIO
) -> WorkflowResult:
    traffic = Traffic()
    started = time.perf_counter()
    # The clients' own default (30 s), not httpx's 5 s: on a loaded machine a long Locus range
    # or a BuildingMinds poll can take longer than 5 s to answer, and a demo must not fail on it.
    with httpx.Client(event_hooks={"response": [traffic]}, timeout=DEFAULT_TIMEOUT) as http:
        demo = DemoContext(api, control, http, base_url, traffic)
        try:
            workflow = factory(demo)
        except Exception as error:
            _print(out, f"[{api}] could not start: {_describe(error)}")
            return WorkflowResult(api, api, 0, 0, traffic, _since(started), _describe(error))
        traffic.token_path = workflow.token_path
        traffic.throttle_status = getattr(workflow, "throttle_status", 429)
        steps = workflow.steps()
        result = WorkflowResult(api, workflow.title, 0, len(steps), traffic, 0.0)
        _print(out, f"[{api}] {workflow.title}")
        try:
            for number, (title, step) in enumerate(steps, 1):
                # The step's title shows while it runs; what it found ends the line.
                _print(out, f"  {number:>2}/{len(steps)} {title} ...", end="")
                before = traffic.requests
                step_started = time.perf_counter()
                try:
                    found = step()
                except Exception as error:
                    result.failure = f"step {number} ({title}): {_describe(error)}"
                    _print(out, f" FAILED: {_describe(error)}")
                    break
                result.steps_done = number
                sent = traffic.requests - before
                took = time.perf_counter() - step_started
                _print(out, f" {found} ({_plural(sent, 'request')}, {took:.2f} s)")
        finally:
            workflow.close()
        result.seconds = _since(started)
        return result


def run_demo(
    workflows: Mapping[str, WorkflowFactory],
    *,
    out: TextIO,
    base_url: str | None = None,
    admin_token: str | None = None,
    sandbox: Sandbox | None = None,
    tenant: Tenant | None = None,
) -> list[WorkflowResult]:
    """Each workflow against the in-process ``sandbox`` (a fresh one if not given) as
    ``tenant`` (a new one if not given), or against the server at ``base_url`` as a new tenant
    of its own."""
    results: list[WorkflowResult] = []
    with ExitStack() as stack:
        if base_url is None:
            local = sandbox or create_sandbox()
            # The loopback server that streaming workflows need is reached over TCP.
            routed = standin(local, pass_through=["127.0.0.1"])
            control: SandboxControl = InProcessControl(stack.enter_context(routed), tenant)
            server = _LocalServer(local, stack)
        else:
            remote = RemoteControl(base_url, admin_token)
            stack.callback(remote.close)
            control = remote
        _print(out, f"standin demo: {control.where}")
        for api, factory in workflows.items():
            if base_url is not None:
                api_base: str | None = f"{base_url.rstrip('/')}/{api}"
            elif getattr(factory, "needs_server", False):
                api_base = f"{server.url()}/{api}"
            else:
                api_base = None
            results.append(run_workflow(api, factory, control, api_base, out))
    for line in summary(results):
        _print(out, line)
    return results


class _LocalServer:
    """The in-process sandbox on a loopback port, started for the first workflow that needs a
    socket (event streams: in-process answers are buffered whole)."""

    def __init__(self, sandbox: Sandbox, stack: ExitStack) -> None:
        self.sandbox = sandbox
        self.stack = stack
        self._url: str | None = None

    def url(self) -> str:
        if self._url is None:
            app = build_app(self.sandbox)
            self._url = self.stack.enter_context(live_server(app, timeout_graceful_shutdown=1))
        return self._url


HEADERS = ("workflow", "steps", "requests", "429s absorbed", "tokens refreshed", "time", "result")


def summary(results: Sequence[WorkflowResult]) -> list[str]:
    rows = [
        (
            f"{r.api}: {r.title.split(': ', 1)[-1]}",
            f"{r.steps_done}/{r.steps}",
            str(r.traffic.requests),
            str(r.traffic.throttled if r.passed else "-"),
            str(r.traffic.tokens_refreshed),
            f"{r.seconds:.2f} s",
            "passed" if r.passed else "FAILED",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]

    def line(cells: Sequence[str]) -> str:
        left = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([left, *rest]).rstrip()

    failed = [r for r in results if not r.passed]
    verdict = (
        f"all passed ({_plural(len(results), 'workflow')})"
        if not failed
        else "FAILED: " + "; ".join(f"{r.api} {r.failure}" for r in failed)
    )
    return [
        "",
        "Summary",
        line(HEADERS),
        line(["-" * w for w in widths]),
        *map(line, rows),
        verdict,
    ]


def results_json(results: Sequence[WorkflowResult]) -> dict[str, Any]:
    """The summary as data (``standin demo --json``)."""
    return {
        "passed": bool(results) and all(r.passed for r in results),
        "workflows": [
            {
                "api": r.api,
                "title": r.title,
                "steps_done": r.steps_done,
                "steps": r.steps,
                "requests": r.traffic.requests,
                "throttled_absorbed": r.traffic.throttled if r.passed else None,
                "tokens_refreshed": r.traffic.tokens_refreshed,
                "seconds": round(r.seconds, 3),
                "passed": r.passed,
                "failure": r.failure,
            }
            for r in results
        ],
    }


def main(args: argparse.Namespace, workflows: Mapping[str, WorkflowFactory]) -> int:
    chosen = {api: workflows[api] for api in (args.api or workflows)}
    as_json: bool = args.json
    try:
        results = run_demo(
            chosen,
            out=sys.stderr if as_json else sys.stdout,
            base_url=args.base_url,
            admin_token=args.admin_token,
        )
    except httpx.HTTPError as error:
        # Only the control plane raises this far: workflows report their own failures.
        print(f"standin demo: the sandbox's control plane failed: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(results_json(results), indent=2))
    return 0 if results and all(r.passed for r in results) else 1


def _print(out: TextIO, line: str, end: str = "\n") -> None:
    print(line, file=out, end=end, flush=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _since(started: float) -> float:
    return time.perf_counter() - started


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
