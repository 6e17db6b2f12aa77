"""A tenant's controls: the program objects whose logic is a diagram of blocks and connections,
their diagrams (validated as the reference's Replace diagram describes) and the values the logic
computes from the live objects.

**Sandbox choice:** a control is a Program object (``programClass``) of the object tree; its
diagram comes from the fixture and changes only through ``PUT /controls/{id}/diagram``.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from standin._core.errors import VendorError
from standin.metasys import errors
from standin.metasys.errors import MEDIA_TYPE
from standin.metasys.state.model import MetasysObject, User
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID, SCHEMA_URL, violations

if TYPE_CHECKING:
    from standin.metasys.state.site import MetasysState

CONTROL_TYPE = "programClass"
MAX_IO_BLOCKS = 64
"""**Sandbox choice:** the most Input and Output Reference blocks one diagram may hold."""
PRIORITIES_ALLOWED = tuple(f"writePriorityEnumSet.priority{n}" for n in (3, 4, 9, 10, 12, 14))
ENUM_PREFIX = "api.diagram:error."
Problem = dict[str, Any]
ValueItem = list[Any]


def problem(code: str, message: str, details: dict[str, Any] | None = None) -> Problem:
    status = code if ":" in code else ENUM_PREFIX + code
    found: Problem = {"statusName": status, "message": message}
    if details is not None:
        found["details"] = details
    return found


def nest(outer: Problem, inner: list[Problem]) -> Problem:
    """``innerError`` for one, ``innerErrors`` for several (the reference's hierarchy)."""
    if len(inner) == 1:
        outer["innerError"] = inner[0]
    elif inner:
        outer["innerErrors"] = inner
    return outer


def save_failed(status: int, inner: list[Problem]) -> VendorError:
    body = nest(
        problem(
            "saveFailed", "Diagram save failed. Please see innerError(s) for more information."
        ),
        inner,
    )
    return VendorError(status, body, None, MEDIA_TYPE)


@dataclass
class Diagram:
    blocks: list[dict[str, Any]] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)
    delays: dict[str, Any] = field(default_factory=dict)
    """Each Delay block's input at the previous evaluation."""

    def item(self) -> dict[str, Any]:
        return {
            "blocks": copy.deepcopy(self.blocks),
            "connections": copy.deepcopy(self.connections),
        }

    def references(self) -> set[str]:
        return {str(b["reference"]) for b in self.blocks if "reference" in b}


def block_type_id(block: dict[str, Any]) -> str:
    matched = SCHEMA_URL.search(str(block.get("schemaUrl", "")))
    return "" if matched is None else matched.group(2)


