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
    """Logs every HTTP request of ``app``; ``api`` names a single-API server's API."""

    def __init__(self, app: ASGIApp, apis: frozenset[str], api: str | None = None) -> None:
        self.app = app
        self.apis = apis
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not ACCESS_LOG.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
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
            await self.app(scope, receive, send_and_watch)
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
