"""The indexed route table answers as Starlette's route-by-route loop: for every vendor's table,
every path its routes take (and near misses), the first route that matches in full is the same."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import BaseRoute, Match, Route

from standin._core.routing import IndexedRouter, RouteIndex
from standin.registry import API_FACTORIES, create_sandbox

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def vendor_routes(api: str) -> list[BaseRoute]:
    app: Any = create_sandbox([api]).api(api).app()
    routes: list[BaseRoute] = app.routes
    return routes


def paths_of(routes: list[BaseRoute]) -> list[str]:
    """Each route's path with its parameters filled, and near misses of it."""
    paths = ["/", "", "//", "/nowhere", "/api/v4/objects/x\n", "/openapi.json\n"]
    for route in routes:
        if not isinstance(route, Route):
            continue
        filled = re.sub(r"\{[^}]+\}", "x1", route.path)
        paths += [
            filled,
            filled + "/",
            filled.rstrip("/"),
            filled + "/more",
            filled.rsplit("/", 1)[0],
            re.sub(r"\{[^}]+\}", "", route.path),
            filled + "\n",
            filled.upper(),
        ]
    return paths


def first_full(routes: list[BaseRoute], scope: dict[str, Any]) -> BaseRoute | None:
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


@pytest.mark.parametrize("api", [api for api in API_FACTORIES if api != "locus"])
def test_the_index_finds_the_route_starlettes_loop_finds(api: str) -> None:
    routes = vendor_routes(api)
    index = RouteIndex(routes)
    for path in paths_of(routes):
        for method in METHODS:
            scope = {"type": "http", "path": path, "root_path": "", "method": method}
            if "\n" in path:
                continue  # the router leaves these to Starlette's loop (a route's $ admits \n)
            expected = first_full(routes, scope)
            assert first_full(index.candidates(path), scope) is expected, (method, path)


def test_the_indexed_router_keeps_the_table_order_among_overlapping_routes() -> None:
    async def endpoint(scope: Any, receive: Any, send: Any) -> None: ...

    literal = Route("/meters/units", endpoint, methods=["GET"])
    param = Route("/meters/{uuid}", endpoint, methods=["GET"])
    anything = Route("/{rest:path}", endpoint, methods=["GET"])
    index = IndexedRouter([param, literal, anything]).index
    assert index.candidates("/meters/units") == [param, literal, anything]
    assert index.candidates("/meters/abc") == [param, anything]
    assert index.candidates("/buildings") == [anything]
    assert IndexedRouter([literal, param]).index.candidates("/meters/units") == [literal, param]
