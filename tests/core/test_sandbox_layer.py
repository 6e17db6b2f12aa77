"""The sandbox layer (journal, default faults and the vendor's error answers in one ASGI layer)
answers an exception raised after its answer has begun as Starlette's middleware stack did: an
answer already complete stands (the exception is logged and ends there), an answer cut short
propagates, and a vendor error too late to be its answer is an unexpected error."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from standin._core.apps import vendor_app
from standin._core.errors import VendorError
from standin._core.handlers import RoutingErrors
from standin._core.middleware import ALREADY_STARTED
from standin._core.sandbox import Sandbox
from tests.core.echo_api import EchoApi

ROUTING = RoutingErrors(
    not_found=lambda request: VendorError(404, {"problem": "routing 404"}),
    method_not_allowed=lambda request: VendorError(405, {"problem": "routing 405"}),
    other=lambda status: VendorError(status, {"problem": f"routing {status}"}),
)


async def complete_then_fail(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"done"})
    raise RuntimeError("after the answer")


async def start_then_fail(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})
    raise RuntimeError("cut short")


async def start_then_refuse(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})
    raise VendorError(403, {"problem": "too late"})


class Endpoint:
    """An ASGI endpoint (Starlette calls a plain function with a request instead)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def serve(path: str) -> tuple[list[Message], Sandbox]:
    sandbox = Sandbox([EchoApi])
    routes = [
        Route("/complete", Endpoint(complete_then_fail), methods=["GET"]),
        Route("/cut", Endpoint(start_then_fail), methods=["GET"]),
        Route("/refuse", Endpoint(start_then_refuse), methods=["GET"]),
    ]
    app = vendor_app(sandbox, "echo", list(routes), ROUTING)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "state": {},
    }
    try:
        asyncio.run(app(scope, receive, send))
    finally:
        sandbox.close()
    return sent, sandbox


def test_an_exception_after_a_complete_answer_ends_in_the_layer_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="standin"):
        sent, sandbox = serve("/complete")
    assert sent == [
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": b"done"},
    ]
    [logged] = [record for record in caplog.records if record.name == "standin"]
    assert logged.getMessage() == "unexpected error answering GET /complete"
    assert logged.exc_info is not None
    assert str(logged.exc_info[1]) == "after the answer"
    [entry] = sandbox.journal.entries()
    assert (entry.path, entry.status, entry.response_body) == ("/complete", 200, "done")


def test_an_exception_that_cuts_an_answer_short_propagates() -> None:
    with pytest.raises(RuntimeError, match=r"^cut short$"):
        serve("/cut")


def test_a_vendor_error_after_the_answer_began_is_an_unexpected_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="standin"), pytest.raises(RuntimeError) as raised:
        serve("/refuse")
    assert str(raised.value) == ALREADY_STARTED
    assert isinstance(raised.value.__cause__, VendorError)
    [logged] = [record for record in caplog.records if record.name == "standin"]
    assert logged.getMessage() == "unexpected error answering GET /refuse"
