"""The annotations a tenant's alarms (or audits) hold, as one capped log: past its bound the
oldest annotation is taken off the record it was written on, so however many annotations are
written, to one record or to many, a tenant keeps at most ``limit`` of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

from standin._core.history import CappedLog


class Numbered(Protocol):
    """An annotation: numbered within its record."""

    @property
    def id(self) -> int: ...


N = TypeVar("N", bound=Numbered)


class AnnotatedRecord(Protocol[N]):
    """A record that holds annotations (an alarm, an audit's track)."""

    noted: int
    """Annotations ever written on it (ids go on from here when the oldest were dropped)."""

    @property
    def notes(self) -> list[N]: ...


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
        records: Mapping[str, AnnotatedRecord[N]],
        owner: str,
        record: AnnotatedRecord[N],
        moment: float,
        make: Callable[[int], N],
    ) -> N:
        """A new annotation of ``record`` (``owner`` of ``records``): ``make`` builds it with
        the record's next id (one past the highest it ever gave: ids are never reused, even
        after the oldest were dropped); it goes on the record's list and is logged as
        :meth:`add` logs it, past the bound the oldest leaving the records of ``records`` that
        hold them."""
        note = make(max(record.noted, record.notes[-1].id if record.notes else 0) + 1)
        record.noted = note.id
        record.notes.append(note)

        def notes_of(gone_owner: str) -> list[N] | None:
            holder = records.get(gone_owner)
            return None if holder is None else holder.notes

        self.add(owner, moment, note, notes_of)
        return note

    def __len__(self) -> int:
        return len(self._log)
