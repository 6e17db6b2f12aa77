"""A bounded memo: answers already worked out, forgotten when full and never saved.

Caches of pure functions (a series' hashed key, a page's encoded samples) live on the state that
owns their inputs, so each tenant has its own and a reset drops them. A full memo is emptied
rather than evicted one entry at a time (cheaper than LRU bookkeeping on every hit; the next
requests fill it again). It pickles empty: a durable snapshot keeps state, not what can be
worked out from it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """At most ``capacity`` entries."""

    __slots__ = ("_capacity", "_entries")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._entries: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> V:
        entries = self._entries
        if len(entries) >= self._capacity and key not in entries:
            entries.clear()
        entries[key] = value
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        found = self._entries.get(key)
        return self.put(key, make()) if found is None else found

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def forget_where(self, drop: Callable[[V], bool]) -> None:
        """Forget the entries whose value ``drop`` picks."""
        entries = self._entries
        for key in [key for key, value in entries.items() if drop(value)]:
            del entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BoundedMemo, (self._capacity,))
