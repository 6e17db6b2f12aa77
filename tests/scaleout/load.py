"""A bounded, mixed write load through the balancer, and the check that every write it saw
acknowledged (a 2xx) is still there.

Three writers, each on its own connection, each one request at a time, as integrators'
clients are: tenants created on the control plane (``POST /_sandbox/tenants``), Atrius meters
created (``POST /atrius/meters/``) and a Metasys setpoint commanded (``adjustCommand``). Each
writer keeps every attempt: when it started, and what was acknowledged, or why not.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from standin.clients.metasys import MetasysClient
from tests.scaleout.metasys_support import ZONE_SETPOINT, another_value
from tests.scaleout.topology import Topology

LIBRARY = "176498"
"""An Atrius building of the default fixtures."""
TIMEOUT_S = 15.0


LOST = 502
"""The status of a write whose replica died while serving it, from HAProxy (the replica took the
request and closed without answering) or from a replica that had handed the write on to it."""


class Refused(AssertionError):
    """A write answered with another status than the one it expects."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Attempt:
    started: float
    """``time.monotonic()`` when the request was sent."""
    ended: float = 0.0
    """``time.monotonic()`` when its answer (or failure) came."""
    acknowledged: Any = None
    """What the write answered with (a 2xx), or None."""
    failure: str | None = None
    lost: bool = False
    """It failed as a write does whose replica died while serving it: answered 502, or the
    connection closed without an answer (HAProxy does so on a kept-alive connection, RFC 9112
    9.3.1, so that the client decides whether to send it again). It may have been applied."""

    def overlaps(self, start: float, end: float) -> bool:
        """Whether it was in flight at some time between ``start`` and ``end``."""
        return self.started < end and self.ended > start


@dataclass
class Writer:
    name: str
    write: Callable[[int], Any]
    """Sends write number ``n``; returns what identifies it once acknowledged, raises if not."""
    attempts: list[Attempt] = field(default_factory=list)

    def run(self, count: int, stop_at: float) -> None:
        for n in range(count):
            if time.monotonic() > stop_at:
                return
            attempt = Attempt(time.monotonic())
            try:
                attempt.acknowledged = self.write(n)
            except Exception as problem:  # any failure: the write was not acknowledged
                attempt.failure = f"{type(problem).__name__}: {problem}"
                status = getattr(problem, "status", None)
                attempt.lost = isinstance(problem, httpx.TransportError) or status == LOST
            attempt.ended = time.monotonic()
            self.attempts.append(attempt)

    @property
    def acknowledged(self) -> list[Any]:
        return [a.acknowledged for a in self.attempts if a.failure is None]

    def failures(self) -> list[tuple[int, Attempt]]:
        return [(n, a) for n, a in enumerate(self.attempts) if a.failure is not None]

    def failed_outside(self, start: float, end: float) -> list[str]:
        """The failures of attempts not in flight at any time between ``start`` and ``end``."""
        return [
            f"{self.name} #{n}: {a.failure}"
            for n, a in self.failures()
            if not a.overlaps(start, end)
        ]


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise Refused(
            response.status_code,
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:300]}",
        )
    body: dict[str, Any] = response.json()
    return body


def meter_body(n: int, run: str) -> dict[str, Any]:
    return {
        "building": LIBRARY,
        "status": "online",
        "gateway": 48213,
        "storageUnit": "kwh",
        "displayUnit": "kwh",
        "displayName": f"Load meter {run}-{n}",
        "sourceUnit": "wh",
        "resourceType": "electricity",
        "vendorMeterId": f"LOAD-{run}-{n}",
        "defaultTimescale": "month",
        "scope": "submeter",
        "readingType": "cumulative",
    }


def atrius_token(client: httpx.Client, credentials: dict[str, Any]) -> str:
    form = {
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "grant_type": "client_credentials",
    }
    return str(_ok(client.post("/atrius/o/token/", data=form), 200)["access_token"])


