"""What a stream is made of: its events, heartbeats, replay buffer, and the hub's vocabulary."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from standin._core.sse.listener import Listener

StreamEnd = Literal["closed", "expired", "abandoned", "released", "shutdown", "moved"]
"""Why a stream ended: ``close()``, its expiry passed, nobody connected for ``abandon_after``
sandbox seconds, nobody connected for ``release_after`` real seconds, ``close_all()``, or
``evict()`` (another process goes on with it from the hub's store)."""

ConnectionEnd = Literal["lagging", "disconnected", "severed"]
"""Why one connection ended while its stream went on: too far behind, the client left, or
``drop_connections`` (a simulated network failure)."""

Refusal = Literal["unknown_stream", "unknown_event"]
"""Why a (re)connection cannot be served; either way the SSE answer is 204."""


class ResumeRefused(Exception):
    """The stream is not open (never was, ended, or belongs to someone else), or the
    ``Last-Event-Id`` is not in its replay buffer (any more). Per the SSE spec, answer 204."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


@dataclass(frozen=True)
class SseEvent:
    """One published event: ``seq`` orders it within its stream, ``wire`` is its framed bytes."""

    seq: int
    id: str
    event: str
    data: str
    at: float
    wire: bytes


@dataclass(frozen=True)
class Heartbeat:
    """A named event sent every ``period`` sandbox seconds; ``data`` gets the sandbox's now.

    Beats missed because the clock jumped are coalesced into one. Beats are ordinary events
    (numbered, buffered, replayed). ``data`` runs under the hub's lock: keep it quick.
    """

    event: str
    period: float
    data: Callable[[datetime], Any]


@dataclass(frozen=True)
class StreamInfo:
    id: str
    owner: str
    expires_at: float | None
    last_event_id: str | None
    buffered: int
    connections: int
    lagging_drops: int


@dataclass
class Beat:
    spec: Heartbeat
    due: float


class StreamState:
    """One open stream: its owner, expiry, replay buffer (``deque`` of events, ids indexed),
    heartbeats and the connections reading it. Guarded by the hub's lock."""

    def __init__(
        self,
        stream_id: str,
        owner: str,
        expires_at: float | None,
        event_id: Callable[[int], str],
        on_close: Callable[[str, StreamEnd], None] | None,
        now: float,
    ) -> None:
        self.id = stream_id
        self.owner = owner
        self.expires_at = expires_at
        self.event_id = event_id
        self.on_close = on_close
        self.buffer: deque[SseEvent] = deque()
        self.index: dict[str, int] = {}
        self.next_seq = 1
        self.beats: dict[str, Beat] = {}
        self.listeners: set[Listener] = set()
        self.unattended_since: float | None = now
        self.ended: StreamEnd | None = None
        self.lagging_drops = 0
        self.due: float | None = None
        """The sandbox time of its entry in the hub's deadline heap (None: not scheduled)."""
        self.release_at: float | None = None
        """The real (monotonic) time it is released unless a connection comes back first."""

    @property
    def first_seq(self) -> int:
        return self.buffer[0].seq if self.buffer else self.next_seq

    def events_from(self, seq: int, limit: int, max_bytes: int) -> list[SseEvent]:
        """Up to ``limit`` events from ``seq`` on, stopping once ``max_bytes`` are reached."""
        # Indexing walks a deque from its nearer end, and a connection reads near the newest
        # events; islice would walk from the oldest every time.
        buffer = self.buffer
        start = seq - self.first_seq
        batch: list[SseEvent] = []
        size = 0
        for position in range(max(start, 0), min(start + limit, len(buffer))):
            event = buffer[position]
            batch.append(event)
            size += len(event.wire)
            if size >= max_bytes:
                break
        return batch

    def info(self) -> StreamInfo:
        return StreamInfo(
            id=self.id,
            owner=self.owner,
            expires_at=self.expires_at,
            last_event_id=self.buffer[-1].id if self.buffer else None,
            buffered=len(self.buffer),
            connections=len(self.listeners),
            lagging_drops=self.lagging_drops,
        )
