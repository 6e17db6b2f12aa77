"""Issue 20's history-growth curves for Metasys' activity lists: page 1 of ``/audits``,
``/alarms`` and ``/activities`` (and ``/audits/counts`` over the whole period) with N audits and N
alarms made, as ratios to a full first page.

In process (no server, no port), a fresh sandbox per size, Metasys alone, its clock frozen: a
setpoint is commanded N times (alternating values; each command writes one audit through the
state's own command path) and N alarms are raised on it (the control plane's path,
``MetasysState.raise_alarm``), at instants spread over the week before the reads. Each list is
then read through the whole ASGI stack (journal, seam, limiter) with a bearer token, page 1 of
100, newest first; the counts per day over the week. Reported: the median CPU time of a read
(the process's, client included: on a shared machine wall time would mostly measure waiting).

A tenant keeps its newest 10,000 audits and 10,000 alarms (``AUDIT_LIMIT``, ``ALARM_LIMIT``):
25,000 made means 10,000 of each kept, and the table shows both figures. Ratios are to the
smallest size with a full page 1 (100 items), so that they measure the history and not the
rendering of a fuller page; an empty history is listed too, below 1.

    python -m bench.activity_history                  # 0, 100, 5,000 and 25,000 of each
    python -m bench.activity_history --sizes 0 1000 --reads 10
    python -m bench.activity_history --json           # the points as JSON (``make bench``)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

import httpx

from bench.history import API, POINT, STAMP, WEEK, metasys_auth

SIZES = (0, 100, 5_000, 25_000)
READS = 30
PAGE_SIZE = 100
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LISTS = ("audits", "alarms", "activities", "audit counts")


@dataclass(frozen=True)
class Point:
    made: int
    """Audits made, and alarms made (as many of each)."""
    kept: dict[str, int]
    """What each list's answer says it holds (its ``total``; for the counts, the sum)."""
    median_ms: dict[str, float]
    """CPU milliseconds of one read of each list (client and server, one process)."""


def measure(made: int, reads: int) -> Point:
    from standin.registry import create_sandbox
    from standin.server import build_app

    sandbox = create_sandbox(["metasys"])
    tenant = sandbox.tenants.default()
    state: Any = tenant.states["metasys"]
    clock = tenant.clock
    start = NOW - WEEK
    obj = state.tree.find(POINT)
    user = state.user("api-admin")
    if obj is None or user is None:
        raise SystemExit(f"bench.activity_history: {POINT} or api-admin missing")
    step = (WEEK - timedelta(hours=1)).total_seconds() / max(made, 1)
    for index in range(made):
        clock.freeze(start + timedelta(seconds=index * step + 7.5))
        state.command(obj, "adjustCommand", {"parameters": [70.0 + index % 7]}, user)
        state.raise_alarm(obj, "avHiAlarm", 70, True, 80.0 + index % 7, "bench")
    clock.freeze(NOW)
    return asyncio.run(_read(build_app(sandbox), made, start, reads))


async def _read(app: Any, made: int, start: datetime, reads: int) -> Point:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        headers = await metasys_auth(client)
        page = {"page": "1", "pageSize": str(PAGE_SIZE), "sort": "-creationTime"}
        counts = {
            "startTime": start.strftime(STAMP),
            "endTime": NOW.strftime(STAMP),
            "timeInterval": "Day",
        }
        asks: dict[str, tuple[str, dict[str, str], Callable[[Any], int]]] = {
            "audits": (f"{API}/audits", page, _total),
            "alarms": (f"{API}/alarms", page, _total),
            "activities": (f"{API}/activities", {"sort": "-creationTime"}, _total),
            "audit counts": (f"{API}/audits/counts", counts, _counted),
        }
        kept: dict[str, int] = {}
        times: dict[str, float] = {}
        for name, (path, params, held) in asks.items():

            async def get(path: str = path, params: dict[str, str] = params) -> httpx.Response:
                return await client.get(path, params=params, headers=headers)

            kept[name], times[name] = await _median(get, held, reads)
    return Point(made, kept, times)


def _total(body: Any) -> int:
    return int(body["total"])


def _counted(body: Any) -> int:
    return sum(int(row["count"]) for row in body)


async def _median(
    get: Callable[[], Awaitable[httpx.Response]], held: Callable[[Any], int], reads: int
) -> tuple[int, float]:
    """(what the answer holds, the median CPU ms of ``reads`` reads after one warm-up read)."""
    times: list[float] = []
    kept = 0
    for read in range(reads + 1):
        began = time.process_time()
        answer = await get()
        elapsed = time.process_time() - began
        if answer.status_code != 200:
            raise SystemExit(f"bench.activity_history: {answer.status_code} {answer.text[:300]}")
        kept = held(answer.json())
        if read:
            times.append(elapsed * 1000)
    return kept, median(times)


def curve(sizes: Sequence[int] = SIZES, reads: int = READS) -> list[Point]:
    return [measure(size, reads) for size in sizes]


def reference(points: Sequence[Point]) -> Point:
    """The smallest size whose page 1 is full (the smallest size if none is)."""
    full = [p for p in points if p.made >= PAGE_SIZE]
    return min(full or points, key=lambda p: p.made)


def table(points: list[Point], reads: int) -> str:
    base = reference(points)
    lines = [
        "",
        "Metasys activity lists with N audits and N alarms made (issue 20's history growth): in "
        f"process, page 1 of {PAGE_SIZE} newest first (counts: per day over the week), median "
        f"CPU time of {reads} reads; ratios to {base.made:,} made. A tenant keeps its newest "
        "10,000 audits and 10,000 alarms: past that, 'kept' stays at 10,000 of each.",
        f"{'made':>7}  {'list':13} {'kept':>7} {'CPU ms':>8} {'/' + format(base.made, ','):>8}",
    ]
    for point in points:
        for name in LISTS:
            ratio = point.median_ms[name] / base.median_ms[name]
            lines.append(
                f"{point.made:>7,}  {name:13} {point.kept[name]:>7,} "
                f"{point.median_ms[name]:>8.2f} {ratio:>8.2f}"
            )
    return "\n".join(lines)


def as_json(points: list[Point]) -> list[dict[str, Any]]:
    base = reference(points)
    return [
        {
            "made": point.made,
            "kept": point.kept,
            "median_ms": point.median_ms,
            "reference_made": base.made,
            "ratio_to_reference": {
                name: point.median_ms[name] / base.median_ms[name] for name in LISTS
            },
        }
        for point in points
    ]


def from_json(rows: list[dict[str, Any]]) -> list[Point]:
    return [
        Point(
            int(row["made"]),
            {k: int(v) for k, v in row["kept"].items()},
            {k: float(v) for k, v in row["median_ms"].items()},
        )
        for row in rows
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.activity_history", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--reads", type=int, default=READS)
    parser.add_argument("--json", action="store_true", help="print the points as JSON")
    args = parser.parse_args(argv)
    points = curve(args.sizes, args.reads)
    print(json.dumps(as_json(points)) if args.json else table(points, args.reads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
