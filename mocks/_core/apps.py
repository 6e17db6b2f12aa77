"""A vendor's route table as an ASGI app, the same way for every vendor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from standin._core.handlers import RoutingErrorFactory, exception_handlers
from standin._core.middleware import SandboxMiddleware
from standin._core.routing import IndexedRouter

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox


def vendor_app(
    sandbox: Sandbox, key: str, routes: list[BaseRoute], routing_errors: RoutingErrorFactory
) -> ASGIApp:
    """Routes answering their routing errors and unexpected failures in the vendor's own words,
    inside the sandbox layer (journal, faults, the vendor's error answers)."""
    app = Starlette(routes=routes, exception_handlers=exception_handlers(routing_errors))
    # Looked up through an index of path segments rather than route by route (same answers).
    app.router = IndexedRouter(routes)
    return SandboxMiddleware(app, sandbox, key, routes)
