"""The access log of ``standin serve``: one line per request, never a credential.

Each line has the time, the tenant the caller seam found (``-`` for none), the API, method, path
(no query string: it can carry an ``api_key``), status and duration. uvicorn's own access log is
off, since it prints query strings.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.seam import attributed_tenant

ACCESS_LOG = logging.getLogger("standin.access")
FORMAT = "%(asctime)s %(message)s"


class AccessLog:
    """Logs HTTP requests as they are answered; ``api`` names a single-API server's API.

    Not a layer of its own: the dispatcher in front of every app (standin.server) asks
    :meth:`enabled` per request and only then serves the request through :meth:`serve`, so a
    server that logs nothing pays for one check rather than one more coroutine per request.
    """

    def __init__(self, apis: frozenset[str], api: str | None = None) -> None:
        self.apis = apis
        self.api = api

    @staticmethod
    def enabled(scope: Scope) -> bool:
        """Whether ``scope`` is a request this log writes a line for."""
        return scope["type"] == "http" and ACCESS_LOG.isEnabledFor(logging.INFO)

    async def serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """``app``'s answer to the request, and its line once answered."""
        started = time.perf_counter()
        status = 500
        # Shared with the caller seam, which leaves the tenant in it.
        scope = {**scope, "state": dict(scope.get("state") or {})}

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_watch)
        finally:
            path: str = scope["path"]
            ACCESS_LOG.info(
                "tenant=%s api=%s %s %s %d %.1fms",
                attributed_tenant(scope) or "-",
                self._api(path),
                scope["method"],
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )

    def _api(self, path: str) -> str:
        first = path.split("/", 2)[1] if path.startswith("/") else ""
        if first == "_sandbox":
            return "_sandbox"
        if first in self.apis:
            return first
        return self.api or "-"


def configure(level: str) -> None:
    """Send access lines to standard error at ``level`` (the server's log level)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    ACCESS_LOG.handlers[:] = [handler]
    ACCESS_LOG.propagate = False
    ACCESS_LOG.setLevel(logging.INFO if level in ("info", "debug", "trace") else logging.WARNING)
