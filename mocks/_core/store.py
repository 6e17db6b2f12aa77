"""The storage interface that vendor state keeps its records in.

State modules see only :class:`Collection`; a backend decides where records live. The memory
backend is the default; a durable backend can slide in underneath without touching state or routes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Generic, Protocol, TypeVar

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

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._records))


class Store(Protocol):
    """Hands out named collections; one store per tenant and API."""

    def collection(self, name: str, key: type[K], value: type[V]) -> Collection[K, V]: ...


class MemoryStore:
    def __init__(self) -> None:
        self._collections: dict[str, object] = {}

    def collection(self, name: str, key: type[K], value: type[V]) -> Collection[K, V]:
        existing = self._collections.get(name)
        if existing is None:
            created: MemoryCollection[K, V] = MemoryCollection()
            self._collections[name] = created
            return created
        assert isinstance(existing, MemoryCollection)
        return existing

    def names(self) -> list[str]:
        return sorted(self._collections)
