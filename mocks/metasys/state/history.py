"""An attribute's commanded values indexed by time, so that reading one instant, or the changes
in one window, costs a binary search rather than a walk of every command the point has had."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any, ClassVar

from standin._core.rowkept import RowChanges

History = list[tuple[float, Any]]
"""``MetasysObject.history[attribute]``: (moment, commanded value or None), as recorded."""
HISTORY_LIMIT = 10_000
"""**Sandbox choice:** a point keeps at most its newest 10,000 changes of commanded value; past
that it is cut to its newest 9,000 (:data:`HISTORY_KEPT`). A sample before the earliest kept
change reads as if the point had never been commanded then: its generated value (or its
``relinquishDefault``). The reference gives no bound for a point's trend buffer."""
HISTORY_KEPT = HISTORY_LIMIT - 1_000


class RecordedHistory(list[tuple[float, Any]]):
    """A history as :func:`record` keeps it: only ever appended to (cut by replacing it), so a
    durable store keeps it one row per change (:mod:`standin._core.rowkept`), numbered by its
    position, and a command costs the change it recorded, not the 10,000 a point may hold."""

    __slots__ = ("_since",)
    kept_in_rows: ClassVar[bool] = True

    def __init__(self, entries: Iterable[tuple[float, Any]] = ()) -> None:
        super().__init__(entries)
        self._since: int | None = None
        """The length when the changes were last taken, while followed."""

    def follow(self) -> None:
        self._since = len(self)

    def take_row_changes(self) -> RowChanges:
        since = self._since
        if since is None:
            raise RuntimeError("only a followed history remembers its changes")
        self._since = len(self)
        return RowChanges(put={i: self[i] for i in range(since, len(self))})

    def row_payloads(self) -> list[tuple[int, object]]:
        return list(enumerate(self))

    def row_header(self) -> tuple[Any, ...]:
        return ()

    @classmethod
    def from_rows(cls, header: tuple[Any, ...], rows: list[tuple[int, object]]) -> Any:
        found = cls(payload for _, payload in sorted(rows, key=lambda row: row[0]))  # type: ignore[misc]
        found.follow()
        return found

    @staticmethod
    def row_record(payload: object) -> object | None:
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy or a plain pickle does not follow it."""
        return (RecordedHistory, (list(self),))


def record(histories: dict[str, History], attribute: str, moment: float, value: Any) -> None:
    """Append a change of commanded value to ``histories[attribute]``, unless it commands what
    the last change did. Past the bound the list is replaced by its newest entries (a new list:
    a :class:`HistoryIndex` of the old one sees it is not the source any more)."""
    history = histories.get(attribute)
    if type(history) is not RecordedHistory:
        # Also a plain list, as a snapshot kept before histories were kept in rows holds.
        history = histories[attribute] = RecordedHistory(history or ())
    if (history[-1][1] if history else None) == value:
        return
    history.append((moment, value))
    if len(history) > HISTORY_LIMIT:
        histories[attribute] = RecordedHistory(history[-HISTORY_KEPT:])


class HistoryIndex:
    """A view of one history list, sorted by moment (ties in the order recorded), brought up to
    date with what was appended since it last looked (a clock set back can record a moment
    earlier than the last: the index is then sorted again)."""

    __slots__ = ("_offgrid", "_seen", "_source", "moments", "values")

    def __init__(self, source: History) -> None:
        self._source = source
        self._seen = 0
        self.moments: list[float] = []
        self.values: list[Any] = []
        self._offgrid: dict[float, list[float]] = {}

    def indexes(self, source: History) -> bool:
        return source is self._source

    def refresh(self) -> None:
        source = self._source
        if len(source) == self._seen:
            return
        if len(source) > self._seen and self._grew_in_order(source):
            for moment, value in source[self._seen :]:
                self.moments.append(moment)
                self.values.append(value)
                for interval, offgrid in self._offgrid.items():
                    _add_offgrid(offgrid, moment, interval)
        else:
            ordered = sorted(source, key=lambda entry: entry[0])
            self.moments = [moment for moment, _ in ordered]
            self.values = [value for _, value in ordered]
            self._offgrid.clear()
        self._seen = len(source)

    def _grew_in_order(self, source: History) -> bool:
        last = self.moments[-1] if self.moments else -math.inf
        for moment, _ in source[self._seen :]:
            if moment < last:
                return False
            last = moment
        return True

    def commanded_at(self, t: float) -> Any:
        """The value commanded last at or before ``t`` (None: nothing, or a relinquish)."""
        found = bisect_right(self.moments, t)
        return self.values[found - 1] if found else None

    def offgrid(self, interval: float) -> list[float]:
        """The distinct moments of change that are not on the ``interval`` grid, ascending (a
        change on a grid instant is that instant's sample already)."""
        found = self._offgrid.get(interval)
        if found is None:
            found = []
            for moment in self.moments:
                _add_offgrid(found, moment, interval)
            self._offgrid[interval] = found
        return found


def _add_offgrid(offgrid: list[float], moment: float, interval: float) -> None:
    if moment % interval != 0 and (not offgrid or offgrid[-1] != moment):
        offgrid.append(moment)
