"""The SSE hub: streams, their replay buffers, heartbeats, expiry and the connections reading them.

Design, in short:

* A stream owns ONE bounded replay buffer of framed events (encoded once, shared by every
  connection). A connection is only a cursor into that buffer, so fan-out costs no copies and a
  connection's queue is the part of the buffer it has not sent yet.
* The buffer keeps every event of the last ``retain_seconds`` of sandbox time, plus the one just
  before them (so a client that saw that one can still resume), and never more than
  ``max_events``. Events a connected client has not been sent yet are not dropped for age, only
  for count.
* A slow client is DISCONNECTED, not fed a gap, when the events it has not sent yet fall out of
  the buffer (it is ``max_events`` behind). Dropping events instead would break the one promise
  SSE resumption makes (ids in order, nothing missing); a disconnected client reconnects with
  ``Last-Event-Id`` and either resumes or gets a 204 and starts over, as the spec intends.
  Publishing never waits for a connection.
* Time is the sandbox clock. Heartbeats, expiry and buffer age are settled by ``tick()``, which
  every hub call runs first and a per-event-loop ticker task runs every ``tick_interval`` real
  seconds while connections are open, so moving a frozen clock shows on the wire promptly.
* Every method is safe to call from any thread (request handlers, threadpool, a test's thread):
  state is guarded by one lock, and connections are woken on their own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from standin._core.clock import Clock
from standin._core.sse.framing import encode_data, format_event
from standin._core.sse.stream import (
    Beat,
    ConnectionEnd,
    Heartbeat,
    Refusal,
    ResumeRefused,
    SseEvent,
    StreamEnd,
    StreamInfo,
    StreamState,
)

if TYPE_CHECKING:
    from standin._core.sse.response import EventStreamResponse

_log = logging.getLogger(__name__)

__all__ = [
    "ConnectionEnd",
    "Heartbeat",
    "Listener",
    "Refusal",
    "ResumeRefused",
    "SseEvent",
    "SseHub",
    "StreamEnd",
    "StreamInfo",
]


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
                batch = self._stream.events_from(self.next_seq, limit, max_bytes)
                if batch:
                    self.next_seq = batch[-1].seq + 1
                    return batch
                if self._stream.ended is not None:
                    return None
                self._wake.clear()
            await self._wake.wait()

    def guard(self, scope: anyio.CancelScope | None) -> None:
        """Register the cancel scope around a send (None when it is over), so a drop can cut a
        send that a stalled client blocks, and a stream's end bounds it by ``close_timeout``."""
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


