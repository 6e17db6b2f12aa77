"""The way into ``/v3``: a bearer token, then a place in the one-request-at-a-time limit.

The place is held while the response is being sent, so a second request of the same credential
that arrives meanwhile gets 429, as the reference describes. It is given back just before the
last part of the body goes out: a client that waits for one answer before it sends the next
request must never find its own finished request still holding the place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.handlers import error_response
from standin._core.middleware import vendor_path
from standin.locus import errors

if TYPE_CHECKING:
    from standin.locus.api import LocusApi


class LocusGate:
    def __init__(self, app: ASGIApp, api: LocusApi) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every /v3 operation is a GET: other methods go to the router for its 405.
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not vendor_path(scope).startswith("/v3")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        header = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, value = header.partition(" ")
        token = self.api.token(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            await error_response(errors.unauthorized())(scope, receive, send)
            return
        key = token.client_id or token.subject
        decision = self.api.limiter.acquire(key)
        if not decision.allowed:
            await error_response(errors.too_many_requests())(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.api.limiter.release(key)

        async def send_then_free(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        state = dict(scope.get("state") or {})
        state["locus_tenant"] = token.tenant_id
        try:
            await self.app({**scope, "state": state}, receive, send_then_free)
        finally:
            release()
