"""Issue 20's head-of-line ratio: a cheap request's median latency while one client loops a
heavy request, over its median alone, on one ``standin serve``.

The cheap request is the bench's case A (Metasys ``presentValue``, with its bearer token); the
heavy one is Atrius ``GET /meters/{uuid}/data/`` for 365 days at quarter-hour resolution
(35,136 rows, about 2 MB), the issue's example of a handler that held the event loop. Both are
driven by ``wrk -c1`` on the client CPU: first the cheap request alone, then again while another
``wrk -c1`` loops the heavy one. A ratio near 1 means the heavy request delays no other.

With ``pushed=True`` the meter first gets a year of hourly readings through its gateway
(``POST /gateways/{number}/data``), so the heavy answer is made from pushed readings instead
of a generated series (the same 35,136 rows, most of them empty quarter hours).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bench.servers import Server, ServerFailed
from bench.wrk import WrkResult, run_wrk

HEAVY_DAYS = 365
HEAVY_TIMEOUT_S = 60.0
"""wrk's wait for one heavy answer (a loaded machine can take seconds)."""
SETTLE_S = 1.0
"""The heavy loop runs this long before the cheap request is measured beside it."""
RATE_LIMIT = 1_000_000_000
PUSHED_HOURS = 24 * HEAVY_DAYS
"""Hourly readings pushed for the pushed-readings case (8,760: about 400 KB, one request)."""


@dataclass(frozen=True)
class HeadOfLine:
    cheap: str
    heavy: str
    alone: WrkResult
    beside: WrkResult
    heavy_run: WrkResult
    pushed: bool = False

    @property
    def ratio(self) -> float:
        return self.beside.p50_ms / self.alone.p50_ms if self.alone.p50_ms else float("nan")

    def table(self) -> str:
        return "\n".join(
            [
                "",
                "Head of line (issue 20): a cheap GET's median latency while one client loops a "
                "heavy GET, over alone (wrk -c1 each)"
                + (f"; the meter has {PUSHED_HOURS:,} pushed readings" if self.pushed else ""),
                f"cheap: GET {self.cheap}",
                f"heavy: GET {self.heavy} ({self.heavy_run.requests_per_s:.2f} req/s, "
                f"p50 {self.heavy_run.p50_ms:.0f} ms)",
                f"{'':<22} {'p50 ms':>8} {'p99 ms':>8}",
                f"{'cheap alone':<22} {self.alone.p50_ms:>8.2f} {self.alone.p99_ms:>8.2f}",
                f"{'cheap beside heavy':<22} {self.beside.p50_ms:>8.2f} {self.beside.p99_ms:>8.2f}",
                f"head-of-line ratio (p50 beside / alone): {self.ratio:.2f}",
            ]
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "cheap": f"GET {self.cheap}",
            "heavy": f"GET {self.heavy}",
            "alone": self.alone.as_json(),
            "beside_heavy": self.beside.as_json(),
            "heavy_run": self.heavy_run.as_json(),
            "pushed_readings": PUSHED_HOURS if self.pushed else 0,
            "ratio_p50": self.ratio,
        }


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise ServerFailed(
            f"{response.request.method} {response.request.url} -> {response.status_code}: "
            f"{response.text[:300]}"
        )
    return response


def heavy_atrius_read(client: httpx.Client, base: str, pushed: bool = False) -> tuple[str, str]:
    """(the year of quarter hours of the first meter, its bearer token); limits raised. With
    ``pushed``, the meter first gets a year of hourly readings through the gateway."""
    _ok(
        client.patch(
            f"{base}/_sandbox/limits",
            json={"atrius": {"requests": {"limit": RATE_LIMIT}}},
        )
    )
    credentials = _ok(client.get(f"{base}/_sandbox/credentials")).json()["atrius"]
    token = _ok(
        client.post(
            f"{base}/atrius/o/token/",
            data={
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
            },
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    meters = _ok(client.get(f"{base}/atrius/meters/", headers=headers)).json()
    meter = meters["results"][0]["uuid"]
    clock = _ok(client.get(f"{base}/_sandbox/clock")).json()
    today = date.fromisoformat(clock["now"][:10])
    first = today - timedelta(days=HEAVY_DAYS - 1)
    if pushed:
        push_year(client, base, headers, credentials["gateway"], meter, first)
    path = (
        f"/atrius/meters/{meter}/data/?start={first.isoformat()}&end={today.isoformat()}"
        "&resolution=quarterhour"
    )
    rows = _ok(client.get(f"{base}{path}", headers=headers)).json()["data"]
    if len(rows) < 30_000:
        raise ServerFailed(f"the heavy read listed {len(rows)} rows, not a year of quarter hours")
    return path, token


def push_year(
    client: httpx.Client, base: str, headers: dict[str, str], gateway: Any, meter: str, first: date
) -> None:
    """``PUSHED_HOURS`` hourly readings from ``first`` on, through the meter's gateway."""
    start = datetime.combine(first, datetime.min.time(), UTC)
    points = [
        [(start + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"), 100.0 + n % 24]
        for n in range(PUSHED_HOURS)
    ]
    report = _ok(
        client.post(
            f"{base}/atrius/gateways/{gateway}/data",
            json={"data": {meter: points}},
            headers=headers,
        )
    ).json()
    accepted = report["meters"][meter].get("accepted")
    if accepted != PUSHED_HOURS:
        raise ServerFailed(f"the push kept {accepted} of {PUSHED_HOURS} readings: {report}")


def measure(
    wrk: str,
    server: Server,
    cheap_path: str,
    cheap_token: str,
    duration_s: float,
    cpu: int | None,
    pushed: bool = False,
) -> HeadOfLine:
    """``pushed``: the heavy answer comes from pushed readings (see ``push_year``); the meter
    keeps them, so measure the generated case first on a server."""
    base = server.base_url
    with httpx.Client(timeout=HEAVY_TIMEOUT_S) as client:
        heavy_path, heavy_token = heavy_atrius_read(client, base, pushed)

    def cheap() -> WrkResult:
        return run_wrk(
            wrk,
            base + cheap_path,
            duration_s=duration_s,
            threads=1,
            connections=1,
            cpu=cpu,
            headers=[f"Authorization: Bearer {cheap_token}"],
        )

    alone = cheap()
    heavy: list[WrkResult] = []
    failed: list[BaseException] = []

    def loop_heavy() -> None:
        try:
            heavy.append(
                run_wrk(
                    wrk,
                    base + heavy_path,
                    duration_s=duration_s + 2 * SETTLE_S,
                    threads=1,
                    connections=1,
                    cpu=cpu,
                    headers=[f"Authorization: Bearer {heavy_token}"],
                    timeout_s=HEAVY_TIMEOUT_S,
                )
            )
        except BaseException as error:  # reported on the main thread
            failed.append(error)

    looping = threading.Thread(target=loop_heavy, name="heavy-loop")
    looping.start()
    threading.Event().wait(SETTLE_S)
    beside = cheap()
    looping.join()
    if failed:
        raise failed[0]
    if not server.alive():
        raise ServerFailed(f"standin died during the head-of-line run\n{server.log_tail()}")
    return HeadOfLine(cheap_path, heavy_path, alone, beside, heavy[0], pushed)
