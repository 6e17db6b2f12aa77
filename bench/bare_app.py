"""The bare baseline: Starlette answering the bench's two Metasys requests with no sandbox layers.

It serves the same paths as standin and answers with the same bodies (the bench reads them from
standin first and passes them as files): a bearer token compared with the one it was given, then
``JSONResponse`` (stdlib json) encoding the body per request.

- ``GET /metasys/api/v4/objects/{id}/attributes/{attribute}``: case A's small read;
- ``GET /metasys/api/v4/objects/{id}/trendedAttributes/{attribute}/samples``: case B's page.

``python -m bench.bare_app --port PORT --token T --body-a A.json --body-b B.json`` serves it with
``uvicorn.run`` and the arguments ``standin serve`` passes (one worker, loop and HTTP
implementation chosen by uvicorn's "auto"), so both run on the same server stack.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PREFIX = "/metasys/api/v4/objects/{objectId}"


def make_app(token: str, body_a: Any, body_b: Any) -> Starlette:
    expected = f"Bearer {token}"

    def refused() -> Response:
        return JSONResponse({"message": "Authorization has been denied."}, status_code=401)

    async def small(request: Request) -> Response:
        if request.headers.get("authorization") != expected:
            return refused()
        return JSONResponse(body_a)

    async def page(request: Request) -> Response:
        if request.headers.get("authorization") != expected:
            return refused()
        return JSONResponse(body_b)

    return Starlette(
        routes=[
            Route(f"{PREFIX}/attributes/{{attributeId}}", small, methods=["GET"]),
            Route(f"{PREFIX}/trendedAttributes/{{attributeId}}/samples", page, methods=["GET"]),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--token", required=True, help="the bearer token to accept")
    parser.add_argument("--body-a", type=Path, required=True, help="case A's JSON body")
    parser.add_argument("--body-b", type=Path, required=True, help="case B's JSON body")
    args = parser.parse_args(argv)
    app = make_app(
        args.token, json.loads(args.body_a.read_bytes()), json.loads(args.body_b.read_bytes())
    )
    # The call `standin serve` makes, so both servers share uvicorn's defaults.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
