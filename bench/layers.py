"""Case A's sandbox layers in process: standin's app over bare Starlette's, CPU per request.

``make bench`` measures case A through uvicorn and wrk, where the server's own work (parsing,
the socket, the event loop) is counted with the app's and a shared machine makes every figure
move. Here only the two ASGI apps are measured, each called directly with the same request
(``GET /metasys/api/v4/objects/{id}/attributes/presentValue`` with the bearer token from a
login; no socket, no server): standin's as ``standin serve`` builds it, every layer on (token
check, tenant lookup, the limiter counting with its limit raised, the journal, faults), and
bare Starlette's (bench/bare_app.py) answering the same body. The rounds alternate between the
two; each app's figure is its quickest round (the one least disturbed by the rest of the
machine), in CPU microseconds per request (``time.process_time``).

    python -m bench.layers                      # 5 rounds of 10,000 requests each
    python -m bench.layers --requests 2000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench.bare_app import make_app
from bench.history import API, metasys_auth

POINT = "ADS1:NAE-1/FC-1.AHU-1.SA-T"
"""Case A's point (bench/run.py's)."""
RATE_LIMIT = 1_000_000_000
REQUESTS = 10_000
ROUNDS = 5
WARM_UP = 500


@dataclass(frozen=True)
class Layers:
    requests: int
    rounds: int
    standin_us: float
    bare_us: float

    @property
    def ratio(self) -> float:
        """Bare's CPU per request over standin's: issue 19's "A over bare" in process."""
        return self.bare_us / self.standin_us


def request_scope(path: str, token: str) -> dict[str, Any]:
    """The scope uvicorn gives an app for case A's request, as wrk sends it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "state": {},
    }


async def _serve(app: Any, path: str, token: str, count: int) -> tuple[float, int, bytes]:
    """CPU microseconds per request over ``count`` requests, the last answer's status and body."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    began = time.process_time()
    for _ in range(count):
        sent.clear()
        await app(request_scope(path, token), receive, send)
    elapsed = time.process_time() - began
    return elapsed * 1e6 / count, sent[0]["status"], sent[-1]["body"]


async def _measure(requests: int, rounds: int) -> Layers:
    from standin.registry import create_sandbox
    from standin.server import build_app

    sandbox = create_sandbox()
    app = build_app(sandbox)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin") as client:
        headers = await metasys_auth(client)
        raised = await client.patch(
            "/_sandbox/limits", json={"metasys": {"requests": {"limit": RATE_LIMIT}}}
        )
        if raised.status_code != 200:
            raise SystemExit(f"bench.layers: {raised.status_code} {raised.text[:300]}")
    token = headers["Authorization"].removeprefix("Bearer ")
    state: Any = sandbox.tenants.default().states["metasys"]
    obj = state.tree.find(POINT)
    if obj is None:
        raise SystemExit(f"bench.layers: {POINT} is missing from the fixtures")
    path = f"{API}/objects/{obj.id}/attributes/presentValue"
    _, status, body = await _serve(app, path, token, WARM_UP)
    if status != 200:
        raise SystemExit(f"bench.layers: standin answered {status} {body[:300]!r}")
    bare = make_app(token, json.loads(body), {})
    _, bare_status, _ = await _serve(bare, path, token, WARM_UP)
    if bare_status != 200:
        raise SystemExit(f"bench.layers: bare Starlette answered {bare_status}")
    standin_us: list[float] = []
    bare_us: list[float] = []
    for _ in range(rounds):
        for app_us, served, name in (
            (standin_us, app, "standin"),
            (bare_us, bare, "bare Starlette"),
        ):
            us, status, _ = await _serve(served, path, token, requests)
            if status != 200:
                # A quick refusal (a 429, a 401) would pass for a quick answer.
                raise SystemExit(f"bench.layers: {name} answered {status} in a measured round")
            app_us.append(us)
    return Layers(requests, rounds, min(standin_us), min(bare_us))


def measure(requests: int = REQUESTS, rounds: int = ROUNDS) -> Layers:
    return asyncio.run(_measure(requests, rounds))


def table(layers: Layers) -> str:
    return "\n".join(
        [
            "",
            "Case A in process (issue 19's sandbox layers): CPU us per request, the quickest of "
            f"{layers.rounds} rounds of {layers.requests:,} requests, the apps called directly",
            f"{'app':<10} {'CPU us/req':>11} {'bare/app':>9}",
            f"{'bare':<10} {layers.bare_us:>11.1f} {1.0:>9.2f}",
            f"{'standin':<10} {layers.standin_us:>11.1f} {layers.ratio:>9.2f}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.layers", description=__doc__)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests per round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.rounds < 1:
        parser.error("--requests and --rounds must be positive")
    layers = measure(args.requests, args.rounds)
    if args.json:
        print(json.dumps({**asdict(layers), "ratio": layers.ratio}))
    else:
        print(table(layers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
