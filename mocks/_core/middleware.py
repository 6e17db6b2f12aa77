"""The sandbox layer around each vendor's router: the request journal, the default tenant's
faults for requests that reach no tenant (guarded routes meet their tenant's in the seam), and
the vendor's error answers.

It is one pure ASGI layer where there used to be four (the journal middleware, SettledErrors and
Starlette's two error middlewares), each wrapping ``send`` again: a request passes one ``send``
watcher on its way out. What it answers is what those four answered:

- a handled exception (a :class:`VendorError`, a routing ``HTTPException``) is rendered by its
  handler, as Starlette's ``ExceptionMiddleware`` does (a ``RuntimeError`` if the answer had
  already started);
- any other exception is the vendor's 500, logged, as Starlette's ``ServerErrorMiddleware``
  sends it, and it ends here once that answer is complete (see :class:`SettledErrors`): an
  exception that leaves an answer unfinished still propagates.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.cluster.signals import HandedOver
from standin._core.faulting import (
    FAULT_STATE_KEY,
    INJECTED_FAULT_BODY,
    apply_fault,
    vendor_path,
)
from standin._core.journal import BODY_LIMIT, Exchange
from standin._core.routing import IndexedRouter
from standin._core.seam import (
    NAMED_STATE_KEY,
    RELEASE_STATE_KEY,
    TENANT_STATE_KEY,
    reaches_guard,
)
from standin._core.tenants import DEFAULT_TENANT

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

__all__ = ["INJECTED_FAULT_BODY", "SandboxMiddleware", "vendor_path"]

ALREADY_STARTED = "Caught handled exception, but response already started."
"""Starlette's words when a handled exception comes after its answer has begun."""

ExceptionHandler = Callable[[Request, Exception], Any]
Handlers = tuple[Mapping[Any, Any], Mapping[int, Any]]
"""Starlette's handler tables (by exception class, by status) as its middleware keeps them."""


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
        if not parts:
            return b""
        return parts[0] if len(parts) == 1 else b"".join(parts)


STREAM_SEND = "standin.stream_send"
"""The scope key of this middleware's own ``send``: the body parts of a long response (an SSE
stream) go straight to it, journaled as any part, past the layers between it and the handler,
which have nothing to do with a part that is not the last. The response's start and its last
part still take the whole way."""


class _Answer(_Capture):
    """What the layer saw of one request on its way in (its body, kept once one comes) and of
    its answer on the way out (the answer's body is what this capture keeps)."""

    __slots__ = ("complete", "received", "response_type", "started", "status")

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.complete = False
        self.status = 500
        self.response_type = ""
        self.received: _Capture | None = None
        """The request's body, from its first part (most requests send none)."""


