"""The one place vendor errors become HTTP responses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from standin._core.errors import VendorError
from standin._core.rendering import JSONBody

RoutingErrorFactory = Callable[[Request, int], VendorError]
"""Builds a vendor's answer for a routing failure (404 unknown path, 405 wrong method)."""


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
    """What every vendor app installs: its own errors, and routing errors in its own style."""

    def handle_routing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        error = routing_error(request, exc.status_code)
        headers = dict(exc.headers or {})
        if "Allow" in headers:
            # Starlette builds Allow from a set; answer in a stable order.
            headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
        error.headers = {**headers, **error.headers}
        return error_response(error)

    return {VendorError: render_vendor_error, HTTPException: handle_routing}
