"""``make bench``, scale-out: one process without Redis, one with Redis, and one, two and three
replicas behind HAProxy, on the two workloads of bench/run.py, in one run.

    python -m bench.scaleout            # BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, ...
    python -m bench.scaleout --quick    # 1 s runs, no warm-up: the smoke test's

Configurations, each started fresh (its own Redis), measured, then stopped:

- ``single``: ``standin serve`` without Redis, as ``make run`` starts it: the baseline;
- ``redis``: one ``standin serve --redis URL``, addressed directly;
- ``lb-1``, ``lb-2``, ``lb-3``: one, two or three ``--redis`` replicas behind HAProxy with the
  configuration of docs/deploy.md (bench/haproxy.py), round-robin per request.

Every standin process and redis-server share the first allowed CPU, HAProxy and wrk the second:
on a 2-core machine more replicas cannot add cores, so what the figures show is what the design
costs per request. Besides wrk's throughput and latencies, each process's CPU time over the
measured runs (``/proc/PID/stat``) is divided by the requests served: the CPU a request costs
in the standin processes, in Redis, in HAProxy, and in the busiest replica (the one serving the
tenant, which a one-tenant load cannot spread). Those, unlike throughput on a shared machine,
predict a larger one: the table ends with the ceilings they imply with a core per process.

The workloads use the default tenant's token, so every request is for one tenant: a request
landing on a replica that does not serve it is handed to the one that does.
Exit code 0 whatever the figures; non-zero only when a server or wrk fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.haproxy import HEALTH_PATH, SERVED_BY, BalancerSettings, haproxy_config
from bench.run import (
    HTTP_TIMEOUT_S,
    Case,
    Placement,
    Prepared,
    Settings,
    place,
    prepare_standin,
    standin_command,
)
from bench.servers import Server, ServerFailed, free_port
from bench.wrk import WrkFailed, WrkResult, ensure_wrk, run_wrk

REDIS_SERVER = "/usr/bin/redis-server"
HAPROXY = "/usr/sbin/haproxy"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BASELINE = "single"
LENIENT_CHECKS = BalancerSettings(check_inter_ms=1000, check_timeout_ms=30_000, fall=5)
"""The bench saturates the replicas on purpose, which makes their health checks slow: HAProxy
must not take a busy replica out in the middle of a measurement (what it measures is throughput,
not failover; docs/deploy.md's checks are the tests')."""
SHORTER = {"BENCH_DURATION": "5", "BENCH_WARMUP": "2", "BENCH_ROUNDS": "2"}
"""Five configurations on two cases: shorter runs than bench/run.py's unless the environment
says otherwise (about two and a half minutes in all)."""


@dataclass(frozen=True)
class Config:
    name: str
    label: str
    replicas: int
    redis: bool
    balancer: bool


CONFIGS = (
    Config("single", "1 process, no Redis", 1, False, False),
    Config("redis", "1 process, Redis", 1, True, False),
    Config("lb-1", "1 replica behind HAProxy", 1, True, True),
    Config("lb-2", "2 replicas behind HAProxy", 2, True, True),
    Config("lb-3", "3 replicas behind HAProxy", 3, True, True),
)


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Running:
    """One configuration's processes; ``base_url`` is where the load goes."""

    config: Config
    replicas: list[Server]
    redis: Server | None
    balancer: Server | None

    @property
    def base_url(self) -> str:
        front = self.balancer or self.replicas[0]
        return front.base_url

    def processes(self) -> dict[str, Server]:
        named = {server.name: server for server in self.replicas}
        if self.redis is not None:
            named["redis"] = self.redis
        if self.balancer is not None:
            named["haproxy"] = self.balancer
        return named

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(server.pid) for name, server in self.processes().items()}

    def alive(self) -> None:
        for name, server in self.processes().items():
            if not server.alive():
                raise ServerFailed(f"{name} died during the run\n{server.log_tail()}")

    def stop(self) -> None:
        for server in reversed(list(self.processes().values())):
            server.stop()


