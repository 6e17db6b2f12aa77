"""The durable cost of a write with ``--data-dir``, per API: one acknowledged write with the
tenant's state as the fixtures leave it ("empty") and with it at its caps ("at cap"), as a ratio
to empty, in the same run.

In process (no server, no port): a sandbox with the three APIs whose state grows with what
callers write, kept in a data directory in a temporary folder. Each is filled through its state's
own write path and kept in one write, then writes go through the whole ASGI stack (journal,
seam, limiter) with a bearer token; each answer leaves only after its state is committed to
SQLite. At cap:

- Metasys: a setpoint commanded until the audit trail holds 10,000 (its command history fills
  too); the write is a command.
- BuildingMinds: 10,000 batches of 5 records, 50,000 inbound messages, 20,000 entities
  onboarded; the write submits one record (the oldest batch is forgotten to make room).
- Atrius: 99,000 readings pushed to one meter; the write pushes one reading to it.

Reported: the median wall time and CPU time of a write, the CPU time's ratio to empty (the
machine's other load moves it far less than wall time), and beside it what keeping
the whole state as one snapshot (how such a write was kept before its records were kept as
rows) costs on the same state: pickling it and committing it (measured fewer times: at cap it
takes seconds).

    python -m bench.durable                                  # every API, empty and at cap
    BENCH_DURABLE_WRITES=5 BENCH_DURABLE_APIS="metasys" python -m bench.durable
    BENCH_DURABLE_FILL=0.01 python -m bench.durable            # filled to 1 % of the caps

Writes bench/results/durable.txt and .json (``BENCH_RESULTS``, default bench/results).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.history import API, metasys_auth

POINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
ATRIUS_METER = "3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"
"""The Main Library's electricity meter (a fixture meter on the default gateway)."""
APIS = ("metasys", "buildingminds", "atrius")
WRITES = 30
WHOLE_WRITES = 3
EPOCH = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
BENCH_BM_IDS = 20_000
REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "results"


@dataclass(frozen=True)
class Point:
    api: str
    full: bool
    """At cap (else as the fixtures leave it)."""
    held: str
    """What the state held when measured."""
    write_ms: float
    """Median wall milliseconds of one write through the stack, its state committed."""
    cpu_ms: float
    """Median CPU milliseconds of this process for one write (what the ratio is taken of: the
    machine's other load moves it far less than wall time)."""
    whole_ms: float
    """Median wall milliseconds of keeping the same state as one snapshot (before)."""
    snapshot_kib: float
    """The size of that one snapshot."""


Write = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


# --- filling each API to its caps, through its state --------------------------------------------


def fill_metasys(state: Any, fill: float) -> tuple[str, str]:
    obj = state.tree.find(POINT)
    user = state.user("api-admin")
    if obj is None or user is None:
        raise SystemExit(f"bench.durable: {POINT} or api-admin missing from the fixtures")
    while len(state.audits) < int(10_000 * fill):
        value = 60.0 + len(state.audits) % 2
        state.command(obj, "adjustCommand", {"parameters": [value]}, user)
    return obj.id, f"{len(state.audits):,} audits"


def fill_buildingminds(state: Any, fill: float) -> str:
    from standin.buildingminds.state import MAX_BATCHES

    distinct = max(int(BENCH_BM_IDS * fill), 5)
    for n in range(int(MAX_BATCHES * fill)):
        ids = [(5 * n + k) % distinct for k in range(5)]
        state.submit("address", [_address(f"BENCH-{i}") for i in ids])
    state._clock.advance(3600)  # every record processed: the addresses onboarded
    state.advance()
    return (
        f"{len(state.batches):,} batches, {len(state.messages):,} messages, "
        f"{len(state.entities):,} entities"
    )


def fill_atrius(state: Any, fill: float) -> str:
    from standin.atrius.series import PushedReadings

    readings = state.readings.get(ATRIUS_METER)
    if readings is None:
        readings = PushedReadings()
        state.readings.put(ATRIUS_METER, readings)
    for n in range(int(99_000 * fill)):
        readings.put(EPOCH + 900 * n, float(n))
    return f"{len(readings):,} readings"


def _address(address_id: str) -> dict[str, Any]:
    return {
        "addressId": address_id,
        "type": "Postal address",
        "streetName": "Jungfernstieg",
        "city": "Hamburg",
        "postalCode": "20354",
        "country": "DE",
    }


# --- the writes measured, through the stack ----------------------------------------------------


