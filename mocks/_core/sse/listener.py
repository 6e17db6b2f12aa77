"""One connection reading one stream: a cursor into the stream's shared replay buffer."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import anyio

from standin._core.sse.stream import ConnectionEnd, SseEvent, StreamEnd, StreamState

if TYPE_CHECKING:
    from standin._core.sse.hub import SseHub


class Listener:
    """One connection reading one stream: a cursor (``next_seq``) into the stream's buffer.

    Made by ``SseHub.attach`` on the event loop that serves the connection.
    """

    def __init__(
        self, hub: SseHub, stream: StreamState, next_seq: int, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._hub = hub
        self._stream = stream
        self._loop = loop
        self._wake = asyncio.Event()
        self._send_scope: anyio.CancelScope | None = None
        self.stream_id = stream.id
        self.next_seq = next_seq
        self.dropped: ConnectionEnd | None = None
        self.attached = True

    @property
    def ended(self) -> StreamEnd | ConnectionEnd | None:
        return self.dropped or self._stream.ended

    async def next_batch(self, limit: int = 64, max_bytes: int = 65536) -> list[SseEvent] | None:
        """The next events to send (waiting for some), or None once the connection must end.

        A stream that ended still hands out what it had buffered, so a closing stream's last
        events reach its clients; a dropped connection gets nothing more.
        """
        while True:
            with self._hub._lock:
                if self.dropped is not None:
                    return None
                stream = self._stream
                batch = stream.events_from(self.next_seq, limit, max_bytes)
                if batch:
                    pinned_oldest = self.next_seq <= batch[0].seq == stream.first_seq
                    self.next_seq = batch[-1].seq + 1
                    if pinned_oldest and stream.ended is None:
                        # Events it no longer pins may now age out: give the stream that deadline.
                        self._hub._schedule_locked(stream)
                    return batch
                if self._stream.ended is not None:
                    return None
                self._wake.clear()
            await self._wake.wait()

    def guard(self, scope: anyio.CancelScope | None) -> None:
        """Register the cancel scope around the connection's writing (None when it is over), so
        a drop can cut a send that a stalled client blocks, and a stream's end bounds what is
        left to send by ``close_timeout``."""
        self._send_scope = scope
        if scope is not None:
            self._apply_end(scope)

    def drop(self, reason: ConnectionEnd) -> None:
        """End this connection (any thread); its stream goes on."""
        with self._hub._lock:
            self._hub._drop_locked(self, reason)

    def _notify(self) -> None:
        """Wake the connection's task, from whichever thread changed the stream."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake_now()
            return
        # A closed loop refuses the call: the connection it served is gone already.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake_now)

    def _wake_now(self) -> None:
        self._wake.set()
        if self._send_scope is not None:
            self._apply_end(self._send_scope)

    def _apply_end(self, scope: anyio.CancelScope) -> None:
        if self.dropped is not None:
            scope.cancel()
        elif self._stream.ended is not None:
            scope.deadline = min(scope.deadline, anyio.current_time() + self._hub.close_timeout)


__all__ = ["Listener"]
