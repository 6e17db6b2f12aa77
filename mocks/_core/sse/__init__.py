"""Server-Sent Events for any vendor: an ``SseHub`` of streams with replay, heartbeats and expiry
on the sandbox clock, served by ``EventStreamResponse``.

Typical use in a vendor's routes::

    stream_id = hub.open(owner, expires_at=token.expires_at, hello=("hello", new_id),
                         stream_id=new_id, heartbeats=[Heartbeat("heartbeat", 30, iso_now)])
    try:
        return hub.connect(stream_id, request.headers.get("last-event-id"), owner=owner)
    except ResumeRefused:
        return Response(status_code=204)
"""

from mocks._core.sse.framing import Text, encode_data, format_event
from mocks._core.sse.hub import (
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
from mocks._core.sse.response import SSE_HEADERS, EventStreamResponse

__all__ = [
    "SSE_HEADERS",
    "ConnectionEnd",
    "EventStreamResponse",
    "Heartbeat",
    "Listener",
    "Refusal",
    "ResumeRefused",
    "SseEvent",
    "SseHub",
    "StreamEnd",
    "StreamInfo",
    "Text",
    "encode_data",
    "format_event",
]
