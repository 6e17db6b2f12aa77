"""The request journal: what each fake was asked and how it answered, newest first, bounded."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestJournal:
    """Keeps the newest ``capacity`` entries; older ones are dropped."""

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        assert self._entries.maxlen is not None
        return self._entries.maxlen

    def resize(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._entries = deque(self._entries, maxlen=capacity)

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def entries(self, api: str | None = None, limit: int | None = None) -> list[JournalEntry]:
        found: list[JournalEntry] = []
        for entry in reversed(self._entries):
            if api is None or entry.api == api:
                found.append(entry)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
