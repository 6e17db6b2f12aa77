"""A BuildingMinds tenant's state: onboarded entities, batches and their inbound messages.

Ingestion is asynchronous. A submitted record becomes an inbound message that moves on the
sandbox clock: New, then InProgress once picked up, then Completed (Published for sites and
buildings). An address is geocoded first (GeoCodingSuccessful or FailedGeoCoding). A record whose
parent has not been onboarded stays New with its missing dependencies and is picked up by itself
once the last of them is. Time only moves when someone looks: every read first replays what the
clock says has happened since, in due order, so the answers are the same however often one polls.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from standin._core.clock import Clock
from standin._core.store import MemoryStore, Store, in_rows
from standin.buildingminds.batch_order import NewestFirst, created_day
from standin.buildingminds.entities import (
    ENTITIES,
    EntitySpec,
    EventKind,
    deep_problem,
    event_kind,
    geocodable,
    parent_ids,
    problems,
)

STATUSES = (
    "New",
    "InProgress",
    "Failed",
    "FailedValidation",
    "Retrying",
    "Completed",
    "FailedGeoCoding",
    "GeoCodingSuccessful",
    "TransformationFailed",
    "Resubmitting",
    "Published",
)
TERMINAL = frozenset(
    {
        "Completed",
        "Published",
        "Failed",
        "FailedValidation",
        "FailedGeoCoding",
        "TransformationFailed",
    }
)
FAILED = frozenset({"Failed", "FailedValidation", "FailedGeoCoding", "TransformationFailed"})
MAX_BATCHES = 10_000
MAX_MESSAGES = 50_000
"""**Sandbox choice:** a tenant keeps its newest 10,000 batches and at most 50,000 inbound
messages (records submitted); a submission that goes past either bound forgets the oldest
batches, with their messages, until both hold again (never the batch just made). The onboarded
entities are the tenant's data and stay. The guide gives no retention for ``GET /batch``."""
MAX_ENTITIES = 20_000
"""**Sandbox choice:** a tenant holds at most 20,000 entities, counting those onboarded and
those whose records are queued to be added. A valid record that would add one more is refused
at submission, in ``failedMessages`` with the quota as its reason (the other records of the
request are queued as usual), so no record that was accepted is ever dropped. Records that
update or delete an entity the tenant holds, or one already queued, are never refused for
it. The guide gives no quota."""
INJECTABLE_FAILURES = ("Failed", "TransformationFailed")
"""What the control plane can make a record end in (nothing a caller sends leads there)."""

EntityKey = tuple[str, str]
"""(entity path, the caller's external id)."""
_INDEXES = frozenset({"_due", "_waiting", "_reserved", "_order", "_newest"})
"""What :meth:`BuildingMindsState._index` makes from the records (kept in no snapshot)."""


