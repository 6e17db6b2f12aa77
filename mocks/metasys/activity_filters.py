"""The alarm and audit filters of the reference (shared by their lists and ``GET /activities``),
each parsed from a query into one predicate."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from standin.metasys import errors, query
from standin.metasys.enums import ENUM_SETS
from standin.metasys.state.alarms import Alarm
from standin.metasys.state.audits import CLASS_LEVEL, ORIGIN, AuditTrack
from standin.metasys.state.model import AuditEntry
from standin.metasys.state.site import MetasysState

PRIORITY_RANGE = re.compile(r"^([0-9]+),([0-9]+)$")
MAX_LIST = 100
ALARM_TYPES = [f"alarmValueEnumSet.{m}" for m, _ in ENUM_SETS["alarmValueEnumSet"].members]
ORIGINS = [f"auditOriginAppEnumSet.{m}" for m, _ in ENUM_SETS["auditOriginAppEnumSet"].members]
CLASSES = [f"auditClassesEnumSet.{m}" for m, _ in ENUM_SETS["auditClassesEnumSet"].members]
ACTIONS = [f"auditActionTypeEnumSet.{m}" for m, _ in ENUM_SETS["auditActionTypeEnumSet"].members]
CATEGORIES = [f"objectCategoryEnumSet.{m}" for m, _ in ENUM_SETS["objectCategoryEnumSet"].members]


def tristate(params: QueryParams, name: str) -> bool | None:
    """``true``: only those; ``false``: none of those; missing: both (the reference's three
    meanings)."""
    if name not in params:
        return None
    return query.boolean(params, name)


def listed(params: QueryParams, name: str, allowed: list[str] | None = None) -> list[str]:
    values = params.getlist(name)
    if len(values) > MAX_LIST:
        raise errors.bad_request(f"The parameter {name} has more than {MAX_LIST} items.")
    if allowed is not None:
        query.repeated(values, allowed, name)
    return values


def times(params: QueryParams) -> tuple[float | None, float | None]:
    return query.moment(params, "startTime"), query.moment(params, "endTime")


def within(moment: float, start: float | None, end: float | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


@dataclass(frozen=True)
class AlarmFilter:
    start: float | None
    end: float | None
    priorities: tuple[int, int] | None
    types: list[str]
    acknowledged: bool | None
    discarded: bool | None
    ack_required: bool
    ack_not_required: bool
    categories: list[str]
    objects: list[str]
    equipment: list[str]
    spaces: list[str]

    @property
    def selects_all(self) -> bool:
        """Whether it lets every alarm through (no filter given)."""
        return (
            self.start is None
            and self.end is None
            and self.priorities is None
            and not self.types
            and self.acknowledged is None
            and self.discarded is None
            and self.ack_required
            and self.ack_not_required
            and not self.categories
            and not self.objects
            and not self.equipment
            and not self.spaces
        )

    def matches(self, state: MetasysState, alarm: Alarm) -> bool:
        if not within(alarm.creation_time, self.start, self.end):
            return False
        if self.priorities is not None and not (
            self.priorities[0] <= alarm.priority <= self.priorities[1]
        ):
            return False
        if self.types and alarm.type not in self.types:
            return False
        if self.categories and alarm.category not in self.categories:
            return False
        acknowledged = alarm.acknowledged_time is not None
        if self.acknowledged is not None and acknowledged != self.acknowledged:
            return False
        discarded = alarm.status == "discarded"
        if self.discarded is not None and discarded != self.discarded:
            return False
        if alarm.is_ack_required and not self.ack_required:
            return False
        if not alarm.is_ack_required and not self.ack_not_required:
            return False
        if self.objects and alarm.object_id not in self.objects:
            return False
        return relates(state, alarm.object_id, self.equipment, self.spaces)


def relates(state: MetasysState, object_id: str, equipment: list[str], spaces: list[str]) -> bool:
    """Whether the object is a point of one of ``equipment`` and of equipment serving one of
    ``spaces`` (an empty list: any)."""
    if not equipment and not spaces:
        return True
    obj = state.tree.get(object_id)
    points = [] if obj is None else state.object_points(obj)
    if equipment and not any(e.id in equipment for e, _ in points):
        return False
    served = {space for e, _ in points for space in e.serves_spaces}
    return not spaces or bool(served & set(spaces))


@dataclass(frozen=True)
class AuditFilter:
    start: float | None
    end: float | None
    origins: list[str]
    classes: list[str]
    actions: list[str]
    users: list[str]
    discarded: bool | None
    objects: list[str]
    equipment: list[str]
    spaces: list[str]

    @property
    def selects_all(self) -> bool:
        """Whether it lets every audit through (no filter given)."""
        return (
            self.start is None
            and self.end is None
            and not self.origins
            and not self.classes
            and not self.actions
            and not self.users
            and self.discarded is None
            and not self.objects
            and not self.equipment
            and not self.spaces
        )

    def matches(self, state: MetasysState, entry: AuditEntry, track: AuditTrack | None) -> bool:
        if not within(entry.time, self.start, self.end):
            return False
        if self.origins and ORIGIN not in self.origins:
            return False
        if self.classes and CLASS_LEVEL not in self.classes:
            return False
        if self.actions and entry.action_type not in self.actions:
            return False
        if self.users and entry.user not in self.users:
            return False
        discarded = track is not None and track.discarded_time is not None
        if self.discarded is not None and discarded != self.discarded:
            return False
        if self.objects and entry.object_id not in self.objects:
            return False
        return relates(state, entry.object_id, self.equipment, self.spaces)


def audit_filter(params: QueryParams, *, objects: bool) -> AuditFilter:
    start, end = times(params)
    return AuditFilter(
        start=start,
        end=end,
        origins=listed(params, "originApplication", ORIGINS),
        classes=listed(params, "classLevel", CLASSES),
        actions=listed(params, "actionType", ACTIONS),
        users=listed(params, "user"),
        discarded=tristate(params, "includeDiscarded"),
        objects=[v.lower() for v in listed(params, "object")] if objects else [],
        equipment=[v.lower() for v in listed(params, "equipment")],
        spaces=[v.lower() for v in listed(params, "space")],
    )


def alarm_filter(params: QueryParams, *, related: bool) -> AlarmFilter:
    """The filters of an alarm list (``related``: the equipment/object/space lists too)."""
    start, end = times(params)
    priorities = None
    raw = params.get("priorityRange")
    if raw is not None:
        matched = PRIORITY_RANGE.match(raw)
        if matched is None:
            raise errors.bad_request("The parameter priorityRange must look like 0,255.")
        low, high = int(matched.group(1)), int(matched.group(2))
        if not (0 <= low <= 255 and 0 <= high <= 255):
            raise errors.bad_request("The parameter priorityRange is out of range (0 to 255).")
        priorities = (low, high)
    return AlarmFilter(
        start=start,
        end=end,
        priorities=priorities,
        types=listed(params, "type", ALARM_TYPES),
        acknowledged=tristate(params, "includeAcknowledged"),
        discarded=tristate(params, "includeDiscarded"),
        ack_required=query.boolean(params, "includeAcknowledgementRequired", True),
        ack_not_required=query.boolean(params, "includeAcknowledgementNotRequired", True),
        categories=listed(params, "category", CATEGORIES),
        objects=[v.lower() for v in listed(params, "object")] if related else [],
        equipment=[v.lower() for v in listed(params, "equipment")] if related else [],
        spaces=[v.lower() for v in listed(params, "space")] if related else [],
    )


AlarmPredicate = Callable[[MetasysState, Alarm], bool]
