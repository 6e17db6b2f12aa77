"""The Metasys client's typed results (tokens, objects, values, commands, samples, site)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PRIORITIES = (
    "priorityNone",
    "priorityManualEmergency",
    "priorityFireApplications",
    "priority3",
    "priority4",
    "priorityCriticalEquipment",
    "priorityMinimumOnOff",
    "priorityHeavyEquipDelay",
    "priorityOperatorOverride",
    "priority9",
    "priority10",
    "priorityDemandLimiting",
    "priority12",
    "priorityLoadRolling",
    "priority14",
    "prioritySchedulingOst",
    "priorityDefault",
)
"""writePriorityEnumSet members by level: ``PRIORITIES[8]`` is operator override."""


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Token:
    access_token: str
    expires: dt.datetime


@dataclass(frozen=True)
class ObjectSummary:
    id: str
    item_reference: str
    name: str
    object_type: str
    classification: str | None
    children: tuple[ObjectSummary, ...] = ()

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> ObjectSummary:
        return cls(
            id=raw["id"],
            item_reference=raw["itemReference"],
            name=raw["name"],
            object_type=raw["objectType"],
            classification=raw.get("classification"),
            children=tuple(cls.of(child) for child in raw.get("items") or ()),
        )


@dataclass(frozen=True)
class MetasysObject:
    id: str
    object_type: str
    item: Mapping[str, Any]
    condition: Mapping[str, Any]
    can_modify: bool | None
    can_delete: bool | None

    @classmethod
    def of(cls, object_id: str, raw: Mapping[str, Any]) -> MetasysObject:
        permissions = raw.get("effectivePermissions") or {}
        return cls(
            id=str(raw.get("item", {}).get("id") or object_id),
            object_type=raw["objectType"],
            item=raw.get("item", {}),
            condition=raw.get("condition") or {},
            can_modify=permissions.get("canModify"),
            can_delete=permissions.get("canDelete"),
        )


@dataclass(frozen=True)
class Value:
    """One attribute's value with its condition (priority and reliability when given)."""

    value: Any
    priority: str | None = None
    reliability: str | None = None

    @property
    def level(self) -> int | None:
        """The priority as a number (16 for ``priorityDefault``), None if not prioritized."""
        if self.priority is None:
            return None
        short = self.priority.removeprefix("writePriorityEnumSet.")
        return PRIORITIES.index(short) if short in PRIORITIES else None

    @property
    def is_reliable(self) -> bool:
        return self.reliability in (None, "reliabilityEnumSet.reliable")


@dataclass(frozen=True)
class Command:
    id: str
    title: str | None
    invoke_url: str | None
    body_schema: Mapping[str, Any] | None
    command_set: tuple[Command, ...] = ()

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Command:
        return cls(
            id=raw["id"],
            title=raw.get("title"),
            invoke_url=raw.get("invokeUrl"),
            body_schema=raw.get("commandBodySchema"),
            command_set=tuple(cls.of(c) for c in raw.get("commandSet") or ()),
        )


@dataclass(frozen=True)
class Sample:
    timestamp: dt.datetime
    value: Any
    units: str | None
    is_reliable: bool

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Sample:
        value = raw["value"]
        return cls(_time(raw["timestamp"]), value["value"], value.get("units"), raw["isReliable"])


@dataclass(frozen=True)
class TrendedAttribute:
    attribute: str
    samples_url: str


@dataclass(frozen=True)
class NetworkDevice:
    id: str
    item_reference: str
    name: str
    object_type: str
    parent_url: str | None
    ip_address: str | None = None
    firmware_version: str | None = None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> NetworkDevice:
        return cls(
            raw["id"],
            raw["itemReference"],
            raw["name"],
            raw["objectType"],
            raw.get("parentUrl"),
            raw.get("ipAddress"),
            raw.get("firmwareVersion"),
        )


@dataclass(frozen=True)
class Space:
    id: str
    item_reference: str
    name: str
    type: str
    parent_url: str | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Space:
        return cls(raw["id"], raw["itemReference"], raw["name"], raw["type"], raw.get("parentUrl"))


@dataclass(frozen=True)
class Equipment:
    id: str
    item_reference: str
    name: str
    type: str

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Equipment:
        return cls(raw["id"], raw["itemReference"], raw["name"], raw["type"])


@dataclass(frozen=True)
class UserInfo:
    id: str
    user_name: str
    full_name: str | None
    email: str | None
    access_type: str | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> UserInfo:
        return cls(
            raw["id"],
            raw["userName"],
            raw.get("fullName"),
            raw.get("primaryEmail"),
            raw.get("accessType"),
        )


@dataclass(frozen=True)
class EquipmentPoint:
    equipment_id: str
    equipment_name: str
    short_name: str
    label: str | None
    object_url: str | None
    attribute: str | None
    is_display_data: bool | None = None

    @property
    def object_id(self) -> str | None:
        return None if self.object_url is None else self.object_url.rstrip("/").rsplit("/", 1)[1]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> EquipmentPoint:
        return cls(
            raw["id"],
            raw["equipmentName"],
            raw["shortName"],
            raw.get("label"),
            raw.get("objectUrl"),
            raw.get("attribute"),
            raw.get("isDisplayData"),
        )
