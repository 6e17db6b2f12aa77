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

:func:`measure_object_list` puts a Metasys object list beside the same cheap request instead:
the tenant's tree is first filled to its 5,000-object quota (``POST /objects/bulk``: folders of
points below Programming), then the heavy request is the site's ``depth=-1`` list of every
object (about 5 MB, never paged by the vendor).
"""

from __future__ import annotations

import argparse
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
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
METASYS = "/metasys/api/v4"
PROGRAMMING = "ADS1:ADS1/Programming"
"""The site director's folder where objects can be made."""
TREE_OBJECTS = 5_000
"""The Metasys tenant's object quota (``standin.metasys.state.site.MAX_OBJECTS``)."""
POINTS_A_FOLDER = 49
BULK = 100
"""Creations a ``POST /objects/bulk`` takes at most."""


@dataclass(frozen=True)
class HeadOfLine:
    cheap: str
    heavy: str
    alone: WrkResult
    beside: WrkResult
    heavy_run: WrkResult
    pushed: bool = False
    objects: int = 0
    """With an object list as the heavy request: how many objects it lists."""

    @property
    def ratio(self) -> float:
        return self.beside.p50_ms / self.alone.p50_ms if self.alone.p50_ms else float("nan")

    def table(self) -> str:
        return "\n".join(
            [
                "",
                "Head of line (issue 20): a cheap GET's median latency while one client loops a "
                "heavy GET, over alone (wrk -c1 each)"
                + (f"; the meter has {PUSHED_HOURS:,} pushed readings" if self.pushed else "")
                + (f"; the list holds {self.objects:,} objects" if self.objects else ""),
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
            "objects_listed": self.objects,
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
    with httpx.Client(timeout=HEAVY_TIMEOUT_S) as client:
        heavy_path, heavy_token = heavy_atrius_read(client, server.base_url, pushed)
    alone, beside, heavy_run = cheap_beside_heavy(
        wrk, server, cheap_path, cheap_token, heavy_path, heavy_token, duration_s, cpu
    )
    return HeadOfLine(cheap_path, heavy_path, alone, beside, heavy_run, pushed)


def measure_object_list(
    wrk: str,
    server: Server,
    cheap_path: str,
    cheap_token: str,
    duration_s: float,
    cpu: int | None,
) -> HeadOfLine:
    """The cheap request beside a Metasys ``depth=-1`` list of a tree at its object quota;
    ``cheap_token`` is a Metasys API user's (the tree is filled and listed with it)."""
    with httpx.Client(timeout=HEAVY_TIMEOUT_S) as client:
        heavy_path, listed = heavy_object_list(client, server.base_url, cheap_token)
    alone, beside, heavy_run = cheap_beside_heavy(
        wrk, server, cheap_path, cheap_token, heavy_path, cheap_token, duration_s, cpu
    )
    return HeadOfLine(cheap_path, heavy_path, alone, beside, heavy_run, objects=listed)


def heavy_object_list(client: httpx.Client, base: str, token: str) -> tuple[str, int]:
    """(the site's every-level object list, how many objects it lists) once the tenant's tree
    holds ``TREE_OBJECTS`` objects: folders of ``POINTS_A_FOLDER`` AVs below Programming."""
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{base}{METASYS}"
    programming = _ok(
        client.get(f"{api}/objectIdentifiers", params={"fqr": PROGRAMMING}, headers=headers)
    ).json()
    site = _ok(client.get(f"{api}/objects?depth=0", headers=headers)).json()["items"][0]["id"]
    path = f"{METASYS}/objects/{site}/objects?depth=-1&flatten=true&includeExtensions=true"
    held = len(_ok(client.get(f"{base}{path}", headers=headers)).json()["items"])
    folders = -(-(TREE_OBJECTS - held) // (POINTS_A_FOLDER + 1))
    made = _create(
        client, api, headers, [(programming, f"HOL-F{n}", "containerClass") for n in range(folders)]
    )
    wanted = TREE_OBJECTS - held - len(made)
    points = [(folder, f"HOL-P{n}", "avClass") for folder in made for n in range(POINTS_A_FOLDER)][
        :wanted
    ]
    _create(client, api, headers, points)
    listed = len(_ok(client.get(f"{base}{path}", headers=headers)).json()["items"])
    if listed != TREE_OBJECTS:
        raise ServerFailed(f"the object list holds {listed} objects, not {TREE_OBJECTS:,}")
    return path, listed


def _create(
    client: httpx.Client, api: str, headers: dict[str, str], objects: list[tuple[str, str, str]]
) -> list[str]:
    """The ids of ``objects`` (parent id, label, short type), made ``BULK`` at a time."""
    made: list[str] = []
    for first in range(0, len(objects), BULK):
        body = [
            {
                "parentId": parent,
                "localUniqueIdentifier": label,
                "objectType": f"objectTypeEnumSet.{kind}",
                "item": {"name": label},
            }
            for parent, label, kind in objects[first : first + BULK]
        ]
        answers = _ok(client.post(f"{api}/objects/bulk", json=body, headers=headers)).json()
        refused = [answer for answer in answers if answer["status"] != 201]
        if refused:
            raise ServerFailed(f"{len(refused)} objects were not made: {refused[0]}")
        made += [answer["id"] for answer in answers]
    return made


def cheap_beside_heavy(
    wrk: str,
    server: Server,
    cheap_path: str,
    cheap_token: str,
    heavy_path: str,
    heavy_token: str,
    duration_s: float,
    cpu: int | None,
) -> tuple[WrkResult, WrkResult, WrkResult]:
    """(the cheap request alone, beside one client looping the heavy one, that heavy loop)."""
    base = server.base_url

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
    return alone, beside, heavy[0]


def main(argv: Sequence[str] | None = None) -> int:
    """The object-list case alone, on a fresh ``standin serve`` pinned as ``make bench`` pins it
    (``make bench`` measures it after the Atrius cases, on the server it measured)."""
    from bench.run import HTTP_TIMEOUT_S, REPO, free_port, place, prepare_standin, standin_command

    parser = argparse.ArgumentParser(prog="python -m bench.headofline", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds a wrk run")
    parser.add_argument("--runs", type=int, default=1, help="measurements on the same server")
    args = parser.parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    placement = place()
    port = free_port()
    log = Path("bench/results/logs/headofline-standin.log")
    server = Server("standin", standin_command(port), port, placement.server_cpu, log)
    server.start(REPO)
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
            prepared = prepare_standin(client, server.base_url)
        for _ in range(args.runs):
            measured = measure_object_list(
                wrk,
                server,
                prepared.cases[0].path,
                prepared.token,
                args.duration,
                placement.wrk_cpu,
            )
            print(measured.table(), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
