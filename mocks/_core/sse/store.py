"""Where an ``SseHub`` keeps what must outlive its process: the plug point for several replicas.

By default a hub keeps its streams in memory only (``store=None``): nothing here runs, and a
stream is gone with its process. Given a ``StreamStore``, the hub writes through it as its
streams change, so another process's hub, on the same store, can re-create a stream this one
held (``SseHub.restore``) and a client can resume it there with ``Last-Event-Id``:

* ``opened`` when a stream opens (its owner, expiry and tenant), before its first event;
* ``appended`` for every event (``appended_many`` for several at once), BEFORE the event is
  buffered or written to any client, so whatever a client has seen is in the store (a failing
  store fails the publish instead);
* ``extended`` when its expiry moves, ``annotate`` for what the vendor keeps beside it (its
  subscriptions), ``ended`` when it ends for good (closed, expired, abandoned, released; not
  when a process shuts down or hands the stream to another process);
* ``kept`` to list a tenant's streams (a process taking the tenant over re-creates them);
* ``take`` to read one back and hold it from then on: owner, expiry, next sequence number,
  the newest events (at most the hub's ``max_events``) and the annotations. The process that
  held it before can no longer append to it or end it (its writes fail), so two processes
  never number the same stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from standin._core.sse.stream import SseEvent


@dataclass(frozen=True)
class StoredStream:
    """A stream as a store kept it: enough to re-create it and go on numbering."""

    id: str
    owner: str
    expires_at: float | None
    next_seq: int
    events: list[SseEvent]
    """The newest events, oldest first (their ``wire`` rebuilt from id, event and data)."""
    notes: Mapping[str, str] = field(default_factory=dict)
    """``annotate``'s keys and values."""


class StreamStore(Protocol):
    """What an ``SseHub`` writes through (see the module docstring). Every method may raise
    (the store is unreachable); the hub then leaves its own state as it was."""

    def opened(
        self, stream_id: str, owner: str, expires_at: float | None, tenant: str = ""
    ) -> None: ...

    def appended(self, stream_id: str, event: SseEvent) -> None: ...

    def appended_many(
        self, events: Sequence[tuple[str, SseEvent]]
    ) -> Sequence[BaseException | None]:
        """``appended`` for each (stream id, event), in order, together (one change fanned out
        to many streams); for each, None once kept, or why it was not. Raises when none was."""
        ...

    def extended(self, stream_id: str, expires_at: float | None) -> None: ...

    def annotate(self, stream_id: str, key: str, value: str | None) -> None:
        """Keep ``value`` under ``key`` beside the stream (None: forget the key); refused
        (raises) once another process took the stream, as ``appended`` is."""
        ...

    def ended(self, stream_id: str) -> None: ...

    def kept(self, tenant: str) -> list[tuple[str, str]]:
        """(stream id, owner) of every stream of ``tenant`` the store keeps, whoever holds it
        (``open``'s ``tenant``), by stream id."""
        ...

    def take(
        self, stream_id: str, max_events: int, owner: str | None = None
    ) -> StoredStream | None:
        """The stream as kept, held by this store from now on; None (and left alone) when
        there is none, or, with ``owner``, when it is another owner's."""
        ...


StreamStoreFactory = Callable[[str], StreamStore]
"""api key -> that API's store (a sandbox's ``stream_stores``)."""

__all__ = ["StoredStream", "StreamStore", "StreamStoreFactory"]
