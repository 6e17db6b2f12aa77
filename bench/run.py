"""``make bench``: standin's real Metasys endpoints beside bare Starlette and WireMock's stubs.

Three servers on the same pinned core (wrk pinned to the other), loaded one at a time, in one run:

- ``bare``: Starlette with no sandbox layers answering the same two bodies (bench/bare_app.py),
  under uvicorn like ``standin serve``: the baseline;
- ``wiremock``: WireMock standalone with static stubs of the same two answers, matched on path,
  query and the bearer token (bench/wiremock.py); skipped, with the reason, when Java or the jar
  is missing;
- ``standin``: ``standin serve`` as ``make run`` starts it, every layer on: the bearer token from
  ``POST /metasys/api/v4/login``, the tenant lookup, the rate limiter counting (its limit raised
  through ``PATCH /_sandbox/limits`` so nothing is refused), the journal and the fault layer.

Two cases:

- (a) an authenticated small read, ``GET .../objects/{id}/attributes/presentValue``;
- (b) a list of 100 items, ``GET .../objects/{id}/trendedAttributes/attributeEnumSet.presentValue/
  samples``, a week of 15-minute samples, page 3 of 100.

After a warm-up of every server on every case, each round measures every server on every case,
the order of the servers rotating between rounds. Only the measured server runs: the others are
paused (SIGSTOP) for its run, and it starts once its own CPU use has died down (a JVM compiles
and collects for seconds after a load; left running on the shared core, it took that time from
whichever server came next, standin in every round); the figures are medians over the rounds, RSS
the largest seen after a run. The table gives each figure as a ratio to bare and to WireMock.
It exits 0 whatever the figures, non-zero only when a server or wrk fails.

Then two of issue 20's figures (bench/headofline.py and bench/history.py, each its own section):

- the head-of-line ratio: on the same standin, case A's median latency (``wrk -c1``) while one
  client loops Atrius' year of quarter hours, over alone; then again with that meter's year made
  from a year of pushed hourly readings; then beside a Metasys ``depth=-1`` list of the tenant's
  tree filled to its 5,000-object quota;
- the history-growth curve: the samples page after 0, 5,000 and 25,000 commands of its point,
  in process, pinned to the server CPU, as ratios to the smallest history;
- the activity lists' history-growth curves (bench/activity_history.py): page 1 of audits,
  alarms and activities, and the audit counts, with 0, 100, 5,000 and 25,000 audits and alarms
  made (10,000 of each kept past that), in process, as ratios to a full first page.

Environment: ``BENCH_DURATION`` seconds per measured run (default 10), ``BENCH_WARMUP`` seconds
per warm-up run (default 3), ``BENCH_ROUNDS`` (default 3), ``BENCH_CONNECTIONS`` (default 32),
``BENCH_THREADS`` wrk threads (default 1), ``BENCH_WIREMOCK`` (``auto``: fetch the jar through npm
when it is not cached, the default; ``cached``: only a cached jar; ``off``), ``BENCH_CACHE``
(where the jar is kept, default ~/.cache/standin-bench), ``BENCH_RESULTS`` (the results folder,
default bench/results), ``BENCH_HISTORY_COMMANDS`` (the history sizes, default "0 5000 25000"),
``BENCH_HISTORY_READS`` (reads per size, default 30), ``BENCH_ACTIVITY_SIZES`` (the audits and
alarms made, default "0 100 5000 25000"; read as often as the history).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import activity_history, headofline, history, wiremock
from bench.servers import Server, ServerFailed, free_port, standin_serve
from bench.wrk import WrkFailed, WrkResult, ensure_wrk, run_wrk, wrk_version

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"
LOG_LEVEL = "warning"
HTTP_TIMEOUT_S = 30.0
BUSY_LOAD = 0.5
"""A 1-minute load average at or above this before the run earns a noise warning."""

API = "/metasys/api/v4"
USERNAME = "api-admin"
POINT = "ADS1:NAE-1/FC-1.AHU-1.SA-T"
"""A trended analog input of the default fixtures (AHU-1's supply air temperature)."""
TREND_ATTRIBUTE = "attributeEnumSet.presentValue"
PAGE = 3
PAGE_SIZE = 100
WEEK = timedelta(days=7)
RATE_LIMIT = 1_000_000_000
"""Raised so the bench is never refused; the limiter still counts every request."""

BASELINES = ("bare", "wiremock")
SERVERS = ("bare", "wiremock", "standin")
METRICS = (("requests_per_s", "req/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"))


@dataclass(frozen=True)
class Settings:
    duration_s: float
    warmup_s: float
    rounds: int
    connections: int
    threads: int
    wiremock: str
    results: Path
    history_commands: tuple[int, ...] = history.COUNTS
    history_reads: int = history.READS
    activity_sizes: tuple[int, ...] = activity_history.SIZES

    @classmethod
    def from_env(cls) -> Settings:
        mode = os.environ.get("BENCH_WIREMOCK", "auto").strip() or "auto"
        if mode not in ("auto", "cached", "off"):
            raise SystemExit(f"bench: BENCH_WIREMOCK={mode!r} must be auto, cached or off")
        results = os.environ.get("BENCH_RESULTS", "").strip()
        return cls(
            duration_s=_env_number("BENCH_DURATION", 10.0, 1.0, 600.0),
            warmup_s=_env_number("BENCH_WARMUP", 3.0, 1.0, 120.0),
            rounds=int(_env_number("BENCH_ROUNDS", 3, 1, 20)),
            connections=int(_env_number("BENCH_CONNECTIONS", 32, 1, 1024)),
            threads=int(_env_number("BENCH_THREADS", 1, 1, 64)),
            wiremock=mode,
            results=Path(results) if results else DEFAULT_RESULTS,
            history_commands=_env_counts("BENCH_HISTORY_COMMANDS", history.COUNTS),
            history_reads=int(_env_number("BENCH_HISTORY_READS", history.READS, 1, 1000)),
            activity_sizes=_env_counts("BENCH_ACTIVITY_SIZES", activity_history.SIZES),
        )

    def load_json(self) -> dict[str, float | int]:
        """The load each run puts on a server, for a results file."""
        return {
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "rounds": self.rounds,
            "connections": self.connections,
            "threads": self.threads,
        }

    def command(self) -> str:
        """The command line that repeats this run."""
        env = {
            "BENCH_DURATION": f"{self.duration_s:g}",
            "BENCH_WARMUP": f"{self.warmup_s:g}",
            "BENCH_ROUNDS": str(self.rounds),
            "BENCH_CONNECTIONS": str(self.connections),
            "BENCH_THREADS": str(self.threads),
            "BENCH_WIREMOCK": self.wiremock,
        }
        if self.history_commands != history.COUNTS:
            env["BENCH_HISTORY_COMMANDS"] = " ".join(str(n) for n in self.history_commands)
        if self.history_reads != history.READS:
            env["BENCH_HISTORY_READS"] = str(self.history_reads)
        if self.activity_sizes != activity_history.SIZES:
            env["BENCH_ACTIVITY_SIZES"] = " ".join(str(n) for n in self.activity_sizes)
        if self.results != DEFAULT_RESULTS:
            env["BENCH_RESULTS"] = str(self.results)
        return " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " make bench"


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


def _env_counts(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name, "").replace(",", " ").split()
    if not raw:
        return default
    try:
        counts = tuple(int(part) for part in raw)
    except ValueError:
        raise SystemExit(f"bench: {name}={' '.join(raw)!r} must be whole numbers") from None
    if any(not 0 <= count <= 100_000 for count in counts):
        raise SystemExit(f"bench: {name} sizes must be between 0 and 100000")
    return counts


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
    path: str
    query: dict[str, str]
    items: int | None
    """Items the body must list (case B), or None for a single object (case A)."""

    def url(self, base: str) -> str:
        return f"{base}{self.path}" + (f"?{urlencode(self.query, safe=':')}" if self.query else "")


@dataclass
class Outcome:
    case: Case
    body_bytes: int
    runs: dict[str, list[WrkResult]] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)
    """The server's CPU time per answered request in each run, in microseconds (the server's
    own user and system time around wrk: steadier than req/s on a shared machine)."""

    def figure(self, server: str, metric: str) -> float | None:
        if metric == "rss_mib":
            return self.rss[server] / 2**20 if server in self.rss else None
        if metric == "cpu_us":
            cpu = self.cpu_us.get(server)
            return median(cpu) if cpu else None
        runs = self.runs.get(server)
        return median(float(getattr(run, metric)) for run in runs) if runs else None

    def timeouts(self, server: str) -> int:
        """Requests wrk gave up on (no answer in 2 s), over every round."""
        return sum(run.timeouts for run in self.runs.get(server, []))

    def ratio(self, server: str, metric: str, baseline: str) -> float | None:
        mine, theirs = self.figure(server, metric), self.figure(baseline, metric)
        return None if mine is None or not theirs else mine / theirs