async def metasys_write(client: httpx.AsyncClient, object_id: str) -> Write:
    headers = await metasys_auth(client)
    path = f"{API}/objects/{object_id}/commands/adjustCommand"

    async def write(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.put(path, json={"parameters": [70 + n % 2]}, headers=headers)

    return write


async def buildingminds_write(client: httpx.AsyncClient) -> Write:
    creds = (await client.get("/_sandbox/credentials")).json()["buildingminds"]
    token = await client.post(
        f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": creds["scope"] + "/.default",
            "grant_type": "client_credentials",
        },
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    path = "/buildingminds/api/digitaltwinintegration/address"

    async def write(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.post(path, json=[_address(f"BENCH-{n % 100}")], headers=headers)

    return write


async def atrius_write(client: httpx.AsyncClient) -> Write:
    creds = (await client.get("/_sandbox/credentials")).json()["atrius"]
    token = await client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    path = f"/atrius/gateways/{creds['gateway']}/data"

    async def write(client: httpx.AsyncClient, n: int) -> httpx.Response:
        stamp = datetime.fromtimestamp(EPOCH - 900 * (n + 1), UTC).isoformat()
        return await client.post(
            path, json={"data": {ATRIUS_METER: [[stamp, float(n)]]}}, headers=headers
        )

    return write


async def _writes(
    app: Any, api: str, object_id: str, writes: int
) -> tuple[list[float], list[float]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        if api == "metasys":
            write = await metasys_write(client, object_id)
        elif api == "buildingminds":
            write = await buildingminds_write(client)
        else:
            write = await atrius_write(client)
        times: list[float] = []
        cpu: list[float] = []
        for n in range(writes + 1):
            began, began_cpu = time.perf_counter(), time.process_time()
            answer = await write(client, n)
            elapsed, used = time.perf_counter() - began, time.process_time() - began_cpu
            if not answer.is_success:
                raise SystemExit(f"bench.durable: {api} {answer.status_code} {answer.text[:300]}")
            if n:  # the first warms the route
                times.append(elapsed * 1000)
                cpu.append(used * 1000)
    return times, cpu


def measure(api: str, full: bool, writes: int, fill: float = 1.0) -> Point:
    from standin._core.durable import SqlitePersistence
    from standin._core.pickling import dump_state
    from standin.registry import create_sandbox
    from standin.server import build_app

    with tempfile.TemporaryDirectory(prefix="standin-bench-durable-") as data_dir:
        sandbox = create_sandbox([api], data_dir=data_dir)
        try:
            tenant = sandbox.tenants.default()
            state: Any = tenant.states[api]
            object_id = ""
            if api == "metasys":
                found = state.tree.find(POINT)
                object_id = found.id
                held = f"{len(state.audits):,} audits"
                if full:
                    object_id, held = fill_metasys(state, fill)
            elif api == "buildingminds":
                tenant.clock.freeze()  # the records stay as filled while writes are measured
                empty = f"{len(state.messages)} messages"
                held = fill_buildingminds(state, fill) if full else empty
            else:
                held = fill_atrius(state, fill) if full else "no readings"
            sandbox.persistence.save_state(tenant, api)
            times, cpu = asyncio.run(_writes(build_app(sandbox), api, object_id, writes))
            persistence = sandbox.persistence
            assert isinstance(persistence, SqlitePersistence)
            vendor = sandbox.apis[api]
            whole: list[float] = []
            size = 0
            for _ in range(min(writes, WHOLE_WRITES)):
                began = time.perf_counter()
                blob = dump_state(state, vendor)
                persistence.store.put_states([("bench-whole", api, blob)])
                whole.append((time.perf_counter() - began) * 1000)
                size = len(blob)
        finally:
            sandbox.close()
    return Point(api, full, held, median(times), median(cpu), median(whole), size / 1024)


def report(points: list[Point], writes: int, load: float, fill: float = 1.0) -> str:
    lines = [
        "",
        "Durable write cost with --data-dir (SQLite), per API: one write in process, median wall "
        f"time of {writes}, empty and at cap; 'whole' keeps the same state as one snapshot "
        f"(before), median of {min(writes, WHOLE_WRITES)} (1-min load {load:.2f})",
        f"{'api':<14} {'state':<7} {'write ms':>9} {'cpu ms':>7} {'cpu/empty':>10} "
        f"{'whole ms':>9} {'whole KiB':>10} {'whole/write':>12}  held",
    ]
    empty = {p.api: p.cpu_ms for p in points if not p.full}
    for point in points:
        base = empty.get(point.api, point.cpu_ms)
        lines.append(
            f"{point.api:<14} {'at cap' if point.full else 'empty':<7} {point.write_ms:>9.2f} "
            f"{point.cpu_ms:>7.2f} {point.cpu_ms / base:>10.2f} {point.whole_ms:>9.2f} "
            f"{point.snapshot_kib:>10.0f} {point.whole_ms / point.write_ms:>12.1f}  {point.held}"
        )
    apis = " ".join(dict.fromkeys(p.api for p in points))
    filled = "" if fill == 1.0 else f"BENCH_DURABLE_FILL={fill:g} "
    lines.append(
        f'Command: BENCH_DURABLE_WRITES={writes} BENCH_DURABLE_APIS="{apis}" {filled}'
        "python -m bench.durable"
    )
    return "\n".join(lines)


def results_json(
    points: list[Point], writes: int, load: float, fill: float = 1.0
) -> dict[str, Any]:
    empty = {p.api: p.cpu_ms for p in points if not p.full}
    return {
        "writes": writes,
        "fill": fill,
        "load_1min": load,
        "points": [
            {
                "api": p.api,
                "at_cap": p.full,
                "held": p.held,
                "write_ms": p.write_ms,
                "cpu_ms": p.cpu_ms,
                "cpu_ratio_to_empty": p.cpu_ms / empty.get(p.api, p.cpu_ms),
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
    apis = tuple(os.environ.get("BENCH_DURABLE_APIS", "").split()) or APIS
    if any(api not in APIS for api in apis):
        raise SystemExit(f"bench: BENCH_DURABLE_APIS must name some of: {' '.join(APIS)}")
    fill = float(os.environ.get("BENCH_DURABLE_FILL", "1"))
    if not 0 < fill <= 1:
        raise SystemExit("bench: BENCH_DURABLE_FILL must be a fraction of the caps, above 0 to 1")
    raw = os.environ.get("BENCH_RESULTS", "").strip()
    results = Path(raw) if raw else DEFAULT_RESULTS
    load = os.getloadavg()[0]
    points = [measure(api, full, writes, fill) for api in apis for full in (False, True)]
    table = report(points, writes, load, fill)
    print(table)
    results.mkdir(parents=True, exist_ok=True)
    (results / "durable.json").write_text(
        json.dumps(results_json(points, writes, load, fill), indent=2) + "\n"
    )
    (results / "durable.txt").write_text(table.lstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
