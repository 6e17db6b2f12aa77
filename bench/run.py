"""``make bench``: requests/s and p50/p99 of the Atmotube fake beside a bare Starlette app.

Both servers run under uvicorn (one worker, the same defaults) on 127.0.0.1, pinned to one core;
wrk runs pinned to the other. Two cases, each fake endpoint against its bare counterpart:

- (a) a 10-reading Atmotube page vs a bare endpoint that checks a key and returns 10 readings;
- (b) a 1440-reading page vs a bare endpoint that encodes 1440 precomputed readings (stdlib json).

Bare and fake are measured alternately (ABBA across rounds) after a warm-up. The report prints
the ratios and the targets; it exits 0 whether or not a target is met, and non-zero only when a
server fails to start or answer, or wrk fails.

Environment: ``BENCH_DURATION`` seconds per measured run (default 10), ``BENCH_WARMUP`` seconds
per warm-up run (default 3), ``BENCH_ROUNDS`` (default 2), ``BENCH_CONNECTIONS`` (default 16),
``BENCH_THREADS`` wrk threads (default 1).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from statistics import fmean
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from bench.servers import Server, ServerFailed, free_port
from bench.wrk import WrkFailed, WrkResult, ensure_wrk, run_wrk, wrk_version

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "atmotube.json"
LOG_LEVEL = "warning"

MAC = "C2:4E:91:7A:3B:10"
PREFERRED_DATE = date(2022, 6, 13)
SEARCH_FROM = date(2022, 6, 1)
SEARCH_DAYS = 30
"""A full day is looked for from the preferred date, then over June 2022 (at most 31 tries)."""
SMALL_ITEMS = 10
PAGE_ITEMS = 1440
HTTP_TIMEOUT_S = 30.0
BUSY_LOAD = 0.5
"""A 1-minute load average at or above this before the run earns a noise warning."""

SERVERS = ("bare", "fake")


@dataclass(frozen=True)
class Settings:
    duration_s: float
    warmup_s: float
    rounds: int
    connections: int
    threads: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            duration_s=_env_number("BENCH_DURATION", 10.0, 1.0, 600.0),
            warmup_s=_env_number("BENCH_WARMUP", 3.0, 1.0, 120.0),
            rounds=int(_env_number("BENCH_ROUNDS", 2, 1, 20)),
            connections=int(_env_number("BENCH_CONNECTIONS", 16, 1, 1024)),
            threads=int(_env_number("BENCH_THREADS", 1, 1, 64)),
        )


def _env_number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip().removesuffix("s"))
    except ValueError:
        raise SystemExit(f"bench: {name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise SystemExit(f"bench: {name}={raw!r} must be between {low:g} and {high:g}")
    return value


@dataclass(frozen=True)
class Placement:
    server_cpu: int | None
    wrk_cpu: int | None
    note: str


def place() -> Placement:
    """Servers on the first allowed CPU, wrk on the second; unpinned if that is impossible."""
    cpus = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None:
        return Placement(None, None, "taskset not found (util-linux): NOT pinned")
    if len(cpus) < 2:
        return Placement(None, None, f"only CPU {cpus} available: NOT pinned")
    return Placement(cpus[0], cpus[1], f"servers on CPU {cpus[0]}, wrk on CPU {cpus[1]}")


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    items: int
    target: float
    urls: dict[str, str]


@dataclass
class Outcome:
    case: Case
    runs: dict[str, list[WrkResult]] = field(default_factory=lambda: {s: [] for s in SERVERS})

    def mean(self, server: str, attribute: str) -> float:
        return fmean(float(getattr(run, attribute)) for run in self.runs[server])

    def ratio(self, attribute: str) -> float:
        bare = self.mean("bare", attribute)
        return self.mean("fake", attribute) / bare if bare else float("nan")

    def round_ratios(self) -> list[float]:
        """Fake req/s over bare req/s within each round (the two runs were adjacent)."""
        return [
            fake.requests_per_s / bare.requests_per_s if bare.requests_per_s else float("nan")
            for bare, fake in zip(self.runs["bare"], self.runs["fake"], strict=True)
        ]

    @property
    def met(self) -> bool:
        return self.ratio("requests_per_s") >= self.case.target


def fake_command(port: int) -> list[str]:
    standin = Path(sys.executable).with_name("standin")
    head = [str(standin)] if standin.exists() else [sys.executable, "-m", "standin.cli"]
    return [
        *head,
        "serve",
        "--api",
        "atmotube",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        LOG_LEVEL,
    ]


def bare_command(port: int, api_key: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.bare_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        LOG_LEVEL,
        "--api-key",
        api_key,
    ]


def _get(client: httpx.Client, url: str) -> httpx.Response:
    try:
        response = client.get(url)
    except httpx.HTTPError as error:
        raise ServerFailed(f"GET {url} failed: {error!r}") from None
    if response.status_code != 200:
        raise ServerFailed(f"GET {url} -> {response.status_code}: {response.text[:500]}")
    return response


def _items(response: httpx.Response) -> tuple[int, int]:
    """``(data.total, len(data.items))`` of an Atmotube-shaped body."""
    body: Any = response.json()
    try:
        return int(body["data"]["total"]), len(body["data"]["items"])
    except (KeyError, TypeError, ValueError):
        raise ServerFailed(f"unexpected body from {response.url}: {response.text[:500]}") from None


def prepare_fake(client: httpx.Client, base: str) -> str:
    """Switch the rate limit off and return the fake's default Atmotube API key."""
    limits_url = f"{base}/_sandbox/limits"
    try:
        patched = client.patch(limits_url, json={"atmotube": {"requests": {"enabled": False}}})
    except httpx.HTTPError as error:
        raise ServerFailed(f"PATCH {limits_url} failed: {error!r}") from None
    if patched.status_code != 200:
        raise ServerFailed(f"PATCH {limits_url} -> {patched.status_code}: {patched.text[:500]}")
    if patched.json().get("atmotube", {}).get("requests", {}).get("enabled") is not False:
        raise ServerFailed(f"the Atmotube rate limit is still on: {patched.text[:500]}")
    credentials: Any = _get(client, f"{base}/_sandbox/credentials").json()
    try:
        api_key = str(credentials["atmotube"]["api_key"])
    except (KeyError, TypeError):
        raise ServerFailed(f"no atmotube api_key in credentials: {credentials!r}") from None
    return api_key


