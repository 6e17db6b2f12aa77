"""wrk: make sure it is installed, run it pinned to a core, and read its ``--latency`` report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass

APT_TIMEOUT_S = 600
"""Upper bound for each of ``apt-get update`` and ``apt-get install``."""

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.MULTILINE)
_SOCKET = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


class WrkFailed(RuntimeError):
    """wrk could not be installed, did not run, or its report was unusable."""


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    timeouts: int

    def as_json(self) -> dict[str, float | int]:
        return asdict(self)


def ensure_wrk() -> str:
    """The path of ``wrk``; installs the Debian package first when it is missing."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise WrkFailed("wrk is not installed and apt-get is not available; install wrk yourself")
    if os.geteuid() != 0:
        raise WrkFailed("wrk is not installed; run `apt-get install -y wrk` as root, then retry")
    print("bench: wrk not found, installing it with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt_get, "update"], [apt_get, "install", "-y", "wrk"]):
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            raise WrkFailed(f"`{' '.join(command)}` took over {APT_TIMEOUT_S} s") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip()[-2000:]
            raise WrkFailed(f"`{' '.join(command)}` failed ({done.returncode}):\n{tail}")
    found = shutil.which("wrk")
    if found is None:
        raise WrkFailed("apt-get install -y wrk succeeded but wrk is still not on PATH")
    return found


def wrk_version(wrk: str) -> str:
    # `wrk -v` prints its version banner and exits non-zero; only the first line matters.
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse_report(text: str) -> WrkResult:
    """Requests/s, p50 and p99 (ms) and error counts from a ``wrk --latency`` report."""
    rps = _RPS.search(text)
    total = _TOTAL.search(text)
    percentiles = {float(p): _to_ms(v, u) for p, v, u in _PERCENTILE.findall(text)}
    if rps is None or total is None or 50.0 not in percentiles or 99.0 not in percentiles:
        raise WrkFailed(f"could not read wrk's report:\n{text}")
    non_2xx = _NON_2XX.search(text)
    socket = _SOCKET.search(text)
    connect, read, write, timeout = (int(n) for n in socket.groups()) if socket else (0, 0, 0, 0)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles[50.0],
        p99_ms=percentiles[99.0],
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=connect + read + write,
        timeouts=timeout,
    )


def run_wrk(
    wrk: str,
    url: str,
    *,
    duration_s: float,
    threads: int,
    connections: int,
    cpu: int | None,
    headers: list[str] | None = None,
    timeout_s: float | None = None,
) -> WrkResult:
    """One wrk run against ``url``; raises ``WrkFailed`` unless every response was 2xx.
    ``timeout_s``: how long wrk waits for an answer (its default is 2 s)."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        *([f"--timeout={max(1, round(timeout_s))}s"] if timeout_s is not None else []),
        "--latency",
        *(part for header in headers or [] for part in ("-H", header)),
        url,
    ]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + (timeout_s or 0) + 60
        )
    except subprocess.TimeoutExpired:
        raise WrkFailed(f"wrk did not finish within {duration_s + 60:.0f} s: {url}") from None
    if done.returncode != 0:
        raise WrkFailed(f"wrk exited {done.returncode} for {url}:\n{done.stderr}{done.stdout}")
    result = parse_report(done.stdout)
    if result.requests == 0:
        raise WrkFailed(f"wrk completed no requests against {url}:\n{done.stdout}")
    if result.non_2xx:
        raise WrkFailed(f"{result.non_2xx} non-2xx responses from {url}:\n{done.stdout}")
    if result.socket_errors:
        raise WrkFailed(f"socket errors against {url}:\n{done.stdout}")
    return result
