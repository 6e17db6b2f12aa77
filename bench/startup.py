"""``make bench``: how fast ``standin`` starts, beside the interpreter's own start in the same run.

Three timings, each the median of ``BENCH_STARTUP_RUNS`` runs (default 5), one after another:

- ``python -c pass`` with the same interpreter: the baseline every figure is a ratio to;
- ``standin --help``: the CLI's import and argument parsing (target under 0.5 s);
- ``standin serve``: from starting the process to the first 200 of ``GET /_sandbox/health``
  (polled every 10 ms), and to the first 200 of a vendor read, Atmotube's ``GET
  /atmotube/api/v1/data`` with the default tenant's API key (target under 1 s on an idle core);
  beside it the CPU time the server process had used by then, which is what the start costs on
  an idle core however busy the machine is.

Prints a table and writes ``startup.json`` and ``startup.txt`` to the results folder
(``BENCH_RESULTS``, default bench/results). Exits 0 whatever the figures (a missed target says
MISSED), non-zero only when ``standin serve`` does not answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlencode

from bench.servers import free_port

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"
STANDIN = Path(sys.executable).with_name("standin")
POLL_S = 0.01
START_TIMEOUT_S = 60.0
HELP_TARGET_S = 0.5
SERVE_TARGET_S = 1.0


class StartFailed(RuntimeError):
    """``standin serve`` exited or did not answer in time."""


@dataclass(frozen=True)
class Timing:
    name: str
    runs: list[float]
    target_s: float | None = None

    @property
    def median_s(self) -> float:
        return median(self.runs)

    def verdict(self) -> str:
        if self.target_s is None:
            return ""
        met = "ok" if self.median_s < self.target_s else "MISSED"
        return f"{met} (target < {self.target_s:g} s)"


def _timed_run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _first_200(url: str, started: float, process: subprocess.Popen[bytes]) -> tuple[float, bytes]:
    """Seconds from ``started`` to the first 200 from ``url``, polling; and its body."""
    while time.perf_counter() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            raise StartFailed(f"standin serve exited with {process.returncode}")
        try:
            status, body = _get(url)
        except OSError:
            time.sleep(POLL_S)
            continue
        if status == 200:
            return time.perf_counter() - started, body
        time.sleep(POLL_S)
    raise StartFailed(f"no 200 from {url} in {START_TIMEOUT_S:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_once() -> tuple[float, float, float]:
    """Seconds to the first health 200 and to the first vendor read's 200, and the server's
    CPU seconds at that read."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(STANDIN), "serve", "--port", str(port), "--log-level", "warning"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        health, _ = _first_200(f"{base}/_sandbox/health", started, process)
        _, body = _first_200(f"{base}/_sandbox/credentials", started, process)
        atmotube = json.loads(body)["atmotube"]
        query = urlencode({"api_key": atmotube["api_key"], "mac": atmotube["macs"][0]})
        vendor, _ = _first_200(f"{base}/atmotube/api/v1/data?{query}", started, process)
        return health, vendor, cpu_seconds(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(runs: int) -> list[Timing]:
    python = [_timed_run([sys.executable, "-c", "pass"]) for _ in range(runs)]
    helps = [_timed_run([str(STANDIN), "--help"]) for _ in range(runs)]
    served = [serve_once() for _ in range(runs)]
    return [
        Timing("python -c pass", python),
        Timing("standin --help", helps, HELP_TARGET_S),
        Timing("standin serve: first /_sandbox/health 200", [s[0] for s in served]),
        Timing("standin serve: first vendor read 200", [s[1] for s in served], SERVE_TARGET_S),
        Timing("  its CPU time by then (idle-core cost)", [s[2] for s in served], SERVE_TARGET_S),
    ]


def report(timings: list[Timing], runs: int, load: float) -> str:
    baseline = timings[0].median_s
    lines = [
        "",
        f"Start-up, median of {runs} runs (1-minute load average before: {load:.2f})",
        f"{'what':44} {'seconds':>8} {'/python':>8}  verdict",
    ]
    for timing in timings:
        ratio = timing.median_s / baseline
        lines.append(f"{timing.name:44} {timing.median_s:8.3f} {ratio:8.1f}  {timing.verdict()}")
    lines.append(f"Command: BENCH_STARTUP_RUNS={runs} python -m bench.startup")
    return "\n".join(lines)


def results_json(timings: list[Timing], runs: int, load: float) -> dict[str, Any]:
    baseline = timings[0].median_s
    return {
        "command": f"BENCH_STARTUP_RUNS={runs} python -m bench.startup",
        "load_average_before": load,
        "runs": runs,
        "timings": [
            {
                "name": t.name,
                "median_s": t.median_s,
                "ratio_to_python": t.median_s / baseline,
                "target_s": t.target_s,
                "met": None if t.target_s is None else t.median_s < t.target_s,
                "runs_s": t.runs,
            }
            for t in timings
        ],
    }


def main() -> int:
    runs = int(os.environ.get("BENCH_STARTUP_RUNS", "5"))
    if not 1 <= runs <= 50:
        raise SystemExit("bench: BENCH_STARTUP_RUNS must be 1 to 50")
    raw = os.environ.get("BENCH_RESULTS", "").strip()
    results = Path(raw) if raw else DEFAULT_RESULTS
    load = os.getloadavg()[0]
    try:
        timings = measure(runs)
    except StartFailed as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        return 1
    table = report(timings, runs, load)
    print(table)
    results.mkdir(parents=True, exist_ok=True)
    payload = results_json(timings, runs, load)
    (results / "startup.json").write_text(json.dumps(payload, indent=2) + "\n")
    (results / "startup.txt").write_text(table.lstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