def data_url(base: str, api_key: str, day: date, limit: int) -> str:
    query = urlencode(
        {"api_key": api_key, "mac": MAC, "date": day.isoformat(), "limit": limit}, safe=":"
    )
    return f"{base}/api/v1/data?{query}"


def full_day(client: httpx.Client, base: str, api_key: str) -> date:
    """A June 2022 date on which the device has all 1440 readings, the preferred one first."""
    candidates = [PREFERRED_DATE] + [SEARCH_FROM + timedelta(days=n) for n in range(SEARCH_DAYS)]
    for day in candidates:
        total, count = _items(_get(client, data_url(base, api_key, day, PAGE_ITEMS)))
        if total == PAGE_ITEMS and count == PAGE_ITEMS:
            return day
    raise ServerFailed(f"no day in June 2022 with {PAGE_ITEMS} readings for {MAC}")


def check(client: httpx.Client, url: str, items: int) -> int:
    """Assert ``url`` answers 200 with ``items`` items; return the body size in bytes."""
    response = _get(client, url)
    _, count = _items(response)
    if count != items:
        raise ServerFailed(f"{url} returned {count} items, expected {items}")
    return len(response.content)


def measure(
    wrk: str, cases: Sequence[Case], settings: Settings, placement: Placement, servers: list[Server]
) -> list[Outcome]:
    def once(case: Case, server: str, seconds: float) -> WrkResult:
        result = run_wrk(
            wrk,
            case.urls[server],
            duration_s=seconds,
            threads=settings.threads,
            connections=settings.connections,
            cpu=placement.wrk_cpu,
        )
        for process in servers:
            if not process.alive():
                raise ServerFailed(f"{process.name} died during the run\n{process.log_tail()}")
        return result

    outcomes = [Outcome(case) for case in cases]
    for case in cases:
        for server in SERVERS:
            print(f"bench: warm-up ({case.key}) {server}, {settings.warmup_s:g} s", flush=True)
            once(case, server, settings.warmup_s)
    for round_no in range(settings.rounds):
        order = SERVERS if round_no % 2 == 0 else tuple(reversed(SERVERS))
        for outcome in outcomes:
            for server in order:
                result = once(outcome.case, server, settings.duration_s)
                outcome.runs[server].append(result)
                print(
                    f"bench: round {round_no + 1}/{settings.rounds} ({outcome.case.key}) "
                    f"{server}: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                    f"p99 {result.p99_ms:.2f} ms"
                    + (f", {result.timeouts} timeouts" if result.timeouts else ""),
                    flush=True,
                )
    return outcomes


def report(outcomes: Sequence[Outcome], settings: Settings, placement: Placement) -> str:
    lines = [
        "",
        "Atmotube fake vs bare Starlette (uvicorn, 1 worker, 127.0.0.1; "
        f"{placement.note}; wrk -t{settings.threads} -c{settings.connections} "
        f"-d{settings.duration_s:g}s, mean of {settings.rounds} rounds)",
        "",
        f"{'case':<22} {'server':<7} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}",
        "-" * 61,
    ]
    for outcome in outcomes:
        label = f"({outcome.case.key}) {outcome.case.label}"
        for server in SERVERS:
            lines.append(
                f"{label:<22} {server:<7} {outcome.mean(server, 'requests_per_s'):>10,.0f} "
                f"{outcome.mean(server, 'p50_ms'):>9.2f} {outcome.mean(server, 'p99_ms'):>9.2f}"
            )
            label = ""
        lines.append(
            f"{'':<22} {'fake/bare':<7} {outcome.ratio('requests_per_s'):>10.2f} "
            f"{outcome.ratio('p50_ms'):>9.2f} {outcome.ratio('p99_ms'):>9.2f}"
        )
    lines += ["", "Targets (fake req/s / bare req/s; latency ratios are shown, not targeted):"]
    for outcome in outcomes:
        lines.append(
            f"  ({outcome.case.key}) {outcome.case.label}: >= {outcome.case.target:.2f}, "
            f"measured {outcome.ratio('requests_per_s'):.2f} -> "
            + ("met" if outcome.met else "NOT met")
            + f" (per round: {', '.join(f'{r:.2f}' for r in outcome.round_ratios())})"
        )
    return "\n".join(lines)