@dataclass
class Timing:
    """How long each step of processing takes on the sandbox clock (the control plane sets it).

    **Sandbox choice:** the service publishes no figures; these keep a small batch under a
    minute, so a polling client sees every status.
    """

    pickup_seconds: float = 5.0
    processing_seconds: float = 20.0
    geocoding_seconds: float = 10.0

    def as_dict(self) -> dict[str, float]:
        return {
            "pickup_seconds": self.pickup_seconds,
            "processing_seconds": self.processing_seconds,
            "geocoding_seconds": self.geocoding_seconds,
        }

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Apply every setting or none; unknown names and bad values raise ValueError."""
        known = self.as_dict()
        for name, value in settings.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number of seconds, 0 or more")
        for name, value in settings.items():
            setattr(self, name, float(value))


@dataclass
class InboundMessage:
    id: str
    batch_id: str
    seq: int
    entity: str
    """The entity path (``rentalUnit``)."""
    entity_id: str
    record: dict[str, Any]
    kind: EventKind
    event_type: str
    status: str
    created_at: float
    updated_at: float
    missing: tuple[EntityKey, ...] = ()
    message: str | None = None
    due: float | None = None
    problem: str | None = None
    """Found on submission, reported when processed (FailedValidation)."""
    reserves: bool = False
    """Whether it counts towards :data:`MAX_ENTITIES` until it is final or forgotten (a valid
    record that would add an entity the tenant does not hold)."""

    @property
    def spec(self) -> EntitySpec:
        return ENTITIES[self.entity]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def held(self) -> bool:
        return self.status == "New" and bool(self.missing)


@dataclass
class Batch:
    id: str
    entity: str
    created_at: float
    message_ids: list[str] = field(default_factory=list)
    expedited: bool = False


@dataclass(frozen=True)
class Submission:
    batch_id: str | None
    """``None`` when no record of the request was valid (nothing was queued)."""
    failures: list[tuple[Any, str]]
    """Each refused record, as sent, with why."""


@dataclass(frozen=True)
class BatchQuery:
    batch_id: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    created_at: date | None = None
    skip: int = 0
    limit: int = 100


@dataclass(frozen=True)
class InboundQuery:
    missing_dependencies: bool | None = None
    status: str | None = None
    skip: int = 0
    limit: int = 100


@dataclass(frozen=True)
class BatchSummary:
    batch: Batch
    status: str
    updated_at: float
    counts: dict[str, int]


class BuildingMindsState:
    def __init__(self, clock: Clock, timing: Timing, seed: int, store: Store | None = None) -> None:
        store = store or MemoryStore()
        self._clock = clock
        self._timing = timing
        self._random = random.Random(seed)
        # Kept one row per record (a full tenant holds 80,000): every change of a batch or a
        # message in place is followed by ``touch`` (the durable store writes it again).
        self.entities = store.collection("entities", tuple, dict, rows=True)
        self.batches = store.collection("batches", str, Batch, rows=True)
        self.messages = store.collection("messages", str, InboundMessage, rows=True)
        self._due: list[tuple[float, int, str]] = []
        self._waiting: dict[EntityKey, set[str]] = {}
        self._seq = 0
        self._order: deque[str] = deque()
        """Batch ids, oldest first (which go first when a bound is passed). ``batches`` keeps
        the same order, but a collection hands out its keys only as a copy, and a dict's oldest
        key (``next(iter(d))``) is found by stepping over every key deleted before it: about 2
        µs a batch at the bound, and quadratic when one submission forgets thousands. This
        gives the oldest at once."""
        self._newest = NewestFirst()
        """Batch ids as ``GET /batch`` lists them: a page costs what it returns."""
        self._reserved: dict[EntityKey, int] = {}
        """Entities not onboarded yet that queued records would add, with how many records
        (counted towards :data:`MAX_ENTITIES`)."""

    def __getstate__(self) -> dict[str, Any]:
        """Without the indexes :meth:`_index` makes from the records again: a snapshot costs
        the same whatever the tenant holds."""
        return {k: v for k, v in self.__dict__.items() if k not in _INDEXES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state.items() if k not in _INDEXES})
        # A snapshot kept before these were kept in rows holds plain collections.
        self.entities = in_rows(self.entities)
        self.batches = in_rows(self.batches)
        self.messages = in_rows(self.messages)
        self._index()

    def _index(self) -> None:
        """The indexes of the records (also for a snapshot kept when they were in it): what
        falls due when, which held records wait for which entity, the entities queued records
        would add, the batches oldest first. A held record is found waiting for the entities
        it was last found missing."""
        self._due = [(m.due, m.seq, m.id) for m in self.messages.values() if m.due is not None]
        heapq.heapify(self._due)
        self._waiting = {}
        self._reserved = {}
        for message in self.messages.values():
            if message.held:
                for key in message.missing:
                    self._waiting.setdefault(key, set()).add(message.id)
            if message.reserves:
                key = (message.entity, message.entity_id)
                self._reserved[key] = self._reserved.get(key, 0) + 1
        self._order = deque(self.batches.keys())
        self._newest = NewestFirst()
        for batch in self.batches.values():
            self._newest.add(batch.id, batch.created_at)

    @classmethod
    def from_fixture(
        cls, fixture: Mapping[str, Any], clock: Clock, timing: Timing, seed: int
    ) -> BuildingMindsState:
        """The portfolio already onboarded: one finished batch per entity type."""
        state = cls(clock, timing, seed)
        onboarded = _timestamp(fixture["onboarded_at"])
        for offset, (path, records) in enumerate(fixture["portfolio"].items()):
            spec = ENTITIES[path]
            created = onboarded + 600 * offset
            batch = Batch(state._fixture_id(), path, created)
            state.batches.put(batch.id, batch)
            state._order.append(batch.id)
            state._newest.add(batch.id, batch.created_at)
            for record in records:
                assert not problems(spec, record), (path, record)
                message = state._message(batch, spec, record, created, state._fixture_id())
                message.status = spec.terminal
                message.updated_at = created + 25
                state.entities.put((path, message.entity_id), dict(record))
        return state

    # --- submission --------------------------------------------------------------------------

    def submit(self, entity: str, records: Sequence[Any]) -> Submission:
        """Validate every record; queue the valid ones under one batch, refuse the others."""
        self.advance()
        spec = ENTITIES[entity]
        failures: list[tuple[Any, str]] = []
        valid: list[dict[str, Any]] = []
        room = MAX_ENTITIES - len(self.entities) - len(self._reserved)
        claimed: set[EntityKey] = set()
        for record in records:
            found = problems(spec, record)
            if found:
                failures.append((record, "; ".join(found)))
                continue
            wanted = (entity, str(record[spec.id_field]))
            if (
                event_kind(spec, record) != "Deleted"
                and not self._holds(wanted)
                and wanted not in claimed
            ):
                if room <= 0:
                    failures.append((record, quota_reason()))
                    continue
                room -= 1
                claimed.add(wanted)
            valid.append(record)
        if not valid:
            return Submission(None, failures)
        now = self._clock.time()
        batch = Batch(self._new_id(), entity, now)
        self.batches.put(batch.id, batch)
        self._order.append(batch.id)
        self._newest.add(batch.id, batch.created_at)
        counts: dict[str, int] = {}
        for record in valid:
            key = str(record[spec.id_field])
            counts[key] = counts.get(key, 0) + 1
        for record in valid:
            message = self._message(batch, spec, record, now, self._new_id())
            if counts[message.entity_id] > 1:
                message.problem = (
                    f"Duplicate {spec.id_field} '{message.entity_id}' in the same request"
                )
            else:
                message.problem = deep_problem(spec, record)
            self._reserve(message)
            self._schedule(message, now + self._delay(batch, self._timing.pickup_seconds))
        self._bound()
        return Submission(batch.id, failures)

    def _holds(self, key: EntityKey) -> bool:
        return key in self.entities or key in self._reserved

    def _reserve(self, message: InboundMessage) -> None:
        key = (message.entity, message.entity_id)
        if message.problem is None and message.kind != "Deleted" and key not in self.entities:
            message.reserves = True
            self.messages.touch(message.id)
            self._reserved[key] = self._reserved.get(key, 0) + 1

    def _unreserve(self, message: InboundMessage) -> None:
        if not message.reserves:
            return
        message.reserves = False
        self.messages.touch(message.id)
        key = (message.entity, message.entity_id)
        left = self._reserved.get(key, 0) - 1
        if left > 0:
            self._reserved[key] = left
        else:
            self._reserved.pop(key, None)

    def _bound(self) -> None:
        """Forget the oldest batches while the tenant holds more than its bounds."""
        while len(self._order) > 1 and (
            len(self._order) > MAX_BATCHES or len(self.messages) > MAX_MESSAGES
        ):
            batch = self.batches.get(self._order.popleft())
            if batch is None:
                continue
            for message_id in batch.message_ids:
                message = self.messages.get(message_id)
                if message is None:
                    continue
                # Its heap entry is skipped when it falls due (the message is gone).
                for key in message.missing:
                    waiting = self._waiting.get(key)
                    if waiting is not None:
                        waiting.discard(message_id)
                        if not waiting:
                            del self._waiting[key]
                self._unreserve(message)
                self.messages.delete(message_id)
            self.batches.delete(batch.id)
            self._newest.remove(batch.id)
        if len(self._due) > 2 * len(self.messages) + 64:
            # Entries of forgotten messages would wait for their time (forever on a frozen
            # clock): rebuilt from the live ones once they outnumber them.
            self._due = [
                entry
                for entry in self._due
                if (m := self.messages.get(entry[2])) is not None and m.due == entry[0]
            ]
            heapq.heapify(self._due)

    def _message(
        self, batch: Batch, spec: EntitySpec, record: dict[str, Any], now: float, message_id: str
    ) -> InboundMessage:
        self._seq += 1
        kind = event_kind(spec, record)
        message = InboundMessage(
            id=message_id,
            batch_id=batch.id,
            seq=self._seq,
            entity=spec.path,
            entity_id=str(record[spec.id_field]),
            record=record,
            kind=kind,
            event_type=spec.event_type(kind),
            status="New",
            created_at=now,
            updated_at=now,
        )
        self.messages.put(message.id, message)
        batch.message_ids.append(message.id)
        self.batches.touch(batch.id)
        return message

    # --- the clock ---------------------------------------------------------------------------

    def advance(self, budget: int | None = None) -> bool:
        """Replay the steps that have fallen due by now, oldest first: every one, or at most
        ``budget`` of them. Whether some are still due (only ever with a budget). Replaying in
        slices ends where replaying at once would: each step happens at its own due time."""
        now = self._clock.time()
        done = 0
        while self._due and self._due[0][0] <= now:
            if budget is not None and done >= budget:
                return True
            done += 1
            due, _, message_id = heapq.heappop(self._due)
            message = self.messages.get(message_id)
            if message is None or message.due != due:
                continue
            message.due = None
            self.messages.touch(message.id)
            self._step(message, due)
        return False

    def complete_batch(self, batch_id: str) -> Batch | None:
        """Finish a batch now: its messages skip the remaining delays. Held ones stay held."""
        batch = self.expedite(batch_id)
        self.advance()
        return batch

    def expedite(self, batch_id: str) -> Batch | None:
        """Make a batch skip its remaining delays: its waiting messages fall due now, to be
        replayed by the next :meth:`advance` (at once, or a slice at a time). Held ones stay
        held. ``None`` if there is no such batch."""
        self.advance()
        batch = self.batches.get(batch_id)
        if batch is None:
            return None
        batch.expedited = True
        self.batches.touch(batch.id)
        now = self._clock.time()
        for message in self._batch_messages(batch):
            if message.due is not None:
                self._schedule(message, now)
        return batch

    def fail_message(self, message_id: str, status: str, reason: str) -> InboundMessage | None:
        """Make a record fail as the service can while processing (``Failed``,
        ``TransformationFailed``); ``None`` if there is no such message, ValueError if it is
        already final."""
        check_injectable(status)
        self.advance()
        message = self.messages.get(message_id)
        if message is None:
            return None
        if message.terminal:
            raise ValueError(f"message {message_id} is already {message.status}")
        message.due = None
        message.missing = ()
        message.message = reason
        self.messages.touch(message.id)
        self._move(message, status, self._clock.time())
        return message

    def _delay(self, batch: Batch, seconds: float) -> float:
        return 0.0 if batch.expedited else seconds

    def _schedule(self, message: InboundMessage, at: float) -> None:
        message.due = at
        self.messages.touch(message.id)
        heapq.heappush(self._due, (at, message.seq, message.id))

    def _step(self, message: InboundMessage, now: float) -> None:
        batch = self.batches.get(message.batch_id)
        assert batch is not None
        if message.status == "New":
            self._pick_up(message, batch, now)
        elif message.status == "InProgress":
            self._process(message, batch, now)
        elif message.status == "GeoCodingSuccessful":
            self._onboard(message, now)

    def _pick_up(self, message: InboundMessage, batch: Batch, now: float) -> None:
        if message.problem is None and message.kind != "Deleted":
            missing = self._missing(message)
            if missing:
                self._hold(message, missing, now)
                return
        message.missing = ()
        self._move(message, "InProgress", now)
        self._schedule(message, now + self._delay(batch, self._timing.processing_seconds))

    def _process(self, message: InboundMessage, batch: Batch, now: float) -> None:
        spec = message.spec
        if message.problem is not None:
            self._fail(message, message.problem, now)
            return
        key = (message.entity, message.entity_id)
        if message.kind == "Deleted":
            if key not in self.entities:
                self._fail(message, f"{spec.name} '{message.entity_id}' does not exist", now)
                return
            children = self._children(key)
            if children:
                named = ", ".join(f"{ENTITIES[e].name} '{i}'" for e, i in children[:5])
                self._fail(message, f"{spec.name} '{message.entity_id}' has children: {named}", now)
                return
            self.entities.delete(key)
            self._move(message, spec.terminal, now)
            return
        missing = self._missing(message)
        if missing:
            # A parent was deleted while this record was being processed.
            self._hold(message, missing, now)
            return
        if spec.geocoded:
            if not geocodable(message.record):
                message.message = "The address could not be geocoded"
                self._move(message, "FailedGeoCoding", now)
                return
            self._move(message, "GeoCodingSuccessful", now)
            self._schedule(message, now + self._delay(batch, self._timing.geocoding_seconds))
            return
        self._onboard(message, now)

    def _onboard(self, message: InboundMessage, now: float) -> None:
        spec = message.spec
        key = (message.entity, message.entity_id)
        if key in self.entities:
            message.event_type = spec.event_type("Updated")
        else:
            message.event_type = spec.event_type("Added")
        self.messages.touch(message.id)
        self.entities.put(key, dict(message.record))
        self._move(message, spec.terminal, now)
        self._release(key, now)

    def _fail(self, message: InboundMessage, reason: str, now: float) -> None:
        message.message = reason
        self.messages.touch(message.id)
        self._move(message, "FailedValidation", now)

    def _move(self, message: InboundMessage, status: str, now: float) -> None:
        message.status = status
        message.updated_at = now
        self.messages.touch(message.id)
        if status in TERMINAL:
            self._unreserve(message)

    def _missing(self, message: InboundMessage) -> tuple[EntityKey, ...]:
        return tuple(
            key for key in parent_ids(message.spec, message.record) if key not in self.entities
        )

    def _hold(self, message: InboundMessage, missing: tuple[EntityKey, ...], now: float) -> None:
        if message.missing != missing or message.status != "New":
            message.updated_at = now
        message.status = "New"
        message.missing = missing
        self.messages.touch(message.id)
        for key in missing:
            self._waiting.setdefault(key, set()).add(message.id)

    def _release(self, key: EntityKey, now: float) -> None:
        """A parent is onboarded: the records waiting for it are picked up, if nothing else is
        missing."""
        for message_id in sorted(self._waiting.pop(key, set())):
            message = self.messages.get(message_id)
            if message is None or not message.held:
                continue
            missing = self._missing(message)
            if missing:
                self._hold(message, missing, now)
                continue
            message.missing = ()
            message.updated_at = now
            self.messages.touch(message.id)
            batch = self.batches.get(message.batch_id)
            assert batch is not None
            self._schedule(message, now + self._delay(batch, self._timing.pickup_seconds))

    def _children(self, key: EntityKey) -> list[EntityKey]:
        found: list[EntityKey] = []
        for child_key in self.entities:
            record = self.entities.get(child_key)
            assert record is not None
            if key in parent_ids(ENTITIES[child_key[0]], record):
                found.append(child_key)
        return found

    # --- reading -----------------------------------------------------------------------------

    def list_batches(self, query: BatchQuery) -> tuple[int, list[BatchSummary]]:
        """The batches the query picks, newest first, and one page of them summed up: the
        cost is the page's, however many batches the tenant keeps."""
        total, page = self.batch_page(query)
        return total, [self.summary(b) for b in page]

    def batch_page(self, query: BatchQuery) -> tuple[int, list[Batch]]:
        """How many batches the query picks, and its page of them, newest first (not summed
        up: :meth:`summary` costs each batch's records)."""
        self.advance()
        if query.batch_id is not None:
            found = self.batches.get(query.batch_id)
            chosen = [] if found is None or not _batch_matches(found, query) else [found]
            return len(chosen), chosen[query.skip : query.skip + query.limit]
        first, last = query.created_from, query.created_to
        if query.created_at is not None:
            first = query.created_at if first is None else max(first, query.created_at)
            last = query.created_at if last is None else min(last, query.created_at)
        total, ids = self._newest.window(first, last, query.skip, query.limit)
        return total, [b for batch_id in ids if (b := self.batches.get(batch_id)) is not None]

    def batch(self, batch_id: str) -> Batch | None:
        self.advance()
        return self.batches.get(batch_id)

    def inbound(self, batch: Batch, query: InboundQuery) -> tuple[int, list[InboundMessage]]:
        self.advance()
        chosen = [
            m
            for m in self._batch_messages(batch)
            if (query.status is None or m.status == query.status)
            and (query.missing_dependencies is None or m.held == query.missing_dependencies)
        ]
        return len(chosen), chosen[query.skip : query.skip + query.limit]

    def summary(self, batch: Batch) -> BatchSummary:
        messages = list(self._batch_messages(batch))
        counts: dict[str, int] = {}
        for message in messages:
            counts[message.status] = counts.get(message.status, 0) + 1
        if all(m.terminal for m in messages):
            status = "Completed"
        elif all(m.status == "New" for m in messages):
            status = "New"
        else:
            status = "InProgress"
        updated = max((m.updated_at for m in messages), default=batch.created_at)
        return BatchSummary(batch, status, updated, counts)

    def entity(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        self.advance()
        return self.entities.get((entity, entity_id))

    def _batch_messages(self, batch: Batch) -> Iterable[InboundMessage]:
        for message_id in batch.message_ids:
            message = self.messages.get(message_id)
            assert message is not None
            yield message

    def _fixture_id(self) -> str:
        """The seed shapes the fixtures, their ids included, and nothing else."""
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def _new_id(self) -> str:
        """Records made after the fixtures get ids nobody can predict (after a restart, a new
        batch never reuses the id of an earlier one)."""
        return str(uuid.uuid4())


def _batch_matches(batch: Batch, query: BatchQuery) -> bool:
    if query.batch_id is not None and batch.id != query.batch_id:
        return False
    day = created_day(batch.created_at)
    if query.created_at is not None and day != query.created_at:
        return False
    if query.created_from is not None and day < query.created_from:
        return False
    return query.created_to is None or day <= query.created_to


def check_injectable(status: str) -> None:
    """ValueError unless ``status`` is one a trigger may make a record fail with."""
    if status not in INJECTABLE_FAILURES:
        raise ValueError(f"status must be one of: {', '.join(INJECTABLE_FAILURES)}")


def quota_reason() -> str:
    return (
        f"Sandbox quota: this tenant already holds {MAX_ENTITIES:,} entities (onboarded or "
        "queued to be added); delete some, or use another tenant"
    )


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