class WriteLoad:
    """The three writers on ``topology``'s balancer; ``run_until`` returns once each has done
    ``count`` writes or ``seconds`` have passed, whichever is first."""

    def __init__(self, topology: Topology, run: str = "a") -> None:
        self.topology = topology
        self.run = run
        self.http = [httpx.Client(base_url=topology.url, timeout=TIMEOUT_S) for _ in range(4)]
        control, tenants, meters, metasys_http = self.http
        credentials = _ok(control.get("/_sandbox/credentials"), 200)
        self.tenants_before = len(_ok(control.get("/_sandbox/tenants"), 200)["tenants"])
        # Limits are not what this load is about (they have their own tests): off, so that
        # no write is refused for them.
        off = {api: {"requests": {"enabled": False}} for api in ("atrius", "metasys")}
        _ok(control.patch("/_sandbox/limits", json=off), 200)
        token = atrius_token(meters, credentials["atrius"])
        self.metasys = MetasysClient(
            credentials["metasys"]["username"],
            credentials["metasys"]["password"],
            base_url=f"{topology.url}/metasys/api/v4",
            http=metasys_http,
            max_retries=0,
        )
        self.point = self.metasys.object_id(ZONE_SETPOINT)
        self.start_value = float(self.metasys.read(self.point).value)
        values = itertools.accumulate(
            itertools.repeat(None), lambda v, _: another_value(v), initial=self.start_value
        )
        self.setpoints = list(itertools.islice(values, 1, 10_000))

        def tenant(n: int) -> Any:
            return _ok(tenants.post("/_sandbox/tenants"), 201)

        def meter(n: int) -> Any:
            answer = meters.post(
                "/atrius/meters/",
                json=meter_body(n, run),
                headers={"Authorization": f"Bearer {token}"},
            )
            return _ok(answer, 201)

        def setpoint(n: int) -> Any:
            self.metasys.adjust(self.point, self.setpoints[n])
            return self.setpoints[n]

        self.writers = [
            Writer("tenants", tenant),
            Writer("meters", meter),
            Writer("setpoint", setpoint),
        ]
        self.meter_token = token

    def start(self, count: int, seconds: float) -> list[threading.Thread]:
        stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=w.run, args=(count, stop_at), daemon=True) for w in self.writers
        ]
        for thread in threads:
            thread.start()
        return threads

    def wait_for(self, done: int, timeout: float = 60.0) -> None:
        """Until every writer has made ``done`` attempts."""
        deadline = time.monotonic() + timeout
        while any(len(w.attempts) < done for w in self.writers):
            if time.monotonic() > deadline:
                raise AssertionError(f"the load stalled: {[len(w.attempts) for w in self.writers]}")
            time.sleep(0.01)

    def writer(self, name: str) -> Writer:
        return next(w for w in self.writers if w.name == name)

    def close(self) -> None:
        self.metasys.close()
        for client in self.http:
            client.close()


def missing_writes(load: WriteLoad, reads_each: int) -> list[str]:
    """Every acknowledged write read back through the balancer ``reads_each`` times (so that
    consecutive reads reach different replicas); what is missing or different."""
    missing: list[str] = []
    with httpx.Client(base_url=load.topology.url, timeout=TIMEOUT_S) as client:
        auth = {"Authorization": f"Bearer {atrius_token(client, _credentials(client))}"}
        for _ in range(reads_each):
            listed = {t["tenant"] for t in _ok(client.get("/_sandbox/tenants"), 200)["tenants"]}
            tenants = load.writer("tenants")
            # A creation whose answer was lost may have been kept, once; no other is there.
            unanswered = len(listed) - load.tenants_before - len(tenants.acknowledged)
            if not 0 <= unanswered <= len(tenants.failures()):
                missing.append(
                    f"{len(listed)} tenants listed: {load.tenants_before} before, "
                    f"{len(tenants.acknowledged)} created, {len(tenants.failures())} unanswered"
                )
            for created in tenants.acknowledged:
                if created["tenant"] not in listed:
                    missing.append(f"tenant {created['tenant']} not listed")
                answer = client.post(
                    "/atrius/o/token/",
                    data={**_client_credentials(created["atrius"])},
                )
                if answer.status_code != 200:
                    missing.append(f"tenant {created['tenant']}: token {answer.status_code}")
            for created in load.writer("meters").acknowledged:
                got = client.get(f"/atrius/meters/{created['uuid']}", headers=auth)
                if got.status_code != 200 or got.json() != {"data": created}:
                    missing.append(f"meter {created['uuid']}: {got.status_code} {got.text[:200]}")
    setpoint = load.writer("setpoint")
    acknowledged = setpoint.acknowledged
    if acknowledged:
        # The last acknowledged value, or one that a later, unacknowledged command may have set.
        last = max(n for n, a in enumerate(setpoint.attempts) if a.failure is None)
        possible = {load.setpoints[n] for n in range(last, len(setpoint.attempts))}
        for _ in range(reads_each):
            value = load.metasys.read(load.point).value
            if value not in possible:
                missing.append(f"setpoint reads {value}, not one of {sorted(possible)}")
    return missing


def _credentials(client: httpx.Client) -> dict[str, Any]:
    return _ok(client.get("/_sandbox/credentials"), 200)["atrius"]  # type: ignore[no-any-return]


def _client_credentials(atrius: dict[str, Any]) -> dict[str, str]:
    return {
        "client_id": atrius["client_id"],
        "client_secret": atrius["client_secret"],
        "grant_type": "client_credentials",
    }
