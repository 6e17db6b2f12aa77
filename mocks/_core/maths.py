"""The few functions the time-series formulas need, for one number (:data:`SCALAR`, ``math``)
or for numpy arrays of them (the same fields filled with numpy's functions where numpy is
loaded): a formula written once against ``xp`` answers a quarter-hour at a time and a whole
grid of days at once, with the same operations in the same order.

``Value`` is a float or an array of them; the formulas use only arithmetic operators, which
both support, and these functions for everything else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standin._core.timeseries import unit

Value = Any
"""A float, or a numpy array of float64."""


@dataclass(frozen=True)
class Maths:
    cos: Callable[[Value], Value]
    sin: Callable[[Value], Value]
    exp: Callable[[Value], Value]
    sqrt: Callable[[Value], Value]
    absolute: Callable[[Value], Value]
    floor: Callable[[Value], Value]
    """The floor: an int for one number, a float array (whole values) for arrays."""
    maximum: Callable[[Value, Value], Value]
    minimum: Callable[[Value, Value], Value]
    where: Callable[[Value, Value, Value], Value]
    """``where(condition, if_true, if_false)``, element by element."""
    units: Callable[[int, int, Value], Value]
    """``timeseries.unit(seed, key, index)`` of an index or of each index of an array (floats
    holding whole numbers, as :attr:`floor` gives, are taken as those integers)."""


def _where(condition: bool, if_true: float, if_false: float) -> float:
    return if_true if condition else if_false


SCALAR = Maths(
    cos=math.cos,
    sin=math.sin,
    exp=math.exp,
    sqrt=math.sqrt,
    absolute=abs,
    floor=math.floor,
    maximum=max,
    minimum=min,
    where=_where,
    units=unit,
)
"""One number at a time, with ``math``: nothing imports numpy for it."""
