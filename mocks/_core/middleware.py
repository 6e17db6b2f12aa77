"""Sandbox middleware around each vendor app: fault injection and the request journal."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.clock import isoformat
from standin._core.errors import VendorError
from standin._core.handlers import error_response
from standin._core.journal import JournalEntry
from standin._core.seam import attributed_tenant

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

INJECTED_FAULT_BODY = {"message": "Injected fault"}


def vendor_path(scope: Scope) -> str:
    """The request path as the vendor sees it (without a mount prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox, api: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The caller seam writes the tenant into this dict, which every copy of the scope shares.
        scope = {**scope, "state": dict(scope.get("state") or {})}
        method: str = scope["method"]
        path = vendor_path(scope)
        status = 500
        fault = self.sandbox.faults.take(self.api, method, path)

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if fault is not None and fault.latency_ms:
                await anyio.sleep(fault.latency_ms / 1000)
            if fault is not None and fault.status is not None:
                body = INJECTED_FAULT_BODY if fault.body is None else fault.body
                response = error_response(VendorError(fault.status, body, fault.headers))
                await response(scope, receive, send_and_watch)
            else:
                await self.app(scope, receive, send_and_watch)
        finally:
            self.sandbox.journal.record(
                JournalEntry(
                    at=isoformat(self.sandbox.clock.now()),
                    api=self.api,
                    method=method,
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                    fault_id=None if fault is None else fault.id,
                    tenant=attributed_tenant(scope),
                )
            )