def start(config: Config, placement: Placement, work: Path) -> Running:
    folder = work / config.name
    logs = folder / "logs"
    cpu = placement.server_cpu
    running = Running(config, [], None, None)
    try:
        redis_args: list[str] = []
        if config.redis:
            port = free_port()
            (folder / "redis").mkdir(parents=True, exist_ok=True)
            command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port)]
            command += ["--dir", str(folder / "redis"), "--appendonly", "yes"]
            command += ["--appendfsync", "always", "--save", "", "--loglevel", "warning"]
            running.redis = Server("redis", command, port, cpu, logs / "redis.log")
            running.redis.start(folder)
            redis_args = ["--redis", f"redis://127.0.0.1:{port}/0"]
        for n in range(1, config.replicas + 1):
            port = free_port()
            command = [*standin_command(port), *redis_args]
            replica = Server(f"r{n}", command, port, cpu, logs / f"r{n}.log")
            running.replicas.append(replica)
            replica.start(folder)
        if config.balancer:
            port = free_port()
            servers = [(r.name, r.port) for r in running.replicas]
            path = folder / "haproxy.cfg"
            path.write_text(haproxy_config(port, servers, folder / "haproxy.sock", LENIENT_CHECKS))
            command = [HAPROXY, "-db", "-f", str(path)]
            running.balancer = Server("haproxy", command, port, placement.wrk_cpu, logs / "lb.log")
            running.balancer.start(folder)
        wait_ready(running)
    except BaseException:
        running.stop()
        raise
    return running


def wait_ready(running: Running, timeout_s: float = 60.0) -> None:
    """Until every replica answers its health check through the front (each one, behind the
    balancer: it has seen them up)."""
    wanted = {r.name for r in running.replicas} if running.balancer else set()
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
        while True:
            try:
                answer = client.get(running.base_url + HEALTH_PATH)
                if answer.status_code == 200:
                    seen.add(answer.headers.get(SERVED_BY, ""))
                    if wanted <= seen:
                        return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"{running.config.name}: not ready (saw {sorted(seen)})")
            time.sleep(0.05)


@dataclass
class Measured:
    runs: list[WrkResult] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per process over the measured runs."""

    def figure(self, metric: str) -> float:
        return median(float(getattr(run, metric)) for run in self.runs)

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    def cpu_us(self, names: list[str]) -> float:
        """CPU microseconds per request in the named processes."""
        return sum(self.cpu.get(name, 0.0) for name in names) * 1e6 / max(self.requests, 1)

    def replica_us(self) -> dict[str, float]:
        return {n: self.cpu_us([n]) for n in self.cpu if n.startswith("r")}


def measure(
    running: Running,
    token: str,
    cases: list[Case],
    wrk: str,
    settings: Settings,
    placement: Placement,
) -> dict[str, Measured]:
    header = f"Authorization: Bearer {token}"
    results: dict[str, Measured] = {}
    for case in cases:
        url = case.url(running.base_url)

        def once(seconds: float, url: str = url) -> WrkResult:
            result = run_wrk(
                wrk,
                url,
                duration_s=seconds,
                threads=settings.threads,
                connections=settings.connections,
                cpu=placement.wrk_cpu,
                headers=[header],
            )
            running.alive()
            return result

        if settings.warmup_s > 0:
            once(settings.warmup_s)
        measured = Measured()
        before = running.cpu()
        for round_no in range(settings.rounds):
            result = once(settings.duration_s)
            measured.runs.append(result)
            print(
                f"bench: {running.config.name} ({case.key}) round {round_no + 1}/"
                f"{settings.rounds}: {result.requests_per_s:,.0f} req/s, "
                f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms",
                flush=True,
            )
        after = running.cpu()
        measured.cpu = {name: after[name] - before.get(name, 0.0) for name in after}
        results[case.key] = measured
    return results


def shape(value: Any) -> Any:
    """The keys and types of a JSON value, not its numbers (a live value moves with time)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def same_answers(client: httpx.Client, base: str, token: str, reference: Prepared) -> None:
    """The baseline's requests (its sample window, whatever the time now) answer what the
    baseline did: the same samples (links aside, which name the server asked), the same shape
    of live value."""
    headers = {"Authorization": f"Bearer {token}"}
    for case in reference.cases:
        body = client.get(case.url(base), headers=headers).json()
        wanted = json.loads(reference.bodies[case.key])
        same = (
            body["items"] == wanted["items"] and body["total"] == wanted["total"]
            if case.items is not None
            else shape(body) == shape(wanted)
        )
        if not same:
            raise ServerFailed(f"{base} answered another body than the baseline for {case.key}")


