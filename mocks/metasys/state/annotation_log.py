"""The annotations a tenant's alarms (or audits) hold, as one capped log: past its bound the
oldest annotation is taken off the record it was written on, so however many annotations are
written, to one record or to many, a tenant keeps at most ``limit`` of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from standin._core.history import CappedLog


class Numbered(Protocol):
    """An annotation: numbered within its record."""

    @property
    def id(self) -> int: ...


N = TypeVar("N", bound=Numbered)

ANNOTATION_LIMIT = 10_000
"""**Sandbox choice:** a tenant keeps its newest 10,000 alarm annotations and its newest 10,000
audit annotations (by time, over all its alarms or audits); older ones are dropped first, from
whichever record holds them. The reference gives no bound."""


class AnnotationLog(Generic[N]):
    """Every kept annotation with the id of its record, in time order. An annotation of a record
    that was itself dropped stays counted here until it rolls out (the bound holds either way)."""

    def __init__(self, limit: int | None = None) -> None:
        self._log: CappedLog[tuple[str, N]] = CappedLog(limit or ANNOTATION_LIMIT)

    def add(
        self, owner: str, moment: float, note: N, notes_of: Callable[[str], list[N] | None]
    ) -> None:
        """Log ``note`` (already on ``owner``'s list); the oldest annotations past the bound are
        removed from their records' lists (``notes_of`` finds a list, None if the record is
        gone)."""
        for gone_owner, gone in self._log.append(moment, (owner, note)):
            notes = notes_of(gone_owner)
            if notes is None:
                continue
            # By value, not identity: after a restore the record's list and this log hold equal
            # copies (each log row is kept on its own); a record's annotation ids are unique.
            for position, kept in enumerate(notes):
                if kept == gone:
                    del notes[position]
                    break

    def write(
        self,
        owner: str,
        notes: list[N],
        noted: int,
        moment: float,
        make: Callable[[int], N],
        notes_of: Callable[[str], list[N] | None],
    ) -> N:
        """A new annotation of ``owner``: ``make`` builds it with the record's next id (one past
        the highest it ever gave, ``noted``: ids are never reused, even after the oldest were
        dropped); it is appended to ``notes`` (the record's list) and logged as :meth:`add`
        does. The caller keeps the new id as the record's ``noted``."""
        note = make(max(noted, notes[-1].id if notes else 0) + 1)
        notes.append(note)
        self.add(owner, moment, note, notes_of)
        return note

    def __len__(self) -> int:
        return len(self._log)
