"""The indexed route table answers as Starlette's route-by-route loop: for every vendor's table,
every path its routes take (and near misses), the first route that matches in full is the same."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from starlette.routing import BaseRoute, Match, Route

from standin._core.routing import PATH_KEPT_LENGTH, IndexedRouter, RouteIndex
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


@pytest.mark.parametrize("api", [api for api in API_FACTORIES if api != "locus"])
def test_the_indexed_router_hands_the_endpoint_the_path_parameters_starlette_would(
    api: str,
) -> None:
    routes = vendor_routes(api)
    router = IndexedRouter(routes)
    for path in paths_of(routes):
        if "\n" in path:
            continue
        for method in METHODS:
            scope: dict[str, Any] = {
                "type": "http",
                "path": path,
                "root_path": "",
                "method": method,
            }
            expected = first_full(routes, scope)
            if expected is None:
                continue
            _, child = expected.matches(scope)
            found = router_scope(router, scope)
            assert found == {
                "endpoint": child["endpoint"],
                "path_params": child["path_params"],
                "route": expected,
            }, (method, path)


def router_scope(router: IndexedRouter, scope: dict[str, Any]) -> dict[str, Any]:
    """What the router puts in the scope before it calls the route it found."""
    seen: dict[str, Any] = {}

    async def record(child: Any, receive: Any, send: Any) -> None:
        seen.update(
            endpoint=child["endpoint"], path_params=child["path_params"], route=child["route"]
        )

    route = None
    for candidate in router.routes:
        if candidate.matches(scope)[0] is Match.FULL:
            route = candidate
            break
    assert isinstance(route, Route)
    original, route.app = route.app, record
    try:
        asyncio.run(router.app(dict(scope), empty_receive, empty_send))
    finally:
        route.app = original
    return seen


async def empty_receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def empty_send(message: Any) -> None:
    raise AssertionError("the stand-in endpoint sends nothing")


class Dispatcher:
    """An endpoint per method, as Metasys' one route per path has them."""

    def __init__(self, endpoints: dict[str, Any]) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        await self.endpoints[method](scope, receive, send)


async def read(scope: Any, receive: Any, send: Any) -> None: ...


async def write(scope: Any, receive: Any, send: Any) -> None: ...


def test_resolving_a_path_answers_the_methods_own_endpoint_and_the_scope_starlette_gives() -> None:
    dispatcher = Dispatcher({"GET": read, "POST": write})
    route = Route("/objects/{objectId}", dispatcher, methods=["GET", "POST"])
    router = IndexedRouter([route])
    for method, expected in (("GET", read), ("HEAD", read), ("POST", write)):
        scope: dict[str, Any] = {"type": "http", "path": "/objects/a1", "method": method}
        assert router.resolve(scope) is expected, method
        assert scope["route"] is route
        assert scope["router"] is router
        assert scope["endpoint"] is dispatcher
        assert scope["path_params"] == {"objectId": "a1"}
    assert router.resolve({"type": "http", "path": "/objects/a1", "method": "PUT"}) is None
    assert router.resolve({"type": "http", "path": "/elsewhere", "method": "GET"}) is None


def test_resolving_a_path_answers_the_routes_app_as_it_is_when_asked() -> None:
    """Route.handle calls the route's app of the moment: one replaced after the index was
    built is the one answered (read again on every request, and for every path seen before)."""
    route = Route("/objects/{objectId}", Dispatcher({"GET": read}), methods=["GET"])
    router = IndexedRouter([route])
    scope: dict[str, Any] = {"type": "http", "path": "/objects/a1", "method": "GET"}
    assert router.resolve(dict(scope)) is read
    route.app = write
    assert router.resolve(dict(scope)) is write


def test_the_router_remembers_only_short_paths_that_reach_a_route() -> None:
    route = Route("/objects/{objectId}", read, methods=["GET"])
    router = IndexedRouter([route])
    long_id = "a" * PATH_KEPT_LENGTH
    for path in ("/elsewhere", "/nowhere/at/all", f"/objects/{long_id}"):
        router.resolve({"type": "http", "path": path, "method": "GET"})
    assert len(router._located) == 0
    scope: dict[str, Any] = {"type": "http", "path": f"/objects/{long_id}", "method": "GET"}
    assert router.resolve(scope) is not None
    assert scope["path_params"] == {"objectId": long_id}
    router.resolve({"type": "http", "path": "/objects/a1", "method": "GET"})
    assert len(router._located) == 1
