"""Metasys streaming: one SSE stream per ``GET /stream``, and the subscriptions that feed it.

The hub (``standin._core.sse``) does framing, ids ``<streamId>:<n>``, replay, heartbeats and expiry;
this module knows what Metasys streams carry: the ``hello``, ``heartbeat`` and, per stream with
object subscriptions, ``object.values.heartbeat``; ``object.values.update`` for every change of a
subscribed scalar attribute (the current value first), ``object.values.notification`` (without
the value) for a struct or array attribute; ``activity.*`` for activity subscriptions.

With a shared stream store (several replicas, ``--redis``) each stream's tenant and
subscriptions are also noted in the store as they change (``standin.metasys.stream_notes``), so
the replica that takes a tenant over re-creates the streams its old owner held as it loads the
tenant (``adopt``), before it serves any request of it: the same id, numbering and
subscriptions, so a change it makes before a stream's client comes back reaches the stream's log
and the client's ``Last-Event-Id`` resume replays it. A stream found nowhere else is re-created
when its client resumes it (``resume``) or subscribes on it.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standin._core.clock import Clock, TenantClocks, isoformat
from standin._core.sse import EventStreamResponse, Heartbeat, SseHub, StreamEnd, StreamStore
from standin.metasys import errors
from standin.metasys import stream_notes as notes
from standin.metasys.activities import ActivityQuery, effective_permission, render
from standin.metasys.state.alarms import Alarm, AlarmAction
from standin.metasys.state.audits import AuditAction
from standin.metasys.state.model import AuditEntry, User, ValueChange
from standin.metasys.state.site import MetasysState
from standin.metasys.state.stream_options import StreamOptions

HEARTBEAT_SECONDS = 30.0
"""The guide: ``heartbeat`` and ``object.values.heartbeat`` every 30 seconds."""
ACTIVITY_HEARTBEAT_SECONDS = 30.0
"""The guide: ``activity.heartbeat`` every 30 seconds (the published document's 120 loses: where
the guide and another source disagree, the guide wins)."""
RETAIN_SECONDS = 30.0
"""The guide: events stay buffered at least thirty seconds after a connection is lost."""
RELEASE_SECONDS = 30.0
"""**Sandbox choice:** a stream whose connection is gone (and nobody resumed it) is released
after thirty REAL seconds, whatever the sandbox clock, frozen included: the guide's replay
window for a ``Last-Event-Id`` resume, after which the stream and its subscriptions are gone
(a later resume answers 204) instead of costing work until its token expires."""
MAX_EVENTS = 2000
MAX_SUBSCRIPTIONS = 1_000
"""**Sandbox choice:** one stream holds at most this many subscriptions of each kind (object
values, activities, diagrams); one more is refused with Metasys' 400 and nothing is kept. Each
is kept in memory, indexed and annotated for as long as the stream lives."""


def subscription_room(held: int, kind: str) -> None:
    """Refuse a subscription past :data:`MAX_SUBSCRIPTIONS` of ``kind`` on one stream."""
    if held >= MAX_SUBSCRIPTIONS:
        raise errors.bad_request(
            f"Sandbox quota: this stream already holds {MAX_SUBSCRIPTIONS:,} {kind} "
            "subscriptions, the most one stream may hold; unsubscribe from some or open "
            "another stream."
        )


def iso_now(now: datetime) -> str:
    return isoformat(now)


def is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def notification(item: dict[str, Any], attribute: str, condition: dict[str, Any]) -> dict[str, Any]:
    """``object.values.notification``: which attribute of which object changed, and its
    condition, but not the value (the reference's example; clients reread it)."""
    return {
        "item": {"id": item["id"], "itemReference": item["itemReference"]},
        "condition": condition,
        "attribute": f"attributeEnumSet.{attribute}",
    }


@dataclass
class ObjectSubscription:
    id: str
    stream_id: str
    targets: frozenset[tuple[str, str]]
    """The (object id, attribute) pairs it streams (several for a batch subscription)."""


@dataclass
class ActivitySubscription:
    id: str
    stream_id: str
    query: ActivityQuery
    base: str
    user: User


@dataclass
class StreamRecord:
    owner: str
    tenant_id: str
    objects: dict[str, ObjectSubscription] = field(default_factory=dict)
    activities: dict[str, ActivitySubscription] = field(default_factory=dict)


class Streams:
    """The Metasys API's streams and subscriptions (every tenant's, keyed by stream id)."""

    def __init__(self, clock: Clock | TenantClocks, store: StreamStore | None = None) -> None:
        """``clock``: each tenant's clock by its id (``Sandbox.clock_for``): a stream's expiry
        (its token's) and heartbeats follow its tenant's clock, so freezing one tenant's clock
        freezes only that tenant's streams; a dropped stream is released after
        ``RELEASE_SECONDS`` real seconds whatever any clock does. ``store``: where streams are
        kept so that another replica can resume them (None: in memory only)."""
        self.hub = SseHub(
            clock,
            retain_seconds=RETAIN_SECONDS,
            max_events=MAX_EVENTS,
            release_after=RELEASE_SECONDS,
            store=store,
        )
        self.heartbeat_seconds = HEARTBEAT_SECONDS
        self.object_heartbeat_seconds = HEARTBEAT_SECONDS
        self.activity_heartbeat_seconds = ACTIVITY_HEARTBEAT_SECONDS
        self._lock = threading.RLock()
        self._records: dict[str, StreamRecord] = {}
        self._by_target: dict[tuple[str, str, str], dict[str, ObjectSubscription]] = {}
        """(tenant id, object id, attribute) -> the subscriptions on it, so a change reaches
        only its own tenant's subscribers of what changed."""
        self._by_tenant: dict[str, dict[str, ActivitySubscription]] = {}
        """Tenant id -> its activity subscriptions, so an activity is matched against its own
        tenant's subscriptions only."""
        self.reached = 0
        """Subscriptions looked at by changes and activities so far (what a publish touches;
        tests read it to see that one is not a walk of every stream)."""
        self._watched: weakref.WeakSet[MetasysState] = weakref.WeakSet()
        self.restorers: list[Callable[[MetasysState, str, Mapping[str, str]], None]] = []
        """Called with (state, stream id, the stream's notes) when a stream is re-created from
        the store, for other subscriptions on streams (diagrams) to re-create theirs."""
        self.closers: list[Callable[[str], None]] = []
        """Called with the stream id when a stream ends, for other subscriptions on streams
        (diagrams) to forget theirs."""

    # --- streams ----------------------------------------------------------------------------

    def open(self, owner: str, tenant_id: str, expires_at: float | None) -> str:
        stream_id = str(uuid.uuid4())
        with self._lock:
            self._records[stream_id] = StreamRecord(owner, tenant_id)
        self.hub.open(
            owner,
            stream_id=stream_id,
            expires_at=expires_at,
            hello=("hello", stream_id),
            heartbeats=[Heartbeat("heartbeat", self.heartbeat_seconds, iso_now)],
            on_close=self._closed,
            tenant=tenant_id,
        )
        self.hub.annotate(stream_id, notes.TENANT, tenant_id)
        return stream_id

    def resume(self, state: MetasysState, last_event_id: str, owner: str) -> EventStreamResponse:
        """``GET /stream`` with ``Last-Event-Id``: the stream holding that event, re-created
        from the store first when another replica held it. ``ResumeRefused`` (204) when it
        cannot be resumed without a gap."""
        stream_id = self.hub.stream_holding(last_event_id)
        if stream_id is None:
            # Ids are ``<stream id>:<n>``: the stream may be in the store, not here.
            self.restore(state, last_event_id.rpartition(":")[0], owner)
        return self.hub.resume(last_event_id, owner=owner)

    def restore(self, state: MetasysState, stream_id: str, owner: str) -> StreamRecord | None:
        """Re-create, with its subscriptions, ``owner``'s stream that another replica held
        (kept in the store); None when there is none to re-create (or it is open here)."""
        if not stream_id or self.hub.store is None:
            return None
        stored = self.hub.restore(
            stream_id,
            owner=owner,
            heartbeats=[Heartbeat("heartbeat", self.heartbeat_seconds, iso_now)],
            on_close=self._closed,
            # Owners are "<tenant>/<user>" (handlers.streams.owner_of): the stream's tenant,
            # whose clock its expiry and heartbeats follow.
            tenant=owner.partition("/")[0],
        )
        if stored is None:
            return None
        kept = dict(stored.notes)
        record = StreamRecord(stored.owner, kept.get(notes.TENANT, ""))
        for key, note in kept.items():
            if key.startswith(notes.OBJECT):
                sub_id = key.removeprefix(notes.OBJECT)
                targets = notes.object_targets(note)
                record.objects[sub_id] = ObjectSubscription(sub_id, stream_id, targets)
            elif key.startswith(notes.ACTIVITY):
                sub_id = key.removeprefix(notes.ACTIVITY)
                activity = notes.activity_from(note)
                user = state.user(activity.username)
                if user is not None:
                    record.activities[sub_id] = ActivitySubscription(
                        sub_id, stream_id, activity.query, activity.base, user
                    )
        self._watch(state, record.tenant_id)
        with self._lock:
            self._records[stream_id] = record
            for sub in record.objects.values():
                self._index(record.tenant_id, sub)
            for activity_sub in record.activities.values():
                self._by_tenant.setdefault(record.tenant_id, {})[activity_sub.id] = activity_sub
        if self.hub.info(stream_id) is None:
            # It ended meanwhile (its ``_closed`` found no record yet): forget it again.
            self._closed(stream_id, "closed")
            return None
        if record.objects:
            self.hub.set_heartbeat(
                stream_id,
                Heartbeat("object.values.heartbeat", self.object_heartbeat_seconds, iso_now),
            )
        if record.activities:
            self._beat_activities(stream_id, record)
        for restorer in self.restorers:
            restorer(state, stream_id, kept)
        return record

    def adopt(self, state: MetasysState, tenant_id: str) -> int:
        """Re-create every stream of the tenant that the store keeps (this replica takes the
        tenant over; ``state`` is its state here), so its changes reach them even before their
        clients resume; returns how many were re-created."""
        adopted = 0
        for stream_id, owner in self.hub.kept(tenant_id):
            if owner.partition("/")[0] != tenant_id:
                continue
            if self.restore(state, stream_id, owner) is not None:
                adopted += 1
        return adopted

    def _closed(self, stream_id: str, reason: StreamEnd) -> None:
        with self._lock:
            record = self._records.pop(stream_id, None)
            if record is not None:
                for sub in record.objects.values():
                    self._unindex(record.tenant_id, sub)
                for activity_sub in record.activities.values():
                    self._unindex_activity(record.tenant_id, activity_sub.id)
        for closer in self.closers:
            closer(stream_id)

    def _index(self, tenant_id: str, sub: ObjectSubscription) -> None:
        for object_id, attribute in sub.targets:
            self._by_target.setdefault((tenant_id, object_id, attribute), {})[sub.id] = sub

    def _unindex(self, tenant_id: str, sub: ObjectSubscription) -> None:
        for object_id, attribute in sub.targets:
            key = (tenant_id, object_id, attribute)
            subs = self._by_target.get(key)
            if subs is not None:
                subs.pop(sub.id, None)
                if not subs:
                    del self._by_target[key]

    def _unindex_activity(self, tenant_id: str, subscription_id: str) -> None:
        subs = self._by_tenant.get(tenant_id)
        if subs is not None:
            subs.pop(subscription_id, None)
            if not subs:
                del self._by_tenant[tenant_id]

    def owned(
        self, stream_id: str, owner: str, state: MetasysState | None = None
    ) -> StreamRecord | None:
        """The open stream of that owner (another user's counts as unknown); with ``state``
        (the owner's tenant's), re-created from the store if another replica held it."""
        if self.hub.info(stream_id) is None and (
            state is None or self.restore(state, stream_id, owner) is None
        ):
            return None
        with self._lock:
            record = self._records.get(stream_id)
            return record if record is not None and record.owner == owner else None

    # --- object subscriptions -----------------------------------------------------------------

    def subscribe_object(
        self,
        state: MetasysState,
        stream_id: str,
        owner: str,
        reads: list[tuple[str, str, dict[str, Any]]],
    ) -> str:
        """Subscribe a stream to attributes (object id, attribute, the current value's payload)
        and send each current value. An unknown stream gets a subscription id and nothing
        else, as the reference says (no error for an invalid ``METASYS-SUBSCRIBE``)."""
        subscription_id = str(uuid.uuid4())
        record = self.owned(stream_id, owner, state)
        if record is None:
            return subscription_id
        self._watch(state, record.tenant_id)
        targets = frozenset((o, a) for o, a, _ in reads)
        sub = ObjectSubscription(subscription_id, stream_id, targets)
        with self._lock:
            # Counted, noted beside the stream and kept in one step: two subscribing at once
            # cannot both take the last place.
            subscription_room(len(record.objects), "object value")
            note = notes.object_note(targets)
            self.hub.annotate(stream_id, notes.OBJECT + subscription_id, note)
            first = not record.objects
            record.objects[subscription_id] = sub
            # A stream that ended since ``owned`` keeps no index entry (nothing would drop it).
            if self._records.get(stream_id) is record:
                self._index(record.tenant_id, sub)
        if first:
            self.hub.set_heartbeat(
                stream_id,
                Heartbeat("object.values.heartbeat", self.object_heartbeat_seconds, iso_now),
            )
        array_form = state.stream_options.array_updates
        together: list[dict[str, Any]] = []
        for _, attribute, current in reads:
            if not is_scalar(current["item"].get(attribute)):
                payload = notification(current["item"], attribute, current["condition"])
                self.hub.publish(stream_id, "object.values.notification", payload)
            elif array_form:
                together.append({**current, "subscriptionId": subscription_id})
            else:
                self.hub.publish(stream_id, "object.values.update", current)
        if together:
            # A client reading the array form reads every update that way, the first too; the
            # subscription's current values travel together, as one array.
            self.hub.publish(stream_id, "object.values.update", together)
        return subscription_id

    def unsubscribe_object(self, stream_id: str, owner: str, subscription_id: str) -> bool:
        record = self.owned(stream_id, owner)
        if record is None:
            return False
        with self._lock:
            sub = record.objects.pop(subscription_id, None)
            if sub is None:
                return False
            self._unindex(record.tenant_id, sub)
            last = not record.objects
        self.hub.annotate(stream_id, notes.OBJECT + subscription_id, None)
        if last:
            self.hub.clear_heartbeat(stream_id, "object.values.heartbeat")
        return True

    def _watch(self, state: MetasysState, tenant_id: str) -> None:
        """Listen to ``state`` (the site of tenant ``tenant_id``): its changes and activities
        reach that tenant's subscriptions only."""
        with self._lock:
            if state in self._watched:
                return
            self._watched.add(state)

        def on_change(change: ValueChange) -> None:
            self._changed(state, tenant_id, change)

        def on_alarm(action: AlarmAction, alarm: Alarm) -> None:
            self._activity(state, tenant_id, f"activity.alarm.{action}", alarm, action != "new")

        def on_audit(entry: AuditEntry) -> None:
            self._activity(state, tenant_id, "activity.audit.new", entry, False)

        def on_audit_change(action: AuditAction, entry: AuditEntry) -> None:
            self._activity(state, tenant_id, f"activity.audit.{action}", entry, action != "new")

        state.event_listeners.append(on_change)
        state.alarms.listeners.append(on_alarm)
        state.audit_listeners.append(on_audit)
        state.audit_book.listeners.append(on_audit_change)

    def _changed(self, state: MetasysState, tenant_id: str, change: ValueChange) -> None:
        key = (tenant_id, change.object_id, change.attribute)
        with self._lock:
            targets = list(self._by_target.get(key, {}).values())
            self.reached += len(targets)
        if not targets:
            return
        obj = state.tree.get(change.object_id)
        if obj is None:
            return
        payload = {
            "item": {
                change.attribute: change.value,
                "id": obj.id,
                "itemReference": obj.item_reference,
            },
            "condition": change.condition,
        }
        # One payload object for every stream that gets the same data, so the hub encodes it
        # once (``SseHub.publish_many``); only the array form names each subscription.
        events: list[tuple[str, str, Any]] = []
        if not is_scalar(change.value):
            notice = notification(payload["item"], change.attribute, change.condition)
            events = [(sub.stream_id, "object.values.notification", notice) for sub in targets]
        elif state.stream_options.array_updates:
            events = [
                (sub.stream_id, "object.values.update", [{**payload, "subscriptionId": sub.id}])
                for sub in targets
            ]
        else:
            events = [(sub.stream_id, "object.values.update", payload) for sub in targets]
        # One change, every subscribed stream: with a shared store, one round trip for all.
        if events:
            self.hub.publish_many(events)

    def device_offline(self, state: MetasysState, tenant_id: str, device_id: str) -> int:
        """Send ``object.values.error`` to the tenant's subscriptions on objects the device
        hosts, where the tenant asked for them (``state.stream_options``); returns how many
        were sent."""
        if not state.stream_options.offline_errors:
            return 0
        with self._lock:
            subs = [
                sub
                for record in self._records.values()
                if record.tenant_id == tenant_id
                for sub in record.objects.values()
            ]
        sent = 0
        for sub in subs:
            for object_id, attribute in sorted(sub.targets):
                obj = state.tree.get(object_id)
                if obj is None or all(d.id != device_id for d in state.tree.hosting_devices(obj)):
                    continue
                payload = {
                    "item": {"id": obj.id, "itemReference": obj.item_reference},
                    "condition": {attribute: {"error": "statusEnumSet.deviceOffline"}},
                    "subscriptionId": sub.id,
                }
                self.hub.publish(sub.stream_id, "object.values.error", payload)
                sent += 1
        return sent

    # --- activity subscriptions -------------------------------------------------------------

    def subscribe_activities(
        self,
        state: MetasysState,
        stream_id: str,
        owner: str,
        query: ActivityQuery,
        base: str,
        user: User,
    ) -> str:
        """Subscribe a stream to the activities the query selects (an unknown stream: a
        subscription id and nothing else)."""
        subscription_id = str(uuid.uuid4())
        record = self.owned(stream_id, owner, state)
        if record is None:
            return subscription_id
        self._watch(state, record.tenant_id)
        sub = ActivitySubscription(subscription_id, stream_id, query, base, user)
        with self._lock:
            # Counted, noted beside the stream and kept in one step (as object subscriptions).
            subscription_room(len(record.activities), "activity")
            note = notes.activity_note(query, base, user.username)
            self.hub.annotate(stream_id, notes.ACTIVITY + subscription_id, note)
            first = not record.activities
            record.activities[subscription_id] = sub
            # A stream that ended since ``owned`` keeps no index entry (nothing would drop it).
            if self._records.get(stream_id) is record:
                self._by_tenant.setdefault(record.tenant_id, {})[subscription_id] = sub
        if first:
            self._beat_activities(stream_id, record)
        return subscription_id

    def _beat_activities(self, stream_id: str, record: StreamRecord) -> None:
        def beat(now: datetime) -> dict[str, Any]:
            return {"currentTime": iso_now(now), "subscriptionIds": sorted(record.activities)}

        self.hub.set_heartbeat(
            stream_id, Heartbeat("activity.heartbeat", self.activity_heartbeat_seconds, beat)
        )

    def unsubscribe_activities(self, stream_id: str, owner: str, subscription_id: str) -> bool:
        record = self.owned(stream_id, owner)
        if record is None:
            return False
        with self._lock:
            if record.activities.pop(subscription_id, None) is None:
                return False
            self._unindex_activity(record.tenant_id, subscription_id)
            last = not record.activities
        self.hub.annotate(stream_id, notes.ACTIVITY + subscription_id, None)
        if last:
            self.hub.clear_heartbeat(stream_id, "activity.heartbeat")
        return True

    def _activity(
        self,
        state: MetasysState,
        tenant_id: str,
        event: str,
        activity: Alarm | AuditEntry,
        change: bool,
    ) -> None:
        with self._lock:
            subscriptions = list(self._by_tenant.get(tenant_id, {}).values())
            self.reached += len(subscriptions)
        if not subscriptions:
            return
        by_stream: dict[str, list[ActivitySubscription]] = {}
        for sub in subscriptions:
            if isinstance(activity, Alarm):
                accepted = sub.query.accepts_alarm(state, activity, change=change)
            else:
                accepted = sub.query.accepts_audit(state, activity, change=change)
            if accepted:
                by_stream.setdefault(sub.stream_id, []).append(sub)
        # Rendered once per base URL and permissions once per user, however many streams.
        rendered: dict[str, Any] = {}
        permitted: dict[str, Any] = {}
        events: list[tuple[str, str, Any]] = []
        for stream_id, subs in by_stream.items():
            first = subs[0]
            if first.base not in rendered:
                rendered[first.base] = render(state, activity, first.base)
            if first.user.username not in permitted:
                permitted[first.user.username] = effective_permission(state, activity, first.user)
            payload = {
                "subscriptionIds": [s.id for s in subs],
                "activity": rendered[first.base],
                "effectivePermission": permitted[first.user.username],
            }
            events.append((stream_id, event, payload))
        if events:
            self.hub.publish_many(events)

    # --- token refresh --------------------------------------------------------------------------

    def extend(self, owner: str, expires_at: float | None) -> list[str]:
        return self.hub.extend_owner(owner, expires_at)

    # --- replicas ---------------------------------------------------------------------------

    def evict_tenant(self, tenant_id: str) -> int:
        """The tenant moved to another replica: end its streams here without forgetting them
        in the store (the new owner re-creates them when their clients come back)."""
        with self._lock:
            mine = [sid for sid, r in self._records.items() if r.tenant_id == tenant_id]
        return self.hub.evict(mine)


__all__ = [
    "ActivitySubscription",
    "ObjectSubscription",
    "StreamOptions",
    "StreamRecord",
    "Streams",
]
