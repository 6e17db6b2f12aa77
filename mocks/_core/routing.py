"""A route table looked up by path segments rather than tried route by route.

Starlette's router tries each route's regular expression in turn; a vendor with a hundred paths
pays for up to a hundred of them on every request. :class:`IndexedRouter` first narrows the
table to the routes whose literal segments a path has (a trie of segments, a parameter matching
any one), then tries those in table order, so it answers exactly what Starlette's loop would.
Whatever the index cannot decide (no full match: a 405, a redirect, a 404; a path with a newline,
which a route's ``$`` lets through) goes to Starlette's own loop.
"""

from __future__ import annotations

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

__all__ = ["IndexedRouter", "RouteIndex"]


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
        for order, route in enumerate(routes):
            segments = _template_segments(route)
            if segments is None:
                self._anywhere.append((order, route))
                continue
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
        found = list(self._anywhere)
        segments = path.split("/")
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
        return [route for _, route in found]


def _template_segments(route: BaseRoute) -> list[str | None] | None:
    """A route's path split at ``/``: literal segments, None where a parameter stands; None for a
    route the index cannot place (not a plain Route, or a parameter that spans segments)."""
    if type(route) is not Route:
        return None
    if any(convertor.regex != "[^/]+" for convertor in route.param_convertors.values()):
        return None
    return [None if "{" in segment else segment for segment in route.path.split("/")]


class IndexedRouter(Router):
    """Starlette's router, its full matches found through a :class:`RouteIndex`."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        super().__init__(routes=routes)
        self.index = RouteIndex(list(self.routes))

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            if "\n" not in path:
                for route in self.index.candidates(path):
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        if "router" not in scope:
                            scope["router"] = self
                        scope["route"] = route
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
        await super().app(scope, receive, send)
