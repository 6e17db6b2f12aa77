"""A tenant's Metasys site: objects and their values, commands and edits (each audited, each value
change an event), network devices, spaces, equipment, users."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from standin._core.clock import Clock
from standin._core.history import CappedLog
from standin._core.persistence import Listeners
from standin._core.quotas import over_quota
from standin._core.store import Collection, MemoryStore
from standin.metasys import errors
from standin.metasys.enums import ENUM_SETS
from standin.metasys.state import commands, history
from standin.metasys.state.alarms import RELIABILITY_ALARMS, AlarmBook
from standin.metasys.state.audits import AUDIT_LIMIT, AuditBook
from standin.metasys.state.certificates import CertificateBook
from standin.metasys.state.controls import load_controls
from standin.metasys.state.enumerations import Enumerations
from standin.metasys.state.loader import default_attributes, load
from standin.metasys.state.model import (
    AuditEntry,
    Command,
    Equipment,
    MetasysObject,
    Space,
    User,
    ValueChange,
)
from standin.metasys.state.objects import ID_NAMESPACE, ObjectTree
from standin.metasys.state.repository import repository
from standin.metasys.state.settings import SystemSettings
from standin.metasys.state.stream_options import StreamOptions
from standin.metasys.state.trees import load_user_views
from standin.metasys.state.values import Effective, ValueModel, override_expiration, status
from standin.metasys.types import NETWORK_CLASSIFICATIONS, Attribute, object_type

LOCAL_IDENTIFIER = re.compile(r"^[^\x00-\x1F\x7F\x22#'*,./:<>?@\[\\\]|]+$")
MAX_LOCAL_IDENTIFIER = 32
DELETABLE_DEVICE_CLASSES = ("device", "server")
EVENT_LIMIT = 10_000
"""**Sandbox choice:** a tenant keeps its newest 10,000 value changes (what streams were sent;
kept for inspection, never served as a list), older ones dropped first."""

MAX_OBJECTS = 5_000
"""**Sandbox choice:** a tenant's object tree holds at most 5,000 objects (the fixture's 51
included); creating one more (``POST /objects``, each creation of ``/objects/bulk``) is refused
with 400 and nothing is made. Deleting objects makes room. The reference gives no bound (a real
site's is its engines' capacity)."""

MAX_DEPTH = 32
"""**Sandbox choice:** an object is at most 32 levels below the site (the fixture's deepest is
a few levels down); creating one deeper is refused with 400 and nothing is made. The reference
gives no bound. Without one, a chain of nested folders made an object list deeper than its
encoder (and Python's recursion) can follow: a 500 instead of an answer."""

EventListener = Callable[[ValueChange], None]
AuditListener = Callable[[AuditEntry], None]


class MetasysState:
    stream_options: StreamOptions = StreamOptions()
    """What the tenant's streams send beyond the guide (the class's default also answers for a
    state kept before it had its own)."""

    def __init__(self, fixture: dict[str, Any], clock: Clock, salt: str, seed: int) -> None:
        self.clock = clock
        self.salt = salt
        self.site: str = fixture["site"]
        self.time_zone: str = fixture.get("timeZone", "timeZoneEnumSet.utc")
        self.trend_interval = float(fixture.get("trendIntervalSeconds", 900))
        self.values = ValueModel(seed, float(fixture.get("utcOffsetHours", 0.0)))
        store = MemoryStore()
        self.tree = ObjectTree(salt, store)
        self.spaces: Collection[str, Space] = store.collection("spaces", str, Space)
        self.equipment: Collection[str, Equipment] = store.collection("equipment", str, Equipment)
        self.users: Collection[str, User] = store.collection("users", str, User)
        self.site_director_id = ""
        self.offline: set[str] = set()
        """Network devices taken offline through the control plane."""
        self.stream_options = StreamOptions()
        self.audits: CappedLog[AuditEntry] = CappedLog(AUDIT_LIMIT)
        """The audit trail, newest ``AUDIT_LIMIT`` kept (written through ``audit_book``)."""
        self.events: CappedLog[ValueChange] = CappedLog(EVENT_LIMIT)
        self.event_count = 0
        """Every value change ever emitted (the sequence of the next is one more)."""
        self.event_listeners: Listeners[EventListener] = Listeners()
        self.audit_listeners: Listeners[AuditListener] = Listeners()
        self.alarms = AlarmBook(clock, salt)
        self.audit_book = AuditBook(clock, self.audits)
        self.certificates = CertificateBook(clock, self.site)
        """BACnet/SC signing requests and certificates of the engines (PRIVATE)."""
        self.enumerations = Enumerations()
        load(self, fixture)
        self.controls = load_controls(self, fixture)
        self.settings = SystemSettings()
        self.user_views = load_user_views(self.tree, self.site, fixture.get("userViews", []))
        self.repository = repository(self.tree)

    # --- lookups ---------------------------------------------------------------------------

    def object(self, object_id: str) -> MetasysObject:
        found = self.tree.get(object_id.lower())
        if found is None:
            raise errors.not_found(f"Object {object_id} was not found.")
        return found

    def user(self, username: str) -> User | None:
        return self.users.get(username)

    def is_offline(self, obj: MetasysObject) -> bool:
        if not self.offline:
            return False  # no device is offline (most reads): no need to walk up the tree
        return any(device.id in self.offline for device in self.tree.hosting_devices(obj))

    def require_online(self, obj: MetasysObject) -> None:
        if not self.offline:
            return  # no device is offline (most reads): no need to walk up the tree
        for device in self.tree.hosting_devices(obj):
            if device.id in self.offline:
                raise errors.offline(device.item_reference)

    def can_modify(self, obj: MetasysObject, user: User) -> bool:
        return user.can_write and obj.can_modify

    def can_delete(self, obj: MetasysObject, user: User) -> bool:
        return (
            user.can_write
            and obj.can_delete
            and all(child.can_delete for child in self.tree.descendants(obj))
        )

    # --- values ----------------------------------------------------------------------------

    def effective(self, obj: MetasysObject) -> Effective:
        if obj.priority_array:  # else nothing commands it, so nothing can end (most reads)
            self.expire(obj)
        return self.values.effective(obj, self.clock.time())

    def item(
        self, obj: MetasysObject, names: list[str] | None = None, effective: Effective | None = None
    ) -> dict[str, Any]:
        """The object's attributes with their current values (all of them, or ``names``), from
        ``effective`` when the caller has it already."""
        if effective is None:
            effective = self.effective(obj)
        if names == ["presentValue"]:
            return {"presentValue": effective.value}  # the usual read: no clock needed
        now = self.clock.time()
        wanted = names if names is not None else [a.name for a in obj.type.attributes]
        return {name: self._value(obj, name, effective, now) for name in wanted}

    def _value(self, obj: MetasysObject, name: str, effective: Effective, now: float) -> Any:
        if name == "presentValue":
            return effective.value
        kind = obj.type
        computed: dict[str, Callable[[], Any]] = {
            "itemReference": lambda: obj.item_reference,
            "id": lambda: obj.id,
            "bacnetObjectType": lambda: kind.bacnet_type,
            "presentValue": lambda: effective.value,
            "reliability": lambda: effective.reliability,
            "status": lambda: status(obj, effective, self.is_offline(obj)),
            "alarmState": lambda: "objectStatusEnumSet.osNormal",
            "currentCommandPriority": lambda: effective.level,
            "presentValueWritable": lambda: "objectModeEnumSet.presentValueWritableWithPriority",
            "prioritySupported": lambda: True,
            "defaultAttribute": lambda: "attributeEnumSet.presentValue",
            "numberOfStates": lambda: len(ENUM_SETS[kind.value_enum() or "statesEnumSet"].members),
            "overrideExpirationTime": lambda: self.override_expiration(obj),
        }
        if name in computed:
            return computed[name]()
        if name in obj.series:
            return self.values.series_value(obj, name, now)
        return obj.attributes.get(name)

    def condition(self, obj: MetasysObject, effective: Effective | None = None) -> dict[str, Any]:
        if not obj.type.is_point:
            return {}
        if effective is None:
            effective = self.effective(obj)
        flags: dict[str, Any] = {"reliability": effective.reliability}
        if obj.type.prioritized:
            flags["priority"] = effective.priority
        return {"presentValue": flags}

    def attribute_condition(
        self, obj: MetasysObject, name: str, effective: Effective | None = None
    ) -> dict[str, Any]:
        """The condition of one attribute: ``presentValue``'s own; for a struct attribute, the
        object's reliability and ``priorityNone`` (nothing commands it), as the reference's
        ``object.values.notification`` example shows."""
        condition = self.condition(obj, effective)
        if name in condition:
            return condition  # presentValue's: the one attribute a condition holds
        attribute = obj.type.attribute(name)
        if attribute is None or attribute.json_type != "object":
            return {}
        return {name: self._struct_condition(obj, self.clock.time())}

    def _struct_condition(self, obj: MetasysObject, moment: float) -> dict[str, Any]:
        return {
            "reliability": self.values.effective(obj, moment).reliability,
            "priority": "writePriorityEnumSet.priorityNone",
        }

    def override_expiration(self, obj: MetasysObject) -> dict[str, str | None]:
        return override_expiration(obj, self.values.utc_offset_hours)

    def _override_changed(
        self, obj: MetasysObject, before: dict[str, str | None], moment: float
    ) -> None:
        after = self.override_expiration(obj)
        if after != before and obj.type.attribute("overrideExpirationTime") is not None:
            condition = {"overrideExpirationTime": self._struct_condition(obj, moment)}
            self._emit(obj, "overrideExpirationTime", after, moment, condition)

    def expire(self, obj: MetasysObject) -> None:
        """Temporary overrides end on the clock; their end is recorded when it happened."""
        if not obj.priority_array:
            return  # nothing commands it, so nothing can end (most reads)
        now = self.clock.time()
        due = sorted(
            (command.expires_at, level)
            for level, command in obj.priority_array.items()
            if command.expires_at is not None and command.expires_at <= now
        )
        for moment, level in due:
            before = self.values.effective(obj, moment)
            expiration = self.override_expiration(obj)
            del obj.priority_array[level]
            self.record_change(obj, moment, before)
            self._override_changed(obj, expiration, moment)

    def record_change(self, obj: MetasysObject, moment: float, before: Effective) -> None:
        """Remember the commanded value for samples; emit an event if the value or its
        condition changed."""
        active = sorted(obj.priority_array)
        commanded = obj.priority_array[active[0]].value if active else None
        history.record(obj.history, "presentValue", moment, commanded)
        after = self.values.effective(obj, moment)
        if (after.value, after.level, after.reliability) == (
            before.value,
            before.level,
            before.reliability,
        ):
            return
        condition = {"reliability": after.reliability}
        if obj.type.prioritized:
            condition["priority"] = after.priority
        self._emit(obj, "presentValue", after.value, moment, {"presentValue": condition})
        if after.reliability != before.reliability and after.reliability in RELIABILITY_ALARMS:
            kind, priority, ack, message = RELIABILITY_ALARMS[after.reliability]
            self.raise_alarm(obj, kind, priority, ack, after.value, message, moment)

    def raise_alarm(
        self,
        obj: MetasysObject,
        kind: str,
        priority: int,
        ack_required: bool,
        value: Any,
        message: str = "",
        moment: float | None = None,
    ) -> str:
        alarm = self.alarms.raise_alarm(
            object_id=obj.id,
            item_reference=obj.item_reference,
            name=obj.name,
            description=str(obj.attributes.get("description") or ""),
            alarm_type=kind,
            priority=priority,
            is_ack_required=ack_required,
            category=str(obj.attributes.get("objectCategory") or ""),
            trigger_value=value,
            units=str(obj.attributes.get("units") or "unitEnumSet.noUnits"),
            message=message,
            moment=moment,
        )
        return alarm.id

    def _emit(
        self, obj: MetasysObject, attribute: str, value: Any, moment: float, condition: Any
    ) -> None:
        self.event_count += 1
        change = ValueChange(self.event_count, moment, obj.id, attribute, value, condition)
        self.events.append(moment, change)
        for listener in list(self.event_listeners):
            listener(change)

    def _audit(
        self,
        user: User,
        obj: MetasysObject,
        action: str,
        description: str,
        pre: Any,
        post: Any,
        parameters: tuple[Any, ...] = (),
        annotation: str | None = None,
    ) -> None:
        entry = AuditEntry(
            id=str(uuid.uuid5(ID_NAMESPACE, f"{self.salt}audit:{self.audits.appended}")),
            time=self.clock.time(),
            user=user.username,
            object_id=obj.id,
            item_reference=obj.item_reference,
            object_name=obj.name,
            action_type=f"auditActionTypeEnumSet.{action}",
            description=description,
            pre_data=pre,
            post_data=post,
            parameters=parameters,
            annotation=annotation,
        )
        self.audit_book.add(entry)
        for listener in list(self.audit_listeners):
            listener(entry)

    # --- commands and edits ----------------------------------------------------------------

    def command(self, obj: MetasysObject, command_id: str, body: Any, user: User) -> None:
        try:
            invocation = commands.invocation(obj, command_id, body)
        except commands.CommandRejected as problem:
            raise errors.message(problem.status, problem.message) from None
        if not self.can_modify(obj, user):
            raise errors.forbidden("The user is not authorized to command this object.")
        self.require_online(obj)
        now = self.clock.time()
        previous = self.effective(obj)
        expiration = self.override_expiration(obj)
        name, parameters = invocation.command, invocation.parameters
        slots = obj.priority_array
        if name == "adjustCommand":
            assert invocation.level is not None
            slots[invocation.level] = Command(parameters[0])
        elif name.startswith(("state", "multistate")):
            assert invocation.level is not None
            index = int(name.removesuffix("Command").removeprefix("multi").removeprefix("state"))
            value_set = ENUM_SETS[obj.type.value_enum() or "statesEnumSet"]
            slots[invocation.level] = Command(value_set.ids()[index])
        elif name == "overrideCommand":
            slots[commands.OPERATOR_OVERRIDE] = Command(parameters[0])
        elif name == "temporaryOverrideCommand":
            seconds = parameters[1] * 3600 + parameters[2] * 60
            if seconds <= 0:
                raise errors.bad_request("A temporary override must last at least a minute.")
            slots[commands.OPERATOR_OVERRIDE] = Command(parameters[0], now + seconds)
        elif name == "overrideReleaseCommand":
            slots.pop(commands.OPERATOR_OVERRIDE, None)
        elif name == "releaseCommand":
            slots.pop(parameters[1], None)
        elif name == "releaseAllCommand":
            slots.clear()
        elif name in ("enableAlarmsCommand", "disableAlarmsCommand"):
            self._set_attribute(obj, "alarmsEnabled", name == "enableAlarmsCommand", now)
        elif name in ("inServiceCommand", "outOfServiceCommand"):
            self._set_attribute(obj, "outOfService", name == "outOfServiceCommand", now)
        self.record_change(obj, now, previous)
        self._override_changed(obj, expiration, now)
        self._audit(
            user,
            obj,
            "commandAuditActionType",
            f"commandIdEnumSet.{name}",
            previous.value,
            self.effective(obj).value,
            parameters,
            invocation.annotation,
        )

    def _set_attribute(self, obj: MetasysObject, name: str, value: Any, now: float) -> None:
        if obj.attributes.get(name) != value:
            obj.attributes[name] = value
            self._emit(obj, name, value, now, {})

    def patch(self, obj: MetasysObject, body: Any, user: User) -> None:
        if (
            not isinstance(body, dict)
            or set(body) != {"item"}
            or not isinstance(body["item"], dict)
        ):
            raise errors.bad_request('The request body must be {"item": {...}}.')
        changes: dict[str, Any] = body["item"]
        if not changes:
            raise errors.bad_request("item must name at least one attribute.")
        for name, value in changes.items():
            check_attribute(obj, name, value, creating=False)
        if not self.can_modify(obj, user):
            raise errors.forbidden("The user is not authorized to modify this object.")
        self.require_online(obj)
        now = self.clock.time()
        for name, value in changes.items():
            previous = self.effective(obj)
            before = self.item(obj, [name])[name]
            if name == "presentValue":
                obj.priority_array[commands.DEFAULT_PRIORITY] = Command(value)
            else:
                obj.attributes[name] = value
            if name in ("presentValue", "relinquishDefault", "minPresValue", "maxPresValue"):
                self.record_change(obj, now, previous)
            if name != "presentValue" and before != value:
                self._emit(obj, name, value, now, {})
            self._audit(
                user, obj, "writeAuditActionType", f"attributeEnumSet.{name}", before, value
            )

    def create(self, body: Any, user: User) -> MetasysObject:
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        unknown = sorted(set(body) - {"parentId", "localUniqueIdentifier", "objectType", "item"})
        if unknown:
            raise errors.bad_request(f"Unknown property: {unknown[0]}.")
        for name in ("parentId", "localUniqueIdentifier", "objectType"):
            if not isinstance(body.get(name), str):
                raise errors.bad_request(f"{name} is required and must be a string.")
        label: str = body["localUniqueIdentifier"]
        if len(label) > MAX_LOCAL_IDENTIFIER or not LOCAL_IDENTIFIER.match(label):
            raise errors.bad_request("localUniqueIdentifier is not in the correct format.")
        kind = (
            object_type(body["objectType"])
            if body["objectType"].startswith("objectTypeEnumSet.")
            else None
        )
        if kind is None:
            raise errors.bad_request("objectType is not a member of objectTypeEnumSet.")
        item = body.get("item", {})
        if not isinstance(item, dict):
            raise errors.bad_request("item must be an object.")
        parent = self.object(body["parentId"])
        if not kind.createable or kind.short not in parent.type.child_types:
            raise errors.bad_request(
                f"{kind.enum_id} is not a supported child type of {parent.item_reference}."
            )
        missing = [name for name in kind.required if name not in item]
        if missing:
            raise errors.bad_request(f"The item property {missing[0]} is required.")
        for name, value in item.items():
            check_attribute_of(kind.attribute(name), name, value, creating=True)
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to create objects.")
        if len(self.tree.ancestors(parent)) >= MAX_DEPTH:
            raise errors.bad_request(
                f"Sandbox quota: objects nest at most {MAX_DEPTH} levels below the site; "
                "create this one higher in the tree."
            )
        self.require_online(parent)
        reference = self.tree.child_reference(parent, label)
        if self.tree.find(reference) is not None:
            raise errors.conflict(f"An object with the reference {reference} already exists.")
        if len(self.tree) >= MAX_OBJECTS:
            way_out = "delete some (DELETE /objects/{objectId}) to make room"
            raise errors.bad_request(over_quota("objects", MAX_OBJECTS, way_out))
        attributes = default_attributes(kind, label)
        attributes.update(item)
        created = self.tree.add(
            MetasysObject(
                id=self.tree.new_id(reference),
                item_reference=reference,
                label=label,
                type=kind,
                parent_id=parent.id,
                attributes=attributes,
                can_delete=True,
            )
        )
        self._audit(user, created, "createAuditActionType", kind.enum_id, None, dict(item))
        return created

    def delete(self, obj: MetasysObject, user: User) -> None:
        if not self.can_delete(obj, user):
            raise errors.forbidden("The user is not authorized to delete this object.")
        self.require_online(obj)
        self._audit(user, obj, "deleteAuditActionType", obj.type.enum_id, obj.item_reference, None)
        self._forget(self.tree.remove(obj))

    def _forget(self, removed: list[MetasysObject]) -> None:
        gone = {obj.id for obj in removed}
        self.offline -= gone
        for equipment in list(self.equipment.values()):
            if equipment.device_id in gone:
                self.equipment.delete(equipment.id)
                continue
            equipment.points = [p for p in equipment.points if p.object_id not in gone]
        for equipment in self.equipment.values():
            equipment.serves_equipment = [
                e for e in equipment.serves_equipment if e in self.equipment
            ]

    # --- network devices -------------------------------------------------------------------

    def network_devices(self) -> list[MetasysObject]:
        return [obj for obj in self.tree.all() if obj.type.is_network_device]

    def network_device(self, device_id: str) -> MetasysObject:
        found = self.tree.get(device_id.lower())
        if found is None or not found.type.is_network_device:
            raise errors.not_found(f"Network device {device_id} was not found.")
        return found

    def network_parent(self, device: MetasysObject) -> MetasysObject | None:
        """Engines and servers answer to the site director; the rest to their nearest device."""
        if device.id == self.site_director_id:
            return None
        for ancestor in self.tree.ancestors(device):
            if ancestor.type.classification in NETWORK_CLASSIFICATIONS:
                return ancestor
        return self.tree.get(self.site_director_id)

    def delete_network_device(self, device: MetasysObject, user: User) -> None:
        parent = self.network_parent(device)
        if (
            device.type.classification not in DELETABLE_DEVICE_CLASSES
            or parent is None
            or parent.id != self.site_director_id
        ):
            raise errors.bad_request(
                "The specified device is not a child engine or a child server."
            )
        if not user.can_write:
            raise errors.forbidden("The user does not have the Manage Devices & Sites privilege.")
        if device.id not in self.offline:
            raise errors.conflict(
                "The specified device cannot be deleted because it is not offline."
            )
        self._audit(
            user, device, "deleteAuditActionType", device.type.enum_id, device.item_reference, None
        )
        self._forget(self.tree.remove(device))

    # --- spaces and equipment --------------------------------------------------------------

    def space(self, space_id: str) -> Space:
        found = self.spaces.get(space_id.lower())
        if found is None:
            raise errors.not_found(f"Space {space_id} was not found.")
        return found

    def equipment_instance(self, equipment_id: str) -> Equipment:
        found = self.equipment.get(equipment_id.lower())
        if found is None:
            raise errors.not_found(f"Equipment {equipment_id} was not found.")
        return found

    def equipment_serving_space(self, space: Space) -> list[Equipment]:
        return [e for e in self.equipment.values() if space.id in e.serves_spaces]

    def upstream_equipment(self, equipment: Equipment) -> list[Equipment]:
        return [e for e in self.equipment.values() if equipment.id in e.serves_equipment]

    def served_equipment(self, equipment: Equipment) -> list[Equipment]:
        return [self.equipment_instance(e) for e in equipment.serves_equipment]

    def equipment_spaces(self, equipment: Equipment) -> list[Space]:
        return [self.space(s) for s in equipment.serves_spaces]

    def equipment_devices(self, equipment: Equipment) -> list[MetasysObject]:
        """Devices hosting an equipment instance: its own, and every device holding its points."""
        found: dict[str, MetasysObject] = {}
        host = self.tree.get(equipment.device_id)
        if host is not None:
            found[host.id] = host
        for point in equipment.points:
            target = self.tree.get(point.object_id)
            if target is not None:
                for device in self.tree.hosting_devices(target):
                    found.setdefault(device.id, device)
        return list(found.values())

    def device_equipment(self, device: MetasysObject) -> list[Equipment]:
        return [
            e
            for e in self.equipment.values()
            if any(d.id == device.id for d in self.equipment_devices(e))
        ]

    def device_spaces(self, device: MetasysObject) -> list[Space]:
        found: dict[str, Space] = {}
        for equipment in self.device_equipment(device):
            for space in self.equipment_spaces(equipment):
                found.setdefault(space.id, space)
        return list(found.values())

    def space_devices(self, space: Space) -> list[MetasysObject]:
        found: dict[str, MetasysObject] = {}
        for equipment in self.equipment_serving_space(space):
            for device in self.equipment_devices(equipment):
                found.setdefault(device.id, device)
        return list(found.values())

    def object_points(self, obj: MetasysObject) -> list[tuple[Equipment, Any]]:
        return [
            (equipment, point)
            for equipment in self.equipment.values()
            for point in equipment.points
            if point.object_id == obj.id
        ]


def check_attribute(obj: MetasysObject, name: str, value: Any, *, creating: bool) -> None:
    check_attribute_of(obj.type.attribute(name), name, value, creating=creating)


def check_attribute_of(
    attribute: Attribute | None, name: str, value: Any, *, creating: bool
) -> None:
    """A written value must be of a known, writable attribute, of its type (400 otherwise)."""
    if attribute is None:
        raise errors.bad_request(f"The attribute {name} does not exist on this object.")
    if attribute.read_only:
        raise errors.bad_request(f"The attribute {name} is read only.")
    if creating and name == "presentValue":
        raise errors.bad_request("presentValue cannot be set when creating an object.")
    if value is None:
        if attribute.nullable:
            return
        raise errors.bad_request(f"The attribute {name} cannot be null.")
    kind = attribute.json_type
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and abs(float(value)) <= 3.40282347e38
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise errors.bad_request(f"The value of {name} is not a valid {kind}.")
    if attribute.enum_set and value not in ENUM_SETS[attribute.enum_set]:
        raise errors.bad_request(f"The value of {name} is not a member of {attribute.enum_set}.")
    if isinstance(value, str) and attribute.max_length and len(value) > attribute.max_length:
        raise errors.bad_request(f"The value of {name} is too long.")
    if name == "name" and not str(value).strip():
        raise errors.bad_request("name cannot be empty.")
