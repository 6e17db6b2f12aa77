"""Whether a fake serves an operation: its path and method match a route of the vendor app.

The app is searched as Starlette routes it (middleware unwrapped, mounts followed), so the
answer comes from the route table the fake really runs with, not from a list kept beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Scope

from mocks.coverage.operations import PARAMETER

SAMPLE_VALUES = ("1", "00000000-0000-0000-0000-000000000001", "a")
"""Values tried for each path parameter, so that typed routes (``{id:int}``, ``{id:uuid}``,
``{name:str}``) are matched whatever convertor they use."""

_MAX_WRAPPERS = 20


def route_table(app: ASGIApp) -> Sequence[BaseRoute]:
    """The routes of ``app``: a Starlette app or router, possibly inside middleware that keeps
    the wrapped app in ``.app`` (as SandboxMiddleware and Starlette's middleware do)."""
    current: Any = app
    for _ in range(_MAX_WRAPPERS):
        routes = getattr(current, "routes", None)
        if isinstance(routes, list):
            return routes
        current = getattr(current, "app", None)
        if current is None:
            break
    raise TypeError(f"no Starlette route table in {type(app).__name__}")


def _matches(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount):
            return _matches(route.routes, {**scope, **child})
        return True
    return False


def sample_paths(path: str) -> list[str]:
    """``/meters/{uuid}`` -> ``/meters/1``, ``/meters/0000...``, ``/meters/a``."""
    return [PARAMETER.sub(value, path) for value in SAMPLE_VALUES]


def serves(app: ASGIApp, method: str, path: str) -> bool:
    """Whether a request ``method path`` (a template: ``/meters/{uuid}``) reaches a route of
    ``app`` that takes this method, rather than a routing 404 or 405."""
    routes = route_table(app)
    for concrete in sample_paths(path):
        scope: Scope = {"type": "http", "method": method.upper(), "path": concrete, "root_path": ""}
        if _matches(routes, scope):
            return True
    return False
