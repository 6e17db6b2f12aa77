"""A Metasys stream consumer (Server-Sent Events through httpx-sse).

It opens ``GET /stream`` (the hello gives the stream id), subscribes (point values, activities,
control diagrams), and yields typed events. It refreshes the client's token before it expires
(which, on the server, also extends the stream), reconnects with ``Last-Event-Id`` when the
connection drops, and, when the server answers 204 (the stream or the event is gone), opens a new
stream and subscribes again to everything it had subscribed to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource, connect_sse

from standin.clients._http import ApiError

if TYPE_CHECKING:
    from standin.clients.metasys import MetasysClient

__all__ = ["MetasysStream", "StreamError", "StreamEvent"]

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout)


class StreamError(Exception):
    """The stream could not be (re)opened."""


@dataclass(frozen=True)
class StreamEvent:
    id: str
    name: str
    data: Any
    """The event's JSON data, parsed."""

    @property
    def is_heartbeat(self) -> bool:
        return self.name.endswith("heartbeat")

    @property
    def value(self) -> Any:
        """``object.values.update``: the attribute's value (the item's one other property)."""
        item = self.data.get("item", {}) if isinstance(self.data, dict) else {}
        values = [v for k, v in item.items() if k not in ("id", "itemReference")]
        return values[0] if values else None

    @property
    def diagram_values(self) -> dict[str, Any]:
        """``diagram.values.update``: each connection's value by connection id."""
        items = self.data.get("items", []) if isinstance(self.data, dict) else []
        return {str(item[0]): item[1] for item in items if isinstance(item, list) and item}

    @property
    def activity(self) -> dict[str, Any] | None:
        """``activity.*``: the alarm or audit as an activity."""
        found = self.data.get("activity") if isinstance(self.data, dict) else None
        return found if isinstance(found, dict) else None


@dataclass(frozen=True)
class _Subscription:
    kind: str
    object_id: str = ""
    attribute: str = ""
    params: tuple[tuple[str, str], ...] = ()


class MetasysStream:
    def __init__(
        self, client: MetasysClient, *, max_reconnects: int = 5, backoff: float = 1.0
    ) -> None:
        self.client = client
        self.max_reconnects = max_reconnects
        self.backoff = backoff
        self.stream_id: str | None = None
        self.last_event_id: str | None = None
        self.reconnects = 0
        self.restarts = 0
        self._subscriptions: dict[str, _Subscription] = {}
        """By current location (a restart moves them to the new stream)."""
        self._connection: AbstractContextManager[EventSource] | None = None
        self._events: Iterator[Any] | None = None

    def __enter__(self) -> MetasysStream:
        self.open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- connection --------------------------------------------------------------------------

    def open(self) -> str:
        """Open a new stream and read its hello; returns the stream id."""
        self.close()
        if not self._connect(None):
            raise StreamError("the server refused to open a stream")
        assert self._events is not None
        hello = next(self._events)
        if hello.event != "hello":
            raise StreamError(f"expected hello, got {hello.event}")
        self.stream_id = str(json.loads(hello.data))
        self.last_event_id = hello.id
        return self.stream_id

    def close(self) -> None:
        if self._connection is not None:
            with suppress(*DROPPED):
                self._connection.__exit__(None, None, None)
        self._connection = None
        self._events = None

    def _connect(self, last_event_id: str | None) -> bool:
        """Connect (resuming after ``last_event_id``); False if the server answered 204."""
        headers = {"Authorization": f"Bearer {self.client.bearer()}"}
        if last_event_id is not None:
            headers["Last-Event-Id"] = last_event_id
        connection = connect_sse(
            self.client.http, "GET", f"{self.client.base_url}/stream", headers=headers
        )
        source = connection.__enter__()
        status = source.response.status_code
        if status != 200:
            if status != 204:
                source.response.read()
            connection.__exit__(None, None, None)
            if status == 204:
                return False
            self.client.check(source.response)
            raise StreamError(f"unexpected status {status}")
        self._connection = connection
        self._events = source.iter_sse()
        return True

    # --- subscriptions -----------------------------------------------------------------------

    def subscribe_value(self, object_id: str, attribute: str = "presentValue") -> str:
        """Stream the attribute's current value and each change; returns the subscription's
        location (``DELETE`` it with ``unsubscribe``)."""
        subscription = _Subscription("value", object_id, attribute)
        location = self._subscribe(subscription)
        self._subscriptions[location] = subscription
        return location

    def subscribe_activities(self, **filters: str | list[str]) -> str:
        """Stream the activities (``activity.alarm.*``, ``activity.audit.*``) the filters of
        ``GET /activities`` select."""
        pairs = tuple(
            (name, value)
            for name, values in filters.items()
            for value in ([values] if isinstance(values, str) else values)
        )
        subscription = _Subscription("activities", params=pairs)
        location = self._subscribe(subscription)
        self._subscriptions[location] = subscription
        return location

    def subscribe_diagram(self, control_id: str) -> str:
        """Stream a control's diagram events (``diagram.values.update`` and the others); a
        replaced diagram ends the subscription (``diagram.update``)."""
        subscription = _Subscription("diagram", control_id)
        location = self._subscribe(subscription)
        self._subscriptions[location] = subscription
        return location

    @property
    def locations(self) -> list[str]:
        """The current subscriptions' locations (new ones after a restart)."""
        return list(self._subscriptions)

    def unsubscribe(self, location: str) -> None:
        self._subscriptions.pop(location, None)
        self.client.request("DELETE", location)

    def _subscribe(self, subscription: _Subscription) -> str:
        if self.stream_id is None:
            raise StreamError("open the stream first")
        headers = {"METASYS-SUBSCRIBE": self.stream_id}
        if subscription.kind == "value":
            path = f"/objects/{subscription.object_id}/attributes/{subscription.attribute}"
            response = self.client.raw("GET", path, headers=headers)
        elif subscription.kind == "diagram":
            path = f"/controls/{subscription.object_id}/diagram"
            response = self.client.raw("GET", path, headers=headers)
        else:
            response = self.client.raw(
                "GET", "/activities", headers=headers, params=list(subscription.params)
            )
        location: str | None = response.headers.get("metasys-subscription-location")
        if location is None:
            raise StreamError("the server gave no subscription location")
        return location

    # --- events ------------------------------------------------------------------------------

    def events(self) -> Iterator[StreamEvent]:
        """Every event after the hello, across reconnections, until the caller stops."""
        failures = 0
        while True:
            if self._events is None:
                raise StreamError("the stream is not open")
            try:
                for sse in self._events:
                    failures = 0
                    self.last_event_id = sse.id
                    self.client.bearer()  # refreshes (and so extends the stream) near expiry
                    yield StreamEvent(sse.id, sse.event, _parse(sse.data))
            except DROPPED:
                pass
            self.close()
            failures = self._reconnect(failures)

    def _reconnect(self, failures: int) -> int:
        """Resume after the last event (or start over on 204), retrying a server error or a
        refused connection after ``backoff`` seconds per failure so far."""
        while True:
            failures += 1
            if failures > self.max_reconnects:
                raise StreamError("the stream keeps dropping")
            self.reconnects += 1
            try:
                if not self._connect(self.last_event_id):
                    self._start_over()
                return failures
            except ApiError as problem:
                if problem.status < 500:
                    raise
            except httpx.TransportError:
                pass
            self.client.pause(self.backoff * failures)

    def _start_over(self) -> None:
        """The server lost the stream (204): a new one, and every subscription again."""
        self.restarts += 1
        self.open()
        previous = list(self._subscriptions.values())
        self._subscriptions = {self._subscribe(s): s for s in previous}


def _parse(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data