class Controls:
    """The diagrams of one tenant's controls, by control (object) id.

    The state owns this object, which refers back to it weakly: a state and its controls are no
    reference cycle, so a deleted tenant's state is freed at once, not at the cycle collector's
    next full collection (an oldest-generation one, which ``standin serve`` makes rare)."""

    def __init__(self, state: MetasysState) -> None:
        self._state = weakref.ref(state)
        self.diagrams: dict[str, Diagram] = {}

    @property
    def state(self) -> MetasysState:
        state = self._state()
        if state is None:
            raise RuntimeError("the controls outlived their tenant's state")
        return state

    def __getstate__(self) -> dict[str, Any]:
        # A snapshot or copy keeps the state (the pickle's memo makes it the same object).
        return {"state": self.state, "diagrams": self.diagrams}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self._state = weakref.ref(saved["state"])
        self.diagrams = saved["diagrams"]

    def load(self, obj: MetasysObject, raw: dict[str, Any]) -> None:
        """A fixture diagram (validated by the contract's fixture schema and by replace)."""
        self.diagrams[obj.id] = self._checked({"item": raw}, None)

    # --- reading -----------------------------------------------------------------------------

    def control(self, control_id: str) -> MetasysObject:
        """The control (404 for an unknown id or an object that is not a control)."""
        obj = self.state.tree.get(control_id.lower())
        if obj is None or obj.type.short != CONTROL_TYPE:
            raise errors.not_found(f"The control {control_id} was not found.")
        self.state.require_online(obj)
        return obj

    def diagram(self, obj: MetasysObject) -> Diagram:
        return self.diagrams.setdefault(obj.id, Diagram())

    # --- replacing ---------------------------------------------------------------------------

    def replace(self, obj: MetasysObject, body: Any, user: User) -> Diagram:
        if not user.can_write:
            raise save_failed(
                403,
                [
                    problem(
                        "enum.core:statusEnumSet.writeAccessDeniedSecurity",
                        "The user is not authorized to modify the diagram.",
                    )
                ],
            )
        if not obj.can_modify:
            raise save_failed(
                403,
                [
                    problem(
                        "unauthorizedExistingDiagram",
                        "The user is not authorized to modify the existing diagram.",
                    )
                ],
            )
        diagram = self._checked(body, user)
        self.diagrams[obj.id] = diagram
        return diagram

    def _checked(self, body: Any, user: User | None) -> Diagram:
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, dict) or set(body) != {"item"}:
            raise save_failed(
                400,
                [
                    problem(
                        "schemaFailure",
                        "The payload did not validate against the schema.",
                        {"violations": ['the body must be {"item": {...}}']},
                    )
                ],
            )
        blocks, connections = item.get("blocks", []), item.get("connections", [])
        shape = [f"{name} is not allowed" for name in item if name not in ("blocks", "connections")]
        shape += [
            f"{n} must be an array"
            for n, v in (("blocks", blocks), ("connections", connections))
            if not isinstance(v, list)
        ]
        if shape:
            raise save_failed(
                400,
                [
                    problem(
                        "diagramSchemaFailure",
                        "The diagram did not validate against the schema.",
                        {"violations": shape},
                    )
                ],
            )
        inner = self._block_problems(blocks)
        inner += self._connection_problems(blocks, connections)
        inner += self._diagram_problems(blocks, connections)
        if not inner and _has_loop(blocks, connections):
            inner.append(
                problem(
                    "circularLogic", "An unsupported circular loop has been defined in the diagram."
                )
            )
        if inner:
            raise save_failed(400, inner)
        if user is not None:
            denied = self._uncontrollable(blocks, user)
            if denied:
                raise save_failed(403, denied)
        return Diagram(copy.deepcopy(blocks), copy.deepcopy(connections))

    def _block_problems(self, blocks: list[Any]) -> list[Problem]:
        found: list[Problem] = []
        for index, block in enumerate(blocks):
            block_id = block.get("id") if isinstance(block, dict) else None
            details = {"blockId": block_id} if isinstance(block_id, str) else {"index": index}
            specific = self._block_problem(block)
            if specific is not None:
                found.append(
                    nest(
                        problem("block", "The block is not valid.", details),
                        [specific],
                    )
                )
        return found

    def _block_problem(self, block: Any) -> Problem | None:
        if not isinstance(block, dict) or not isinstance(block.get("schemaUrl"), str):
            return problem(
                "blockSchemaFailure",
                "A block did not validate against its schema.",
                {"violations": ["a block must be an object with a string schemaUrl"]},
            )
        matched = SCHEMA_URL.search(block["schemaUrl"])
        kind = BLOCK_TYPES.get(matched.group(2)) if matched else None
        if matched is None or matched.group(1) != LCT_PALETTE_ID or kind is None:
            return problem(
                "invalidSchemaUrl",
                "A block's schema URL is invalid or doesn't reference a known block type.",
                {"schemaUrl": block["schemaUrl"]},
            )
        schema = kind.schema("")
        schema["properties"]["schemaUrl"] = {"type": "string"}
        broken = violations(block, schema)
        if broken:
            return problem(
                "blockSchemaFailure",
                "A block did not validate against its schema.",
                {"violations": broken},
            )
        return None

    def _connection_problems(self, blocks: list[Any], connections: list[Any]) -> list[Problem]:
        by_id = {b["id"]: b for b in blocks if isinstance(b, dict) and isinstance(b.get("id"), str)}
        found: list[Problem] = []
        for index, connection in enumerate(connections):
            connection_id = connection.get("id") if isinstance(connection, dict) else None
            details = (
                {"connectionId": connection_id}
                if isinstance(connection_id, str)
                else {"index": index}
            )
            specific = self._connection_problem(connection, by_id)
            if specific:
                found.append(
                    nest(problem("connection", "The connection is not valid.", details), specific)
                )
        return found

    def _connection_problem(self, connection: Any, by_id: dict[str, Any]) -> list[Problem]:
        endpoint = {
            "type": "object",
            "required": ["block", "port"],
            "additionalProperties": False,
            "properties": {"block": {"type": "string"}, "port": {"type": "string"}},
        }
        schema = {
            "type": "object",
            "required": ["id", "source", "destination"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 64},
                "source": endpoint,
                "destination": endpoint,
                "priority": {"type": "string"},
            },
        }
        broken = violations(connection, schema, "connection")
        if broken:
            return [
                problem(
                    "connectionSchemaFailure",
                    "A connection did not validate against its schema.",
                    {"violations": broken},
                )
            ]
        found: list[Problem] = []
        ends = []
        for side, wanted in (("source", "output"), ("destination", "input")):
            end = connection[side]
            block = by_id.get(end["block"])
            kind = BLOCK_TYPES.get(block_type_id(block)) if block is not None else None
            port = kind.port(end["port"]) if kind is not None else None
            if port is None:
                found.append(
                    problem(
                        "portDoesNotExist",
                        f"The port referenced by the connection's {side} is not defined.",
                        {side: end},
                    )
                )
            elif port.direction != wanted:
                found.append(
                    problem(
                        "portDirectionInvalidForConnectionEndpoint",
                        "The source of a connection cannot be an input port of a block and the "
                        "destination of a connection cannot be an output port of a block.",
                        {side: end},
                    )
                )
            ends.append(kind)
        source, destination = connection["source"], connection["destination"]
        if source["block"] == destination["block"]:
            found.append(
                problem(
                    "portsCannotBeFromSameBlock",
                    "A connection's source and destination cannot be from the same block.",
                )
            )
        source_kind, destination_kind = ends
        if (
            source_kind is not None
            and destination_kind is not None
            and source_kind.id == "delay"
            and destination_kind.is_output_type
        ):
            found.append(
                problem(
                    "delayConnectedToOutputTypeBlock",
                    "A Delay block should not be connected to an Output Reference.",
                )
            )
        if "priority" in connection:
            if destination_kind is not None and not destination_kind.is_output_type:
                found.append(
                    problem(
                        "priorityNotSupported",
                        "A connection does not support priority when connected to anything "
                        "other than Output Reference.",
                    )
                )
            elif connection["priority"] not in PRIORITIES_ALLOWED:
                found.append(
                    problem(
                        "invalidEnum",
                        "An enumeration value is not valid.",
                        {"priority": connection["priority"], "allowed": list(PRIORITIES_ALLOWED)},
                    )
                )
        return found

    def _diagram_problems(self, blocks: list[Any], connections: list[Any]) -> list[Problem]:
        found: list[Problem] = []
        seen: set[str] = set()
        duplicates: list[str] = []
        for entity in (*blocks, *connections):
            entity_id = entity.get("id") if isinstance(entity, dict) else None
            if isinstance(entity_id, str):
                if entity_id in seen and entity_id not in duplicates:
                    duplicates.append(entity_id)
                seen.add(entity_id)
        if duplicates:
            found.append(
                problem(
                    "duplicateId",
                    "The same id is defined multiple times in the diagram.",
                    {"ids": duplicates},
                )
            )
        valid = [b for b in blocks if isinstance(b, dict) and "reference" in b]
        if len(valid) > MAX_IO_BLOCKS:
            found.append(
                problem(
                    "ioThresholdExceeded",
                    "The diagram contains more than the maximum allowed inputs or outputs.",
                    {"maximum": MAX_IO_BLOCKS},
                )
            )
        unbound = sorted(
            {
                str(b["reference"])
                for b in valid
                if isinstance(b["reference"], str) and self.state.tree.find(b["reference"]) is None
            }
        )
        if unbound:
            found.append(
                problem(
                    "unboundReferences",
                    "The configured object reference for an Input Reference or Output Reference "
                    "could not be resolved.",
                    {"references": unbound},
                )
            )
        return found

    def _uncontrollable(self, blocks: list[dict[str, Any]], user: User) -> list[Problem]:
        refused = []
        for block in blocks:
            if block_type_id(block) != "outputReference":
                continue
            target = self.state.tree.find(block["reference"])
            if target is not None and not (
                target.type.prioritized and self.state.can_modify(target, user)
            ):
                refused.append(block["reference"])
        if not refused:
            return []
        return [
            problem(
                "unauthorizedRequestDiagram",
                "The user is not authorized to control some references in the new diagram.",
                {"references": refused},
            )
        ]

    # --- values ------------------------------------------------------------------------------

    def values(self, obj: MetasysObject) -> list[ValueItem]:
        """Each connection's current value (``[id, value]`` or ``[id, value, condition]``)."""
        diagram = self.diagram(obj)
        outputs = self._evaluate(diagram)
        items: list[ValueItem] = []
        for connection in diagram.connections:
            source = connection["source"]
            value, condition = outputs.get((source["block"], source["port"]), (None, None))
            items.append(
                [connection["id"], value]
                if condition is None
                else [connection["id"], value, condition]
            )
        return items

    def _evaluate(self, diagram: Diagram) -> dict[tuple[str, str], tuple[Any, Any]]:
        by_id = {b["id"]: b for b in diagram.blocks}
        feeds: dict[tuple[str, str], tuple[str, str]] = {}
        for connection in diagram.connections:
            source, destination = connection["source"], connection["destination"]
            # Sandbox choice: where two connections feed one input, the later one wins.
            feeds[(destination["block"], destination["port"])] = (source["block"], source["port"])
        outputs: dict[tuple[str, str], tuple[Any, Any]] = {}

        def read(block_id: str, port: str) -> tuple[Any, Any]:
            fed = feeds.get((block_id, port))
            return (None, None) if fed is None else outputs.get(fed, (None, None))

        for block_id in _order(diagram.blocks, diagram.connections):
            block = by_id[block_id]
            kind = block_type_id(block)
            if kind == "constant":
                outputs[(block_id, "output")] = (block["value"], None)
            elif kind == "inputReference":
                outputs[(block_id, "output")] = self._reference_value(block["reference"])
            elif kind == "delay":
                outputs[(block_id, "output")] = diagram.delays.get(block_id, (None, None))
            elif kind in ("add", "subtract", "multiply", "minimum", "maximum"):
                outputs[(block_id, "output")] = _arithmetic(
                    kind, read(block_id, "input1"), read(block_id, "input2")
                )
        for block in diagram.blocks:
            if block_type_id(block) == "delay":
                diagram.delays[block["id"]] = read(block["id"], "input")
        return outputs

    def _reference_value(self, reference: str) -> tuple[Any, Any]:
        target = self.state.tree.find(reference)
        if target is None:
            return None, None
        if self.state.is_offline(target):
            return None, {"reliability": "reliabilityEnumSet.communicationFailure"}
        if target.type.attribute("presentValue") is None:
            return None, None
        effective = self.state.effective(target)
        condition = None if effective.is_reliable else {"reliability": effective.reliability}
        return effective.value, condition

    def controls_referencing(self, object_id: str) -> list[str]:
        """The controls whose diagrams read or write that object."""
        target = self.state.tree.get(object_id)
        if target is None:
            return []
        return [
            control_id
            for control_id, diagram in self.diagrams.items()
            if target.item_reference in diagram.references()
        ]


