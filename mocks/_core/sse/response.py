"""The ASGI response that serves one SSE connection from an ``SseHub`` stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from standin._core.middleware import STREAM_SEND
from standin._core.sse.hub import Listener, ResumeRefused

if TYPE_CHECKING:
    from standin._core.sse.hub import SseHub

SSE_HEADERS = {
    "cache-control": "no-cache",
    # Reverse proxies (nginx) would otherwise buffer the stream and hold events back.
    "x-accel-buffering": "no",
}


class EventStreamResponse(Response):
    """``text/event-stream`` from ``start`` (see ``SseHub.resume_point``) until the stream ends,
    the connection is dropped for lagging, or the client goes away.

    Answers 204 instead if the starting point vanished between ``resume_point`` and the first
    byte. Events are written in batches of up to ``batch_size`` (one chunk each), so a burst to
    hundreds of connections costs one write per connection, not one per event.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        hub: SseHub,
        stream_id: str,
        start: int,
        *,
        headers: Mapping[str, str] | None = None,
        batch_size: int = 64,
    ) -> None:
        self.hub = hub
        self.stream_id = stream_id
        self.start = start
        self.batch_size = batch_size
        self.status_code = 200
        self.background = None
        self.init_headers({**SSE_HEADERS, **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            listener = self.hub.attach(self.stream_id, self.start)
        except ResumeRefused:
            await Response(status_code=204)(scope, receive, send)
            return
        try:
            await self._serve(listener, receive, send, scope.get(STREAM_SEND) or send)
        finally:
            self.hub.detach(listener)

    async def _serve(self, listener: Listener, receive: Receive, send: Send, parts: Send) -> None:
        """``parts``: where the events go (the sandbox middleware's ``send``, past the layers
        that only watch for the last part, when there is one); the start and the last part
        take ``send``."""
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        disconnected = False
        async with anyio.create_task_group() as group:

            async def watch_for_disconnect() -> None:
                nonlocal disconnected
                while (await receive())["type"] != "http.disconnect":
                    pass
                disconnected = True
                listener.drop("disconnected")
                group.cancel_scope.cancel()

            group.start_soon(watch_for_disconnect)
            await self._write(listener, parts)
            group.cancel_scope.cancel()
        # A dropped connection ends without the last chunk: a stalled client would not take it,
        # and a severed one must look cut. The server closes what the response leaves unfinished.
        if not disconnected and listener.dropped is None:
            with anyio.move_on_after(self.hub.close_timeout):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _write(self, listener: Listener, send: Send) -> None:
        # One guard for the whole connection, not one a send: a drop cuts whatever it waits on
        # (a send a stalled client blocks, or the next events), and a stream's end bounds what
        # is left to send by ``close_timeout``.
        with anyio.CancelScope() as guard:
            listener.guard(guard)
            try:
                while True:
                    batch = await listener.next_batch(self.batch_size)
                    if batch is None:
                        return
                    body = batch[0].wire if len(batch) == 1 else b"".join(e.wire for e in batch)
                    await send({"type": "http.response.body", "body": body, "more_body": True})
            finally:
                listener.guard(None)
