"""The storage interface that vendor state keeps its records in.

State modules see only :class:`Collection`; a backend decides where records live. The memory
backend is the default; a durable backend can slide in underneath without touching state or routes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from standin._core.rowkept import RowChanges

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Collection(Protocol[K, V]):
    """A keyed set of records, iterated in insertion order."""

    def get(self, key: K) -> V | None: ...

    def put(self, key: K, value: V) -> None: ...

    def delete(self, key: K) -> bool: ...

    def values(self) -> Iterator[V]: ...

    def keys(self) -> Iterator[K]: ...

    def clear(self) -> None: ...

    def touch(self, key: K) -> None:
        """Say that the record at ``key`` changed in place (a durable store writes it again)."""
        ...

    def __contains__(self, key: object) -> bool: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[K]:
        """The keys, as they are when iteration starts."""
        ...


class MemoryCollection(Generic[K, V]):
    def __init__(self) -> None:
        self._records: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._records.get(key)

    def put(self, key: K, value: V) -> None:
        self._records[key] = value

    def delete(self, key: K) -> bool:
        return self._records.pop(key, None) is not None

    def values(self) -> Iterator[V]:
        return iter(list(self._records.values()))

    def keys(self) -> Iterator[K]:
        return iter(list(self._records))

    def clear(self) -> None:
        self._records.clear()

    def touch(self, key: K) -> None:
        """Nothing to do: a record changed in place is already what memory holds."""

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._records))


class RowCollection(MemoryCollection[K, V]):
    """A collection a durable store keeps one row per record (:mod:`standin._core.rowkept`),
    so a write costs the records it put, deleted or :meth:`touch`-ed, not the collection.

    Rows are numbered in insertion order (a record put again keeps its number; one deleted and
    put again is numbered anew, last, as a dict orders it), so a restored collection iterates
    as the kept one did. A row holds ``(key, record)``; the rest of the state refers to a record
    by its key, never by the object (the record is not a reference target), and a record holds
    nothing another record or the rest of the state holds: each is pickled on its own.
    """

    kept_in_rows: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        self._slots: dict[K, int] | None = None
        """Key to row number, while followed."""
        self._next_slot = 0
        self._marks: dict[K, bool] = {}
        """Keys changed since the changes were last taken; True: numbered anew if present."""

    def put(self, key: K, value: V) -> None:
        if self._slots is not None:
            fresh = key not in self._records
            self._marks[key] = self._marks.get(key, False) or fresh
        self._records[key] = value

    def delete(self, key: K) -> bool:
        if self._slots is not None and key in self._records:
            self._marks[key] = True
        return super().delete(key)

    def clear(self) -> None:
        if self._slots is not None:
            # Each row goes by its key (a store removes them one by one, not by looking
            # through every row it keeps).
            self._marks.update(dict.fromkeys(self._records, True))
        super().clear()

    def touch(self, key: K) -> None:
        if self._slots is not None and key in self._records:
            self._marks.setdefault(key, False)

    # --- kept in rows -------------------------------------------------------------------------

    def follow(self) -> None:
        self._slots = {key: slot for slot, key in enumerate(self._records)}
        self._next_slot = len(self._slots)
        self._marks = {}

    def take_row_changes(self) -> RowChanges:
        slots = self._slots
        if slots is None:
            raise RuntimeError("only a followed collection remembers its changes")
        changes = RowChanges()
        records = self._records
        for key, fresh in self._marks.items():
            old = slots.get(key)
            if key in records:
                if fresh or old is None:
                    if old is not None:
                        changes.removed.add(old)
                    slot = slots[key] = self._next_slot
                    self._next_slot += 1
                else:
                    slot = old
                changes.put[slot] = (key, records[key])
            elif old is not None:
                del slots[key]
                changes.removed.add(old)
        self._marks = {}
        return changes

    def row_payloads(self) -> list[tuple[int, object]]:
        slots = self._slots
        if slots is None:
            raise RuntimeError("only a followed collection numbers its rows")
        return [(slots[key], (key, value)) for key, value in self._records.items()]

    def row_header(self) -> tuple[Any, ...]:
        return ()

    @classmethod
    def from_rows(cls, header: tuple[Any, ...], rows: list[tuple[int, object]]) -> Any:
        found: RowCollection[Any, Any] = cls()
        slots: dict[Any, int] = {}
        for slot, payload in sorted(rows, key=lambda row: row[0]):
            key, value = cast("tuple[Any, Any]", payload)
            found._records[key] = value
            slots[key] = slot
        found._slots = slots
        found._next_slot = max(slots.values(), default=-1) + 1
        return found

    @staticmethod
    def row_record(payload: object) -> object | None:
        return None

    def __getstate__(self) -> dict[str, Any]:
        """A copy or a plain pickle does not follow it."""
        return {"_records": self._records}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self._records = state["_records"]


def in_rows(collection: Collection[K, V]) -> Collection[K, V]:
    """``collection`` as a :class:`RowCollection` (its records, in order): a collection kept
    before its state kept it in rows comes back as one."""
    if isinstance(collection, RowCollection) or not isinstance(collection, MemoryCollection):
        return collection
    found: RowCollection[K, V] = RowCollection()
    found._records = collection._records
    return found


class Store(Protocol):
    """Hands out named collections; one store per tenant and API."""

    def collection(
        self, name: str, key: type[K], value: type[V], *, rows: bool = False
    ) -> Collection[K, V]:
        """``rows``: a durable store keeps it one row per record (a collection that can grow
        large; whoever changes a record in place calls :meth:`Collection.touch`)."""
        ...


class MemoryStore:
    def __init__(self) -> None:
        self._collections: dict[str, object] = {}

    def collection(
        self, name: str, key: type[K], value: type[V], *, rows: bool = False
    ) -> Collection[K, V]:
        existing = self._collections.get(name)
        if existing is None:
            created: MemoryCollection[K, V] = RowCollection() if rows else MemoryCollection()
            self._collections[name] = created
            return created
        assert isinstance(existing, MemoryCollection)
        return existing

    def names(self) -> list[str]:
        return sorted(self._collections)