def _arithmetic(kind: str, left: tuple[Any, Any], right: tuple[Any, Any]) -> tuple[Any, Any]:
    a, b = left[0], right[0]
    condition = left[1] or right[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)):
        return None, condition
    result = {
        "add": lambda: a + b,
        "subtract": lambda: a - b,
        "multiply": lambda: a * b,
        "minimum": lambda: min(a, b),
        "maximum": lambda: max(a, b),
    }[kind]()
    return float(result), condition


def _edges(blocks: Iterable[dict[str, Any]], connections: Iterable[Any]) -> dict[str, set[str]]:
    """Block -> the blocks it feeds, leaving out a Delay block's output (it breaks loops)."""
    kinds = {b.get("id"): block_type_id(b) for b in blocks if isinstance(b, dict)}
    edges: dict[str, set[str]] = {str(i): set() for i in kinds}
    for connection in connections:
        source = connection["source"]["block"]
        if kinds.get(source) != "delay":
            edges.setdefault(source, set()).add(connection["destination"]["block"])
    return edges


def _has_loop(blocks: list[Any], connections: list[Any]) -> bool:
    return len(_order(blocks, connections)) < len(_edges(blocks, connections))


def _order(blocks: list[Any], connections: list[Any]) -> list[str]:
    """Blocks in evaluation order (Kahn's algorithm, ties in diagram order); blocks on a loop
    without a Delay are left out."""
    edges = _edges(blocks, connections)
    incoming = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for target in targets:
            incoming[target] = incoming.get(target, 0) + 1
    ready = [block for block in edges if incoming[block] == 0]
    ordered: list[str] = []
    while ready:
        block = ready.pop(0)
        ordered.append(block)
        for target in sorted(edges.get(block, ())):
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return ordered


def load_controls(state: MetasysState, fixture: dict[str, Any]) -> Controls:
    """The fixture's diagrams (``diagram`` on a ``programClass`` object of the device tree)."""
    controls = Controls(state)
    # Depth first, without a recursive closure (a function that refers to itself is a cycle).
    pending = [(device, f"{fixture['site']}:{device['name']}") for device in fixture["devices"]]
    pending.reverse()
    while pending:
        raw, reference = pending.pop()
        if "diagram" in raw:
            obj = state.tree.find(reference)
            assert obj is not None, reference
            controls.load(obj, raw["diagram"])
        children = raw.get("children", [])
        if children:
            parent = state.tree.find(reference)
            assert parent is not None, reference
            pending.extend(
                (child, state.tree.child_reference(parent, child["name"]))
                for child in reversed(children)
            )
    return controls


__all__ = ["CONTROL_TYPE", "Controls", "Diagram", "load_controls", "save_failed"]
