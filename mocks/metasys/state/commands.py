"""Commands: what each object offers (with ``commandBodySchema``), and checking a command's body
against that schema before the priority array changes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from standin.metasys.enums import enum, priority_level
from standin.metasys.state.model import MetasysObject
from standin.metasys.types import FLOAT_LIMIT

OPERATOR_OVERRIDE = 8
DEFAULT_PRIORITY = 16
ANNOTATION = {
    "title": "Annotation",
    "type": "string",
    "metasysType": "string",
    "minLength": 1,
    "maxLength": 255,
}
TITLES = dict(enum("commandIdEnumSet").members)


class CommandRejected(Exception):
    """The body does not fit the command's schema (400), or the command is not the object's."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Parameter:
    id: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class CommandSpec:
    id: str
    """The short id, e.g. ``adjustCommand``."""
    parameters: tuple[Parameter, ...]
    takes_priority: bool


@dataclass(frozen=True)
class Invocation:
    command: str
    parameters: tuple[Any, ...]
    level: int | None
    annotation: str | None


def _value_parameter(obj: MetasysObject) -> Parameter:
    kind = obj.type.value_kind
    schema: dict[str, Any] = {"id": "commandParmsEnumSet.valueCmdparm", "title": "Value"}
    if kind == "analog":
        precision = str(obj.attributes.get("displayPrecision"))
        schema.update(
            {
                "displayPrecisionSource": "displayPrecision",
                "maxPresValueSource": "maxPresValue",
                "minPresValueSource": "minPresValue",
                "unitsSource": "units",
                "metasysType": "float",
                "type": "number",
                "minimum": -FLOAT_LIMIT,
                "maximum": FLOAT_LIMIT,
                "displayPrecision": {
                    "id": precision,
                    "displayMultipleOf": {
                        "displayPrecisionEnumSet.displayPrecision1": 1,
                        "displayPrecisionEnumSet.displayPrecisionPt01": 0.01,
                    }.get(precision, 0.1),
                },
            }
        )
    else:
        set_id = obj.type.value_enum() or "statesEnumSet"
        count = len(enum(set_id).members)
        schema.update(
            {
                "statesTextSource": "statesText",
                "numberOfStatesSource": "numberOfStates",
                "type": "string",
                "metasysType": "enum",
                "oneOf": [{"$ref": f"#{set_id}_endAt_{count}"}],
                "default": enum(set_id).ids()[0],
            }
        )
    return Parameter("value", schema)


HOURS = Parameter(
    "hours",
    {
        "id": "commandParmsEnumSet.hoursCmdparm",
        "title": "Hours",
        "metasysType": "ulong",
        "type": "integer",
        "minimum": 0,
        "maximum": 100,
        "default": 0,
    },
)
MINUTES = Parameter(
    "minutes",
    {
        "id": "commandParmsEnumSet.minutesCmdparm",
        "title": "Minutes",
        "metasysType": "ulong",
        "type": "integer",
        "minimum": 0,
        "maximum": 59,
        "default": 0,
    },
)
ATTRIBUTE = Parameter(
    "attribute",
    {
        "id": "commandParmsEnumSet.attributeCmdparm",
        "title": "Attribute",
        "type": "string",
        "metasysType": "enum",
        "oneOf": [{"$ref": "#attributeEnumSet"}],
        "default": "attributeEnumSet.presentValue",
    },
)
PRIORITY = Parameter(
    "priority",
    {
        "id": "commandParmsEnumSet.priorityCmdparm",
        "title": "Priority",
        "numberOfStates": 17,
        "type": "string",
        "metasysType": "enum",
        "oneOf": [{"$ref": "#writePriorityEnumSet"}],
        "default": "writePriorityEnumSet.priorityDefault",
    },
)


def state_commands(obj: MetasysObject) -> list[str]:
    """The commands an aggregate Adjust groups: one per state of a BV, BO or MV."""
    if obj.type.value_kind == "binary":
        return ["state0Command", "state1Command"]
    if obj.type.value_kind == "multistate":
        return [f"multistate{n}Command" for n in range(len(enum("statesEnumSet").members))]
    return []


def specs(obj: MetasysObject) -> dict[str, CommandSpec]:
    """Every command the object can be sent, by short id (aggregate sub-commands included)."""
    found: dict[str, CommandSpec] = {}
    value = _value_parameter(obj) if obj.type.is_point else None
    for command in obj.type.commands:
        if command == "adjustCommand" and obj.type.value_kind != "analog":
            for sub in state_commands(obj):
                found[sub] = CommandSpec(sub, (), True)
            continue
        parameters: tuple[Parameter, ...] = ()
        if command in ("adjustCommand", "overrideCommand") and value is not None:
            parameters = (value,)
        elif command == "temporaryOverrideCommand" and value is not None:
            parameters = (value, HOURS, MINUTES)
        elif command == "releaseCommand":
            parameters = (ATTRIBUTE, PRIORITY)
        elif command == "releaseAllCommand":
            parameters = (ATTRIBUTE,)
        found[command] = CommandSpec(command, parameters, command == "adjustCommand")
    return found