def standin_command(port: int) -> list[str]:
    return standin_serve(port, log_level=LOG_LEVEL)


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise ServerFailed(f"{method} {url} failed: {error!r}") from None
    if response.status_code != 200:
        raise ServerFailed(f"{method} {url} -> {response.status_code}: {response.text[:500]}")
    return response


@dataclass(frozen=True)
class Prepared:
    token: str
    cases: list[Case]
    bodies: dict[str, bytes]
    content_type: str


def prepare_standin(client: httpx.Client, base: str) -> Prepared:
    """Raise the Metasys limit, log in, find the point and read both answers once."""
    limits = _send(
        client,
        "PATCH",
        f"{base}/_sandbox/limits",
        json={"metasys": {"requests": {"limit": RATE_LIMIT}}},
    ).json()
    if limits.get("metasys", {}).get("requests", {}).get("enabled") is not True:
        raise ServerFailed(f"the Metasys rate limiter should stay on (counting): {limits!r}")
    password = _send(client, "GET", f"{base}/_sandbox/credentials").json()["metasys"]["password"]
    login = _send(
        client, "POST", f"{base}{API}/login", json={"username": USERNAME, "password": password}
    )
    token = str(login.json()["accessToken"])
    headers = {"Authorization": f"Bearer {token}"}
    found = _send(client, "GET", f"{base}{API}/objectIdentifiers?fqr={POINT}", headers=headers)
    object_id = str(found.json())
    clock = _send(client, "GET", f"{base}/_sandbox/clock").json()
    now = datetime.fromisoformat(clock["now"].replace("Z", "+00:00")).astimezone(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    cases = [
        Case(
            "a",
            "authenticated small read",
            f"{API}/objects/{object_id}/attributes/presentValue",
            {},
            None,
        ),
        Case(
            "b",
            f"samples, a week, page {PAGE} of {PAGE_SIZE}",
            f"{API}/objects/{object_id}/trendedAttributes/{TREND_ATTRIBUTE}/samples",
            {
                "startTime": (end - WEEK).strftime(stamp),
                "endTime": end.strftime(stamp),
                "page": str(PAGE),
                "pageSize": str(PAGE_SIZE),
            },
            PAGE_SIZE,
        ),
    ]
    bodies: dict[str, bytes] = {}
    content_type = "application/json"
    for case in cases:
        response = _send(client, "GET", case.url(base), headers=headers)
        bodies[case.key] = response.content
        content_type = response.headers.get("content-type", content_type)
    return Prepared(token, cases, bodies, content_type)


def check(client: httpx.Client, url: str, token: str, case: Case, expected: bytes) -> int:
    """``url`` answers 200 with case's body (the same JSON as standin's); its size in bytes."""
    response = _send(client, "GET", url, headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    if body != json.loads(expected):
        raise ServerFailed(f"{url} answered another body than standin's: {response.text[:300]}")
    if case.items is not None and len(body.get("items", [])) != case.items:
        raise ServerFailed(f"{url} listed {len(body.get('items', []))} items, not {case.items}")
    refused = client.get(url)
    if refused.status_code not in (401, 404):
        raise ServerFailed(f"{url} answered {refused.status_code} without a token")
    return len(response.content)


def measure(
    wrk: str,
    token: str,
    outcomes: list[Outcome],
    servers: dict[str, Server],
    settings: Settings,
    placement: Placement,
) -> None:
    header = f"Authorization: Bearer {token}"

    def once(outcome: Outcome, name: str, seconds: float) -> tuple[WrkResult, float | None]:
        """One wrk run, and the server's CPU microseconds per answered request in it."""
        server = servers[name]
        # Only the measured server runs: the others are paused, so that none of them (the JVM
        # compiling or collecting after its own load, above all) takes the pinned core from it,
        # and it starts once its own work from the run before has died down.
        for other in servers.values():
            if other is not server:
                other.pause()
        server.resume()
        server.settle()
        cpu_before = server.cpu_seconds()
        result = run_wrk(
            wrk,
            outcome.case.url(server.base_url),
            duration_s=seconds,
            threads=settings.threads,
            connections=settings.connections,
            cpu=placement.wrk_cpu,
            headers=[header],
        )
        cpu_after = server.cpu_seconds()
        if not server.alive():
            raise ServerFailed(f"{name} died during the run\n{server.log_tail()}")
        outcome.rss[name] = max(outcome.rss.get(name, 0), server.rss_bytes())
        if cpu_before is None or cpu_after is None or not result.requests:
            return result, None
        return result, (cpu_after - cpu_before) * 1e6 / result.requests

    names = [name for name in SERVERS if name in servers]
    try:
        _rounds(once, names, outcomes, settings)
    finally:
        for server in servers.values():
            server.resume()


def _rounds(
    once: Callable[[Outcome, str, float], tuple[WrkResult, float | None]],
    names: list[str],
    outcomes: list[Outcome],
    settings: Settings,
) -> None:
    """The warm-up of every server on every case, then the measured rounds, the servers' order
    rotating between rounds."""
    for outcome in outcomes:
        for name in names:
            print(
                f"bench: warm-up ({outcome.case.key}) {name}, {settings.warmup_s:g} s", flush=True
            )
            once(outcome, name, settings.warmup_s)
    for round_no in range(settings.rounds):
        shift = round_no % len(names)
        order = names[shift:] + names[:shift]
        for outcome in outcomes:
            for name in order:
                result, cpu = once(outcome, name, settings.duration_s)
                outcome.runs.setdefault(name, []).append(result)
                if cpu is not None:
                    outcome.cpu_us.setdefault(name, []).append(cpu)
                print(
                    f"bench: round {round_no + 1}/{settings.rounds} ({outcome.case.key}) "
                    f"{name}: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                    f"p99 {result.p99_ms:.2f} ms"
                    + ("" if cpu is None else f", {cpu:.0f} CPU us/request")
                    + (f", {result.timeouts} timeouts" if result.timeouts else ""),
                    flush=True,
                )


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(
    outcomes: list[Outcome],
    settings: Settings,
    placement: Placement,
    skipped: str | None,
    stack: str,
    load: tuple[float, float, float],
) -> str:
    columns = [*METRICS, ("cpu_us", "CPU us/req"), ("rss_mib", "RSS MiB")]
    head = (
        f"{'server':<9}"
        + "".join(f" {title:>10} {'/bare':>6} {'/wm':>6}" for _, title in columns)
        + f" {'timeouts':>9}"
    )
    lines = [
        "",
        f"standin vs bare Starlette vs WireMock {wiremock.VERSION} ({placement.note}; "
        f"wrk -t{settings.threads} -c{settings.connections} -d{settings.duration_s:g}s, "
        f"median of {settings.rounds} rounds; {stack}; "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})",
    ]
    if skipped:
        lines.append(f"WireMock skipped: {skipped}")
    for outcome in outcomes:
        lines += [
            "",
            f"({outcome.case.key}) {outcome.case.label}, {outcome.body_bytes:,} B: "
            f"GET {outcome.case.url('')}",
            head,
            "-" * len(head),
        ]
        for server in SERVERS:
            if server not in outcome.runs:
                continue
            row = f"{server:<9}"
            for metric, _ in columns:
                spec = ",.0f" if metric == "requests_per_s" else ".1f"
                if metric in ("p50_ms", "p99_ms"):
                    spec = ".2f"
                if metric == "cpu_us":
                    spec = ",.0f"
                row += f" {_cell(outcome.figure(server, metric), spec):>10}"
                for baseline in BASELINES:
                    row += f" {_cell(outcome.ratio(server, metric, baseline), '.2f'):>6}"
            lines.append(row + f" {outcome.timeouts(server):>9}")
    lines += [
        "",
        "Ratios are the row's figure over bare's (/bare) and WireMock's (/wm): above 1 is better "
        "for req/s, worse for p50, p99, CPU and RSS. CPU us/req: the server's own CPU time (user "
        "and system) per answered request, from /proc around each run. Timeouts: requests "
        "unanswered after wrk's 2 s, summed over the rounds (they are left out of the latencies).",
        f"Command: {settings.command()}",
    ]
    return "\n".join(lines)


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def server_stack() -> str:
    """What uvicorn's "auto" picks here: uvloop and httptools when installed, else asyncio, h11."""
    loop = "uvloop" if _version("uvloop") else "asyncio"
    http = "httptools" if _version("httptools") else "h11"
    return f"uvicorn {version('uvicorn')} on {loop} + {http}"


