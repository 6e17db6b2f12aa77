"""The request journal: what each fake was asked and how it answered, newest first.

As WireMock's request journal does, it keeps enough to verify against: the tenant, method, path,
query, request headers, the bodies (each up to :data:`BODY_LIMIT` bytes), status, duration and
the fault that answered, if any. Credentials never leave it: authorization headers, tokens,
API keys and passwords are masked in every entry it gives out. It is bounded per tenant, so one
busy tenant never pushes another's entries out: at most ``capacity`` entries and
``byte_budget`` bytes (:func:`size_of`) of each tenant are kept, the oldest dropped first (the
newest entry is always kept: its bodies are cut at :data:`BODY_LIMIT`, so it is bounded too).

Recording is on every request's path, reading is rare: a request is kept as it passed (an
:class:`Exchange`: the raw headers, query and bodies, the tenant clock's time) and made into its
:class:`JournalEntry` (decoded, masked, its time formatted) the first time it is read. The raw
bytes stay inside the process, in this object, and go nowhere else.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode

from standin._core.clock import isoformat

BODY_LIMIT = 16 * 1024
"""Bytes of each request and response body the journal keeps (the rest is cut, and flagged)."""
DEFAULT_BYTE_BUDGET = 2 * 1024 * 1024
"""Bytes of entries (:func:`size_of`) kept per tenant unless told otherwise (``--journal-bytes``):
a thousand entries of about 2 KiB each, where the entry bound alone let one tenant keep 32 MiB
(a thousand entries with both bodies at :data:`BODY_LIMIT`)."""
ENTRY_OVERHEAD = 256
"""Bytes an entry is counted for beyond its path, query, headers and bodies (its other fields
and the objects holding it)."""
MASK = "***"
UNMASKABLE = "<a JSON body that may carry credentials and could not be masked: not kept>"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "proxy-authorization",
        "x-standin-admin-token",
        "x-standin-tenant-token",
        # No vendor here reads these, but clients put API keys in them out of habit (an
        # Atmotube key sent as X-Api-Key is still the key).
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "ocp-apim-subscription-key",
    }
)
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "client_assertion",
        "client_secret",
        "password",
        "refresh_token",
        "token",
        "accesstoken",
        "tenant_token",
    }
)
"""Query, form and JSON fields whose values are credentials (compared case-insensitively)."""
UNATTRIBUTED = ""
"""The journal's bucket for requests that reached no tenant (no or an unknown credential)."""
UNPROVEN_SHARE = 10
"""A tenant's unproven entries (:meth:`RequestJournal.record_unproven`: refused requests that
only named it by a credential they failed to prove) are kept apart, within a tenth of its
bounds (:func:`unproven_bounds`)."""


@dataclass(frozen=True)
class JournalEntry:
    at: str
    api: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    fault_id: str | None = None
    tenant: str | None = None
    """The tenant the caller seam attributed the request to (None: no credential got that far)."""
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: str = ""
    response_body: str = ""
    truncated: bool = False
    """Whether a body was longer than :data:`BODY_LIMIT` bytes and was cut."""
    sequence: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The entry as ``/_sandbox/requests`` lists it. Written out: ``dataclasses.asdict``
        copies every field deeply, and a listing of a thousand entries spent most of its tens
        of milliseconds on the event loop there."""
        return {
            "at": self.at,
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "fault_id": self.fault_id,
            "tenant": self.tenant,
            "request_headers": dict(self.request_headers),
            "request_body": self.request_body,
            "response_body": self.response_body,
            "truncated": self.truncated,
        }


class Journaled(Protocol):
    """What a query matches on, which a kept request has before it is made an entry."""

    @property
    def api(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def tenant(self) -> str | None: ...
    @property
    def sequence(self) -> int: ...


J = TypeVar("J", bound=Journaled)


class Exchange:
    """A request and its answer as they passed: made into a :class:`JournalEntry` (masked) when
    first read."""

    __slots__ = (
        "_entry",
        "api",
        "at",
        "duration_ms",
        "fault_id",
        "headers",
        "method",
        "path",
        "query",
        "request_body",
        "response_body",
        "response_type",
        "sequence",
        "size",
        "status",
        "tenant",
        "truncated",
    )

    def __init__(
        self,
        *,
        at: float,
        api: str,
        method: str,
        path: str,
        query: bytes,
        status: int,
        duration_ms: float,
        fault_id: str | None,
        tenant: str | None,
        headers: Sequence[tuple[bytes, bytes]],
        request_body: bytes,
        response_body: bytes,
        response_type: str,
        truncated: bool,
    ) -> None:
        self.at = at
        """The tenant clock's time when the answer was complete."""
        self.api = api
        self.method = method
        self.path = path
        self.query = query
        self.status = status
        self.duration_ms = duration_ms
        """As measured; rounded to the microsecond in the entry made of it."""
        self.fault_id = fault_id
        self.tenant = tenant
        self.headers = headers
        self.request_body = request_body
        self.response_body = response_body
        self.response_type = response_type
        self.truncated = truncated
        self.sequence = 0
        self.size = counted_size(path, query, headers, request_body, response_body)
        """What the journal counts this exchange for against its tenant's byte budget (fixed
        as it passed: the entry made of it later is counted the same)."""
        self._entry: JournalEntry | None = None

    def entry(self) -> JournalEntry:
        if self._entry is None:
            headers = masked_headers(self.headers)
            request_type = headers.get("content-type", "")
            self._entry = JournalEntry(
                at=isoformat(datetime.fromtimestamp(self.at, tz=UTC)),
                api=self.api,
                method=self.method,
                path=self.path,
                query=masked_query(self.query.decode("latin-1")),
                status=self.status,
                duration_ms=round(self.duration_ms, 3),
                fault_id=self.fault_id,
                tenant=self.tenant,
                request_headers=headers,
                request_body=masked_body(self.request_body, request_type),
                response_body=response_text(self.response_body, self.response_type),
                truncated=self.truncated,
                sequence=self.sequence,
            )
            # What was kept raw is not kept twice.
            self.headers, self.query, self.request_body, self.response_body = (), b"", b"", b""
        return self._entry


