"""The combined app: every API under its prefix, the console at ``/`` and the control plane."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from standin._core.accesslog import AccessLog
from standin._core.control import ControlPlane, control_routing_error
from standin._core.handlers import SettledErrors, exception_handlers
from standin._core.sandbox import Sandbox
from standin.console import Console


def build_app(sandbox: Sandbox, api: str | None = None) -> ASGIApp:
    """Every API of ``sandbox`` under ``/<key>``, or only ``api`` at its vendor paths at the root.

    The control plane is at ``/_sandbox`` either way.
    """
    mounts: dict[str, ASGIApp] = {"/_sandbox": ControlPlane(sandbox).app()}
    apis = frozenset(sandbox.apis)
    # With several replicas, the hand-off to the replica serving a tenant stands in front.
    front = sandbox.persistence.front
    if api is not None:
        return front(PrefixDispatcher(mounts, sandbox.api(api).app(), AccessLog(apis, api)))
    mounts.update({f"/{key}": vendor.app() for key, vendor in sandbox.apis.items()})
    root = Starlette(
        routes=Console(sandbox.apis).routes(),
        exception_handlers=exception_handlers(control_routing_error),
    )
    return front(PrefixDispatcher(mounts, SettledErrors(root), AccessLog(apis)))


class PrefixDispatcher:
    """Sends a request to the app mounted at its first path segment, else to ``fallback``.

    Unlike a Starlette ``Mount`` (a regex that stops at a newline), every path under a prefix,
    however odd, reaches that API's own router and so gets that vendor's error style. Each
    prefix is one segment (``/metasys``), so the mount is found by that segment in a dict.

    It also writes the access log, when one is kept (``log``): through the log when it is on,
    straight to the app when it is off, one coroutine fewer on every request.
    """

    def __init__(
        self, mounts: dict[str, ASGIApp], fallback: ASGIApp, log: AccessLog | None = None
    ) -> None:
        for prefix in mounts:
            if not prefix.startswith("/") or "/" in prefix[1:] or len(prefix) < 2:
                raise ValueError(f"a mount prefix is one path segment: {prefix!r}")
        self.mounts = mounts
        self.fallback = fallback
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.fallback
        root: str | None = None
        if scope["type"] in ("http", "websocket"):
            root = scope.get("root_path", "")
            path: str = scope["path"]
            route = path[len(root) :] if root and path.startswith(root) else path
            # "/metasys/api/v4" -> "/metasys"; "/metasys" stays itself.
            end = route.find("/", 1)
            prefix = route if end < 0 else route[:end]
            mounted = self.mounts.get(prefix) if route.startswith("/") else None
            if mounted is None:
                root = None
            else:
                # The mount's root in this request's own scope rather than a copy of it (a
                # dozen keys copied per request); put back after, for whoever serves the same
                # scope again (a replica hand-over retries it).
                app = mounted
                scope["root_path"] = root + prefix
        log = self.log
        try:
            if log is not None and log.enabled(scope):
                await log.serve(app, scope, receive, send)
            else:
                await app(scope, receive, send)
        finally:
            if root is not None:
                scope["root_path"] = root