def ceiling(us_per_request: float) -> str:
    """Requests a second that a core spending this much CPU per request allows; "-" when the
    CPU time was below the clock tick's resolution."""
    return "-" if us_per_request <= 0 else f"{1e6 / us_per_request:,.0f}"


def report(
    outcomes: dict[str, dict[str, Measured]],
    cases: list[Case],
    settings: Settings,
    placement: Placement,
    load: tuple[float, float, float],
    command: str,
) -> str:
    lines = [
        "",
        f"standin scale-out ({placement.note}; HAProxy with wrk; wrk -t{settings.threads} "
        f"-c{settings.connections} -d{settings.duration_s:g}s, median of {settings.rounds} "
        f"rounds; load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})",
    ]
    head = (
        f"{'config':<7} {'req/s':>8} {'/single':>7} {'p50 ms':>7} {'p99 ms':>7} {'/single':>7}"
        f" {'standin':>8} {'busiest':>8} {'redis':>6} {'haproxy':>7}  (CPU us per request)"
    )
    for case in cases:
        base = outcomes[BASELINE][case.key]
        lines += ["", f"({case.key}) {case.label}: GET {case.url('')}", head, "-" * len(head)]
        for config in CONFIGS:
            if config.name not in outcomes:
                continue
            m = outcomes[config.name][case.key]
            standin = m.cpu_us([n for n in m.cpu if n.startswith("r")])
            busiest = max(m.replica_us().values())
            lines.append(
                f"{config.name:<7} {m.figure('requests_per_s'):>8,.0f} "
                f"{m.figure('requests_per_s') / base.figure('requests_per_s'):>7.2f} "
                f"{m.figure('p50_ms'):>7.2f} {m.figure('p99_ms'):>7.2f} "
                f"{m.figure('p99_ms') / base.figure('p99_ms'):>7.2f} "
                f"{standin:>8.0f} {busiest:>8.0f} {m.cpu_us(['redis']):>6.0f} "
                f"{m.cpu_us(['haproxy']):>7.0f}"
            )
        if "redis" in outcomes:
            r = outcomes["redis"][case.key]
            added = r.cpu_us(["r1", "redis"]) - base.cpu_us(["r1"])
            lines.append(
                f"Redis adds {added:,.0f} us of CPU per request "
                f"({r.cpu_us(['r1']) - base.cpu_us(['r1']):,.0f} in standin, "
                f"{r.cpu_us(['redis']):,.0f} in redis-server) and "
                f"{r.figure('p50_ms') - base.figure('p50_ms'):+.2f} ms at p50."
            )
        for config in CONFIGS:
            if not config.balancer or config.name not in outcomes:
                continue
            m = outcomes[config.name][case.key]
            total = m.cpu_us([n for n in m.cpu if n.startswith("r")])
            ceilings = {
                "one tenant (its replica's core)": max(m.replica_us().values()),
                "tenants spread (a core per replica)": total / config.replicas,
                "redis-server (one core)": m.cpu_us(["redis"]),
                "HAProxy (one core)": m.cpu_us(["haproxy"]),
            }
            text = ", ".join(f"{k} {ceiling(us)}" for k, us in ceilings.items())
            lines.append(f"{config.name}, with a core per process, predicts req/s: {text}.")
    lines += [
        "",
        "Ratios are over 'single' (above 1 is better for req/s, worse for p99). CPU us per "
        "request: the processes' CPU time over the measured runs divided by the requests "
        "served; 'standin' sums the replicas, 'busiest' is the replica serving the tenant. On "
        "this machine every standin process and Redis share one core, so more replicas cannot "
        "raise throughput here; the ceilings say what a core per process would allow.",
        f"Command: {command}",
    ]
    return "\n".join(lines)


