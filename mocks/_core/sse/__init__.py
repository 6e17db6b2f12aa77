"""Server-Sent Events for any vendor: an ``SseHub`` of streams with replay, heartbeats and expiry
on the sandbox clock, served by ``EventStreamResponse``.

Typical use in a vendor's ``GET /stream`` (the hub belongs to the vendor's api object)::

    last_event_id = request.headers.get("last-event-id")
    try:
        if last_event_id is not None:
            return hub.resume(last_event_id, owner=user)
        stream_id = hub.open(user, expires_at=token.expires_at,
                             heartbeats=[Heartbeat("heartbeat", 30, iso_now)])
        hub.publish(stream_id, "hello", stream_id)  # event 1: nothing can precede it
        return hub.connect(stream_id, owner=user)
    except ResumeRefused:
        return Response(status_code=204)

and elsewhere ``hub.publish(stream_id, "point.update", payload)``,
``hub.extend_owner(user, new_token.expires_at)`` on a token refresh.
"""

from standin._core.sse.framing import Text, encode_data, format_event
from standin._core.sse.hub import (
    RELEASE_AFTER,
    ConnectionEnd,
    Heartbeat,
    Listener,
    Refusal,
    ResumeRefused,
    SseEvent,
    SseHub,
    StreamEnd,
    StreamInfo,
)
from standin._core.sse.response import SSE_HEADERS, EventStreamResponse
from standin._core.sse.store import StoredStream, StreamStore, StreamStoreFactory

__all__ = [
    "RELEASE_AFTER",
    "SSE_HEADERS",
    "ConnectionEnd",
    "EventStreamResponse",
    "Heartbeat",
    "Listener",
    "Refusal",
    "ResumeRefused",
    "SseEvent",
    "SseHub",
    "StoredStream",
    "StreamEnd",
    "StreamInfo",
    "StreamStore",
    "StreamStoreFactory",
    "Text",
    "encode_data",
    "format_event",
]
