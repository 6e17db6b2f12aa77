"""The soak: does a shared sandbox's memory stay flat under days-like use, and do dropped streams
cost nothing?

    python -m bench.soak                          # 600 s of load, 10,000 streams
    python -m bench.soak --soak-seconds 60 --streams 2000

Part 1, memory. One ``standin serve`` (every API, pinned to the first CPU; the load on the second).
First the default tenant is filled to the bounds of its logs: Metasys commands that take a setpoint
past its high limit and back (an audit, a value change and an alarm each) past 10,000, BuildingMinds
records past its inbound-message bound (1,000 sets of ten buildings sent again and again, as the
resident sends them: entities stay within their quota), the commands in order so that each crosses.
Then, for ``--warmup-seconds`` and ``--soak-seconds`` after it, ``--workers`` threads each loop:
create a tenant, use it as an integrator would (Atrius token and reads, a Metasys login, commands
and the audit, alarm and activity lists, a BuildingMinds token, a submission and the batch list, an
Atmotube read), delete it; while one more thread keeps writing to the default tenant (commands and
submissions: its logs stay full and keep turning over). 50 tenants (``--tenants``) are live at any
moment: each worker takes the one that waited longest, runs its session, deletes it and makes a new
one in its place. RSS is read after the fill, at the start (after the warm-up), the middle and the
end of the soak; the verdict compares the end with the middle (``--margin``, 5 % by default: the
second half, once the allocators have settled), the growth over the second half is printed in MiB
a minute and the whole soak's as a share of the start. The warm-up lasts a
tenth of the soak (at most 60 s) and, whatever that takes on a busy machine, until the bounded
structures have turned over once: every first tenant replaced, and as many requests of the default
tenant as its journal keeps (its entries are the biggest, up to 16 KiB of body each, and the fill's
smaller ones are replaced by them).

Part 2, streams. A fresh ``standin serve``: the median latency of an unrelated read (an Atrius
buildings list) is measured, then ``--streams`` Metasys streams are opened (each read up to its
``hello``) and dropped; the same read is measured at once (the dropped streams still inside their
30 s resume grace) and again after the grace. Both are printed as ratios to the fresh server's.

It exits 0 whatever the figures, non-zero only when a server fails or answers unexpectedly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.servers import Server, ServerFailed, free_port, standin_serve
from bench.streams import OPEN_CONCURRENCY, StreamReader

REPO = Path(__file__).resolve().parent.parent
METASYS = "/metasys/api/v4"
BUILDINGMINDS = "/buildingminds/api/digitaltwinintegration"
POINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
FILL_COMMANDS = 10_500
"""Each one an audit, a value change and an alarm (the setpoint crosses its high limit and
returns, turn about): sent one after another, as the resident sends them, so that each does
cross (commands sent side by side land in any order, and two alike change nothing)."""
FILL_RECORDS = 52_000
FILL_BATCH = 10
"""Records per fill submission: the resident's size, so the inbound messages pass their bound
in batches like the ones that replace them (batches of 1,000 would leave 50, to be replaced
during the soak by 5,000 of 10)."""
FILL_SETS = 1_000
"""Building sets the fill cycles through (10,000 entities, within the tenant's quota)."""
LATENCY_SAMPLES = 200
WARMUP_MAX_S = 60.0
"""The load runs at least this long (or a tenth of the soak, if less) before the start figure is
read: the bounded structures fill first (each live tenant's journal and session, the journal's
1,000 entries of the default tenant and of the token requests, the allocator's pools), so the
verdict speaks of growth under steady load, not of the first sessions."""
JOURNAL_ENTRIES = 1_000
"""The journal's entries per tenant (``standin serve --journal-size``'s default): the warm-up
also lasts until the resident has sent this many requests, so that the default tenant's journal
holds the load's entries, not the fill's."""
RELEASE_WAIT_S = 35.0
"""Past the Metasys streams' 30 s resume grace, after which dropped streams are released."""


class Unexpected(RuntimeError):
    """The server answered something the soak did not expect."""


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in (statuses or (200,)):
        raise Unexpected(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response


@dataclass
class Integrator:
    """One tenant's credentials and what its session has learned (tokens, ids)."""

    http: httpx.Client
    tenant: str
    credentials: dict[str, Any]

    def metasys_login(self) -> dict[str, str]:
        creds = self.credentials["metasys"]
        login = self.http.post(
            f"{METASYS}/login", json={"username": creds["username"], "password": creds["password"]}
        )
        return {"Authorization": f"Bearer {expect(login).json()['accessToken']}"}

    def object_id(self, auth: dict[str, str], reference: str) -> str:
        found = self.http.get(
            f"{METASYS}/objectIdentifiers", params={"fqr": reference}, headers=auth
        )
        identifier: str = expect(found).json()
        return identifier

    def command(self, auth: dict[str, str], point: str, number: int) -> None:
        """Past the setpoint's high limit, then back within it: an alarm each time."""
        value = 90.0 if number % 2 == 0 else 70.0
        expect(
            self.http.put(
                f"{METASYS}/objects/{point}/commands/adjustCommand",
                json={"parameters": [value]},
                headers=auth,
            )
        )

    def buildingminds_token(self) -> dict[str, str]:
        creds = self.credentials["buildingminds"]
        answer = self.http.post(
            f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token",
            data={
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "scope": creds["scope"].rstrip("/") + "/.default",
                "grant_type": "client_credentials",
            },
        )
        return {"Authorization": f"Bearer {expect(answer).json()['access_token']}"}

    def submit(self, auth: dict[str, str], tag: str, count: int) -> None:
        records = [
            {
                "buildingId": f"{tag}-{n}",
                "siteId": "SITE-BER",
                "name": f"Soak {tag} {n}",
                "primaryTypeOfBuilding": "Office",
                "typeOfOwnership": "Owner",
                "validFrom": "2024-01-01T00:00:00Z",
                "validUntil": "2099-12-31T23:59:59Z",
            }
            for n in range(count)
        ]
        expect(self.http.post(f"{BUILDINGMINDS}/building", json=records, headers=auth))

    def atrius_token(self) -> dict[str, str]:
        creds = self.credentials["atrius"]
        answer = self.http.post(
            "/atrius/o/token/",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
            },
        )
        return {"Authorization": f"Bearer {expect(answer).json()['access_token']}"}

    def session(self, rounds: int) -> int:
        """An integrator's visit: tokens once, then ``rounds`` of writes and reads. Returns the
        number of requests sent."""
        sent = 0
        atrius = self.atrius_token()
        metasys = self.metasys_login()
        point = self.object_id(metasys, POINT)
        buildingminds = self.buildingminds_token()
        atmotube = self.credentials["atmotube"]
        sent += 4
        for number in range(rounds):
            expect(self.http.get("/atrius/buildings/", headers=atrius))
            self.command(metasys, point, number)
            for path in ("/audits", "/alarms", "/activities"):
                expect(self.http.get(f"{METASYS}{path}", headers=metasys))
            self.submit(buildingminds, f"{self.tenant[:8]}-{number}", 5)
            expect(self.http.get(f"{BUILDINGMINDS}/batch", headers=buildingminds))
            expect(
                self.http.get(
                    "/atmotube/api/v1/data",
                    params={"api_key": atmotube["api_key"], "mac": atmotube["macs"][0]},
                )
            )
            sent += 8
        return sent


def rss_mib(server: Server) -> float:
    return server.rss_bytes() / 2**20


def parallel(workers: int, job: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            job(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def fill(base: str, workers: int, scale: float) -> None:
    """The default tenant's logs to (past) their bounds."""
    with httpx.Client(base_url=base, timeout=60) as http:
        lift_limits(http)
        default = Integrator(http, "default", expect(http.get("/_sandbox/credentials")).json())
        auth = default.metasys_login()
        point = default.object_id(auth, POINT)
        token = default.buildingminds_token()
    commands = int(FILL_COMMANDS * scale)
    batches = max(1, int(FILL_RECORDS * scale) // FILL_BATCH)

    submitters = max(1, workers - 1)

    def job(index: int) -> None:
        """Worker 0 sends the commands, in order; the others (all, if alone) the records."""
        with httpx.Client(base_url=base, timeout=60) as http:
            me = Integrator(http, "default", default.credentials)
            if index == 0:
                for number in range(commands):
                    me.command(auth, point, number)
            if index > 0 or workers == 1:
                for number in range(max(0, index - 1), batches, submitters):
                    me.submit(token, f"fill-{number % FILL_SETS}", FILL_BATCH)

    parallel(workers, job)


def new_tenant(http: httpx.Client) -> dict[str, Any]:
    created: dict[str, Any] = expect(http.post("/_sandbox/tenants"), 201).json()
    lift_limits(http, created["tenant"])
    return created


def lift_limits(http: httpx.Client, tenant: str | None = None) -> None:
    """Every rate limit of the tenant off (the load is not meant to be refused); the limiters
    still count."""
    params = {} if tenant is None else {"tenant": tenant}
    limits = expect(http.get("/_sandbox/limits", params=params)).json()
    off = {api: {name: {"enabled": False} for name in spec} for api, spec in limits.items()}
    expect(http.patch("/_sandbox/limits", params=params, json=off))


@dataclass(frozen=True)
class SoakResult:
    seconds: float
    tenants_made: int
    requests: int
    rss: tuple[float, float, float]
    fill_s: float
    rss_before_fill: float
    rss_before_load: float
    warmup: float


def soak(
    server: Server,
    seconds: float,
    warmup: float,
    workers: int,
    tenants: int,
    scale: float,
    warmup_requests: int = JOURNAL_ENTRIES,
) -> SoakResult:
    base = server.base_url
    before_fill = rss_mib(server)
    started = time.monotonic()
    fill(base, workers, scale)
    fill_s = time.monotonic() - started
    made = 0
    sent = 0
    lock = threading.Lock()
    pool: queue.Queue[dict[str, Any]] = queue.Queue()
    with httpx.Client(base_url=base, timeout=60) as http:
        for _ in range(tenants):
            pool.put(new_tenant(http))
    before_load = rss_mib(server)
    began = time.monotonic()
    warm_until = began + warmup
    resident_sent = 0
    marks: list[float] = []
    """When the start, middle and end figures are read, once the warm-up is over."""
    rss: list[float] = []

    def warm() -> bool:
        return (
            time.monotonic() >= warm_until and made >= tenants and resident_sent >= warmup_requests
        )

    def running() -> bool:
        return not marks or time.monotonic() < marks[-1]

    def tick() -> None:
        """Called under ``lock``: starts the soak proper once warm, reads the figures due."""
        now = time.monotonic()
        if not marks and warm():
            marks.extend((now, now + seconds / 2, now + seconds))
        while marks and len(rss) < len(marks) - 1 and now >= marks[len(rss)]:
            rss.append(rss_mib(server))

    def integrator(index: int) -> None:
        """Takes the longest-waiting live tenant, uses it, deletes it and puts a new one in its
        place: ``tenants`` are live at any moment, and every one is made, used and deleted."""
        nonlocal made, sent
        with httpx.Client(base_url=base, timeout=60) as http:
            while running():
                created = pool.get()
                tenant = created["tenant"]
                count = Integrator(http, tenant, created).session(rounds=5)
                expect(http.delete(f"/_sandbox/tenants/{tenant}"), 204)
                pool.put(new_tenant(http))
                with lock:
                    made += 1
                    sent += count + 4
                    tick()

    def resident(index: int) -> None:
        nonlocal sent, resident_sent
        with httpx.Client(base_url=base, timeout=60) as http:
            me = Integrator(http, "default", expect(http.get("/_sandbox/credentials")).json())
            auth = me.metasys_login()
            point = me.object_id(auth, POINT)
            token = me.buildingminds_token()
            number = 0
            while running():
                me.command(auth, point, number)
                # The same 100 buildings again and again: batches and inbound messages turn
                # over at their bounds, while the onboarded portfolio (data, not a log) stays.
                me.submit(token, f"resident-{number % 10}", 10)
                expect(http.get(f"{METASYS}/audits", headers=auth))
                number += 1
                with lock:
                    sent += 3
                    resident_sent += 3
                    tick()

    parallel(workers + 1, lambda index: resident(index) if index == workers else integrator(index))
    while len(rss) < 2:
        rss.append(rss_mib(server))
    rss.append(rss_mib(server))
    return SoakResult(
        seconds=time.monotonic() - began,
        tenants_made=made,
        requests=sent,
        rss=(rss[0], rss[1], rss[2]),
        fill_s=fill_s,
        rss_before_fill=before_fill,
        rss_before_load=before_load,
        warmup=marks[0] - began,
    )


def median_latency_ms(base: str, samples: int) -> float:
    with httpx.Client(base_url=base, timeout=60) as http:
        creds = expect(http.get("/_sandbox/credentials")).json()
        auth = Integrator(http, "default", creds).atrius_token()
        times = []
        for _ in range(samples):
            began = time.perf_counter()
            expect(http.get("/atrius/buildings/", headers=auth))
            times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


async def open_and_drop(base: str, host: str, port: int, streams: int) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        creds = expect(await http.get("/_sandbox/credentials")).json()["metasys"]
        login = await http.post(
            f"{METASYS}/login", json={"username": creds["username"], "password": creds["password"]}
        )
        token = expect(login).json()["accessToken"]
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one() -> None:
        async with gate:
            reader = StreamReader(host, port, token, prefix="/metasys")
            await reader.open()
            reader.close()

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(streams)))
    return time.monotonic() - started


@dataclass(frozen=True)
class StreamsResult:
    streams: int
    open_s: float
    fresh_ms: float
    dropped_ms: float
    released_ms: float
    rss: tuple[float, float, float]


def streams_case(server: Server, streams: int, release_wait: float) -> StreamsResult:
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        lift_limits(http)
    fresh = median_latency_ms(server.base_url, LATENCY_SAMPLES)
    rss_fresh = rss_mib(server)
    open_s = asyncio.run(open_and_drop(server.base_url, "127.0.0.1", server.port, streams))
    dropped = median_latency_ms(server.base_url, LATENCY_SAMPLES)
    rss_dropped = rss_mib(server)
    time.sleep(release_wait)
    released = median_latency_ms(server.base_url, LATENCY_SAMPLES)
    return StreamsResult(
        streams, open_s, fresh, dropped, released, (rss_fresh, rss_dropped, rss_mib(server))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--soak-seconds", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--tenants", type=int, default=50, help="tenants live at a time")
    parser.add_argument("--workers", type=int, default=8, help="integrator threads")
    parser.add_argument("--streams", type=int, default=10_000, help="streams opened and dropped")
    parser.add_argument(
        "--margin",
        type=float,
        default=0.05,
        help="flat: the end within this share of the middle",
    )
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=None,
        help="least seconds of load before the start figure (default: a tenth of the soak, at "
        "most 60; the warm-up also lasts until the bounded structures turned over once)",
    )
    parser.add_argument(
        "--warmup-requests",
        type=int,
        default=JOURNAL_ENTRIES,
        help="the warm-up lasts until the default tenant was sent this many requests (default: "
        "as many as its journal keeps)",
    )
    parser.add_argument(
        "--fill-scale", type=float, default=1.0, help="share of the default tenant's fill"
    )
    parser.add_argument(
        "--release-wait", type=float, default=RELEASE_WAIT_S, help="seconds before the last read"
    )
    options = parser.parse_args(argv)
    cpus = sorted(os.sched_getaffinity(0))
    pinned = len(cpus) >= 2 and shutil.which("taskset") is not None
    if pinned:
        os.sched_setaffinity(0, {cpus[1]})
    server_cpu = cpus[0] if pinned else None
    command = (
        f"python -m bench.soak --soak-seconds {options.soak_seconds:g} --tenants "
        f"{options.tenants} --workers {options.workers} --streams {options.streams}"
    )
    print(
        f"soak: {command}; "
        + (f"server on CPU {cpus[0]}, load on CPU {cpus[1]}" if pinned else "NOT pinned"),
        flush=True,
    )
    load = os.getloadavg()[0]
    if load >= len(os.sched_getaffinity(0)) / 2:
        print(f"NOTE: load average {load:.1f} before the run: figures include waiting for a CPU")
    with tempfile.TemporaryDirectory() as logs:
        port = free_port()
        server = Server("soak", standin_serve(port), port, server_cpu, Path(logs) / "soak.log")
        try:
            server.start(REPO)
            warmup = options.warmup_seconds
            if warmup is None:
                warmup = min(WARMUP_MAX_S, options.soak_seconds / 10)
            result = soak(
                server,
                options.soak_seconds,
                warmup,
                options.workers,
                options.tenants,
                options.fill_scale,
                options.warmup_requests,
            )
        except (Unexpected, httpx.HTTPError) as error:
            print(f"soak: FAILED: {error}\n{server.log_tail()}", file=sys.stderr)
            return 1
        finally:
            server.stop()
        start, middle, end = result.rss
        drift = abs(end - middle) / middle
        """The verdict's measure: the second half, the load steady and the allocators settled."""
        print(
            f"memory: fill {result.fill_s:.0f} s (RSS {result.rss_before_fill:.1f} -> "
            f"{result.rss_before_load:.1f} MiB); then {result.seconds:.0f} s of load "
            f"({result.warmup:.0f} s of warm-up, RSS -> {start:.1f} MiB), {result.tenants_made} "
            f"tenants made and deleted, {result.requests} requests "
            f"({result.requests / result.seconds:.0f}/s)"
        )
        print(f"RSS MiB   start {start:8.1f}   middle {middle:8.1f}   end {end:8.1f}")
        print(
            f"second half: {end - middle:+.1f} MiB ({(end - middle) / middle:+.1%} of the middle, "
            f"{(end - middle) / (options.soak_seconds / 120):+.2f} MiB a minute)"
        )
        print(
            f"flat: {'yes' if drift <= options.margin else 'NO'} (the end {drift:.1%} from the "
            f"middle, margin {options.margin:.0%}; over the whole soak "
            f"{(end - start) / start:+.1%} of the start)",
            flush=True,
        )
        port = free_port()
        server = Server("streams", standin_serve(port), port, server_cpu, Path(logs) / "s.log")
        try:
            server.start(REPO)
            streams = streams_case(server, options.streams, options.release_wait)
        except (Unexpected, httpx.HTTPError, OSError, RuntimeError) as error:
            print(f"soak: FAILED: {error}\n{server.log_tail()}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    print(
        f"streams: {streams.streams} opened and dropped in {streams.open_s:.1f} s "
        f"({streams.streams / streams.open_s:.0f}/s)"
    )
    print("unrelated read (Atrius buildings), median of 200:")
    print(f"  fresh server               {streams.fresh_ms:7.2f} ms   1.00")
    print(
        f"  just after the drops       {streams.dropped_ms:7.2f} ms   "
        f"{streams.dropped_ms / streams.fresh_ms:4.2f}"
    )
    print(
        f"  after the resume grace     {streams.released_ms:7.2f} ms   "
        f"{streams.released_ms / streams.fresh_ms:4.2f}"
    )
    fresh_rss, dropped_rss, released_rss = streams.rss
    print(
        f"  RSS MiB: fresh {fresh_rss:.1f}, after the drops {dropped_rss:.1f}, "
        f"after the grace {released_rss:.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except ServerFailed as failure:
        print(f"soak: FAILED: {failure}", file=sys.stderr)
        raise SystemExit(1) from None
