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
* Time is the sandbox clock of the stream's tenant. Each stream has ONE deadline in its tenant's
  heap: the nearest of its expiry, abandonment, next heartbeat and buffer ageing (a heap per
  tenant, because each heap is ordered on one clock: freezing or moving one tenant's clock
  freezes or moves its streams' expiry and heartbeats only). ``tick()``, which every hub call
  runs first when a heap's top is due, settles only the streams whose deadline passed, and a publish
  touches only its own stream, so the cost of an event is that stream's connections, whatever
  the number of streams. While connections are open a timer thread checks the heap's top every
  ``tick_interval`` real seconds, so moving a frozen clock shows on the wire promptly.
* A stream without a connection (its client left, or never came) is released after
  ``release_after`` REAL seconds (``RELEASE_AFTER``, 30 s by default) whatever the sandbox
  clock does, frozen included: the grace lets a client resume with ``Last-Event-Id``; after it
  the stream, its buffer and its deadlines are gone, so an abandoned stream costs nothing.
* Every method is safe to call from any thread (request handlers, threadpool, a test's thread):
  state is guarded by one lock, and connections are woken on their own event loop.
* Optionally a ``StreamStore`` (``standin._core.sse.store``) is written through as streams
  change (every event before any client can read it), so a hub in another process on the same
  store re-creates a stream (``restore``) and its client resumes there; without one (the
  default) nothing is written anywhere and nothing here costs more than a ``None`` check.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from standin._core.clock import Clock, TenantClocks
from standin._core.sse.framing import encode_data, format_event, format_event_head, frame_data
from standin._core.sse.listener import Listener
from standin._core.sse.store import StoredStream, StreamStore
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

RELEASE_AFTER = 30.0
"""Real seconds a stream without a connection is kept for its client to resume
(``Last-Event-Id``) before it is released, whatever the sandbox clock: as long as the replay
window vendors document, so a resume that the buffer could serve is never refused for it."""

__all__ = [
    "RELEASE_AFTER",
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


class SseHub:
    """Server-Sent Events streams for one API, each on its tenant's sandbox clock.

    ``clock``: one clock for every stream, or how to find the clock of a stream's tenant (the
    ``tenant`` given to ``open``).

    ``retain_seconds``: how long (sandbox time) published events stay resumable (vendors that
    document resumption promise about 30 s). ``max_events``: the per-stream buffer's hard
    bound, which is also how far a connection may fall behind before it is dropped.
    ``abandon_after``: end streams that have had no connection for this long (sandbox time;
    None: only expiry or close end them).
    ``release_after``: end streams that have had no connection for this long in REAL seconds,
    whatever the sandbox clock does (frozen included): the grace in which a client that lost its
    connection resumes with ``Last-Event-Id``, after which the stream costs nothing
    (None: never; see ``RELEASE_AFTER``).
    ``tick_interval``: real seconds between clock checks while connections are open.
    ``close_timeout``: real seconds a connection may take to send its last events once its
    stream ended.
    ``store``: where streams are also kept, so another process can take them over (None: in
    memory only).
    """

    def __init__(
        self,
        clock: Clock | TenantClocks,
        *,
        retain_seconds: float = 30.0,
        max_events: int = 1000,
        abandon_after: float | None = None,
        release_after: float | None = RELEASE_AFTER,
        tick_interval: float = 0.05,
        close_timeout: float = 1.0,
        store: StreamStore | None = None,
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self._clock_of: TenantClocks = (lambda tenant: clock) if isinstance(clock, Clock) else clock
        self.retain_seconds = retain_seconds
        self.max_events = max_events
        self.abandon_after = abandon_after
        self.release_after = release_after
        self.tick_interval = tick_interval
        self.close_timeout = close_timeout
        self.store = store
        self._lock = threading.RLock()
        self._streams: dict[str, StreamState] = {}
        self._owners: dict[str, dict[str, StreamState]] = {}
        self._holding: dict[str, StreamState] = {}
        """Every buffered event id -> its stream (``resume`` names no stream)."""
        self._deadlines: dict[str, list[tuple[float, int, str]]] = {}
        """Tenant -> heap of (that tenant's sandbox time, order, stream id): each of its streams'
        next expiry, abandonment, heartbeat or buffer ageing. An entry whose time is not its
        stream's ``due`` is stale. A tenant without deadlines has no heap."""
        self._releases: deque[tuple[float, str]] = deque()
        """(monotonic time, stream id) of unattended streams, in time order (always now plus
        the same grace). An entry whose time is not its stream's ``release_at`` is stale."""
        self._order = itertools.count()
        self._listening = 0
        self._timer: threading.Thread | None = None
        self._poke = threading.Event()

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
        tenant: str = "",
    ) -> str:
        """Open a stream and return its id (a new UUID unless ``stream_id`` is given).

        ``hello`` (event name, data) is published first, so it is event 1 and every fresh
        connection starts with it. Event ids are ``event_id(seq)``, by default
        ``"<stream id>:<seq>"`` with seq 1, 2, 3... ``on_close(stream_id, reason)`` runs once when
        the stream ends, outside the hub's lock. Until a connection reads it, the stream counts
        as unattended (``abandon_after``, ``release_after``). ``tenant``: whose clock the
        stream's expiry, heartbeats and buffer age follow.
        """
        self._catch_up()
        with self._lock:
            sid = stream_id if stream_id is not None else str(uuid.uuid4())
            if sid in self._streams:
                raise ValueError(f"stream {sid!r} is already open")
            now = self._clock_of(tenant).time()
            stream = StreamState(
                sid,
                owner,
                expires_at,
                event_id if event_id is not None else (lambda seq: f"{sid}:{seq}"),
                on_close,
                now,
                tenant,
            )
            for beat in heartbeats:
                stream.beats[beat.event] = Beat(beat, now + beat.period)
            if self.store is not None:
                self.store.opened(sid, owner, expires_at, tenant)
            self._streams[sid] = stream
            self._owners.setdefault(owner, {})[sid] = stream
            if hello is not None:
                try:
                    self._append_locked(stream, hello[0], hello[1], now)
                except BaseException:
                    self._unregister_locked(stream)
                    raise
            self._schedule_locked(stream)
            self._await_release_locked(stream)
            return sid

    def restore(
        self,
        stream_id: str,
        *,
        owner: str | None = None,
        heartbeats: Iterable[Heartbeat] = (),
        event_id: Callable[[int], str] | None = None,
        on_close: Callable[[str, StreamEnd], None] | None = None,
        tenant: str = "",
    ) -> StoredStream | None:
        """Re-create, from the store, a stream another process held (it died, or handed the
        stream's tenant over): its owner, expiry, the newest events (at most ``max_events``,
        then aged as they would have been here) and its numbering, which goes on where the
        store's last event left it. Returns what the store kept (its ``notes`` are the
        vendor's to re-apply), or None without a store, when the store has no such stream (or,
        with ``owner``, only another owner's), when it expired, or when this hub has it open
        already. Heartbeats start one period from now, on ``tenant``'s clock (as ``open``)."""
        store = self.store
        if store is None:
            return None
        self._catch_up()
        with self._lock:
            if stream_id in self._streams:
                return None
            stored = store.take(stream_id, self.max_events, owner)
            if stored is None or (owner is not None and stored.owner != owner):
                return None
            now = self._clock_of(tenant).time()
            if stored.expires_at is not None and now >= stored.expires_at:
                store.ended(stream_id)
                return None
            sid = stored.id
            stream = StreamState(
                sid,
                stored.owner,
                stored.expires_at,
                event_id if event_id is not None else (lambda seq: f"{sid}:{seq}"),
                on_close,
                now,
                tenant,
            )
            for event in stored.events:
                stream.buffer.append(event)
                stream.index[event.id] = event.seq
                self._holding[event.id] = stream
            stream.next_seq = stored.next_seq
            for beat in heartbeats:
                stream.beats[beat.event] = Beat(beat, now + beat.period)
            self._streams[sid] = stream
            self._owners.setdefault(stream.owner, {})[sid] = stream
            self._prune_locked(stream, now)
            self._schedule_locked(stream)
            self._await_release_locked(stream)
            return stored

    def kept(self, tenant: str) -> list[tuple[str, str]]:
        """(stream id, owner) of the streams of ``tenant`` the store keeps, held here or by
        another process (each one ``restore`` can re-create); none without a store."""
        return [] if self.store is None else self.store.kept(tenant)

    def evict(self, stream_ids: Iterable[str]) -> int:
        """End these streams HERE only (their tenant moved to another process): their
        connections end, ``on_close`` runs with ``"moved"``, and the store keeps them for the
        process that takes them over. Returns how many were open."""
        with self._lock:
            callbacks = [
                self._end_locked(stream, "moved")
                for sid in stream_ids
                if (stream := self._streams.get(sid)) is not None
            ]
        _run(callbacks)
        return len(callbacks)

    def annotate(self, stream_id: str, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` beside the stream in the store (None: forget it), for
        ``restore`` to hand back; nothing without a store."""
        if self.store is not None:
            self.store.annotate(stream_id, key, value)

    def publish(self, stream_id: str, event: str, data: Any = None) -> str | None:
        """Append an event (``data`` as JSON, or ``Text`` as it is) and return its id, or None if
        the stream is not open. Never waits for a connection; costs only that stream's work."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return None
            return self._append_locked(stream, event, data, self._now(stream)).id

    def publish_many(self, items: Sequence[tuple[str, str, Any]]) -> list[str | None]:
        """``publish`` each (stream id, event, data), in order, and return their ids (None for
        a stream that is not open). One change fanned out to many streams: with a store, their
        writes travel together (``StreamStore.appended_many``, one round trip). A write the
        store refuses is raised once those it kept are published."""
        self._catch_up()
        # One change usually goes to many streams with the same data: it is encoded and framed
        # once per distinct payload object (the items keep them alive, so ids stay theirs),
        # and each tenant's clock is read once.
        framed: dict[tuple[int, str], tuple[str, bytes]] = {}
        nows: dict[str, float] = {}

        def make(stream: StreamState, seq: int, event: str, data: Any) -> SseEvent:
            key = (id(data), event)
            body = framed.get(key)
            if body is None:
                text = encode_data(data)
                body = framed[key] = (text, frame_data(text))
            now = nows.get(stream.tenant)
            if now is None:
                now = nows[stream.tenant] = self._now(stream)
            return _framed_event(stream, seq, event, body, now)

        with self._lock:
            store = self.store
            if store is None:
                ids: list[str | None] = []
                for sid, event, data in items:
                    stream = self._streams.get(sid)
                    if stream is None:
                        ids.append(None)
                        continue
                    published = make(stream, stream.next_seq, event, data)
                    ids.append(self._commit_locked(stream, published, published.at).id)
                return ids
            staged: list[tuple[StreamState, SseEvent] | None] = []
            numbers: dict[str, int] = {}
            for sid, event, data in items:
                stream = self._streams.get(sid)
                if stream is None:
                    staged.append(None)
                    continue
                seq = numbers.get(sid, stream.next_seq)
                numbers[sid] = seq + 1
                staged.append((stream, make(stream, seq, event, data)))
            writes = [(stream.id, published) for stream, published in filter(None, staged)]
            failures = iter(store.appended_many(writes) if writes else ())
            ids = []
            refused: BaseException | None = None
            broken: set[str] = set()
            for entry in staged:
                if entry is None:
                    ids.append(None)
                    continue
                stream, published = entry
                failure = next(failures)
                if failure is not None or stream.id in broken:
                    # Nothing after a refused event of a stream is published (no gap).
                    broken.add(stream.id)
                    refused = refused or failure
                    ids.append(None)
                    continue
                self._commit_locked(stream, published, nows[stream.tenant])
                ids.append(published.id)
        if refused is not None:
            raise refused
        return ids

    def set_heartbeat(self, stream_id: str, heartbeat: Heartbeat) -> bool:
        """Start (or replace) the heartbeat of that event name; the first beat is one period on."""
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return False
            stream.beats[heartbeat.event] = Beat(heartbeat, self._now(stream) + heartbeat.period)
            self._schedule_locked(stream)
            return True

    def clear_heartbeat(self, stream_id: str, event: str) -> bool:
        # The stream's deadline may now be early: it is settled then, finds nothing, moves on.
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
            later = _later(stream.expires_at, expires_at)
            if self.store is not None and later != stream.expires_at:
                self.store.extended(stream_id, later)
            stream.expires_at = later
            return True

    def extend_owner(self, owner: str, expires_at: float | None) -> list[str]:
        """``extend`` every open stream of ``owner`` (a token refresh); returns their ids."""
        self._catch_up()
        with self._lock:
            mine = list(self._owners.get(owner, {}).values())
            for stream in mine:
                later = _later(stream.expires_at, expires_at)
                if self.store is not None and later != stream.expires_at:
                    self.store.extended(stream.id, later)
                stream.expires_at = later
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
            self._deadlines.clear()
            self._releases.clear()
            self._poke.set()
        _run(callbacks)
        return len(streams)

    def info(self, stream_id: str) -> StreamInfo | None:
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                return None
            self._prune_locked(stream, self._now(stream))
            return stream.info()

    def streams(self, owner: str | None = None) -> list[StreamInfo]:
        self._catch_up()
        with self._lock:
            chosen = self._streams if owner is None else self._owners.get(owner, {})
            for stream in chosen.values():
                self._prune_locked(stream, self._now(stream))
            return [s.info() for s in self._streams.values() if s.id in chosen]

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
            self._prune_locked(stream, self._now(stream))
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
            stream = self._holding.get(event_id)
            if stream is None:
                return None
            self._prune_locked(stream, self._now(stream))
            return stream.id if event_id in stream.index else None

    def attach(self, stream_id: str, start: int) -> Listener:
        """Register a connection starting at ``start``; call on the loop that will serve it, and
        ``detach`` it when done. Raises ``ResumeRefused`` if that point is no longer there."""
        loop = asyncio.get_running_loop()
        self._catch_up()
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None:
                raise ResumeRefused("unknown_stream")
            self._prune_locked(stream, self._now(stream))
            if start < stream.first_seq or start > stream.next_seq:
                raise ResumeRefused("unknown_event")
            listener = Listener(self, stream, start, loop)
            stream.listeners.add(listener)
            stream.unattended_since = None
            stream.release_at = None
            self._listening += 1
            self._start_timer_locked()
            return listener

    def detach(self, listener: Listener) -> None:
        with self._lock:
            if not listener.attached:
                return
            listener.attached = False
            self._listening -= 1
            self._forget_locked(listener)

    # -- time --------------------------------------------------------------------------------

    def tick(self) -> None:
        """Settle everything due: expiries, abandonments, heartbeats and buffer age at the
        clock's now, and releases at the real now. Only streams with something due are touched
        (a heap of deadlines), so a tick with nothing due costs nothing however many are open."""
        with self._lock:
            callbacks = self._settle_locked()
        _run(callbacks)

    def _catch_up(self) -> None:
        with self._lock:
            releases = self._releases
            if not (
                (releases and releases[0][0] <= time.monotonic())
                or any(
                    heap[0][0] <= self._clock_of(tenant).time()
                    for tenant, heap in self._deadlines.items()
                )
            ):
                return
            callbacks = self._settle_locked()
        _run(callbacks)

    def clock_of(self, tenant: str = "") -> Clock:
        """The clock the streams of ``tenant`` follow (``open``'s ``tenant``)."""
        return self._clock_of(tenant)

    def _now(self, stream: StreamState) -> float:
        return self._clock_of(stream.tenant).time()

    def _settle_locked(self) -> list[Callable[[], None] | None]:
        callbacks: list[Callable[[], None] | None] = []
        real_now = time.monotonic()
        releases = self._releases
        while releases and releases[0][0] <= real_now:
            at, sid = releases.popleft()
            stream = self._streams.get(sid)
            if stream is not None and stream.release_at == at:
                callbacks.append(self._end_locked(stream, "released"))
        settled: list[StreamState] = []
        for tenant, deadlines in list(self._deadlines.items()):
            now = self._clock_of(tenant).time()
            while deadlines and deadlines[0][0] <= now:
                due, _, sid = heapq.heappop(deadlines)
                stream = self._streams.get(sid)
                if stream is None or stream.due != due:
                    continue
                stream.due = None
                end = self._due_end(stream, now)
                if end is not None:
                    callbacks.append(self._end_locked(stream, end))
                    continue
                self._beat_locked(stream, now)
                self._prune_locked(stream, now)
                settled.append(stream)
            if len(deadlines) > 2 * len(self._streams) + 64:
                deadlines[:] = [
                    entry
                    for entry in deadlines
                    if (s := self._streams.get(entry[2])) is not None and s.due == entry[0]
                ]
                heapq.heapify(deadlines)
            if not deadlines:
                del self._deadlines[tenant]
        # Rescheduled only now, so a deadline that lands at this very now waits for the next
        # tick instead of spinning this one.
        for stream in settled:
            self._schedule_locked(stream)
        return callbacks

    def _beat_locked(self, stream: StreamState, now: float) -> None:
        for beat in list(stream.beats.values()):
            if now >= beat.due:
                beat.due = now + beat.spec.period
                try:
                    data = beat.spec.data(self._clock_of(stream.tenant).now())
                except Exception:
                    # One broken heartbeat must not stop every other stream's clock.
                    _log.exception("SSE heartbeat %r failed", beat.spec.event)
                    continue
                try:
                    self._append_locked(stream, beat.spec.event, data, now)
                except _FATAL:
                    raise
                except BaseException:
                    # The store refused it (a store's failure may be a BaseException, as the
                    # cluster's 503 signal is): unreachable, or another process took the stream
                    # over. The beat is skipped and the connections are cut, so their clients
                    # resume with ``Last-Event-Id`` wherever the stream is kept now.
                    _log.warning("SSE heartbeat %r of %s not stored", beat.spec.event, stream.id)
                    for listener in list(stream.listeners):
                        self._drop_locked(listener, "severed")
                    return

    def _due_end(self, stream: StreamState, now: float) -> StreamEnd | None:
        if stream.expires_at is not None and now >= stream.expires_at:
            return "expired"
        abandon_at = self._abandon_at(stream)
        if abandon_at is not None and now >= abandon_at:
            return "abandoned"
        return None

    def _abandon_at(self, stream: StreamState) -> float | None:
        idle = stream.unattended_since
        if self.abandon_after is None or idle is None:
            return None
        return idle + self.abandon_after

    def _next_due(self, stream: StreamState) -> float | None:
        """The sandbox time at which the stream next has something to settle, if ever."""
        due = stream.expires_at
        abandon_at = self._abandon_at(stream)
        if abandon_at is not None and (due is None or abandon_at < due):
            due = abandon_at
        for beat in stream.beats.values():
            if due is None or beat.due < due:
                due = beat.due
        buffer = stream.buffer
        if len(buffer) >= 2:
            # The oldest event goes once the one after it is older than the retention (strictly),
            # unless a connection has yet to send it.
            ages_at = math.nextafter(buffer[1].at + self.retain_seconds, math.inf)
            if (due is None or ages_at < due) and buffer[0].seq < self._pinned(stream):
                due = ages_at
        return due

    def _pinned(self, stream: StreamState) -> int:
        listeners = stream.listeners
        if len(listeners) == 1:
            # The usual case (one connection a stream), on every publish: no generator.
            for listener in listeners:
                return listener.next_seq
        return min((listener.next_seq for listener in listeners), default=stream.next_seq)

    def _schedule_locked(self, stream: StreamState) -> None:
        """Make the heap hold the stream's next deadline. A later one than already scheduled
        waits for that entry (settling then finds nothing and reschedules), so the heap grows
        only when a deadline comes nearer, not with every event."""
        due = self._next_due(stream)
        if due is not None and (stream.due is None or due < stream.due):
            stream.due = due
            heap = self._deadlines.setdefault(stream.tenant, [])
            heapq.heappush(heap, (due, next(self._order), stream.id))

    def _await_release_locked(self, stream: StreamState) -> None:
        if self.release_after is None:
            return
        stream.release_at = time.monotonic() + self.release_after
        self._releases.append((stream.release_at, stream.id))
        self._start_timer_locked()

    def _start_timer_locked(self) -> None:
        """The one thread that settles deadlines while nobody calls the hub: every
        ``tick_interval`` while connections are open (the sandbox clock may be moved at any
        moment), else at the next release. It ends once there is neither."""
        self._poke.set()
        if self._timer is None:
            self._timer = threading.Thread(target=self._time_keeper, name="sse-hub", daemon=True)
            self._timer.start()

    def _time_keeper(self) -> None:
        while True:
            with self._lock:
                if self._listening:
                    wait = self.tick_interval
                elif self._releases:
                    wait = max(0.0, self._releases[0][0] - time.monotonic())
                else:
                    self._timer = None
                    return
                self._poke.clear()
            self._poke.wait(wait)
            try:
                self._catch_up()
            except Exception:
                _log.exception("SSE hub timer failed")

    # -- internals (lock held) ---------------------------------------------------------------

    def _append_locked(self, stream: StreamState, event: str, data: Any, now: float) -> SseEvent:
        published = _event(stream, stream.next_seq, event, data, now)
        if self.store is not None:
            # Kept before any connection can send it, so whatever a client saw is resumable
            # elsewhere; a store that refuses leaves the stream as it was.
            self.store.appended(stream.id, published)
        return self._commit_locked(stream, published, now)

    def _commit_locked(self, stream: StreamState, published: SseEvent, now: float) -> SseEvent:
        """Buffer an event (numbered ``stream.next_seq``) and wake the stream's connections."""
        stream.buffer.append(published)
        stream.index[published.id] = published.seq
        self._holding[published.id] = stream
        stream.next_seq = published.seq + 1
        first = stream.first_seq
        self._prune_locked(stream, now)
        # Only a change at the buffer's head moves its ageing deadline (beats and expiry are
        # rescheduled where they change), so most events leave the heap alone.
        if len(stream.buffer) <= 2 or stream.first_seq != first:
            self._schedule_locked(stream)
        for listener in stream.listeners:
            listener._notify()
        return published

    def _unregister_locked(self, stream: StreamState) -> None:
        del self._streams[stream.id]
        mine = self._owners.get(stream.owner)
        if mine is not None:
            mine.pop(stream.id, None)
            if not mine:
                del self._owners[stream.owner]
        for event_id in stream.index:
            if self._holding.get(event_id) is stream:
                del self._holding[event_id]

    def _prune_locked(self, stream: StreamState, now: float) -> None:
        buffer = stream.buffer
        counted = len(buffer) > self.max_events
        while len(buffer) > self.max_events:
            self._evict_locked(stream)
        # Age never takes an event a connection has yet to send: only count does (that is what
        # makes a connection too slow).
        horizon = now - self.retain_seconds
        if len(buffer) >= 2 and buffer[1].at < horizon:
            pinned = self._pinned(stream)
            while len(buffer) >= 2 and buffer[1].at < horizon and buffer[0].seq < pinned:
                self._evict_locked(stream)
        if counted:
            first = stream.first_seq
            for listener in [x for x in stream.listeners if x.next_seq < first]:
                stream.lagging_drops += 1
                self._drop_locked(listener, "lagging")

    def _evict_locked(self, stream: StreamState) -> None:
        gone = stream.buffer.popleft()
        del stream.index[gone.id]
        if self._holding.get(gone.id) is stream:
            del self._holding[gone.id]

    def _drop_locked(self, listener: Listener, reason: ConnectionEnd) -> None:
        if listener.dropped is None:
            listener.dropped = reason
            self._forget_locked(listener)
            listener._notify()

    def _forget_locked(self, listener: Listener) -> None:
        stream = listener._stream
        if listener in stream.listeners:
            stream.listeners.discard(listener)
            if not stream.listeners and stream.ended is None:
                stream.unattended_since = self._now(stream)
                self._schedule_locked(stream)
                self._await_release_locked(stream)

    def _end_locked(self, stream: StreamState, reason: StreamEnd) -> Callable[[], None] | None:
        stream.ended = reason
        stream.due = stream.release_at = None
        self._unregister_locked(stream)
        if self.store is not None and reason not in _HANDED_OVER:
            try:
                self.store.ended(stream.id)
            except _FATAL:
                raise
            except BaseException:
                # The stream ends here whatever the store says; the store's copy expires.
                _log.exception("SSE store could not forget stream %s", stream.id)
        for listener in stream.listeners:
            listener._notify()
        on_close = stream.on_close
        if on_close is None:
            return None
        return lambda: on_close(stream.id, reason)


_FATAL = (KeyboardInterrupt, SystemExit)


def _event(stream: StreamState, seq: int, event: str, data: Any, now: float) -> SseEvent:
    event_id = stream.event_id(seq)
    text = encode_data(data)
    wire = format_event(text, event=event, id=event_id)
    return SseEvent(seq=seq, id=event_id, event=event, data=text, at=now, wire=wire)


def _framed_event(
    stream: StreamState, seq: int, event: str, body: tuple[str, bytes], now: float
) -> SseEvent:
    """``_event`` from data already encoded and framed (``body``: its text and ``data:``
    lines), shared by every stream a change goes to."""
    event_id = stream.event_id(seq)
    text, lines = body
    wire = format_event_head(event_id, event) + lines
    return SseEvent(seq=seq, id=event_id, event=event, data=text, at=now, wire=wire)


_HANDED_OVER: frozenset[StreamEnd] = frozenset({"shutdown", "moved"})
"""Ends after which another process may go on with the stream: the store keeps it."""


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