@dataclass(frozen=True)
class JournalQuery:
    """Which entries to list or count: every given field must match."""

    tenant: str | None = None
    api: str | None = None
    method: str | None = None
    path: str | None = None
    """A glob (``/meters/*/data``), matched against the vendor path."""
    status: int | None = None

    def matches(self, entry: Journaled) -> bool:
        return (
            (self.tenant is None or entry.tenant == self.tenant)
            and (self.api is None or entry.api == self.api)
            and (self.method is None or entry.method == self.method.upper())
            and (self.status is None or entry.status == self.status)
            and (self.path is None or fnmatch.fnmatchcase(entry.path, self.path))
        )


class Journal(Protocol):
    """What the sandbox records requests in and the control plane reads: in memory
    (:class:`RequestJournal`), or shared by several replicas (``standin._core.cluster.journal``)."""

    @property
    def capacity(self) -> int: ...

    @property
    def byte_budget(self) -> int: ...

    def record(self, entry: JournalEntry | Exchange) -> None: ...

    def record_unproven(self, entry: JournalEntry | Exchange) -> None: ...

    def entries(
        self, api: str | None = None, limit: int | None = None, query: JournalQuery | None = None
    ) -> list[JournalEntry]: ...

    def count(self, query: JournalQuery | None = None) -> int: ...

    def clear(self, tenant: str | None = None) -> None: ...

    def forget_tenant(self, tenant: str) -> None: ...

    def __len__(self) -> int: ...


class _Bucket:
    """One tenant's entries, oldest first, beside what each is counted for, and their total
    (recording is on every request's path: no size is worked out twice)."""

    __slots__ = ("entries", "size", "sizes")

    def __init__(self, capacity: int) -> None:
        # Bounded deques drop their oldest as they take one more, in C: the entry bound is
        # kept without a step of Python's (the byte budget needs one only when it is passed).
        self.entries: deque[JournalEntry | Exchange] = deque(maxlen=capacity)
        self.sizes: deque[int] = deque(maxlen=capacity)
        self.size = 0

    def add(self, entry: JournalEntry | Exchange, size: int, byte_budget: int) -> None:
        """Keep ``entry``, counted for ``size`` bytes, dropping the oldest beyond the bounds:
        the oldest out when full (in C, as the bounded deque takes one more), then by bytes."""
        sizes = self.sizes
        if len(sizes) == sizes.maxlen:
            self.size -= sizes[0]  # appending drops it
        self.entries.append(entry)
        sizes.append(size)
        self.size += size
        if self.size > byte_budget:
            self.trim(byte_budget)

    def trim(self, byte_budget: int) -> None:
        """Drop the oldest until at most ``byte_budget`` bytes are left, but never the
        newest."""
        entries, sizes = self.entries, self.sizes
        while self.size > byte_budget and len(entries) > 1:
            entries.popleft()
            self.size -= sizes.popleft()


