"""What Metasys handlers need besides their caller: the token issuer, the stream hubs, the
continuation tokens, and the two things every answer is built from (the caller's user and the
API root as the caller reached it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from standin._core.memo import BoundedMemo
from standin._core.paging import ContinuationTokens
from standin._core.seam import Caller
from standin._core.tokens import TokenIssuer
from standin.metasys import errors
from standin.metasys.diagram_streams import DiagramStreams
from standin.metasys.http import base_url
from standin.metasys.state.model import User
from standin.metasys.state.site import MetasysState
from standin.metasys.streaming import Streams


@dataclass(frozen=True)
class Deps:
    issuer: TokenIssuer
    streams: Streams
    diagram_streams: DiagramStreams
    continuations: ContinuationTokens
    bases: BoundedMemo[tuple[Any, ...], str] = field(default_factory=lambda: BoundedMemo(64))
    """API roots by what they are made of (scheme, Host, server, mount): parsing the request's
    URL once per caller's way in rather than per request."""

    def user(self, caller: Caller[MetasysState]) -> User:
        """The user the caller's token names (identify has already answered 401 if it is gone)."""
        user = caller.state.user(caller.principal)
        if user is None:
            raise errors.unauthorized()
        return user

    def base(self, request: Request) -> str:
        """The API root as the caller reached it, e.g. ``https://host/api/v4``."""
        scope = request.scope
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        server = scope.get("server")
        key = (
            scope.get("scheme"),
            host,
            None if server is None else tuple(server),
            scope.get("root_path", ""),
        )
        found = self.bases.get(key)
        return self.bases.put(key, base_url(request)) if found is None else found
