"""The LCT palette: the block types a control's diagram may hold, each defined by a JSON schema
with the reference's custom keywords (here ``ports``: each port's direction and value type).

**Sandbox choice:** the reference shows only the Text block's definition; the sandbox's palette
holds a small set of logic blocks (references, constants, arithmetic, minimum and maximum, delay)
so that diagrams compute values. A block instance is validated against its definition by a
small subset of JSON Schema (type, required, properties, additionalProperties, enum, bounds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LCT_PALETTE_ID = "01443cbc-d65e-4666-85d5-484a3b1f4f21"
"""The reference's example palette id, kept so its request samples work."""
LCT_TITLE = "LCT"

POSITION = {
    "type": "object",
    "description": "Where the block is drawn.",
    "required": ["x", "y"],
    "additionalProperties": False,
    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
}
REFERENCE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 400,
    "description": "The fully qualified reference of the object (e.g. ADS1:NAE-1/FC-1.AHU-1.SA-T).",
}


@dataclass(frozen=True)
class Port:
    name: str
    direction: str
    """``input`` or ``output``."""


@dataclass(frozen=True)
class BlockType:
    id: str
    title: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    ports: tuple[Port, ...]
    category: str

    def port(self, name: str) -> Port | None:
        for port in self.ports:
            if port.name == name:
                return port
        return None

    @property
    def is_output_type(self) -> bool:
        return self.id == "outputReference"

    def schema(self, base: str, palette_id: str = LCT_PALETTE_ID) -> dict[str, Any]:
        """The block definition as ``GET /controls/palettes/{paletteId}/{blockDefinitionId}``
        answers it: a JSON schema for one block instance."""
        return {
            "$id": schema_url(base, self.id, palette_id),
            "title": self.title,
            "description": self.description,
            "type": "object",
            "category": self.category,
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 64},
                "schemaUrl": {"type": "string", "const": schema_url(base, self.id, palette_id)},
                "name": {"type": "string", "maxLength": 100},
                "position": POSITION,
                **self.properties,
            },
            "required": ["id", "schemaUrl", *self.required],
            "additionalProperties": False,
            "ports": {
                port.name: {"direction": port.direction, "type": ["number", "null"]}
                for port in self.ports
            },
            "views": [
                {
                    "title": self.title,
                    "properties": ["name", *self.properties],
                }
            ],
        }


def schema_url(base: str, block_id: str, palette_id: str = LCT_PALETTE_ID) -> str:
    return f"{base}/controls/palettes/{palette_id}/{block_id}"


SCHEMA_URL = re.compile(r"/controls/palettes/([^/]+)/([^/?#]+)$")
"""A block's ``schemaUrl``: its last two segments name the palette and the block type (any host
that serves the API is accepted, as clients keep the URL the API gave them)."""

_IN, _OUT = "input", "output"
_TWO_IN = (Port("input1", _IN), Port("input2", _IN), Port("output", _OUT))


def _binary(block_id: str, title: str, what: str) -> BlockType:
    return BlockType(
        block_id,
        title,
        f"{what} of input1 and input2 (null when an input is null).",
        {},
        (),
        _TWO_IN,
        "math",
    )


BLOCK_TYPES: dict[str, BlockType] = {
    block.id: block
    for block in (
        BlockType(
            "text",
            "Text",
            "The schema for a text block instance",
            {"text": {"type": "string", "maxLength": 1000}},
            ("text",),
            (),
            "annotation",
        ),
        BlockType(
            "constant",
            "Constant",
            "A fixed value on its output.",
            {"value": {"type": "number"}},
            ("value",),
            (Port("output", _OUT),),
            "data",
        ),
        BlockType(
            "inputReference",
            "Input Reference",
            "The present value of an object, on its output.",
            {"reference": REFERENCE},
            ("reference",),
            (Port("output", _OUT),),
            "io",
        ),
        BlockType(
            "outputReference",
            "Output Reference",
            "The value its input would command the object to (the sandbox runs no commands).",
            {"reference": REFERENCE},
            ("reference",),
            (Port("input", _IN),),
            "io",
        ),
        _binary("add", "Add", "The sum"),
        _binary("subtract", "Subtract", "input1 minus input2"),
        _binary("multiply", "Multiply", "The product"),
        _binary("minimum", "Minimum", "The smaller"),
        _binary("maximum", "Maximum", "The larger"),
        BlockType(
            "delay",
            "Delay",
            "Its input of the previous evaluation (the one block that may close a loop).",
            {"seconds": {"type": "number", "minimum": 0, "maximum": 86400}},
            (),
            (Port("input", _IN), Port("output", _OUT)),
            "logic",
        ),
    )
}


def palette(base: str) -> dict[str, Any]:
    return {
        "id": LCT_PALETTE_ID,
        "title": LCT_TITLE,
        "self": f"{base}/controls/palettes/{LCT_PALETTE_ID}",
        "items": [block.schema(base) for block in BLOCK_TYPES.values()],
    }


# --- validating a block instance against its definition -------------------------------------


def violations(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    """What in ``value`` breaks ``schema`` (the subset of JSON Schema the palette uses)."""
    kind = schema.get("type")
    if kind is not None and not _is(value, kind):
        return [f"{where or 'the block'} must be of type {kind}"]
    found: list[str] = []
    if "const" in schema and value != schema["const"]:
        found.append(f"{where} must be {schema['const']}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where} must be one of {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            found.append(f"{where} is too short")
        if len(value) > schema.get("maxLength", len(value)):
            found.append(f"{where} is too long")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where} is above {schema['maximum']}")
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}.{name} is required".lstrip("."))
        for name, item in value.items():
            if name in properties:
                found.extend(violations(item, properties[name], f"{where}.{name}".lstrip(".")))
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}.{name} is not allowed".lstrip("."))
    return found


def _is(value: Any, kind: str | list[str]) -> bool:
    if isinstance(kind, list):
        return any(_is(value, k) for k in kind)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "string": isinstance(value, str),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }.get(kind, True)


__all__ = ["BLOCK_TYPES", "LCT_PALETTE_ID", "SCHEMA_URL", "BlockType", "palette", "schema_url"]