class RequestJournal:
    """Keeps the newest entries of each tenant: at most ``capacity`` of them and at most
    ``byte_budget`` bytes (:func:`size_of`); older ones are dropped. A tenant's unproven entries
    are kept apart within bounds of their own (:func:`unproven_bounds`), so strangers who know
    a client id can push out only other unproven entries, never the tenant's own."""

    def __init__(self, capacity: int = 1000, byte_budget: int = DEFAULT_BYTE_BUDGET) -> None:
        self._capacity = checked_capacity(capacity)
        self._byte_budget = checked_byte_budget(byte_budget)
        self._buckets: dict[str, _Bucket] = {}
        self._unproven: dict[str, _Bucket] = {}
        self._unproven_bounds = unproven_bounds(self._capacity, self._byte_budget)
        self._sequence = itertools.count(1)

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def byte_budget(self) -> int:
        return self._byte_budget

    def record(self, entry: JournalEntry | Exchange) -> None:
        name = entry.tenant or UNATTRIBUTED
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket(self._capacity)
        bucket.add(*self._numbered(entry), self._byte_budget)

    def record_unproven(self, entry: JournalEntry | Exchange) -> None:
        """Keep a refused request that named its tenant by a credential it failed to prove,
        among that tenant's other unproven entries (at most :func:`unproven_bounds`)."""
        name = entry.tenant or UNATTRIBUTED
        capacity, byte_budget = self._unproven_bounds
        bucket = self._unproven.get(name)
        if bucket is None:
            bucket = self._unproven[name] = _Bucket(capacity)
        bucket.add(*self._numbered(entry), byte_budget)

    def _numbered(self, entry: JournalEntry | Exchange) -> tuple[JournalEntry | Exchange, int]:
        """``entry`` with the next sequence number, and what it is counted for."""
        if isinstance(entry, Exchange):
            entry.sequence = next(self._sequence)
            return entry, entry.size
        numbered = sequenced(entry, next(self._sequence))
        return numbered, entry_size(numbered)

    def entries(
        self, api: str | None = None, limit: int | None = None, query: JournalQuery | None = None
    ) -> list[JournalEntry]:
        """Matching entries, newest first, at most ``limit``."""
        wanted = narrowed(query, api)
        kept = newest_first(self._candidates(wanted), wanted, limit)
        return [e.entry() if isinstance(e, Exchange) else e for e in kept]

    def count(self, query: JournalQuery | None = None) -> int:
        wanted = query or JournalQuery()
        return matching(self._candidates(wanted), wanted)

    def clear(self, tenant: str | None = None) -> None:
        """Forget every entry, or one tenant's."""
        if tenant is None:
            self._buckets.clear()
            self._unproven.clear()
        else:
            self.forget_tenant(tenant)

    def forget_tenant(self, tenant: str) -> None:
        self._buckets.pop(tenant, None)
        self._unproven.pop(tenant, None)

    def __len__(self) -> int:
        return sum(len(bucket.entries) for bucket in self._all_buckets())

    def _candidates(self, query: JournalQuery) -> Iterable[JournalEntry | Exchange]:
        if query.tenant is not None:
            kept = (self._buckets.get(query.tenant), self._unproven.get(query.tenant))
            return itertools.chain.from_iterable(b.entries for b in kept if b is not None)
        return itertools.chain.from_iterable(b.entries for b in self._all_buckets())

    def _all_buckets(self) -> Iterable[_Bucket]:
        return itertools.chain(self._buckets.values(), self._unproven.values())


def checked_capacity(capacity: int) -> int:
    """``capacity`` if it is a usable bound (entries per tenant); ValueError if not."""
    if capacity < 1:
        raise ValueError("capacity must be positive")
    return capacity


def checked_byte_budget(byte_budget: int) -> int:
    """``byte_budget`` if it is a usable bound (bytes per tenant); ValueError if not."""
    if byte_budget < 1:
        raise ValueError("byte budget must be positive")
    return byte_budget


