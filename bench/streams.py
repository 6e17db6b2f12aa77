"""The Metasys stream matrix: N streams on one point, 10 value changes a second, by hand.

    python -m bench.streams                      # 100, 300 and 1000 streams, 5 s of changes
    python -m bench.streams --streams 1000 --seconds 30 --rate 10

For each N a fresh ``standin serve --api metasys`` runs pinned to the first CPU (the client to the
second); its rate limit is raised (``PATCH /_sandbox/limits``), N streams are opened
(``GET /stream``, timed until every ``hello`` arrived) and subscribed to one point's
``presentValue``, then ``POST /_sandbox/metasys/objects/{id}/value`` changes it ``--rate`` times
a second for ``--seconds``. Reported: the time to open the streams (and the server's CPU time
for it), the share of the N x changes
``object.values.update`` events that arrived, their lag (arrival minus the moment the change was
requested) at p50 and p99, the rate the changes were made at (each waits for its answer, so a
server slower than ``--rate`` lowers it), and the server's CPU time while the changes ran, over
wall time and per change (the latter holds still on a loaded machine, where lags include waiting
for a CPU).

Then each count beside the smallest, as ratios: server CPU per change, CPU per delivered event
(per change over the streams: 1.0 when a change costs in proportion to the streams it reaches)
and lag p50/p99; and the ceiling this implies: how many streams one core could serve at
``--rate`` (one CPU second over the largest count's CPU per delivered event and the rate; a
figure from CPU time, so it holds on a loaded machine, where the lags do not).

The client reads the streams over raw sockets (HTTP/1.1, chunked) so a thousand of them cost it
little; it exits non-zero only when the server fails to start or answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.servers import Server, ServerFailed, free_port, standin_serve

REPO = Path(__file__).resolve().parent.parent
BASE = "/api/v4"
POINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
OPEN_CONCURRENCY = 64
DRAIN_SECONDS = 5.0
_VALUE = re.compile(rb'"presentValue":(-?[0-9.]+)')
_HELLO = re.compile(rb'^data: "([0-9a-f-]{36})"$')


@dataclass
class Tally:
    """What the streams received, shared by every reader."""

    sent_at: dict[float, float] = field(default_factory=dict)
    """Value -> the monotonic moment its change was requested."""
    lags: list[float] = field(default_factory=list)


class StreamReader:
    """One ``GET /stream`` over a raw socket: chunked body, SSE lines, ``presentValue`` values."""

    def __init__(self, host: str, port: int, token: str, prefix: str = "") -> None:
        """``prefix``: where the Metasys API is mounted (``/metasys`` on a server of every API)."""
        self.host = host
        self.prefix = prefix
        self.port = port
        self.token = token
        self.stream_id = ""
        self.updates = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending = b""

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(
            f"GET {self.prefix}{BASE}/stream HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"GET /stream answered {head.splitlines()[0]!r}")
        while not self.stream_id:
            for line in await self._lines():
                found = _HELLO.match(line)
                if found:
                    self.stream_id = found.group(1).decode()

    async def _lines(self) -> list[bytes]:
        assert self._reader is not None
        size = int((await self._reader.readline()).strip() or b"0", 16)
        if size == 0:
            raise EOFError("the stream ended")
        data = (await self._reader.readexactly(size + 2))[:-2]
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        return lines

    async def read(self, tally: Tally) -> None:
        with contextlib.suppress(EOFError, OSError, asyncio.IncompleteReadError):
            while True:
                for line in await self._lines():
                    found = _VALUE.search(line) if line.startswith(b"data: ") else None
                    if found is None:
                        continue
                    sent = tally.sent_at.get(float(found.group(1)))
                    if sent is not None:
                        tally.lags.append(time.monotonic() - sent)
                    self.updates += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        raise ServerFailed("the server is not running")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Result:
    streams: int
    open_s: float
    open_cpu_s: float
    subscribe_s: float
    delivered: float
    p50_ms: float
    p99_ms: float
    rate: float
    cpu: float
    cpu_per_change_ms: float
    client_cpu: float

    @property
    def cpu_per_event_us(self) -> float:
        """Server CPU per delivered event (a change's CPU over the streams it reached)."""
        return self.cpu_per_change_ms * 1000 / self.streams if self.streams else float("nan")


def ratios(results: list[Result], rate: float) -> str:
    """Each count beside the smallest, and the ceiling the largest implies at ``rate``."""
    base = min(results, key=lambda r: r.streams)

    def over(value: float, smallest: float) -> str:
        return f"{value / smallest:.2f}" if smallest > 0 else "n/a"

    lines = [
        "",
        f"ratios to the smallest case ({base.streams} streams):",
        "streams  CPU/change  CPU/event (us)  CPU/event ratio  lag p50  lag p99",
    ]
    for r in results:
        lines.append(
            f"{r.streams:7d}  {over(r.cpu_per_change_ms, base.cpu_per_change_ms):>10}  "
            f"{r.cpu_per_event_us:14.1f}  {over(r.cpu_per_event_us, base.cpu_per_event_us):>15}  "
            f"{over(r.p50_ms, base.p50_ms):>7}  {over(r.p99_ms, base.p99_ms):>7}"
        )
    top = max(results, key=lambda r: r.streams)
    # CPU time comes in clock ticks (10 ms): a tiny run may measure none.
    ceiling = (
        f"about {1e6 / (top.cpu_per_event_us * rate):,.0f} streams on one core (all of it)"
        if top.cpu_per_event_us > 0 and rate > 0
        else "n/a (no CPU time measured)"
    )
    lines.append(
        f"ceiling at {rate:g} changes/s, from CPU per event at {top.streams} streams: {ceiling}"
    )
    return "\n".join(lines)


async def measure(server: Server, streams: int, seconds: float, rate: float) -> Result:
    host, port = "127.0.0.1", server.port
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60.0) as http:
        limits = {"metasys": {"requests": {"enabled": False}}}
        (await http.patch("/_sandbox/limits", json=limits)).raise_for_status()
        creds = (await http.get("/_sandbox/credentials")).json()["metasys"]
        login = await http.post(
            f"{BASE}/login", json={"username": creds["username"], "password": creds["password"]}
        )
        token = login.raise_for_status().json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}
        found = await http.get(f"{BASE}/objectIdentifiers", params={"fqr": POINT}, headers=auth)
        point = found.raise_for_status().json()

        readers = [StreamReader(host, port, token) for _ in range(streams)]
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def open_one(reader: StreamReader) -> None:
            async with gate:
                await reader.open()

        started, cpu_started = time.monotonic(), cpu_seconds(server.pid)
        await asyncio.gather(*(open_one(r) for r in readers))
        open_s = time.monotonic() - started
        open_cpu_s = cpu_seconds(server.pid) - cpu_started

        tally = Tally()
        tasks = [asyncio.create_task(r.read(tally)) for r in readers]
        started = time.monotonic()

        async def subscribe(reader: StreamReader) -> None:
            async with gate:
                answer = await http.get(
                    f"{BASE}/objects/{point}/attributes/presentValue",
                    headers={**auth, "METASYS-SUBSCRIBE": reader.stream_id},
                )
                answer.raise_for_status()

        await asyncio.gather(*(subscribe(r) for r in readers))
        subscribe_s = time.monotonic() - started
        # Every stream first gets the current value; wait for those before changing it.
        deadline = time.monotonic() + 60
        while any(r.updates == 0 for r in readers) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

        changes = int(seconds * rate)
        cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
        client_before = time.process_time()
        for k in range(changes):
            due = wall_before + k / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            value = 60.0 + (k + 1) / 1000
            tally.sent_at[value] = time.monotonic()
            await http.post(f"/_sandbox/metasys/objects/{point}/value", json={"value": value})
        rate_done = changes / (time.monotonic() - wall_before) if changes else 0.0
        expected = changes * streams
        deadline = time.monotonic() + DRAIN_SECONDS
        while len(tally.lags) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        wall = time.monotonic() - wall_before
        server_cpu = cpu_seconds(server.pid) - cpu_before
        cpu = server_cpu / wall
        client_cpu = (time.process_time() - client_before) / wall
        for task in tasks:
            task.cancel()
        for reader in readers:
            reader.close()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Result(
        streams=streams,
        open_s=open_s,
        open_cpu_s=open_cpu_s,
        subscribe_s=subscribe_s,
        delivered=len(tally.lags) / expected if expected else 1.0,
        p50_ms=percentile(tally.lags, 0.50) * 1000,
        p99_ms=percentile(tally.lags, 0.99) * 1000,
        rate=rate_done,
        cpu=cpu,
        cpu_per_change_ms=server_cpu / changes * 1000 if changes else float("nan"),
        client_cpu=client_cpu,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", default="100,300,1000", help="comma-separated counts")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of changes")
    parser.add_argument("--rate", type=float, default=10.0, help="changes a second")
    options = parser.parse_args(argv)
    counts = [int(n) for n in options.streams.split(",")]
    cpus = sorted(os.sched_getaffinity(0))
    pinned = len(cpus) >= 2 and shutil.which("taskset") is not None
    if pinned:
        os.sched_setaffinity(0, {cpus[1]})
    print(
        f"streams bench: {options.rate:g} changes/s for {options.seconds:g} s; "
        + (f"server on CPU {cpus[0]}, client on CPU {cpus[1]}" if pinned else "NOT pinned")
    )
    load = os.getloadavg()[0]
    if load >= len(os.sched_getaffinity(0)) / 2:
        print(f"NOTE: load average {load:.1f} before the run: lags include waiting for a CPU")
    print(
        "streams  open (CPU)       subscribe  changes/s  delivered  lag p50   lag p99   "
        "server CPU  CPU/change  client CPU"
    )
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as logs:
        for count in counts:
            port = free_port()
            log = Path(logs) / f"metasys-{count}.log"
            server = Server(
                "metasys",
                standin_serve(port, "--api", "metasys"),
                port,
                cpus[0] if pinned else None,
                log,
            )
            try:
                server.start(REPO)
                result = asyncio.run(measure(server, count, options.seconds, options.rate))
            finally:
                server.stop()
            results.append(result)
            print(
                f"{result.streams:7d}  {result.open_s:5.2f}s ({result.open_cpu_s:5.2f}s)  "
                f"{result.subscribe_s:8.2f}s  {result.rate:9.1f}  "
                f"{result.delivered:8.1%}  {result.p50_ms:7.0f}ms  {result.p99_ms:7.0f}ms  "
                f"{result.cpu:9.0%}  {result.cpu_per_change_ms:8.1f}ms  {result.client_cpu:9.0%}",
                flush=True,
            )
    print(ratios(results, options.rate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
