"""The unit reference of the Atrius (BuildingOS) fake.

Every resource type has units of one or more dimensions (energy, power, volume, ...). Each unit
converts linearly to its dimension's base unit *within its resource type*::

    value_in_base = value * factor + offset

so conversions go through the base: ``target.from_base(source.to_base(value))``. The base of a
dimension is the unit with factor 1 and offset 0 (kWh for electrical energy, therm for gas
energy, kBtu for steam energy, ...); bases differ between resource types, which is why
:func:`convert` refuses to cross resource types.

Pure data and functions: nothing here is mutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "INTERVAL_DIMENSIONS",
    "RATE_DIMENSIONS",
    "RESOURCE_TYPES",
    "UNITS",
    "Unit",
    "check_units",
    "convert",
    "reference",
    "unit",
    "units_for",
]

RESOURCE_TYPES: tuple[str, ...] = ("electricity", "gas", "water", "temperature", "steam")

# Dimensions whose readings are quantities that accumulate (usable for cumulative meters).
INTERVAL_DIMENSIONS: frozenset[str] = frozenset({"energy", "volume", "mass"})
# Dimensions whose readings are instantaneous rates.
RATE_DIMENSIONS: frozenset[str] = frozenset({"power", "flow"})

# Exact definitions the volume and mass factors derive from.
_LITRES_PER_US_GALLON = 3.785411784
_LITRES_PER_CUBIC_FOOT = 28.316846592
_KILOGRAMS_PER_POUND = 0.45359237

_GALLONS_PER_CUBIC_FOOT = _LITRES_PER_CUBIC_FOOT / _LITRES_PER_US_GALLON  # ~7.48052
_CUBIC_FEET_PER_CUBIC_METRE = 1000.0 / _LITRES_PER_CUBIC_FOOT  # ~35.3147


@dataclass(frozen=True)
class Unit:
    """One unit of a resource type: ``value_in_base = value * factor + offset``."""

    code: str
    name: str
    resource_type: str
    dimension: str
    factor: float
    offset: float = 0.0

    def to_base(self, value: float) -> float:
        """``value`` in this unit, expressed in the base unit of the dimension."""
        return value * self.factor + self.offset

    def from_base(self, value: float) -> float:
        """``value`` in the base unit of the dimension, expressed in this unit."""
        return (value - self.offset) / self.factor


def _units(resource_type: str, *rows: tuple[str, str, str, float, float]) -> tuple[Unit, ...]:
    return tuple(
        Unit(code, name, resource_type, dimension, factor, offset)
        for code, name, dimension, factor, offset in rows
    )


UNITS: tuple[Unit, ...] = (
    *_units(
        "electricity",
        ("wh", "Watt-hours", "energy", 0.001, 0.0),
        ("kwh", "Kilowatt-hours", "energy", 1.0, 0.0),
        ("mwh", "Megawatt-hours", "energy", 1000.0, 0.0),
        ("w", "Watts", "power", 0.001, 0.0),
        ("kw", "Kilowatts", "power", 1.0, 0.0),
        ("mw", "Megawatts", "power", 1000.0, 0.0),
    ),
    *_units(
        "gas",
        ("ccf", "Hundred cubic feet", "volume", 1.0, 0.0),
        ("mcf", "Thousand cubic feet", "volume", 10.0, 0.0),
        ("cf", "Cubic feet", "volume", 0.01, 0.0),
        ("m3", "Cubic meters", "volume", _CUBIC_FEET_PER_CUBIC_METRE / 100.0, 0.0),
        ("therm", "Therms", "energy", 1.0, 0.0),
        ("btu", "British thermal units", "energy", 0.00001, 0.0),
        ("kbtu", "Thousand British thermal units", "energy", 0.01, 0.0),
        ("mmbtu", "Million British thermal units", "energy", 10.0, 0.0),
    ),
    *_units(
        "water",
        ("gal", "US gallons", "volume", 1.0, 0.0),
        ("kgal", "Thousand US gallons", "volume", 1000.0, 0.0),
        ("l", "Liters", "volume", 1.0 / _LITRES_PER_US_GALLON, 0.0),
        ("m3", "Cubic meters", "volume", 1000.0 / _LITRES_PER_US_GALLON, 0.0),
        ("ccf", "Hundred cubic feet", "volume", 100.0 * _GALLONS_PER_CUBIC_FOOT, 0.0),
        ("cf", "Cubic feet", "volume", _GALLONS_PER_CUBIC_FOOT, 0.0),
        ("gpm", "US gallons per minute", "flow", 1.0, 0.0),
        ("lpm", "Liters per minute", "flow", 1.0 / _LITRES_PER_US_GALLON, 0.0),
    ),
    *_units(
        "temperature",
        ("degf", "Degrees Fahrenheit", "temperature", 1.0, 0.0),
        ("degc", "Degrees Celsius", "temperature", 1.8, 32.0),
        ("k", "Kelvin", "temperature", 1.8, -459.67),
    ),
    *_units(
        "steam",
        ("lb", "Pounds", "mass", 1.0, 0.0),
        ("klb", "Thousand pounds", "mass", 1000.0, 0.0),
        ("mlb", "Million pounds", "mass", 1_000_000.0, 0.0),
        ("kg", "Kilograms", "mass", 1.0 / _KILOGRAMS_PER_POUND, 0.0),
        ("kbtu", "Thousand British thermal units", "energy", 1.0, 0.0),
        ("mmbtu", "Million British thermal units", "energy", 1000.0, 0.0),
    ),
)

_BY_KEY: Mapping[tuple[str, str], Unit] = MappingProxyType(
    {(u.resource_type, u.code): u for u in UNITS}
)


def unit(resource_type: str, code: str) -> Unit | None:
    """The unit ``code`` (any case) of ``resource_type``, or None when there is none."""
    return _BY_KEY.get((resource_type, code.lower()))


def units_for(resource_type: str) -> tuple[Unit, ...]:
    """The units of ``resource_type`` in reference order (empty for an unknown type)."""
    return tuple(u for u in UNITS if u.resource_type == resource_type)


def convert(value: float, source: Unit, target: Unit) -> float:
    """``value`` in ``source`` expressed in ``target``.

    Raises ValueError when the units measure different dimensions, or belong to different
    resource types (whose bases differ).
    """
    if source.dimension != target.dimension:
        raise ValueError(
            f'"{source.code}" ({source.dimension}) cannot be converted to '
            f'"{target.code}" ({target.dimension}).'
        )
    if source.resource_type != target.resource_type:
        raise ValueError(
            f'"{source.code}" ({source.resource_type}) cannot be converted to '
            f'"{target.code}" ({target.resource_type}).'
        )
    if source == target:
        return value
    return target.from_base(source.to_base(value))


def check_units(resource_type: str, **codes: str) -> dict[str, list[str]]:
    """Field errors (DRF style) for a meter's unit codes, keyed by the names given.

    Unknown codes are reported first (and alone). When every code is known, each field whose
    dimension differs from ``storageUnit``'s (or, without ``storageUnit``, the first field's)
    is reported. An unknown resource type gives ``{}``: the caller reports it.
    """
    if resource_type not in RESOURCE_TYPES:
        return {}
    errors: dict[str, list[str]] = {}
    known: dict[str, Unit] = {}
    for name, code in codes.items():
        found = unit(resource_type, code)
        if found is None:
            errors[name] = [f'"{code}" is not a valid unit for {resource_type}.']
        else:
            known[name] = found
    if errors or not known:
        return errors
    anchor = known.get("storageUnit") or next(iter(known.values()))
    for name, found in known.items():
        if found.dimension != anchor.dimension:
            errors[name] = [
                f'"{found.code}" ({found.dimension}) cannot be converted to '
                f'"{anchor.code}" ({anchor.dimension}).'
            ]
    return errors


def reference() -> list[dict[str, str]]:
    """Every unit as served by ``GET /units/``, sorted by resource type then code."""
    return [
        {
            "code": u.code,
            "name": u.name,
            "resourceType": u.resource_type,
            "dimension": u.dimension,
        }
        for u in sorted(UNITS, key=lambda u: (u.resource_type, u.code))
    ]
