"""``live_server``: a real uvicorn server in a thread, for what in-process mode cannot serve."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from standin._core.liveserver import live_server
from standin._core.rendering import JSONBody


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    await JSONBody({"hello": scope["path"]})(scope, receive, send)


async def refuses_to_start(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "lifespan"
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no"})


def test_serves_on_a_free_loopback_port_until_the_block_ends() -> None:
    with live_server(hello) as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/x")
        assert (response.status_code, response.json()) == (200, {"hello": "/x"})
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/x")


def test_a_server_that_cannot_start_is_reported() -> None:
    with (
        pytest.raises(RuntimeError, match="did not start"),
        live_server(refuses_to_start, lifespan="on", log_level="critical"),
    ):
        pass
