"""Trended samples: a sample every trend interval from the attribute's series or commanded value,
plus one at every commanded change, paged without materialising the range.

A page costs what it lists: the changes in the window are found by binary search in the
attribute's time-indexed history, and the merged position of a change by binary search over
them, so neither the point's age nor the number of commands it has had shows in the time of a
page."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from standin.metasys.state.model import MetasysObject
from standin.metasys.state.values import ValueModel


@dataclass(frozen=True)
class Sample:
    time: float
    value: Any
    is_reliable: bool


class SampleWindow:
    """The samples of one attribute in [start, end]: grid instants merged with change instants."""

    def __init__(
        self,
        obj: MetasysObject,
        attribute: str,
        start: float,
        end: float,
        interval: float,
        values: ValueModel,
    ) -> None:
        self.obj = obj
        self.attribute = attribute
        self.interval = interval
        self.values = values
        index = values.history(obj, attribute)
        self._changes = [] if index is None else index.offgrid(interval)
        if end < start:
            self.first, self.count = 0, 0
            self._low = self._high = 0
        else:
            self.first = math.ceil(start / interval)
            self.count = max(0, math.floor(end / interval) - self.first + 1)
            self._low = bisect_left(self._changes, start)
            self._high = bisect_right(self._changes, end)

    def _grid_at_or_before(self, moment: float) -> int:
        last = math.floor(moment / self.interval)
        return max(0, min(self.count, last - self.first + 1))

    @property
    def changes(self) -> int:
        """Changes off the grid in the window."""
        return self._high - self._low

    @property
    def total(self) -> int:
        return self.count + self.changes

    def _position(self, change: int) -> int:
        """The merged position of the window's ``change``-th change: changes sort after a grid
        instant at the same time."""
        return change + self._grid_at_or_before(self._changes[self._low + change])

    def moments(self, start: int, stop: int) -> list[float]:
        """The instants at merged positions [start, stop), ascending."""
        change = bisect_left(range(self.changes), start, key=self._position)
        found: list[float] = []
        for position in range(start, stop):
            if change < self.changes and self._position(change) == position:
                found.append(self._changes[self._low + change])
                change += 1
            else:
                found.append((self.first + position - change) * self.interval)
        return found

    def page(self, page: int, page_size: int, descending: bool) -> list[Sample]:
        start = (page - 1) * page_size
        stop = min(self.total, start + page_size)
        if start >= stop:
            return []
        if descending:
            moments = self.moments(self.total - stop, self.total - start)[::-1]
        else:
            moments = self.moments(start, stop)
        value_at, obj, attribute = self.values.value_at, self.obj, self.attribute
        return [Sample(moment, *value_at(obj, attribute, moment)) for moment in moments]