def results_json(
    outcomes: Sequence[Outcome],
    settings: Settings,
    placement: Placement,
    wrk: str,
    day: date,
    body_bytes: dict[str, dict[str, int]],
    load_at_start: tuple[float, float, float],
) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "duration_s": settings.duration_s,
            "warmup_s": settings.warmup_s,
            "rounds": settings.rounds,
            "connections": settings.connections,
            "threads": settings.threads,
            "server_cpu": placement.server_cpu,
            "wrk_cpu": placement.wrk_cpu,
            "placement": placement.note,
            "log_level": LOG_LEVEL,
        },
        "environment": {
            "python": platform.python_version(),
            "uvicorn": version("uvicorn"),
            "starlette": version("starlette"),
            "wrk": wrk_version(wrk),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
        },
        "request": {"mac": MAC, "date": day.isoformat()},
        "cases": {
            outcome.case.key: {
                "label": outcome.case.label,
                "items": outcome.case.items,
                "paths": {server: urlsplit(url).path for server, url in outcome.case.urls.items()},
                "body_bytes": body_bytes[outcome.case.key],
                "target_requests_ratio": outcome.case.target,
                "target_met": outcome.met,
                "round_requests_ratios": outcome.round_ratios(),
                "ratios": {
                    "requests_per_s": outcome.ratio("requests_per_s"),
                    "p50": outcome.ratio("p50_ms"),
                    "p99": outcome.ratio("p99_ms"),
                },
                **{
                    server: {
                        "requests_per_s": outcome.mean(server, "requests_per_s"),
                        "p50_ms": outcome.mean(server, "p50_ms"),
                        "p99_ms": outcome.mean(server, "p99_ms"),
                        "runs": [run.as_json() for run in outcome.runs[server]],
                    }
                    for server in SERVERS
                },
            }
            for outcome in outcomes
        },
    }


def bench(settings: Settings) -> int:
    wrk = ensure_wrk()
    placement = place()
    print(f"bench: {placement.note}", flush=True)
    load_at_start = os.getloadavg()
    if load_at_start[0] >= BUSY_LOAD:
        print(
            f"bench: warning: load average {load_at_start[0]:.2f} before starting; other "
            "processes share these cores, so the figures will be noisy",
            flush=True,
        )
    logs = RESULTS_DIR / "logs"
    fake_port = free_port()
    fake = Server(
        "fake", fake_command(fake_port), fake_port, placement.server_cpu, logs / "atmotube-fake.log"
    )
    servers = [fake]
    try:
        fake.start(REPO)
        with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
            api_key = prepare_fake(client, fake.base_url)
            bare_port = free_port()
            bare = Server(
                "bare",
                bare_command(bare_port, api_key),
                bare_port,
                placement.server_cpu,
                logs / "atmotube-bare.log",
            )
            servers.append(bare)
            bare.start(REPO)
            day = full_day(client, fake.base_url, api_key)
            bare_query = urlencode(
                {"api_key": api_key, "mac": MAC, "date": day.isoformat()}, safe=":"
            )
            cases = [
                Case(
                    "a",
                    f"{SMALL_ITEMS} readings",
                    SMALL_ITEMS,
                    0.7,
                    {
                        "bare": f"{bare.base_url}/bare/small?{bare_query}&limit={SMALL_ITEMS}",
                        "fake": data_url(fake.base_url, api_key, day, SMALL_ITEMS),
                    },
                ),
                Case(
                    "b",
                    f"{PAGE_ITEMS} readings",
                    PAGE_ITEMS,
                    1.0,
                    {
                        "bare": f"{bare.base_url}/bare/page?{bare_query}&limit={PAGE_ITEMS}",
                        "fake": data_url(fake.base_url, api_key, day, PAGE_ITEMS),
                    },
                ),
            ]
            body_bytes = {
                case.key: {
                    server: check(client, url, case.items) for server, url in case.urls.items()
                }
                for case in cases
            }
        print(f"bench: date {day.isoformat()}, body bytes {body_bytes}", flush=True)
        outcomes = measure(wrk, cases, settings, placement, servers)
    finally:
        for server in reversed(servers):
            server.stop()
    print(report(outcomes, settings, placement))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = results_json(outcomes, settings, placement, wrk, day, body_bytes, load_at_start)
    RESULTS_FILE.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nbench: results written to {RESULTS_FILE.relative_to(REPO)}")
    return 0


def main() -> int:
    settings = Settings.from_env()
    try:
        return bench(settings)
    except (ServerFailed, WrkFailed) as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
