"""Sandbox middleware around each vendor app: the request journal, and the default tenant's
faults for requests that reach no tenant (guarded routes meet their tenant's in the seam)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.cluster.signals import HandedOver
from standin._core.faulting import INJECTED_FAULT_BODY, applied_fault, apply_fault, vendor_path
from standin._core.journal import BODY_LIMIT, Exchange
from standin._core.seam import attributed_tenant, reaches_guard
from standin._core.tenants import DEFAULT_TENANT

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

__all__ = ["INJECTED_FAULT_BODY", "SandboxMiddleware", "vendor_path"]


class _Capture:
    """The first :data:`BODY_LIMIT` bytes of a body as it passes, and whether there was more
    (a body in one part, as most are, is kept as it is, not copied)."""

    __slots__ = ("parts", "size", "truncated")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = BODY_LIMIT - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:room]
        if chunk:
            self.parts.append(chunk)
            self.size += len(chunk)

    def data(self) -> bytes:
        parts = self.parts
        return parts[0] if len(parts) == 1 else b"".join(parts)


class SandboxMiddleware:
    """``routes`` is the vendor's route table: a request it answers with a guarded endpoint
    meets its tenant's faults there, any other the default tenant's here."""

    def __init__(
        self, app: ASGIApp, sandbox: Sandbox, api: str, routes: Sequence[BaseRoute] = ()
    ) -> None:
        self.app = app
        self.sandbox = sandbox
        self.api = api
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The caller seam writes the tenant into this dict, which every copy of the scope shares
        # (the server gives each request its own; the access log reads it back too).
        if not isinstance(scope.get("state"), dict):
            scope = {**scope, "state": {}}
        method: str = scope["method"]
        path = vendor_path(scope)
        status = 500
        response_type = ""
        # The default tenant's faults where this process has it. With several replicas, one
        # serves it: a request that may meet one of its kept faults is answered there (asking
        # for the tenant takes it here or hands the request on); any other is answered here.
        default = self.sandbox.tenants.local(DEFAULT_TENANT)
        if (
            default is None
            and not reaches_guard(self.routes, scope)
            and self.sandbox.persistence.faults_elsewhere(DEFAULT_TENANT, self.api, method, path)
        ):
            default = self.sandbox.tenants.default()
        faults = None if default is None else default.faults
        # Matching the route is work the router does again: only when there is a fault to take.
        fault = (
            faults.take(self.api, method, path)
            if faults is not None and len(faults) and not reaches_guard(self.routes, scope)
            else None
        )
        if default is not None and fault is not None and fault.count is not None:
            self.sandbox.persistence.save_settings(default)  # as the seam does
        sent, received = _Capture(), _Capture()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.add(message.get("body", b""))
            return message

        async def send_and_watch(message: Message) -> None:
            nonlocal status, response_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        response_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                sent.add(message.get("body", b""))
            await send(message)

        try:
            answered = fault is not None and await apply_fault(
                fault, scope, receive_and_keep, send_and_watch
            )
            if not answered:
                await self.app(scope, receive_and_keep, send_and_watch)
        except HandedOver:
            # Answered by another replica (which journals it) or refused for want of storage:
            # nothing of it belongs in this process's journal.
            raise
        except BaseException:
            self._record(scope, started, method, path, status, response_type, sent, received)
            raise
        else:
            self._record(scope, started, method, path, status, response_type, sent, received)

    def _record(
        self,
        scope: Scope,
        started: float,
        method: str,
        path: str,
        status: int,
        response_type: str,
        sent: _Capture,
        received: _Capture,
    ) -> None:
        tenant = attributed_tenant(scope)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        sandbox = self.sandbox
        sandbox.note_use(tenant)
        found = None if tenant is None else sandbox.tenants.local(tenant)
        # A request of a tenant removed meanwhile leaves nothing behind of it.
        if tenant is None or found is not None:
            clock = sandbox.clock if found is None else found.clock
            sandbox.journal.record(
                Exchange(
                    at=clock.time(),
                    api=self.api,
                    method=method,
                    path=path,
                    query=scope.get("query_string", b""),
                    status=status,
                    duration_ms=duration_ms,
                    fault_id=applied_fault(scope),
                    tenant=tenant,
                    headers=scope.get("headers", ()),
                    request_body=received.data(),
                    response_body=sent.data(),
                    response_type=response_type,
                    truncated=received.truncated or sent.truncated,
                )
            )