def body_schema(spec: CommandSpec, base: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    schema: dict[str, Any] = {"type": "object", "metasysType": "struct"}
    if spec.takes_priority:
        properties["priority"] = {"oneOf": [{"$ref": "#writePriorityEnumSet"}, {"type": "null"}]}
    if spec.parameters:
        properties["parameters"] = {
            "type": "array",
            "metasysType": "list",
            "items": [p.schema for p in spec.parameters],
            "minItems": len(spec.parameters),
            "maxItems": len(spec.parameters),
        }
    properties["annotation"] = dict(ANNOTATION)
    schema.update({"properties": properties, "required": [], "additionalProperties": False})
    if spec.takes_priority:
        schema["definitions"] = {
            "writePriorityEnumSet": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "Write Priority",
                "$id": "#writePriorityEnumSet",
                "allOf": [{"$ref": f"{base}/schemas/enums/writePriorityEnumSet"}],
                "setId": 1,
            }
        }
    return schema


def entries(obj: MetasysObject, base: str) -> list[dict[str, Any]]:
    """``GET /objects/{id}/commands`` items: BV, BO and MV group their states under Adjust."""
    available = specs(obj)
    url = f"{base}/objects/{obj.id}/commands/commandIdEnumSet."
    items: list[dict[str, Any]] = []

    def entry(spec: CommandSpec) -> dict[str, Any]:
        return {
            "id": f"commandIdEnumSet.{spec.id}",
            "invokeUrl": url + spec.id,
            "title": TITLES.get(spec.id, spec.id),
            "commandBodySchema": body_schema(spec, base),
        }

    for command in obj.type.commands:
        if command == "adjustCommand" and obj.type.value_kind != "analog":
            items.append(
                {
                    "id": "commandIdEnumSet.adjustCommand",
                    "aggregateCommand": True,
                    "invokeUrl": None,
                    "title": "Adjust",
                    "commandSet": [entry(available[sub]) for sub in state_commands(obj)],
                }
            )
        else:
            items.append(entry(available[command]))
    return items


def invocation(obj: MetasysObject, command_id: str, body: Any) -> Invocation:
    """The command checked against its ``commandBodySchema``; CommandRejected if it does not fit."""
    short = command_id.removeprefix("commandIdEnumSet.")
    spec = specs(obj).get(short)
    if spec is None:
        raise CommandRejected(f"The object does not support the command {command_id}.", 404)
    if not isinstance(body, dict):
        raise CommandRejected("The request body must be a JSON object.")
    allowed = {"annotation", *(["priority"] if spec.takes_priority else [])}
    if spec.parameters:
        allowed.add("parameters")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise CommandRejected(f"Unknown property in the command body: {unknown[0]}.")
    annotation = body.get("annotation")
    # The contract types annotation as a string: null is refused like any other non-string.
    if "annotation" in body and (
        not isinstance(annotation, str) or not 1 <= len(annotation) <= 255
    ):
        raise CommandRejected("annotation must be a string of 1 to 255 characters.")
    level: int | None = None
    if spec.takes_priority:
        raw = body.get("priority")
        level = DEFAULT_PRIORITY if raw is None else _level(raw)
    raw_parameters = body.get("parameters", [] if not spec.parameters else None)
    if not isinstance(raw_parameters, list) or len(raw_parameters) != len(spec.parameters):
        raise CommandRejected(
            f"parameters must be an array of {len(spec.parameters)} item(s) for {short}."
        )
    values = tuple(_parameter(p, v) for p, v in zip(spec.parameters, raw_parameters, strict=True))
    return Invocation(short, values, level, annotation)


def _level(raw: Any) -> int:
    level = priority_level(raw) if isinstance(raw, str) else None
    if level is None or level == 0:
        raise CommandRejected("priority must be a writePriorityEnumSet member from 1 to 16.")
    return level


def _parameter(parameter: Parameter, value: Any) -> Any:
    schema = parameter.schema
    if schema["type"] == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise CommandRejected(f"{schema['title']} must be a number.")
        if not schema["minimum"] <= value <= schema["maximum"]:
            raise CommandRejected(f"{schema['title']} is out of range.")
        return float(value)
    if schema["type"] == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CommandRejected(f"{schema['title']} must be an integer.")
        if not schema["minimum"] <= value <= schema["maximum"]:
            raise CommandRejected(f"{schema['title']} is out of range.")
        return value
    if parameter.id == "priority":
        return _level(value)
    if parameter.id == "attribute":
        if value not in ("attributeEnumSet.presentValue", "presentValue"):
            raise CommandRejected("Only attributeEnumSet.presentValue is prioritized.")
        return "presentValue"
    set_id = schema["oneOf"][0]["$ref"].removeprefix("#").split("_endAt_")[0]
    if not isinstance(value, str) or value not in enum(set_id):
        raise CommandRejected(f"{schema['title']} must be a member of {set_id}.")
    return value
