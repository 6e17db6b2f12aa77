"""The object types the fake knows: their attributes (with JSON schemas), views, commands and the
child types they accept. Pure data and small helpers; no state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

FLOAT_LIMIT = 1.69999998e38
"""The bound Metasys puts on float command parameters (the published examples)."""


@dataclass(frozen=True)
class Attribute:
    name: str
    title: str
    metasys_type: str
    """string, float, bool, enum, ulong, struct (an object-valued attribute)."""
    read_only: bool = False
    enum_set: str | None = None
    prioritized: bool = False
    nullable: bool = False
    max_length: int | None = None

    @property
    def json_type(self) -> str:
        return {
            "float": "number",
            "bool": "boolean",
            "ulong": "integer",
            "long": "integer",
            "struct": "object",
        }.get(self.metasys_type, "string")

    def schema(self) -> dict[str, Any]:
        body: dict[str, Any] = {"title": self.title}
        if self.read_only:
            body["readOnly"] = True
        body["prioritized"] = self.prioritized
        if self.nullable:
            body["oneOf"] = [{"type": self.json_type}, {"type": "null"}]
        else:
            body["type"] = self.json_type
        body["metasysType"] = self.metasys_type
        if self.enum_set:
            body["oneOf"] = [{"$ref": f"#{self.enum_set}"}]
        if self.max_length is not None:
            body["maxLength"] = self.max_length
        if self.metasys_type == "float":
            body["minimum"] = -3.40282347e38
            body["maximum"] = 3.40282347e38
        return body


def _a(name: str, title: str, metasys_type: str, **options: Any) -> Attribute:
    return Attribute(name, title, metasys_type, **options)


COMMON = (
    _a("name", "Name", "string", max_length=400),
    _a("description", "Description", "string", nullable=True, max_length=64),
    _a(
        "objectCategory",
        "Authorization Category",
        "enum",
        enum_set="objectCategoryEnumSet",
    ),
    _a("itemReference", "Item Reference", "string", read_only=True),
    _a("id", "Identifier", "string", read_only=True),
)
POINT_STATUS = (
    _a("bacnetObjectType", "Object Type", "enum", read_only=True, enum_set="objectTypeEnumSet"),
    _a("outOfService", "Out Of Service", "bool", read_only=True),
    _a("reliability", "Reliability", "enum", read_only=True, enum_set="reliabilityEnumSet"),
    _a("alarmState", "Alarm State", "enum", read_only=True, enum_set="objectStatusEnumSet"),
    _a("status", "Status", "enum", read_only=True, enum_set="objectStatusEnumSet"),
    _a("alarmsEnabled", "Alarms Enabled", "bool", read_only=True),
    _a(
        "defaultAttribute", "Default Attribute", "enum", read_only=True, enum_set="attributeEnumSet"
    ),
)
PRIORITY = (
    _a(
        "currentCommandPriority", "Current Command Priority", "ulong", read_only=True, nullable=True
    ),
    _a(
        "presentValueWritable",
        "Present Value Writable",
        "enum",
        read_only=True,
        enum_set="objectModeEnumSet",
    ),
    _a("prioritySupported", "Priority Supported", "bool", read_only=True),
    # A struct, as in the published AV example: streamed as object.values.notification.
    _a("overrideExpirationTime", "Override Expiration Time", "struct", read_only=True),
)
ANALOG = (
    _a("minPresValue", "Min Value", "float"),
    _a("maxPresValue", "Max Value", "float"),
    _a("units", "Units", "enum", enum_set="unitEnumSet"),
    _a("displayPrecision", "Display Precision", "enum", enum_set="displayPrecisionEnumSet"),
    _a("covIncrement", "COV Increment", "float"),
)
DEVICE = (
    _a("ipAddress", "IP Address", "string", read_only=True),
    _a("firmwareVersion", "Firmware Version", "string", read_only=True),
)


@dataclass(frozen=True)
class ObjectType:
    short: str
    title: str
    classification: str
    attributes: tuple[Attribute, ...]
    bacnet_type: str | None = None
    value_kind: str | None = None
    """analog, binary or multistate for points; None for anything else."""
    prioritized: bool = False
    commands: tuple[str, ...] = ()
    child_types: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    createable: bool = False
    version: str = "1.0"
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def enum_id(self) -> str:
        return f"objectTypeEnumSet.{self.short}"

    @property
    def is_point(self) -> bool:
        return self.value_kind is not None

    @property
    def is_network_device(self) -> bool:
        return self.classification in ("server", "device", "integration", "controller")

    def attribute(self, name: str) -> Attribute | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        """The attributes by name (the first of a name, as a search in order finds it)."""
        found: dict[str, Attribute] = {}
        for attribute in self.attributes:
            found.setdefault(attribute.name, attribute)
        return found

    def value_enum(self) -> str | None:
        return {"binary": "binarypvEnumSet", "multistate": "statesEnumSet"}.get(
            self.value_kind or ""
        )

    def schema(self, base: str, *, title_prefix: str = "JCI") -> dict[str, Any]:
        """The object's JSON schema (Metasys annotations kept: metasysType, prioritized...)."""
        sets = sorted({a.enum_set for a in self.attributes if a.enum_set})
        body: dict[str, Any] = {
            "type": "object",
            "$schema": "http://json-schema.org/draft-07/schema#",
            "language": "en-US",
            "title": f"{title_prefix} {self.title}",
            "version": self.version,
            "properties": {a.name: a.schema() for a in self.attributes},
        }
        if self.required:
            body["required"] = list(self.required)
        body["definitions"] = {
            name: {
                "$id": f"#{name}",
                "allOf": [{"$ref": f"{base}/schemas/enums/{name}"}],
            }
            for name in sets
        }
        return body

    def views(self) -> list[dict[str, Any]]:
        """One Focus view: basic (object, status), advanced (engineering, display), key."""
        names = [a.name for a in self.attributes]

        def group(group_id: str, title: str, wanted: tuple[str, ...]) -> dict[str, Any] | None:
            present = [n for n in wanted if n in names]
            if not present:
                return None
            return {"title": title, "properties": present, "id": f"viewGroupEnumSet.{group_id}"}

        basic = [
            group(
                "objectGrp", "Object", ("name", "description", "bacnetObjectType", "objectCategory")
            ),
            group(
                "statusGrp",
                "Status",
                (
                    "outOfService",
                    "reliability",
                    "currentCommandPriority",
                    "alarmState",
                    "presentValueWritable",
                    "alarmsEnabled",
                ),
            ),
        ]
        advanced = [
            group(
                "engValuesGrp",
                "Engineering Values",
                (
                    "itemReference",
                    "prioritySupported",
                    "minPresValue",
                    "maxPresValue",
                    "relinquishDefault",
                    "statesText",
                    "numberOfStates",
                    "ipAddress",
                    "firmwareVersion",
                ),
            ),
            group("displayGrp", "Display", ("units", "displayPrecision", "covIncrement")),
        ]
        key = [
            group(
                "noGrp",
                "None",
                ("presentValue", "status", "defaultAttribute", "id", "memoryUsage", "cpuUsage"),
            )
        ]
        views = []
        for group_type, title, groups in (
            ("basicGrpType", "Basic", basic),
            ("advancedGrpType", "Advanced", advanced),
            ("keyGrpType", "Key", key),
        ):
            present = [g for g in groups if g is not None]
            if present:
                views.append(
                    {"title": title, "views": present, "id": f"groupTypeEnumSet.{group_type}"}
                )
        return [{"title": "Focus", "views": views, "id": "viewNameEnumSet.focusView"}]


