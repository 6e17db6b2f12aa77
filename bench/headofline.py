"""Issue 20's head-of-line ratio: a cheap request's median latency while one client loops a
heavy request, over its median alone, on one ``standin serve``.

The cheap request is the bench's case A (Metasys ``presentValue``, with its bearer token); the
heavy one is Atrius ``GET /meters/{uuid}/data/`` for 365 days at quarter-hour resolution
(35,136 rows, about 2 MB), the issue's example of a handler that held the event loop. Both are
driven by ``wrk -c1`` on the client CPU: first the cheap request alone, then again while another
``wrk -c1`` loops the heavy one. A ratio near 1 means the heavy request delays no other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
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


@dataclass(frozen=True)
class HeadOfLine:
    cheap: str
    heavy: str
    alone: WrkResult
    beside: WrkResult
    heavy_run: WrkResult

    @property
    def ratio(self) -> float:
        return self.beside.p50_ms / self.alone.p50_ms if self.alone.p50_ms else float("nan")

    def table(self) -> str:
        return "\n".join(
            [
                "",
                "Head of line (issue 20): a cheap GET's median latency while one client loops a "
                "heavy GET, over alone (wrk -c1 each)",
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
            "ratio_p50": self.ratio,
        }


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise ServerFailed(
            f"{response.request.method} {response.request.url} -> {response.status_code}: "
            f"{response.text[:300]}"
        )
    return response


def heavy_atrius_read(client: httpx.Client, base: str) -> tuple[str, str]:
    """(the year of quarter hours of the first meter, its bearer token); limits raised."""
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
    path = (
        f"/atrius/meters/{meter}/data/?start={first.isoformat()}&end={today.isoformat()}"
        "&resolution=quarterhour"
    )
    rows = _ok(client.get(f"{base}{path}", headers=headers)).json()["data"]
    if len(rows) < 30_000:
        raise ServerFailed(f"the heavy read listed {len(rows)} rows, not a year of quarter hours")
    return path, token


def measure(
    wrk: str,
    server: Server,
    cheap_path: str,
    cheap_token: str,
    duration_s: float,
    cpu: int | None,
) -> HeadOfLine:
    base = server.base_url
    with httpx.Client(timeout=HEAVY_TIMEOUT_S) as client:
        heavy_path, heavy_token = heavy_atrius_read(client, base)

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
    return HeadOfLine(cheap_path, heavy_path, alone, beside, heavy[0])
