"""Diagram subscriptions (``GET /controls/{id}/diagram`` with ``METASYS-SUBSCRIBE``) on the
streams of ``standin.metasys.streaming``: ``diagram.subscription.established``, then
``diagram.values.update`` with every connection's value and later only the changed ones,
``diagram.heartbeat`` while a stream holds a diagram subscription, ``diagram.update`` (and the
subscription's end) when the diagram is replaced, ``diagram.subscription.cancelled`` when one
is deleted.

With a shared stream store, each subscription is noted beside its stream; a replica that
re-creates the stream re-creates the subscription, which then sends every value at the next
change (what the old replica last sent is not kept: more, never less).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standin._core.clock import isoformat
from standin._core.sse import Heartbeat
from standin.metasys import stream_notes as notes
from standin.metasys.state.model import ValueChange
from standin.metasys.state.site import MetasysState
from standin.metasys.streaming import Streams, subscription_room

HEARTBEAT_SECONDS = 30.0
"""**Sandbox choice:** the reference shows ``diagram.heartbeat`` without a period; the sandbox
beats as the stream's own ``heartbeat`` does."""
ESTABLISHED = "Live value subscription successful"
CANCELLED = "Live value subscription cancelled"
UPDATED = (
    "The diagram has been updated.. Please refresh. Current subscription will be cancelled "
    "automatically."
)


def ping(now: datetime) -> str:
    return f"ping from logic service @{isoformat(now)}"


@dataclass
class DiagramSubscription:
    id: str
    stream_id: str
    owner: str
    control_id: str
    state: weakref.ref[MetasysState]
    sent: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """What the subscriber last got for each connection (value and condition)."""


