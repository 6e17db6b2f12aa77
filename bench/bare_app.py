"""The bare baseline: Starlette with stdlib-json responses, served like the fake.

Two routes, both behind a plain API-key lookup:

- ``/bare/small``: a 10-reading page, encoded per request by ``JSONResponse`` (stdlib json);
- ``/bare/page``: a 1440-reading page of precomputed dicts, encoded per request the same way.

``python -m bench.bare_app --port PORT --log-level warning`` serves it with ``uvicorn.run`` and
the same arguments ``standin serve`` passes (one worker, default loop and HTTP implementation).
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEYS: set[str] = {"bare-bench-key"}
"""Keys the bare app accepts; ``--api-key`` adds more (the bench passes the fake's key)."""

SMALL_ITEMS = 10
PAGE_ITEMS = 1440


def make_readings(count: int, seed: int = 0) -> list[dict[str, object]]:
    """``count`` minute readings with the fake's fields and roundings, deterministic in ``seed``."""
    rng = random.Random(seed)
    start = datetime(2022, 6, 13, tzinfo=UTC)
    readings: list[dict[str, object]] = []
    for minute in range(count):
        day = math.sin(2.0 * math.pi * minute / 1440.0)
        pm25 = max(0, round(6.0 + 3.0 * day + rng.uniform(-2.0, 2.0)))
        readings.append(
            {
                "time": (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:00.000Z"),
                "voc": round(0.35 + 0.1 * day + rng.uniform(-0.05, 0.05), 3),
                "pm1": math.floor(pm25 * 0.65),
                "pm25": pm25,
                "pm10": math.ceil(pm25 * 1.4),
                "t": round(21.5 + 1.2 * day + rng.uniform(-0.5, 0.5), 1),
                "h": max(1, min(100, round(42.0 - 4.0 * day + rng.uniform(-3.0, 3.0)))),
                "p": round(1013.0 + 5.0 * day + rng.uniform(-1.0, 1.0), 2),
            }
        )
    return readings


READINGS: list[dict[str, object]] = make_readings(PAGE_ITEMS)


def unauthorized() -> Response:
    return JSONResponse({"status": 1, "message": "Invalid API key"}, status_code=401)


async def small(request: Request) -> Response:
    if request.query_params.get("api_key") not in API_KEYS:
        return unauthorized()
    items = READINGS[:SMALL_ITEMS]
    return JSONResponse({"status": 0, "data": {"total": PAGE_ITEMS, "items": items}})


async def page(request: Request) -> Response:
    if request.query_params.get("api_key") not in API_KEYS:
        return unauthorized()
    return JSONResponse({"status": 0, "data": {"total": PAGE_ITEMS, "items": READINGS}})


app = Starlette(
    routes=[
        Route("/bare/small", small, methods=["GET"]),
        Route("/bare/page", page, methods=["GET"]),
    ]
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--api-key", action="append", default=[], help="accept this key too")
    args = parser.parse_args(argv)
    API_KEYS.update(args.api_key)
    # The same call `standin serve` makes, so both servers share uvicorn's defaults.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