def unproven_bounds(capacity: int, byte_budget: int) -> tuple[int, int]:
    """The bounds of each tenant's unproven entries beside its bounds of ``capacity`` entries
    and ``byte_budget`` bytes: a tenth of each (at least one). By default 100 entries and about
    205 KB: enough to see a burst of failed logins while setting a client up (a refused token
    request and its answer count for well under 1 KiB), and strangers who know a client id can
    add at most a tenth to what the tenant's journal holds."""
    return max(1, capacity // UNPROVEN_SHARE), max(1, byte_budget // UNPROVEN_SHARE)


def counted_size(
    path: str,
    query: Sized,
    headers: Iterable[tuple[Sized, Sized]],
    request_body: Sized,
    response_body: Sized,
) -> int:
    """What an entry is counted for: its path, query, request headers and bodies (as kept:
    each body at most :data:`BODY_LIMIT`), plus :data:`ENTRY_OVERHEAD`. The one formula for an
    :class:`Exchange` (over the raw bytes it keeps) and a :class:`JournalEntry` (its text)."""
    size = ENTRY_OVERHEAD + len(path) + len(query) + len(request_body) + len(response_body)
    for name, value in headers:
        size += len(name) + len(value)
    return size


def entry_size(entry: JournalEntry) -> int:
    """What ``entry`` is counted for (:func:`counted_size`)."""
    return counted_size(
        entry.path,
        entry.query,
        entry.request_headers.items(),
        entry.request_body,
        entry.response_body,
    )


def size_of(entry: JournalEntry | Exchange) -> int:
    """The bytes ``entry`` counts for against its tenant's byte budget."""
    return entry.size if isinstance(entry, Exchange) else entry_size(entry)


def narrowed(query: JournalQuery | None, api: str | None) -> JournalQuery:
    """``query`` (all entries when None), narrowed to ``api`` when one is given."""
    wanted = query or JournalQuery()
    if api is None:
        return wanted
    return JournalQuery(wanted.tenant, api, wanted.method, wanted.path, wanted.status)


def newest_first(candidates: Iterable[J], query: JournalQuery, limit: int | None) -> list[J]:
    """The ``candidates`` that ``query`` matches, newest (highest sequence) first, at most
    ``limit``: what every journal answers, wherever it keeps its entries."""
    found = sorted(
        (e for e in candidates if query.matches(e)), key=lambda e: e.sequence, reverse=True
    )
    return found if limit is None else found[:limit]


def matching(candidates: Iterable[Journaled], query: JournalQuery) -> int:
    """How many of ``candidates`` ``query`` matches."""
    return sum(1 for e in candidates if query.matches(e))


def sequenced(entry: JournalEntry, sequence: int) -> JournalEntry:
    """``entry`` numbered ``sequence`` (the journal's order of arrival)."""
    return JournalEntry(**{**asdict(entry), "sequence": sequence})


def masked_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers as the journal keeps them: credentials masked."""
    kept: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {MASK}" if rest else MASK
        kept[name] = f"{kept[name]}, {value}" if name in kept else value
    return kept


def masked_query(query: str) -> str:
    """A query string with credential values (``api_key``, ``access_token`` …) masked."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SECRET_FIELDS for name, _ in pairs):
        return query
    return urlencode([(n, MASK if n.lower() in SECRET_FIELDS else v) for n, v in pairs])


def response_text(body: bytes, content_type: str) -> str:
    """An answer as text; a compressed one is noted, not decoded (the journal keeps what was
    sent), and token answers are masked like any JSON credential."""
    if body[:2] == b"\x1f\x8b":
        return f"<{len(body)} bytes, gzip>"
    return masked_body(body, content_type)


def masked_body(body: bytes, content_type: str) -> str:
    """A body as the journal keeps it: text, credentials masked in forms and JSON objects."""
    text = body.decode("utf-8", errors="replace")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return masked_query(text)
    if media_type == "application/json" or media_type.endswith("+json"):
        return _masked_json(text)
    return text


def _masked_json(text: str) -> str:
    import orjson

    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        # Not JSON, so not maskable field by field: withheld if it names a credential field.
        lowered = text.lower()
        return UNMASKABLE if any(f'"{name}"' in lowered for name in SECRET_FIELDS) else text
    try:
        masked = _mask(document)
        if masked == document:
            return text
        return orjson.dumps(masked).decode()
    except (RecursionError, orjson.JSONEncodeError):
        # Nested deeper than we can walk or encode: not kept at all, rather than kept unmasked.
        return UNMASKABLE


def _mask(value: Any) -> Any:
    """``value`` with every credential field, at any depth, masked."""
    if isinstance(value, dict):
        return {
            k: MASK if isinstance(k, str) and k.lower() in SECRET_FIELDS else _mask(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value