POINT_COMMON_COMMANDS = (
    "overrideCommand",
    "temporaryOverrideCommand",
    "overrideReleaseCommand",
)
PRIORITY_COMMANDS = ("releaseCommand", "releaseAllCommand")
ALARM_COMMANDS = ("enableAlarmsCommand", "disableAlarmsCommand")
FOLDER_CHILDREN = ("containerClass", "avClass", "bvClass", "mvClass")


def _types() -> dict[str, ObjectType]:
    analog_pv = _a("presentValue", "Present Value", "float", prioritized=True)
    binary_pv = _a(
        "presentValue", "Present Value", "enum", prioritized=True, enum_set="binarypvEnumSet"
    )
    multi_pv = _a(
        "presentValue", "Present Value", "enum", prioritized=True, enum_set="statesEnumSet"
    )
    states = (
        _a("statesText", "States Text", "string"),
        _a("numberOfStates", "Number of States", "ulong", read_only=True),
    )
    engine_usage = (
        _a("memoryUsage", "Memory Usage", "float", read_only=True),
        _a("cpuUsage", "CPU Usage", "float", read_only=True),
    )
    types = [
        ObjectType("siteClass", "Site", "site", COMMON, child_types=("containerClass",)),
        ObjectType(
            "oasClass", "Metasys Server", "server", (*COMMON, *DEVICE), child_types=FOLDER_CHILDREN
        ),
        ObjectType(
            "nae55Class",
            "NAE55",
            "device",
            (*COMMON, *DEVICE, *engine_usage),
            child_types=FOLDER_CHILDREN,
        ),
        ObjectType("mstpTrunkClass", "Field Bus MSTP", "integration", COMMON),
        ObjectType(
            "fecClass",
            "FEC Family BACnet Device",
            "controller",
            (*COMMON, *DEVICE),
            child_types=("containerClass",),
        ),
        ObjectType(
            "containerClass",
            "Folder",
            "folder",
            COMMON,
            child_types=FOLDER_CHILDREN,
            createable=True,
        ),
        ObjectType("trendClass", "Trend", "extension", COMMON),
        # Sandbox choice: a control (LCT logic) is a Program object; its diagram is served at
        # /controls/{id}/diagram.
        ObjectType("programClass", "Program", "object", COMMON),
        ObjectType(
            "avClass",
            "AV",
            "point",
            (
                *COMMON,
                *POINT_STATUS,
                *PRIORITY,
                *ANALOG,
                _a("relinquishDefault", "Relinquish Default", "float"),
                analog_pv,
            ),
            bacnet_type="objectTypeEnumSet.bacAvClass",
            value_kind="analog",
            prioritized=True,
            commands=("adjustCommand", *POINT_COMMON_COMMANDS, *PRIORITY_COMMANDS, *ALARM_COMMANDS),
            required=("name",),
            createable=True,
        ),
        ObjectType(
            "aiClass",
            "AI",
            "point",
            (
                *COMMON,
                *POINT_STATUS,
                *ANALOG,
                _a("presentValue", "Present Value", "float", read_only=True),
            ),
            bacnet_type="objectTypeEnumSet.bacAiClass",
            value_kind="analog",
            commands=(
                *POINT_COMMON_COMMANDS,
                *ALARM_COMMANDS,
                "inServiceCommand",
                "outOfServiceCommand",
            ),
            required=("name",),
        ),
        ObjectType(
            "bvClass",
            "BV",
            "point",
            (
                *COMMON,
                *POINT_STATUS,
                *PRIORITY,
                *states,
                _a("relinquishDefault", "Relinquish Default", "enum", enum_set="binarypvEnumSet"),
                binary_pv,
            ),
            bacnet_type="objectTypeEnumSet.bacBvClass",
            value_kind="binary",
            prioritized=True,
            commands=("adjustCommand", *POINT_COMMON_COMMANDS, *PRIORITY_COMMANDS, *ALARM_COMMANDS),
            required=("name",),
            createable=True,
        ),
        ObjectType(
            "boClass",
            "BO",
            "point",
            (
                *COMMON,
                *POINT_STATUS,
                *PRIORITY,
                *states,
                _a("relinquishDefault", "Relinquish Default", "enum", enum_set="binarypvEnumSet"),
                binary_pv,
            ),
            bacnet_type="objectTypeEnumSet.bacBoClass",
            value_kind="binary",
            prioritized=True,
            commands=("adjustCommand", *POINT_COMMON_COMMANDS, *PRIORITY_COMMANDS, *ALARM_COMMANDS),
            required=("name",),
        ),
        ObjectType(
            "mvClass",
            "MV",
            "point",
            (
                *COMMON,
                *POINT_STATUS,
                *PRIORITY,
                *states,
                _a("relinquishDefault", "Relinquish Default", "enum", enum_set="statesEnumSet"),
                multi_pv,
            ),
            bacnet_type="objectTypeEnumSet.bacMvClass",
            value_kind="multistate",
            prioritized=True,
            commands=("adjustCommand", *POINT_COMMON_COMMANDS, *PRIORITY_COMMANDS, *ALARM_COMMANDS),
            required=("name",),
            createable=True,
        ),
    ]
    return {t.short: t for t in types}


OBJECT_TYPES: dict[str, ObjectType] = _types()
NETWORK_CLASSIFICATIONS = ("device", "integration", "server", "controller")
CLASSIFICATIONS = (
    "object",
    "device",
    "integration",
    "controller",
    "point",
    "site",
    "navList",
    "extension",
    "folder",
    "reference",
    "server",
    "archive",
)


TYPE_NAME = re.compile(r"^(objectTypeEnumSet\.)?[A-Za-z0-9]+Class$")
"""The form of an objectTypeEnumSet member (the set has hundreds; the sandbox knows a few)."""


def object_type(value: str) -> ObjectType | None:
    """The type named fully (``objectTypeEnumSet.avClass``) or by its short name."""
    short = value.removeprefix("objectTypeEnumSet.")
    return OBJECT_TYPES.get(short)
