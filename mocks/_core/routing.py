"""A route table looked up by path segments rather than tried route by route.

Starlette's router tries each route's regular expression in turn; a vendor with a hundred paths
pays for up to a hundred of them on every request. :class:`IndexedRouter` first narrows the
table to the routes whose literal segments a path has (a trie of segments, a parameter matching
any one), then tries those in table order, so it answers exactly what Starlette's loop would.
Whatever the index cannot decide (no full match: a 405, a redirect, a 404; a path with a newline,
which a route's ``$`` lets through) goes to Starlette's own loop.

A route whose every parameter is a whole segment (``/objects/{objectId}``) is matched by the
index itself: its literal segments are already equal and each parameter's segment is not empty,
which is all its regular expression would check, so the parameters are read from the segments
(through the route's convertors) without running it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from starlette._utils import get_route_path
from starlette.convertors import Convertor, StringConvertor
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from standin._core.memo import BoundedMemo

__all__ = ["EndpointsByMethod", "IndexedRouter", "RouteIndex"]

WHOLE_SEGMENT = re.compile(r"^\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?\}$")
"""A path segment that is one parameter and nothing else (``{objectId}``, ``{id:str}``)."""

Params = tuple[tuple[int, str, Convertor[Any] | None], ...]
"""Where a route's parameters stand: (segment position, name, convertor; None for ``str``)."""


@runtime_checkable
class EndpointsByMethod(Protocol):
    """An endpoint that hands each method to its own endpoint (Metasys' one route per path):
    called, it calls ``endpoints[method]`` (``GET``'s for ``HEAD``) and does nothing else, so
    whoever has found it may call that endpoint directly."""

    endpoints: Mapping[str, ASGIApp]


class _Node:
    __slots__ = ("literal", "routes", "wildcard")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.wildcard: _Node | None = None
        self.routes: list[tuple[int, BaseRoute]] = []


class RouteIndex:
    """The routes of a table that can match a path, in table order."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._root = _Node()
        self._anywhere: list[tuple[int, BaseRoute]] = []
        self._params: dict[int, Params] = {}
        self._answering: dict[int, _Answering] = {}
        for order, route in enumerate(routes):
            self._answering[order] = _Answering(route)
            segments = _template_segments(route)
            if segments is None:
                self._anywhere.append((order, route))
                continue
            assert isinstance(route, Route)
            params = _segment_params(route)
            if params is not None:
                self._params[order] = params
            node = self._root
            for segment in segments:
                if segment is None:
                    if node.wildcard is None:
                        node.wildcard = _Node()
                    node = node.wildcard
                else:
                    node = node.literal.setdefault(segment, _Node())
            node.routes.append((order, route))

    def candidates(self, path: str) -> list[BaseRoute]:
        return [route for route, _, _ in self.located(path.split("/"))]

    def located(self, segments: list[str]) -> list[Located]:
        """The routes that can match the path of ``segments``, in table order, each with where
        its parameters stand when every one is a whole segment (None: its regex decides) and
        the app that answers it once matched (see :meth:`answering`)."""
        found = list(self._anywhere)
        nodes = [self._root]
        for segment in segments:
            following: list[_Node] = []
            for node in nodes:
                child = node.literal.get(segment)
                if child is not None:
                    following.append(child)
                if node.wildcard is not None and segment:
                    following.append(node.wildcard)
            nodes = following
            if not nodes:
                break
        for node in nodes:
            found.extend(node.routes)
        if len(found) > 1:
            found.sort(key=lambda entry: entry[0])
        params, answering = self._params, self._answering
        return [(route, params.get(order), answering[order]) for order, route in found]


class _Answering:
    """What answers a matched route: ``Route.handle`` calls the route's app as it is then (its
    method is allowed once it has matched), and an app of :class:`EndpointsByMethod` would call
    the method's own endpoint; any other route is answered by its ``handle``."""

    __slots__ = ("by_method", "dispatcher", "route")

    def __init__(self, route: BaseRoute) -> None:
        self.route = route
        app = route.app if type(route) is Route else None
        self.dispatcher = app if isinstance(app, EndpointsByMethod) else None
        self.by_method = None if self.dispatcher is None else self.dispatcher.endpoints

    def for_method(self, method: str) -> ASGIApp:
        route = self.route
        if type(route) is not Route:
            return route.handle
        app = route.app
        if app is self.dispatcher and self.by_method is not None:
            return self.by_method["GET" if method == "HEAD" else method]
        return app


