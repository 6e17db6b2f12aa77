"""The request a guarded handler gets: Starlette's own, minus work a small read never needs.

- Most reads carry no query string, yet parsing ``b""`` into Starlette's ``QueryParams`` is one
  of the dearest steps of a small read. An empty query here is one shared, immutable, empty
  ``QueryParams``; any other is parsed as Starlette parses it.
- Starlette's ``Headers.get`` is ``Mapping``'s: a ``KeyError`` raised and caught for every
  header a request does not have (most optional ones). Here it looks the header up and answers
  the default, with the same answers.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request


class EmptyQuery(QueryParams):
    """Starlette's empty ``QueryParams``, whose ``get`` answers the default without raising
    and catching a ``KeyError`` (``Mapping.get``'s way) for every parameter asked for."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default


EMPTY_QUERY = EmptyQuery()
"""Immutable (Starlette's ``ImmutableMultiDict``), so every request without a query shares it."""


class GuardedHeaders(Headers):
    """Starlette's ``Headers`` whose ``get`` raises nothing for an absent header."""

    def get(self, key: str, default: Any = None) -> Any:
        wanted = key.lower().encode("latin-1")
        for name, value in self._list:
            if name == wanted:
                return value.decode("latin-1")
        return default


class GuardedRequest(Request):
    """A ``starlette.requests.Request`` in every respect but the cost of an empty query and of
    an absent header."""

    @property
    def headers(self) -> Headers:
        if not hasattr(self, "_headers"):
            self._headers = GuardedHeaders(scope=self.scope)
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        if not hasattr(self, "_query_params"):
            raw: bytes = self.scope["query_string"]
            self._query_params = QueryParams(raw) if raw else EMPTY_QUERY
        return self._query_params
