"""``GET /stream`` (open or resume), ``GET /stream/keepalive``, and ending object subscriptions."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin._core.sse import ResumeRefused
from standin.metasys import errors
from standin.metasys.deps import Deps
from standin.metasys.state.site import MetasysState


def owner_of(caller: Caller[MetasysState]) -> str:
    """Streams and subscriptions belong to one user of one tenant."""
    return f"{caller.tenant.id}/{caller.principal}"


Unsubscribe = Callable[[str, str, str], bool]
"""(stream id, owner, subscription id) -> whether that owner's subscription was ended."""


def end_subscription(
    request: Request, caller: Caller[MetasysState], unsubscribe: Unsubscribe
) -> Response:
    """``DELETE …/streams/{streamId}/subscriptions/{subscriptionId}`` (objects, activities,
    controls): 200 once ended; 404 for an unknown one or another user's stream."""
    found = unsubscribe(
        request.path_params["streamId"],
        owner_of(caller),
        request.path_params["subscriptionId"],
    )
    if not found:
        raise errors.not_found("The subscription was not found.")
    return Response(status_code=200)


class StreamHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def stream(self, request: Request, caller: Caller[MetasysState]) -> Response:
        owner = owner_of(caller)
        streams = self.deps.streams
        last_event_id = request.headers.get("last-event-id")
        try:
            if last_event_id is not None:
                return streams.resume(caller.state, last_event_id, owner)
            stream_id = streams.open(owner, caller.tenant.id, caller.token.expires_at)
            return streams.hub.connect(stream_id, owner=owner)
        except ResumeRefused:
            return Response(status_code=204)

    async def keepalive(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """Keeps the user's streams open until the presented token expires."""
        self.deps.streams.extend(owner_of(caller), caller.token.expires_at)
        return Response(status_code=204)

    async def delete_object_subscription(
        self, request: Request, caller: Caller[MetasysState]
    ) -> Response:
        return end_subscription(request, caller, self.deps.streams.unsubscribe_object)
