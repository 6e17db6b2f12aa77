"""Issue 20's history-growth curve for the Metasys samples page: its time after 0, 5,000 and
25,000 commands, as ratios to the smallest history.

In process (no server, no port): a sandbox with Metasys alone, its clock frozen; a setpoint is
commanded N times (alternating values, so each command is a change) at instants spread over the
week before the window's end, through the state's own command path (so audits, events and the
history are what HTTP commands leave). Then the samples page, a week, page 3 of 100, is read
through the whole ASGI stack (journal, seam, limiter) with a bearer token, each time with the
window's start one second later so that every read is worked out afresh (an unchanged page is
reused, which would measure the memo, not the history). Reported: the median CPU time of a read
(the process's, client included: on a shared machine wall time would mostly measure waiting).

    python -m bench.history                    # 0, 5,000 and 25,000 commands
    python -m bench.history --commands 0 1000 --reads 10
    python -m bench.history --json             # the points as JSON (``make bench`` reads it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

import httpx

API = "/metasys/api/v4"
POINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
"""A trended, commandable setpoint of the default fixtures."""
COUNTS = (0, 5_000, 25_000)
READS = 30
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Point:
    commands: int
    median_ms: float
    """CPU milliseconds of one read (client and server, one process)."""
    total: int
    """Samples in the window (grid instants plus changes)."""


def measure(commands: int, reads: int) -> Point:
    from standin.registry import create_sandbox
    from standin.server import build_app

    sandbox = create_sandbox(["metasys"])
    tenant = sandbox.tenants.default()
    state: Any = tenant.states["metasys"]
    clock = tenant.clock
    end = NOW - timedelta(hours=1)
    start = end - WEEK
    obj = state.tree.find(POINT)
    user = state.user("api-admin")
    if obj is None or user is None:
        raise SystemExit(f"bench.history: {POINT} or api-admin missing from the fixtures")
    step = WEEK.total_seconds() / max(commands, 1)
    for index in range(commands):
        clock.freeze(start + timedelta(seconds=index * step + 7.5))
        value = 70.0 + index % 7
        state.command(obj, "adjustCommand", {"parameters": [value]}, user)
    clock.freeze(NOW)
    return asyncio.run(_read(build_app(sandbox), obj.id, start, end, commands, reads))


async def metasys_auth(client: httpx.AsyncClient) -> dict[str, str]:
    """The default tenant's Metasys bearer header, from a login with its credentials."""
    credentials = (await client.get("/_sandbox/credentials")).json()["metasys"]
    login = await client.post(
        f"{API}/login",
        json={"username": credentials["username"], "password": credentials["password"]},
    )
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def _read(
    app: Any, object_id: str, start: datetime, end: datetime, commands: int, reads: int
) -> Point:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        headers = await metasys_auth(client)
        path = f"{API}/objects/{object_id}/trendedAttributes/attributeEnumSet.presentValue/samples"
        times: list[float] = []
        total = 0
        for read in range(reads + 1):
            params = {
                "startTime": (start + timedelta(seconds=read)).strftime(STAMP),
                "endTime": end.strftime(STAMP),
                "page": "3",
                "pageSize": "100",
            }
            began = time.process_time()
            answer = await client.get(path, params=params, headers=headers)
            elapsed = time.process_time() - began
            if answer.status_code != 200:
                raise SystemExit(f"bench.history: {answer.status_code} {answer.text[:300]}")
            total = int(answer.json()["total"])
            if read:  # the first read warms the series' memo; the rest are measured
                times.append(elapsed * 1000)
    return Point(commands, median(times), total)


def curve(counts: Sequence[int] = COUNTS, reads: int = READS) -> list[Point]:
    return [measure(count, reads) for count in counts]


def table(points: list[Point], reads: int) -> str:
    smallest = points[0].median_ms
    lines = [
        "",
        "Metasys samples page after N commands (issue 20's history growth): in process, "
        f"page 3 of 100 of a week, median CPU time of {reads} reads each worked out afresh",
        f"{'commands':>9} {'samples':>8} {'CPU ms':>10} {'/smallest':>10}",
    ]
    for point in points:
        lines.append(
            f"{point.commands:>9,} {point.total:>8,} {point.median_ms:>10.2f} "
            f"{point.median_ms / smallest:>10.2f}"
        )
    return "\n".join(lines)


def as_json(points: list[Point]) -> list[dict[str, Any]]:
    smallest = points[0].median_ms
    return [
        {
            "commands": point.commands,
            "samples": point.total,
            "median_ms": point.median_ms,
            "ratio_to_smallest": point.median_ms / smallest,
        }
        for point in points
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--commands", type=int, nargs="+", default=list(COUNTS))
    parser.add_argument("--reads", type=int, default=READS)
    parser.add_argument("--json", action="store_true", help="print the points as JSON")
    args = parser.parse_args(argv)
    points = curve(args.commands, args.reads)
    print(json.dumps(as_json(points)) if args.json else table(points, args.reads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
