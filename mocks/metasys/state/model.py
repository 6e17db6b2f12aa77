"""The records of a Metasys site: objects (with their priority arrays), spaces, equipment, users,
and the audit and value-change records that later parts serve and stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from standin.metasys.types import ObjectType

PRIORITY_LEVELS = 16


@dataclass(frozen=True)
class SeriesSpec:
    """A sensor's generated value: mean + amplitude * daily cycle + noise (foundation series)."""

    mean: float
    amplitude: float = 0.0
    noise: float = 0.0
    peak_hour: float = 15.0


@dataclass
class Command:
    """One slot of a priority array, maybe expiring (temporary override)."""

    value: Any
    expires_at: float | None = None


@dataclass
class MetasysObject:
    id: str
    item_reference: str
    label: str
    type: ObjectType
    parent_id: str | None
    attributes: dict[str, Any]
    """Stored attribute values (name, description, units, relinquishDefault...)."""
    children: list[str] = field(default_factory=list)
    can_delete: bool = False
    can_modify: bool = True
    priority_array: dict[int, Command] = field(default_factory=dict)
    series: dict[str, SeriesSpec] = field(default_factory=dict)
    """Generated base values of sensor attributes (presentValue of an AI, an engine's load)."""
    trended: tuple[str, ...] = ()
    history: dict[str, list[tuple[float, Any]]] = field(default_factory=dict)
    """Per attribute: (time, effective commanded value or None when back to its base)."""

    @property
    def name(self) -> str:
        return str(self.attributes.get("name", self.label))


@dataclass
class Space:
    id: str
    item_reference: str
    name: str
    type: str
    parent_id: str | None
    children: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EquipmentPoint:
    short_name: str
    label: str
    object_id: str
    attribute: str
    is_display_data: bool
    category: str = ""


@dataclass
class Equipment:
    id: str
    item_reference: str
    name: str
    type: str
    device_id: str
    serves_spaces: list[str]
    serves_equipment: list[str]
    points: list[EquipmentPoint]


@dataclass
class User:
    id: str
    username: str
    password: str
    access_type: str
    token_minutes: int
    full_name: str
    email: str
    can_write: bool

    @property
    def is_api_user(self) -> bool:
        return self.access_type == "api"


@dataclass(frozen=True)
class AuditEntry:
    """One write made through the API, kept for the audits part 2 serves."""

    id: str
    time: float
    user: str
    object_id: str
    item_reference: str
    object_name: str
    action_type: str
    description: str
    pre_data: Any
    post_data: Any
    parameters: tuple[Any, ...] = ()
    annotation: str | None = None


@dataclass(frozen=True)
class ValueChange:
    """A change of an attribute's effective value (with its condition), for streaming."""

    sequence: int
    time: float
    object_id: str
    attribute: str
    value: Any
    condition: dict[str, Any]