Located = tuple[BaseRoute, Params | None, _Answering]


def _template_segments(route: BaseRoute) -> list[str | None] | None:
    """A route's path split at ``/``: literal segments, None where a parameter stands; None for a
    route the index cannot place (not a plain Route, or a parameter that spans segments)."""
    if type(route) is not Route:
        return None
    if any(convertor.regex != "[^/]+" for convertor in route.param_convertors.values()):
        return None
    return [None if "{" in segment else segment for segment in route.path.split("/")]


def _segment_params(route: Route) -> Params | None:
    """Where ``route``'s parameters stand, if each is a whole segment; None if not."""
    found: list[tuple[int, str, Convertor[Any] | None]] = []
    for position, segment in enumerate(route.path.split("/")):
        if "{" not in segment:
            continue
        whole = WHOLE_SEGMENT.match(segment)
        if whole is None:
            return None
        convertor = route.param_convertors[whole.group(1)]
        # Starlette's str convertor gives the segment back as it is: not called at all.
        kept = None if type(convertor) is StringConvertor else convertor
        found.append((position, whole.group(1), kept))
    return tuple(found)


PATH_KEPT_LENGTH = 512
"""The longest path whose candidate routes a router remembers (a vendor path with its ids is
well under 200 characters)."""


class IndexedRouter(Router):
    """Starlette's router, its full matches found through a :class:`RouteIndex`."""

    PATHS_KEPT = 4096
    """Paths whose candidate routes the router remembers (the table never changes: a path's
    candidates are always the same)."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes=routes)
        self.index = RouteIndex(list(self.routes))
        self._located: BoundedMemo[str, list[Located]] = BoundedMemo(self.PATHS_KEPT)

    def resolve(self, scope: Scope) -> ASGIApp | None:
        """The app that answers an HTTP ``scope`` whose route the index finds, ``scope`` made
        what Starlette's router would hand it (its ``router``, ``route``, ``endpoint`` and
        ``path_params``); None when the index cannot decide (Starlette's own loop then does)."""
        path = get_route_path(scope)
        if "\n" in path:
            return None
        segments = path.split("/")
        method = scope["method"]
        located = self._located.get(path)
        if located is None:
            located = self.index.located(segments)
            # Only short paths that reach a route are remembered: anyone may send any path
            # (up to the server's 64 KiB), before any credential is looked at.
            if located and len(path) <= PATH_KEPT_LENGTH:
                self._located.put(path, located)
        for route, params, answering in located:
            if params is None:
                match, child_scope = route.matches(scope)
                if match is not Match.FULL:
                    continue
            else:
                # What Route.matches would answer (see the module's note).
                assert isinstance(route, Route)
                if route.methods and method not in route.methods:
                    continue
                outer = scope.get("path_params")
                path_params = {} if outer is None else dict(outer)
                for position, name, convertor in params:
                    value = segments[position]
                    path_params[name] = value if convertor is None else convertor.convert(value)
                child_scope = {"endpoint": route.endpoint, "path_params": path_params}
            if "router" not in scope:
                scope["router"] = self
            scope["route"] = route
            scope.update(child_scope)
            return answering.for_method(method)
        return None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answering = self.resolve(scope)
            if answering is not None:
                await answering(scope, receive, send)
                return
        await super().app(scope, receive, send)