def results_json(
    outcomes: list[Outcome],
    settings: Settings,
    placement: Placement,
    wrk: str,
    skipped: str | None,
    load: tuple[float, float, float],
) -> dict[str, Any]:
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": settings.command(),
        "settings": {
            **settings.load_json(),
            "server_cpu": placement.server_cpu,
            "wrk_cpu": placement.wrk_cpu,
            "placement": placement.note,
            "log_level": LOG_LEVEL,
        },
        "environment": {
            "python": platform.python_version(),
            "server_stack": server_stack(),
            "starlette": version("starlette"),
            "uvloop": _version("uvloop"),
            "httptools": _version("httptools"),
            "wiremock": None if skipped else wiremock.VERSION,
            "wiremock_skipped": skipped,
            "wrk": wrk_version(wrk),
            "cpus": os.cpu_count(),
            "load_average_at_start": load,
            "load_average_at_end": os.getloadavg(),
        },
        "cases": {
            outcome.case.key: {
                "label": outcome.case.label,
                "request": f"GET {outcome.case.url('')}",
                "body_bytes": outcome.body_bytes,
                "servers": {
                    server: {
                        "requests_per_s": outcome.figure(server, "requests_per_s"),
                        "p50_ms": outcome.figure(server, "p50_ms"),
                        "p99_ms": outcome.figure(server, "p99_ms"),
                        "rss_mib": outcome.figure(server, "rss_mib"),
                        "cpu_us_per_request": outcome.figure(server, "cpu_us"),
                        "timeouts": outcome.timeouts(server),
                        "ratios": {
                            baseline: {
                                metric: outcome.ratio(server, metric, baseline)
                                for metric in (
                                    "requests_per_s",
                                    "p50_ms",
                                    "p99_ms",
                                    "cpu_us",
                                    "rss_mib",
                                )
                            }
                            for baseline in BASELINES
                        },
                        "runs": [run.as_json() for run in runs],
                    }
                    for server, runs in outcome.runs.items()
                },
            }
            for outcome in outcomes
        },
    }


