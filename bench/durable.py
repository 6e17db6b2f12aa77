"""The durable cost of a write with ``--data-dir``: a Metasys command with the tenant's audit trail
empty and at its cap (10,000 audits), as a ratio to the empty trail, in the same run.

In process (no server, no port): a sandbox with Metasys alone kept in a data directory in a
temporary folder. The trail is filled through the state's own command path (a setpoint commanded
with alternating values, so each command leaves an audit, a value change and a sample, as HTTP
commands do) and kept in one write. Then commands go through the whole ASGI stack (journal,
seam, limiter) with a bearer token; each answer leaves only after its state is committed to
SQLite. Reported: the median wall time of a command, and beside it what keeping the whole state
as one snapshot (how every write was kept before capped logs were kept as rows) costs on the
same state: pickling it and committing it, measured the same number of times.

    python -m bench.durable                  # the trail empty and at its cap
    BENCH_DURABLE_WRITES=5 BENCH_DURABLE_AUDITS="0 200" python -m bench.durable

Writes bench/results/durable.txt and .json (``BENCH_RESULTS``, default bench/results).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.history import API, metasys_auth

POINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
AUDITS = (0, 10_000)
WRITES = 30
REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Point:
    audits: int
    """Audits kept before the commands were measured."""
    command_ms: float
    """Median wall milliseconds of one command through the stack, its state committed."""
    whole_ms: float
    """Median wall milliseconds of keeping the same state as one snapshot (before)."""
    snapshot_kib: float
    """The size of that one snapshot."""


def measure(audits: int, writes: int) -> Point:
    from standin._core.durable import SqlitePersistence
    from standin._core.pickling import dump_state
    from standin.registry import create_sandbox
    from standin.server import build_app

    with tempfile.TemporaryDirectory(prefix="standin-bench-durable-") as data_dir:
        sandbox = create_sandbox(["metasys"], data_dir=data_dir)
        try:
            tenant = sandbox.tenants.default()
            state: Any = tenant.states["metasys"]
            obj = state.tree.find(POINT)
            user = state.user("api-admin")
            if obj is None or user is None:
                raise SystemExit(f"bench.durable: {POINT} or api-admin missing from the fixtures")
            while len(state.audits) < audits:
                value = 60.0 + len(state.audits) % 2
                state.command(obj, "adjustCommand", {"parameters": [value]}, user)
            sandbox.persistence.save_state(tenant, "metasys")
            times = asyncio.run(_commands(build_app(sandbox), obj.id, writes))
            persistence = sandbox.persistence
            assert isinstance(persistence, SqlitePersistence)
            vendor = sandbox.apis["metasys"]
            whole: list[float] = []
            size = 0
            for _ in range(writes):
                began = time.perf_counter()
                blob = dump_state(state, vendor)
                persistence.store.put_states([("bench-whole", "metasys", blob)])
                whole.append((time.perf_counter() - began) * 1000)
                size = len(blob)
        finally:
            sandbox.close()
    return Point(audits, median(times), median(whole), size / 1024)


async def _commands(app: Any, object_id: str, writes: int) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        headers = await metasys_auth(client)
        path = f"{API}/objects/{object_id}/commands/adjustCommand"
        times: list[float] = []
        for write in range(writes + 1):
            began = time.perf_counter()
            answer = await client.put(path, json={"parameters": [70 + write % 2]}, headers=headers)
            elapsed = time.perf_counter() - began
            if answer.status_code != 200:
                raise SystemExit(f"bench.durable: {answer.status_code} {answer.text[:300]}")
            if write:  # the first warms the route
                times.append(elapsed * 1000)
    return times


def report(points: list[Point], writes: int, load: float) -> str:
    base = points[0].command_ms
    lines = [
        "",
        "Durable write cost with --data-dir (SQLite): a Metasys command, in process, median wall "
        f"time of {writes} commands; 'whole' keeps the same state as one snapshot (before), "
        f"measured as often (1-min load {load:.2f})",
        f"{'audits':>7} {'command ms':>11} {'/empty':>7} {'whole ms':>9} {'whole KiB':>10} "
        f"{'whole/command':>14}",
    ]
    for point in points:
        lines.append(
            f"{point.audits:>7,} {point.command_ms:>11.2f} {point.command_ms / base:>7.2f} "
            f"{point.whole_ms:>9.2f} {point.snapshot_kib:>10.0f} "
            f"{point.whole_ms / point.command_ms:>14.1f}"
        )
    counts = " ".join(str(p.audits) for p in points)
    lines.append(
        f'Command: BENCH_DURABLE_WRITES={writes} BENCH_DURABLE_AUDITS="{counts}" '
        "python -m bench.durable"
    )
    return "\n".join(lines)


def results_json(points: list[Point], writes: int, load: float) -> dict[str, Any]:
    base = points[0].command_ms
    return {
        "writes": writes,
        "load_1min": load,
        "points": [
            {
                "audits": p.audits,
                "command_ms": p.command_ms,
                "ratio_to_empty": p.command_ms / base,
                "whole_snapshot_ms": p.whole_ms,
                "whole_snapshot_kib": p.snapshot_kib,
            }
            for p in points
        ],
    }


def main() -> int:
    writes = int(os.environ.get("BENCH_DURABLE_WRITES", str(WRITES)))
    if not 1 <= writes <= 1000:
        raise SystemExit("bench: BENCH_DURABLE_WRITES must be 1 to 1000")
    raw_counts = os.environ.get("BENCH_DURABLE_AUDITS", "").split()
    counts = tuple(int(c) for c in raw_counts) if raw_counts else AUDITS
    if not counts or any(not 0 <= c <= 10_000 for c in counts):
        raise SystemExit("bench: BENCH_DURABLE_AUDITS must be numbers of 0 to 10000")
    raw = os.environ.get("BENCH_RESULTS", "").strip()
    results = Path(raw) if raw else DEFAULT_RESULTS
    load = os.getloadavg()[0]
    points = [measure(count, writes) for count in counts]
    table = report(points, writes, load)
    print(table)
    results.mkdir(parents=True, exist_ok=True)
    (results / "durable.json").write_text(
        json.dumps(results_json(points, writes, load), indent=2) + "\n"
    )
    (results / "durable.txt").write_text(table.lstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