class SandboxMiddleware:
    """``app`` is the vendor's Starlette app, ``routes`` its route table: a request it answers
    with a guarded endpoint meets its tenant's faults there, any other the default tenant's here.

    HTTP requests go straight to the app's router, inside this layer's error handling (the
    app's own ``exception_handlers``); anything else (lifespan, websockets) to the app itself.
    """

    def __init__(
        self, app: Starlette, sandbox: Sandbox, api: str, routes: Sequence[BaseRoute] = ()
    ) -> None:
        self.app = app
        self.sandbox = sandbox
        self.api = api
        self.routes = routes
        self.router = app.router
        router = self.router
        # The route table's own lookup, when its router is the index and nothing wraps it: the
        # endpoint is then called from here, past the router's and the route's frames.
        self.resolve: Callable[[Scope], ASGIApp | None] | None = (
            router.resolve
            if isinstance(router, IndexedRouter) and router.middleware_stack == router.app
            else None
        )
        handlers: Mapping[Any, ExceptionHandler] = app.exception_handlers
        self.unexpected: ExceptionHandler | None = handlers.get(500) or handlers.get(Exception)
        # Starlette's own tables (its default handlers included), as its middleware builds them.
        handled = ExceptionMiddleware(
            self.router,
            {key: value for key, value in handlers.items() if key not in (500, Exception)},
        )
        self.handlers: Handlers = (handled._exception_handlers, handled._status_handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The caller seam writes the tenant into this dict, which every copy of the scope shares
        # (the server gives each request its own; the access log reads it back too).
        state = scope.get("state")
        if not isinstance(state, dict):
            state = {}
            scope = {**scope, "state": state}
        # Places the seam holds are given back as the last byte leaves this layer, unless an
        # enclosing ReleasePoint gives them back further out.
        releases: list[Callable[[], None]] | None = None
        if RELEASE_STATE_KEY not in state:
            releases = state[RELEASE_STATE_KEY] = []
        method: str = scope["method"]
        path = vendor_path(scope)
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
        answer = _Answer()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received = answer.received
                if received is None:
                    received = answer.received = _Capture()
                received.add(message.get("body", b""))
            return message

        async def send_and_watch(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.body":
                answer.add(message.get("body", b""))
                if not message.get("more_body", False):
                    answer.complete = True
                    while releases:
                        releases.pop()()
            elif kind == "http.response.start":
                answer.started = True
                answer.status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type":
                        answer.response_type = value.decode("latin-1")
            await send(message)

        scope[STREAM_SEND] = send_and_watch
        try:
            answered = fault is not None and await apply_fault(
                fault, scope, receive_and_keep, send_and_watch
            )
            if not answered:
                # The router's answer (what Router.__call__ would do, a step or two fewer), its
                # exceptions answered as Starlette's middleware would.
                scope["app"] = self.app
                scope["starlette.exception_handlers"] = self.handlers
                try:
                    resolve = self.resolve
                    found = None if resolve is None else resolve(scope)
                    if found is not None:
                        await found(scope, receive_and_keep, send_and_watch)
                    else:
                        await self.router.middleware_stack(scope, receive_and_keep, send_and_watch)
                except Exception as exc:
                    await self._handle(scope, receive_and_keep, send_and_watch, answer, exc)
        except HandedOver:
            # Answered by another replica (which journals it) or refused for want of storage:
            # nothing of it belongs in this process's journal.
            raise
        except BaseException:
            self._record(scope, state, started, method, path, answer)
            raise
        else:
            self._record(scope, state, started, method, path, answer)
        finally:
            # The server's request object holds this scope, and the scope would hold it (through
            # the closure's ``send``): a reference cycle per request, left to the collector.
            scope.pop(STREAM_SEND, None)
            if releases is not None:
                # An answer that never finished still gives its places back; a request served
                # again (a replica hand-over retries it) gets a fresh list.
                while releases:
                    releases.pop()()
                del state[RELEASE_STATE_KEY]

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, answer: _Answer, exc: Exception
    ) -> None:
        """The answer to an exception out of the router, as Starlette's middleware gives it:
        its handler's, or the vendor's 500; raised again when neither can answer."""
        handler = _handler_for(self.handlers, exc)
        if handler is None:
            if not await self._settled(scope, receive, send, answer, exc):
                raise exc
            return
        if not answer.started:
            response = handler(Request(scope, receive, send), exc)
            if inspect.isawaitable(response):
                response = await response
            if response is not None:
                await response(scope, receive, send)
            # Reused exception instances accumulate tracebacks across requests.
            exc.__traceback__ = None
            return
        try:
            raise RuntimeError(ALREADY_STARTED) from exc
        except RuntimeError as late:
            if not await self._settled(scope, receive, send, answer, late):
                raise

    async def _settled(
        self, scope: Scope, receive: Receive, send: Send, answer: _Answer, exc: Exception
    ) -> bool:
        """Answer an unexpected exception with the vendor's 500 (logged by its handler) unless
        the answer has begun; whether the exception ends here: the answer is complete, so raised
        further, a server would log it twice and an in-process client would raise instead of
        answering. One that leaves an answer unfinished (a stream cut short) propagates."""
        if self.unexpected is None:
            return False
        response = self.unexpected(Request(scope), exc)
        if inspect.isawaitable(response):
            response = await response
        if not answer.started:
            await response(scope, receive, send)
        return answer.complete

    def _record(
        self,
        scope: Scope,
        state: dict[str, Any],
        started: float,
        method: str,
        path: str,
        answer: _Answer,
    ) -> None:
        tenant = state.get(TENANT_STATE_KEY)
        if not isinstance(tenant, str):
            tenant = None
        fault_id = state.get(FAULT_STATE_KEY)
        duration_ms = (time.perf_counter() - started) * 1000  # rounded when read
        sandbox = self.sandbox
        if tenant is not None and state.get(NAMED_STATE_KEY) and answer.status >= 400:
            # Only named by a credential it failed to prove: journaled, but not a use, and
            # apart from the tenant's own entries (strangers cannot push those out).
            sandbox.note_use(None)
            found = sandbox.tenants.local(tenant)
            keep = sandbox.journal.record_unproven
        else:
            found = sandbox.note_use(tenant)
            keep = sandbox.journal.record
        # A request of a tenant removed meanwhile leaves nothing behind of it.
        if tenant is None or found is not None:
            clock = sandbox.clock if found is None else found.clock
            received = answer.received
            keep(
                Exchange(
                    at=clock.time(),
                    api=self.api,
                    method=method,
                    path=path,
                    query=scope.get("query_string", b""),
                    status=answer.status,
                    duration_ms=duration_ms,
                    fault_id=fault_id if isinstance(fault_id, str) else None,
                    tenant=tenant,
                    headers=scope.get("headers", ()),
                    request_body=b"" if received is None else received.data(),
                    response_body=answer.data(),
                    response_type=answer.response_type,
                    truncated=answer.truncated or (received is not None and received.truncated),
                )
            )


def _handler_for(handlers: Handlers, exc: Exception) -> ExceptionHandler | None:
    """The handler Starlette's ``ExceptionMiddleware`` would pick for ``exc``."""
    exception_handlers, status_handlers = handlers
    handler: ExceptionHandler | None = None
    if isinstance(exc, HTTPException):
        handler = status_handlers.get(exc.status_code)
    for cls in type(exc).__mro__:
        if handler is not None:
            break
        handler = exception_handlers.get(cls)
    return handler