class DiagramStreams:
    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.heartbeat_seconds = HEARTBEAT_SECONDS
        self._lock = threading.RLock()
        self._subscriptions: dict[str, DiagramSubscription] = {}
        self._by_control: weakref.WeakKeyDictionary[
            MetasysState, dict[str, dict[str, DiagramSubscription]]
        ] = weakref.WeakKeyDictionary()
        """A tenant's site -> control id -> the subscriptions on that control's diagram, so a
        change reaches only the subscribers of the diagrams that show it."""
        self._by_stream: dict[str, set[str]] = {}
        """Stream id -> the ids of its diagram subscriptions."""
        self._watched: weakref.WeakSet[MetasysState] = weakref.WeakSet()
        self.reached = 0
        """Subscriptions looked at by changes so far (tests read it: a change touches only the
        subscribers of its diagrams)."""
        streams.restorers.append(self._restore)
        streams.closers.append(self._stream_closed)

    def subscribe(self, state: MetasysState, stream_id: str, owner: str, control_id: str) -> str:
        """A subscription id; on the owner's open stream, the subscription and its first values
        (an unknown stream: the id and nothing else, as for object subscriptions)."""
        subscription_id = str(uuid.uuid4())
        if self.streams.owned(stream_id, owner, state) is None:
            return subscription_id
        self._watch(state)
        subscription = DiagramSubscription(
            subscription_id, stream_id, owner, control_id, weakref.ref(state)
        )
        with self._lock:
            # Counted, noted beside the stream and kept in one step: two subscribing at once
            # cannot both take the last place.
            subscription_room(len(self._by_stream.get(stream_id, ())), "diagram")
            note = notes.diagram_note(control_id)
            self.streams.hub.annotate(stream_id, notes.DIAGRAM + subscription_id, note)
            first = not self._on_stream(stream_id)
            self._add(state, subscription)
        if first:
            self.streams.hub.set_heartbeat(
                stream_id, Heartbeat("diagram.heartbeat", self.heartbeat_seconds, ping)
            )
        hub = self.streams.hub
        hub.publish(
            stream_id,
            "diagram.subscription.established",
            {"id": control_id, "subscriptionIds": [subscription_id], "message": ESTABLISHED},
        )
        self._send_values(state, subscription)
        return subscription_id

    def unsubscribe(self, stream_id: str, owner: str, subscription_id: str) -> bool:
        with self._lock:
            found = self._subscriptions.get(subscription_id)
            if (
                found is None
                or found.stream_id != stream_id
                or found.owner != owner
                or self.streams.owned(stream_id, owner) is None
            ):
                return False
        self._end(found, "diagram.subscription.cancelled", CANCELLED)
        return True

    def diagram_replaced(self, state: MetasysState, control_id: str) -> None:
        """``diagram.update`` to each subscriber of the control, whose subscription then ends."""
        with self._lock:
            ended = list(self._by_control.get(state, {}).get(control_id, {}).values())
        for subscription in ended:
            self._end(subscription, "diagram.update", UPDATED)
            self._end(subscription, "diagram.subscription.cancelled", CANCELLED)

    def _restore(self, state: MetasysState, stream_id: str, kept: Mapping[str, str]) -> None:
        """Re-create the diagram subscriptions of a stream re-created from the store."""
        found = [
            (key.removeprefix(notes.DIAGRAM), notes.diagram_control(note))
            for key, note in kept.items()
            if key.startswith(notes.DIAGRAM)
        ]
        if not found:
            return
        info = self.streams.hub.info(stream_id)
        if info is None:
            return
        self._watch(state)
        with self._lock:
            for subscription_id, control_id in found:
                self._add(
                    state,
                    DiagramSubscription(
                        subscription_id, stream_id, info.owner, control_id, weakref.ref(state)
                    ),
                )
        self.streams.hub.set_heartbeat(
            stream_id, Heartbeat("diagram.heartbeat", self.heartbeat_seconds, ping)
        )

    def _end(self, subscription: DiagramSubscription, event: str, message: str) -> None:
        self.streams.hub.annotate(subscription.stream_id, notes.DIAGRAM + subscription.id, None)
        with self._lock:
            self._remove(subscription.id)
            last = not self._on_stream(subscription.stream_id)
        self.streams.hub.publish(
            subscription.stream_id,
            event,
            {
                "id": subscription.control_id,
                "subscriptionIds": [subscription.id],
                "message": message,
            },
        )
        if last:
            self.streams.hub.clear_heartbeat(subscription.stream_id, "diagram.heartbeat")

    def _on_stream(self, stream_id: str) -> bool:
        return bool(self._by_stream.get(stream_id))

    def _add(self, state: MetasysState, subscription: DiagramSubscription) -> None:
        """Keep and index a subscription (lock held)."""
        self._subscriptions[subscription.id] = subscription
        controls = self._by_control.setdefault(state, {})
        controls.setdefault(subscription.control_id, {})[subscription.id] = subscription
        self._by_stream.setdefault(subscription.stream_id, set()).add(subscription.id)

    def _remove(self, subscription_id: str) -> None:
        """Forget a subscription and its index entries (lock held)."""
        subscription = self._subscriptions.pop(subscription_id, None)
        if subscription is None:
            return
        mine = self._by_stream.get(subscription.stream_id)
        if mine is not None:
            mine.discard(subscription_id)
            if not mine:
                del self._by_stream[subscription.stream_id]
        state = subscription.state()
        controls = None if state is None else self._by_control.get(state)
        if controls is None:
            return
        subs = controls.get(subscription.control_id)
        if subs is not None:
            subs.pop(subscription_id, None)
            if not subs:
                del controls[subscription.control_id]

    def _stream_closed(self, stream_id: str) -> None:
        """The stream ended: its diagram subscriptions go with it."""
        with self._lock:
            for subscription_id in list(self._by_stream.get(stream_id, ())):
                self._remove(subscription_id)

    def _watch(self, state: MetasysState) -> None:
        with self._lock:
            if state in self._watched:
                return
            self._watched.add(state)

        def on_change(change: ValueChange) -> None:
            self._changed(state, change)

        state.event_listeners.append(on_change)

    def _changed(self, state: MetasysState, change: ValueChange) -> None:
        if change.attribute != "presentValue":
            return
        controls = set(state.controls.controls_referencing(change.object_id))
        if not controls:
            return
        with self._lock:
            mine = self._by_control.get(state, {})
            affected = [s for c in controls for s in mine.get(c, {}).values()]
            self.reached += len(affected)
        for subscription in affected:
            if self.streams.hub.info(subscription.stream_id) is None:
                with self._lock:
                    self._remove(subscription.id)
                continue
            self._send_values(state, subscription)

    def _send_values(self, state: MetasysState, subscription: DiagramSubscription) -> None:
        """Every value the first time, then only those that changed since the last event."""
        control = state.tree.get(subscription.control_id)
        if control is None:
            return
        items = [
            item
            for item in state.controls.values(control)
            if subscription.sent.get(item[0]) != tuple(item[1:])
        ]
        if not items and subscription.sent:
            return
        subscription.sent.update({item[0]: tuple(item[1:]) for item in items})
        self.streams.hub.publish(
            subscription.stream_id,
            "diagram.values.update",
            {"id": subscription.control_id, "subscriptionIds": [subscription.id], "items": items},
        )


__all__ = ["DiagramStreams", "DiagramSubscription"]