def bench(settings: Settings) -> int:
    wrk = ensure_wrk()
    placement = place()
    print(f"bench: {placement.note}; {server_stack()}", flush=True)
    load = os.getloadavg()
    if load[0] >= BUSY_LOAD:
        print(
            f"bench: warning: load average {load[0]:.2f} before starting; other processes share "
            "these cores, so the figures will be noisy",
            flush=True,
        )
    skipped: str | None = None
    jar = wiremock.Jar(None, None, "BENCH_WIREMOCK=off")
    if settings.wiremock != "off":
        jar = wiremock.find_jar(download=settings.wiremock == "auto")
    if jar.path is None:
        skipped = jar.reason
        print(f"bench: WireMock skipped: {skipped}", flush=True)
    work = settings.results / "work"
    logs = settings.results / "logs"
    servers: dict[str, Server] = {}
    cpu = placement.server_cpu
    try:
        port = free_port()
        servers["standin"] = Server(
            "standin", standin_command(port), port, cpu, logs / "standin.log"
        )
        servers["standin"].start(REPO)
        with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
            prepared = prepare_standin(client, servers["standin"].base_url)
            work.mkdir(parents=True, exist_ok=True)
            for key, body in prepared.bodies.items():
                (work / f"body-{key}.json").write_bytes(body)
            port = free_port()
            bare_command = [
                sys.executable,
                "-m",
                "bench.bare_app",
                "--port",
                str(port),
                "--log-level",
                LOG_LEVEL,
                "--token",
                prepared.token,
                "--body-a",
                str(work / "body-a.json"),
                "--body-b",
                str(work / "body-b.json"),
            ]
            servers["bare"] = Server("bare", bare_command, port, cpu, logs / "bare.log")
            servers["bare"].start(REPO)
            if jar.path is not None:
                stubs = [
                    wiremock.Stub(
                        case.path,
                        case.query,
                        f"Bearer {prepared.token}",
                        prepared.bodies[case.key],
                        prepared.content_type,
                    )
                    for case in prepared.cases
                ]
                wiremock.write_mappings(work / "wiremock", stubs)
                port = free_port()
                command = wiremock.command(jar, port, work / "wiremock")
                servers["wiremock"] = Server("wiremock", command, port, cpu, logs / "wiremock.log")
                servers["wiremock"].start(REPO)
            outcomes = []
            for case in prepared.cases:
                sizes = {
                    name: check(
                        client,
                        case.url(server.base_url),
                        prepared.token,
                        case,
                        prepared.bodies[case.key],
                    )
                    for name, server in servers.items()
                }
                print(f"bench: ({case.key}) body bytes {sizes}", flush=True)
                outcomes.append(Outcome(case, sizes["standin"]))
        measure(wrk, prepared.token, outcomes, servers, settings, placement)
        for name in ("bare", "wiremock"):
            if name in servers:
                servers[name].stop()
        blocking, blocking_pushed = (
            headofline.measure(
                wrk,
                servers["standin"],
                prepared.cases[0].path,
                prepared.token,
                settings.duration_s,
                placement.wrk_cpu,
                pushed=pushed,
            )
            for pushed in (False, True)
        )
        blocking_list = headofline.measure_object_list(
            wrk,
            servers["standin"],
            prepared.cases[0].path,
            prepared.token,
            settings.duration_s,
            placement.wrk_cpu,
        )
    finally:
        for server in servers.values():
            server.stop()
    growth = history_growth(settings, placement)
    lists = activity_growth(settings, placement)
    table = (
        report(outcomes, settings, placement, skipped, server_stack(), load)
        + "\n"
        + blocking.table()
        + "\n"
        + blocking_pushed.table()
        + "\n"
        + blocking_list.table()
        + "\n"
        + history.table(growth, settings.history_reads)
        + "\n"
        + activity_history.table(lists, settings.history_reads)
    )
    print(table)
    settings.results.mkdir(parents=True, exist_ok=True)
    payload = results_json(outcomes, settings, placement, wrk, skipped, load)
    payload["head_of_line"] = blocking.as_json()
    payload["head_of_line_pushed"] = blocking_pushed.as_json()
    payload["head_of_line_object_list"] = blocking_list.as_json()
    payload["history_growth"] = history.as_json(growth)
    payload["activity_growth"] = activity_history.as_json(lists)
    (settings.results / "metasys.json").write_text(json.dumps(payload, indent=2) + "\n")
    (settings.results / "metasys.txt").write_text(table.lstrip("\n") + "\n")
    print(f"\nbench: results written to {settings.results / 'metasys.json'} and metasys.txt")
    return 0