def results_json(
    outcomes: dict[str, dict[str, Measured]],
    cases: list[Case],
    settings: Settings,
    placement: Placement,
    load: tuple[float, float, float],
    command: str,
) -> dict[str, Any]:
    def figures(m: Measured, base: Measured) -> dict[str, Any]:
        return {
            "requests_per_s": m.figure("requests_per_s"),
            "p50_ms": m.figure("p50_ms"),
            "p99_ms": m.figure("p99_ms"),
            "ratios": {
                metric: m.figure(metric) / base.figure(metric)
                for metric in ("requests_per_s", "p50_ms", "p99_ms")
            },
            "cpu_us_per_request": {name: m.cpu_us([name]) for name in m.cpu},
            "requests": m.requests,
            "runs": [run.as_json() for run in m.runs],
        }

    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "settings": {**settings.load_json(), "placement": placement.note},
        "load_average_at_start": load,
        "configs": {c.name: c.label for c in CONFIGS},
        "cases": {
            case.key: {
                "label": case.label,
                "request": f"GET {case.url('')}",
                "configs": {
                    name: figures(per_case[case.key], outcomes[BASELINE][case.key])
                    for name, per_case in outcomes.items()
                },
            }
            for case in cases
        },
    }


def bench(settings: Settings, command: str) -> int:
    for program in (REDIS_SERVER, HAPROXY):
        if not Path(program).exists():
            raise ServerFailed(f"{program} is missing: apt-get install redis-server haproxy")
    wrk = ensure_wrk()
    placement = place()
    load = os.getloadavg()
    print(f"bench: scale-out; {placement.note}", flush=True)
    work = settings.results / "scaleout-work"
    shutil.rmtree(work, ignore_errors=True)
    outcomes: dict[str, dict[str, Measured]] = {}
    reference: Prepared | None = None
    for config in CONFIGS:
        print(f"bench: starting {config.name}: {config.label}", flush=True)
        running = start(config, placement, work)
        try:
            with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
                prepared = prepare_standin(client, running.base_url)
                if reference is None:
                    reference = prepared
                # Every configuration is loaded with the baseline's requests.
                same_answers(client, running.base_url, prepared.token, reference)
            outcomes[config.name] = measure(
                running, prepared.token, reference.cases, wrk, settings, placement
            )
        finally:
            running.stop()
    assert reference is not None
    table = report(outcomes, reference.cases, settings, placement, load, command)
    print(table)
    settings.results.mkdir(parents=True, exist_ok=True)
    payload = results_json(outcomes, reference.cases, settings, placement, load, command)
    (settings.results / "scaleout.json").write_text(json.dumps(payload, indent=2) + "\n")
    (settings.results / "scaleout.txt").write_text(table.lstrip("\n") + "\n")
    print(f"\nbench: results written to {settings.results / 'scaleout.json'} and scaleout.txt")
    return 0


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__)
    options.add_argument(
        "--quick", action="store_true", help="1 s runs, one round, no warm-up, 2 connections"
    )
    quick = options.parse_args(argv).quick
    for name, value in SHORTER.items():
        os.environ.setdefault(name, value)
    settings = Settings.from_env()
    if quick:
        settings = Settings(1.0, 0.0, 1, 2, 1, "off", settings.results)
    command = "python -m bench.scaleout --quick"
    if not quick:
        env = {
            "BENCH_DURATION": f"{settings.duration_s:g}",
            "BENCH_WARMUP": f"{settings.warmup_s:g}",
            "BENCH_ROUNDS": str(settings.rounds),
            "BENCH_CONNECTIONS": str(settings.connections),
            "BENCH_THREADS": str(settings.threads),
        }
        command = " ".join(f"{k}={v}" for k, v in env.items()) + " python -m bench.scaleout"
    try:
        return bench(settings, command)
    except (ServerFailed, WrkFailed) as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
