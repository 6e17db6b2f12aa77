"""What a container of records does to be kept one row per record (:mod:`standin._core.logrows`):
a capped log (Metasys audits), a keyed collection (BuildingMinds messages), a meter's pushed
readings, a point's command history.

A container is *followed* once a writer keeps it: from then on it remembers which of its rows
changed since they were last taken, so a write costs the records that changed, not the records
it holds. Each row has a number (``seq``) the container gives it and that is unique within it;
what a row holds (its *payload*) is pickled on its own, so a payload holds no other container
and shares nothing mutable with another row. A payload whose record the rest of the state may
refer to by object is a pair ``(anything, record)`` (:meth:`KeptInRows.row_record`).

A copy or a plain pickle of a container does not follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass
class RowChanges:
    """The rows of a followed container that changed since they were last taken."""

    put: dict[int, object] = field(default_factory=dict)
    """Rows written or rewritten: seq to payload."""
    removed: set[int] = field(default_factory=set)
    """Rows that were kept and are gone."""


class KeptInRows(Protocol):
    kept_in_rows: ClassVar[bool]
    """True: a writer keeps it in rows (the writer looks for this attribute on the type)."""

    def follow(self) -> None:
        """Remember changes from now on (what is held now is taken as written)."""
        ...

    def take_row_changes(self) -> RowChanges:
        """The changes since the last call (or :meth:`follow`), forgotten here."""
        ...

    def row_payloads(self) -> list[tuple[int, object]]:
        """Every row, as ``(seq, payload)``."""
        ...

    def row_header(self) -> tuple[Any, ...]:
        """What the snapshot keeps of it beside its rows (plain values)."""
        ...

    @classmethod
    def from_rows(cls, header: tuple[Any, ...], rows: list[tuple[int, object]]) -> Any:
        """The container as it was kept (followed, with these rows' numbers)."""
        ...

    @staticmethod
    def row_record(payload: object) -> object | None:
        """The record of a payload that the rest of the state may refer to, or None."""
        ...
