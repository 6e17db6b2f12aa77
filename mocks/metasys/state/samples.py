"""Trended samples: a sample every trend interval from the attribute's series or commanded value,
plus one at every commanded change, paged without materialising the range."""

from __future__ import annotations

import math
from bisect import bisect_left
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
        if end < start:
            self.first, self.count = 0, 0
        else:
            self.first = math.ceil(start / interval)
            self.count = max(0, math.floor(end / interval) - self.first + 1)
        history = obj.history.get(attribute, [])
        # A change on a grid instant is that instant's sample already.
        self.changes = sorted({m for m, _ in history if start <= m <= end and m % interval != 0})
        # The merged position of each change: changes sort after a grid instant at the same time.
        self.change_positions = [
            index + self._grid_at_or_before(moment) for index, moment in enumerate(self.changes)
        ]

    def _grid_at_or_before(self, moment: float) -> int:
        last = math.floor(moment / self.interval)
        return max(0, min(self.count, last - self.first + 1))

    @property
    def total(self) -> int:
        return self.count + len(self.changes)

    def at(self, position: int) -> Sample:
        found = bisect_left(self.change_positions, position)
        if found < len(self.change_positions) and self.change_positions[found] == position:
            moment = self.changes[found]
        else:
            moment = (self.first + position - found) * self.interval
        value, reliable = self.values.value_at(self.obj, self.attribute, moment)
        return Sample(moment, value, reliable)

    def page(self, page: int, page_size: int, descending: bool) -> list[Sample]:
        start = (page - 1) * page_size
        stop = min(self.total, start + page_size)
        positions = range(start, stop)
        if descending:
            return [self.at(self.total - 1 - p) for p in positions]
        return [self.at(p) for p in positions]