class SseHub:
    """Server-Sent Events streams for one API, on the sandbox clock.

    ``retain_seconds``: how long (sandbox time) published events stay resumable (vendors that
    document resumption promise about 30 s). ``max_events``: the per-stream buffer's hard
    bound, which is also how far a connection may fall behind before it is dropped.
    ``abandon_after``: end streams that have had no connection for this long (sandbox time;
    None: only expiry or close end them).
    ``tick_interval``: real seconds between clock checks while connections are open.
    ``close_timeout``: real seconds a connection may take to send its last events once its
    stream ended.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        retain_seconds: float = 30.0,
        max_events: int = 1000,
        abandon_after: float | None = None,
        tick_interval: float = 0.05,
        close_timeout: float = 1.0,
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.clock = clock
        self.retain_seconds = retain_seconds
        self.max_events = max_events
        self.abandon_after = abandon_after
        self.tick_interval = tick_interval
        self.close_timeout = close_timeout
        self._lock = threading.RLock()
        self._streams: dict[str, StreamState] = {}
        self._ticked_at: float | None = None
        self._loop_listeners: Counter[asyncio.AbstractEventLoop] = Counter()
        self._tickers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    # -- streams -----------------------------------------------------------------------------

    def open(
        self,
        owner: str,
        *,
        stream_id: str | None = None,
        expires_at: float | None = None,
        hello: tuple[str, Any] | None = None,
        heartbeats: Iterable[Heartbeat] = (),
        event_id: Callable[[int], str] | None = None,
        on_close: Callable[[str, StreamEnd], None] | None = None,
    ) -> str:
        """Open a stream and return its id (a new UUID unless ``stream_id`` is given).

        ``hello`` (event name, data) is published first, so it is event 1 and every fresh
        connection starts with it. Event ids are ``event_id(seq)``, by default
        ``"<stream id>:<seq>"`` with seq 1, 2, 3... ``on_close(stream_id, reason)`` runs once when
        the stream ends, outside the hub's lock.
        """
        self._catch_up()
        with self._lock:
            sid = stream_id if stream_id is not None else str(uuid.uuid4())
            if sid in self._streams:
                raise ValueError(f"stream {sid!r} is already open")
            now = self.clock.time()
            stream = StreamState(
                sid,
                owner,
                expires_at,
                event_id if event_id is not None else (lambda seq: f"{sid}:{seq}"),
                on_close,
                now,
            )
            for beat in heartbeats:
                stream.beats[beat.event] = Beat(beat, now + beat.period)
            self._streams[sid] = stream
            if hello is not None:
                self._append_locked(stream, hello[0], hello[1], now)
            return sid

    def publish(self, stream_id: str, event: str, data: Any = None) -> str | None:
        """Append an event (``data`` as JSON, or ``Text`` as it is) and return its id, or None if
        the stream is not open. Never waits for a connection."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return None
            return self._append_locked(stream, event, data, self.clock.time()).id

    def set_heartbeat(self, stream_id: str, heartbeat: Heartbeat) -> bool:
        """Start (or replace) the heartbeat of that event name; the first beat is one period on."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return False
            stream.beats[heartbeat.event] = Beat(heartbeat, self.clock.time() + heartbeat.period)
            return True

    def clear_heartbeat(self, stream_id: str, event: str) -> bool:
        with self._lock:
            stream = self._streams.get(stream_id)
            return stream is not None and stream.beats.pop(event, None) is not None

    def extend(self, stream_id: str, expires_at: float | None) -> bool:
        """Push the stream's expiry out to ``expires_at`` (None: never); never brings it nearer."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return False
            stream.expires_at = _later(stream.expires_at, expires_at)
            return True

    def extend_owner(self, owner: str, expires_at: float | None) -> list[str]:
        """``extend`` every open stream of ``owner`` (a token refresh); returns their ids."""
        self._catch_up()
        with self._lock:
            mine = [s for s in self._streams.values() if s.owner == owner]
            for stream in mine:
                stream.expires_at = _later(stream.expires_at, expires_at)
            return [s.id for s in mine]

    def close(self, stream_id: str) -> bool:
        with self._lock:
            stream = self._streams.get(stream_id)
            callback = None if stream is None else self._end_locked(stream, "closed")
        _run([callback])
        return stream is not None

    def drop_connections(self, stream_id: str) -> int:
        """Cut the stream's connections the way a network failure would (the response body is
        left unfinished); the stream, its buffer and expiry go on, so clients can resume with
        ``Last-Event-Id``. Returns how many were cut."""
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return 0
            listeners = list(stream.listeners)
            for listener in listeners:
                self._drop_locked(listener, "severed")
            return len(listeners)

    def close_all(self) -> int:
        """End every stream (server shutdown: an open SSE response would hold it up)."""
        with self._lock:
            streams = list(self._streams.values())
            callbacks = [self._end_locked(s, "shutdown") for s in streams]
        _run(callbacks)
        return len(streams)

    def info(self, stream_id: str) -> StreamInfo | None:
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            return None if stream is None else stream.info()

    def streams(self, owner: str | None = None) -> list[StreamInfo]:
        self._catch_up()
        with self._lock:
            return [s.info() for s in self._streams.values() if owner in (None, s.owner)]

    # -- connections -------------------------------------------------------------------------

    def resume_point(
        self, stream_id: str, last_event_id: str | None = None, *, owner: str | None = None
    ) -> int:
        """The sequence number a connection starts at: after ``last_event_id``, or the oldest
        buffered event without one. Raises ``ResumeRefused`` when that cannot be served without
        a gap (answer 204). With ``owner``, another owner's stream counts as unknown."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None or (owner is not None and stream.owner != owner):
                raise ResumeRefused("unknown_stream")
            if last_event_id is None:
                return stream.first_seq
            seq = stream.index.get(last_event_id)
            if seq is None:
                raise ResumeRefused("unknown_event")
            return seq + 1

    def connect(
        self,
        stream_id: str,
        last_event_id: str | None = None,
        *,
        owner: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EventStreamResponse:
        """The response serving a (re)connection; raises ``ResumeRefused`` (answer 204) when
        ``resume_point`` does. Call from the request handler, then return the response."""
        from standin._core.sse.response import EventStreamResponse

        start = self.resume_point(stream_id, last_event_id, owner=owner)
        return EventStreamResponse(self, stream_id, start, headers=headers)

    def resume(
        self,
        last_event_id: str,
        *,
        owner: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EventStreamResponse:
        """``connect`` to whichever stream still buffers ``last_event_id``, for APIs whose
        reconnect URL names no stream (the id does). Unknown anywhere: ``ResumeRefused``."""
        return self.connect(
            self.stream_holding(last_event_id) or "", last_event_id, owner=owner, headers=headers
        )

    def stream_holding(self, event_id: str) -> str | None:
        """The open stream whose replay buffer holds ``event_id``, if any."""
        self._catch_up()
        with self._lock:
            for stream in self._streams.values():
                if event_id in stream.index:
                    return stream.id
            return None

    def attach(self, stream_id: str, start: int) -> Listener:
        """Register a connection starting at ``start``; call on the loop that will serve it, and
        ``detach`` it when done. Raises ``ResumeRefused`` if that point is no longer there."""
        loop = asyncio.get_running_loop()
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                raise ResumeRefused("unknown_stream")
            if start < stream.first_seq or start > stream.next_seq:
                raise ResumeRefused("unknown_event")
            listener = Listener(self, stream, start, loop)
            stream.listeners.add(listener)
            stream.unattended_since = None
            self._loop_listeners[loop] += 1
            if loop not in self._tickers:
                self._tickers[loop] = loop.create_task(self._tick_while_listened())
            return listener

    def detach(self, listener: Listener) -> None:
        with self._lock:
            if not listener.attached:
                return
            listener.attached = False
            self._forget_locked(listener)
            loop = listener._loop
            self._loop_listeners[loop] -= 1
            if self._loop_listeners[loop] <= 0:
                del self._loop_listeners[loop]
                ticker = self._tickers.pop(loop, None)
                if ticker is not None:
                    ticker.cancel()

    # -- time --------------------------------------------------------------------------------

    def tick(self) -> None:
        """Settle everything due at the clock's now: expiries, abandonments, heartbeats, age."""
        with self._lock:
            now = self.clock.time()
            self._ticked_at = now
            callbacks: list[Callable[[], None] | None] = []
            for stream in list(self._streams.values()):
                end = self._due_end(stream, now)
                if end is not None:
                    callbacks.append(self._end_locked(stream, end))
                    continue
                for beat in stream.beats.values():
                    if now >= beat.due:
                        beat.due = now + beat.spec.period
                        try:
                            data = beat.spec.data(self.clock.now())
                        except Exception:
                            # One broken heartbeat must not stop every other stream's clock.
                            _log.exception("SSE heartbeat %r failed", beat.spec.event)
                            continue
                        self._append_locked(stream, beat.spec.event, data, now)
                self._prune_locked(stream, now)
        _run(callbacks)

    def _catch_up(self) -> None:
        # A frozen clock that has not moved has nothing new to settle.
        if self.clock.time() != self._ticked_at:
            self.tick()

    async def _tick_while_listened(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            self.tick()

    def _due_end(self, stream: StreamState, now: float) -> StreamEnd | None:
        if stream.expires_at is not None and now >= stream.expires_at:
            return "expired"
        idle = stream.unattended_since
        if self.abandon_after is not None and idle is not None and now - idle >= self.abandon_after:
            return "abandoned"
        return None

    # -- internals (lock held) ---------------------------------------------------------------

    def _append_locked(self, stream: StreamState, event: str, data: Any, now: float) -> SseEvent:
        seq = stream.next_seq
        event_id = stream.event_id(seq)
        text = encode_data(data)
        wire = format_event(text, event=event, id=event_id)
        published = SseEvent(seq=seq, id=event_id, event=event, data=text, at=now, wire=wire)
        stream.buffer.append(published)
        stream.index[event_id] = seq
        stream.next_seq = seq + 1
        self._prune_locked(stream, now)
        for listener in stream.listeners:
            listener._notify()
        return published

    def _prune_locked(self, stream: StreamState, now: float) -> None:
        buffer = stream.buffer
        while len(buffer) > self.max_events:
            self._evict_locked(stream)
        # Age never takes an event a connection has yet to send: only count does (that is what
        # makes a connection too slow).
        pinned = min((listener.next_seq for listener in stream.listeners), default=stream.next_seq)
        horizon = now - self.retain_seconds
        while len(buffer) >= 2 and buffer[1].at < horizon and buffer[0].seq < pinned:
            self._evict_locked(stream)
        first = stream.first_seq
        for listener in [x for x in stream.listeners if x.next_seq < first]:
            stream.lagging_drops += 1
            self._drop_locked(listener, "lagging")

    def _evict_locked(self, stream: StreamState) -> None:
        gone = stream.buffer.popleft()
        del stream.index[gone.id]

    def _drop_locked(self, listener: Listener, reason: ConnectionEnd) -> None:
        if listener.dropped is None:
            listener.dropped = reason
            self._forget_locked(listener)
            listener._notify()

    def _forget_locked(self, listener: Listener) -> None:
        stream = listener._stream
        if listener in stream.listeners:
            stream.listeners.discard(listener)
            if not stream.listeners:
                stream.unattended_since = self.clock.time()

    def _end_locked(self, stream: StreamState, reason: StreamEnd) -> Callable[[], None] | None:
        stream.ended = reason
        del self._streams[stream.id]
        for listener in stream.listeners:
            listener._notify()
        on_close = stream.on_close
        if on_close is None:
            return None
        return lambda: on_close(stream.id, reason)


def _later(current: float | None, proposed: float | None) -> float | None:
    if current is None or proposed is None:
        return None
    return max(current, proposed)


def _run(callbacks: Iterable[Callable[[], None] | None]) -> None:
    """Run ``on_close`` callbacks; one that fails is logged, not raised into whichever hub call
    happened to notice the stream's end."""
    for callback in callbacks:
        if callback is not None:
            try:
                callback()
            except Exception:
                _log.exception("SSE on_close callback failed")
