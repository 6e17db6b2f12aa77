"""The one place vendor errors become HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.errors import VendorError
from standin._core.rendering import JSONBody

LOG = logging.getLogger("standin")

RoutingErrorFactory = Callable[[Request, int], VendorError]
"""Builds a vendor's answer for a routing failure (404 unknown path, 405 wrong method), and
its generic answer for any other status (500 for a handler's unexpected exception)."""


@dataclass(frozen=True)
class RoutingErrors:
    """A vendor's words for an unknown path (404), a method the path does not take (405) and
    any other routing failure; usable wherever a :data:`RoutingErrorFactory` is."""

    not_found: Callable[[Request], VendorError]
    method_not_allowed: Callable[[Request], VendorError]
    other: Callable[[int], VendorError]

    def __call__(self, request: Request, status: int) -> VendorError:
        if status == 405:
            return self.method_not_allowed(request)
        if status == 404:
            return self.not_found(request)
        return self.other(status)


def error_response(error: VendorError) -> Response:
    if isinstance(error.body, str | bytes):
        return Response(error.body, error.status, error.headers, error.media_type)
    return JSONBody(error.body, error.status, error.headers, error.media_type)


def render_vendor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VendorError)
    return error_response(exc)


def exception_handlers(
    routing_error: RoutingErrorFactory,
) -> dict[Any, Callable[[Request, Exception], Response]]:
    """What every vendor app installs: its own errors, routing errors in its own style, and its
    own 500 for anything a handler did not expect (logged; see :class:`SettledErrors`)."""

    def handle_routing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error = routing_error(request, exc.status_code)
        headers = dict(exc.headers or {})
        if "Allow" in headers:
            # Starlette builds Allow from a set; answer in a stable order.
            headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
        error.headers = {**headers, **error.headers}
        return error_response(error)

    def handle_unexpected(request: Request, exc: Exception) -> Response:
        LOG.error(
            "unexpected error answering %s %s", request.method, request.url.path, exc_info=exc
        )
        return error_response(routing_error(request, 500))

    return {
        VendorError: render_vendor_error,
        HTTPException: handle_routing,
        Exception: handle_unexpected,
    }


class SettledErrors:
    """Ends an exception here once its whole answer has been sent.

    Starlette sends the ``Exception`` handler's answer and then raises the exception again, for
    a server to log or a test client to raise. Ours has logged it and the client has its 500:
    raised further, a server would log it twice and an in-process client (httpx's
    ``ASGITransport``, respx) would raise instead of answering. An exception that leaves an
    answer unfinished (a stream cut short) still propagates.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answered = False

        async def send_and_watch(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            if not answered:
                raise
