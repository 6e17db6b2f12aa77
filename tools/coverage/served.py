"""Whether a fake serves an operation: its path and method match a route of the vendor app.

The app is searched as Starlette routes it (middleware unwrapped, mounts followed), so the
answer comes from the route table the fake really runs with, not from a list kept beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Scope

from tools.coverage.operations import PARAMETER

SAMPLE_VALUES = ("1", "00000000-0000-0000-0000-000000000001", "a")
"""Values tried for each path parameter, so that typed routes (``{id:int}``, ``{id:uuid}``,
``{name:str}``) are matched whatever convertor they use."""

_MAX_WRAPPERS = 20
NOT_A_LITERAL = "standin-not-a-literal"
"""Put in place of a literal segment: a route that takes it too reads that segment as a
parameter."""


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


def _matching(routes: Sequence[BaseRoute], scope: Scope) -> BaseRoute | None:
    """The route (inside any mounts) that takes the request, as Starlette picks it."""
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount):
            return _matching(route.routes, {**scope, **child})
        return route
    return None


def _literal_positions(path: str) -> list[int]:
    return [i for i, part in enumerate(path.split("/")) if part and not PARAMETER.search(part)]


def _captures_a_literal(routes: Sequence[BaseRoute], scope: Scope, route: BaseRoute) -> bool:
    """Whether ``route`` takes the request only by reading one of its literal segments as a
    parameter (``/objects/trees`` reaching ``/objects/{objectId}``): the same route would take
    any other word there, so it is not this operation's route."""
    parts = str(scope["path"]).split("/")
    for position in _literal_positions(scope["template"]):
        other = [*parts[:position], NOT_A_LITERAL, *parts[position + 1 :]]
        if _matching(routes, {**scope, "path": "/".join(other)}) is route:
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
        route = _matching(routes, scope)
        if route is not None and not _captures_a_literal(
            routes, {**scope, "template": path}, route
        ):
            return True
    return False