def history_growth(settings: Settings, placement: Placement) -> list[history.Point]:
    """bench/history.py in its own process, on the server CPU."""
    print(
        f"bench: history growth, {settings.history_commands} commands, "
        f"{settings.history_reads} reads each",
        flush=True,
    )
    rows = in_process(
        "bench.history",
        ["--commands", *(str(count) for count in settings.history_commands)],
        settings,
        placement,
    )
    return [
        history.Point(int(row["commands"]), float(row["median_ms"]), int(row["samples"]))
        for row in rows
    ]


def activity_growth(settings: Settings, placement: Placement) -> list[activity_history.Point]:
    """bench/activity_history.py in its own process, on the server CPU."""
    print(
        f"bench: activity lists' growth, {settings.activity_sizes} audits and alarms, "
        f"{settings.history_reads} reads each",
        flush=True,
    )
    rows = in_process(
        "bench.activity_history",
        ["--sizes", *(str(size) for size in settings.activity_sizes)],
        settings,
        placement,
    )
    return activity_history.from_json(rows)


def in_process(
    module: str, arguments: list[str], settings: Settings, placement: Placement
) -> list[dict[str, Any]]:
    """The JSON points an in-process benchmark prints, run in its own process pinned to the
    server CPU."""
    command = [
        sys.executable,
        "-m",
        module,
        "--json",
        "--reads",
        str(settings.history_reads),
        *arguments,
    ]
    if placement.server_cpu is not None:
        command = ["taskset", "-c", str(placement.server_cpu), *command]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise ServerFailed(f"{module} failed:\n{done.stdout}{done.stderr}")
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    return rows


def main() -> int:
    settings = Settings.from_env()
    try:
        return bench(settings)
    except (ServerFailed, WrkFailed) as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
