"""``GET /stream`` (open or resume), ``GET /stream/keepalive``, and ending object subscriptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from standin._core.sse import ResumeRefused
from standin._core.tokens import IssuedToken, TokenRejected
from standin.metasys import errors
from standin.metasys.auth import bearer
from standin.metasys.http import caller

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi


def owner_of(tenant_id: str, username: str) -> str:
    return f"{tenant_id}/{username}"


Unsubscribe = Callable[[str, str, str], bool]
"""(stream id, owner, subscription id) -> whether that owner's subscription was ended."""


def end_subscription(api: MetasysApi, request: Request, unsubscribe: Unsubscribe) -> Response:
    """``DELETE …/streams/{streamId}/subscriptions/{subscriptionId}`` (objects, activities,
    controls): 200 once ended; 404 for an unknown one or another user's stream."""
    who = caller(api, request)
    found = unsubscribe(
        request.path_params["streamId"],
        owner_of(who.tenant_id, who.user.username),
        request.path_params["subscriptionId"],
    )
    if not found:
        raise errors.not_found("The subscription was not found.")
    return Response(status_code=200)


class StreamHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    def _stream_token(self, request: Request) -> IssuedToken:
        """The bearer header, or the ``access_token`` query parameter (EventSource clients
        cannot set headers; the reference allows it on this operation only)."""
        if request.headers.get("authorization") is not None:
            return bearer(request.headers.get("authorization"), self.api.issuer)
        value = request.query_params.get("access_token")
        if not value:
            raise errors.unauthorized()
        try:
            return self.api.issuer.validate(value)
        except TokenRejected:
            raise errors.unauthorized() from None

    async def stream(self, request: Request) -> Response:
        token = self._stream_token(request)
        tenant = self.api.sandbox.tenants.get(token.tenant_id)
        state = None if tenant is None else self.api.state(tenant)
        if tenant is None or state is None or state.user(token.subject) is None:
            raise errors.unauthorized()
        owner = owner_of(tenant.id, token.subject)
        streams = self.api.streams
        last_event_id = request.headers.get("last-event-id")
        try:
            if last_event_id is not None:
                return streams.hub.resume(last_event_id, owner=owner)
            stream_id = streams.open(owner, tenant.id, token.expires_at)
            return streams.hub.connect(stream_id, owner=owner)
        except ResumeRefused:
            return Response(status_code=204)

    async def keepalive(self, request: Request) -> Response:
        """Keeps the user's streams open until the presented token expires."""
        who = caller(self.api, request)
        token = bearer(request.headers.get("authorization"), self.api.issuer)
        self.api.streams.extend(owner_of(who.tenant_id, who.user.username), token.expires_at)
        return Response(status_code=204)

    async def delete_object_subscription(self, request: Request) -> Response:
        return end_subscription(self.api, request, self.api.streams.unsubscribe_object)
