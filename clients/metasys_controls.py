"""The Metasys client's controls (a part of ``MetasysClient``): a control's diagram (read,
replace, subscribe), and the palette of blocks diagrams are made of (INTERNAL operations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from standin.clients.metasys_errors import MetasysError, MetasysForbidden, MetasysValidationError
from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg


@dataclass(frozen=True)
class Endpoint:
    block: str
    port: str


@dataclass(frozen=True)
class Connection:
    id: str
    source: Endpoint
    destination: Endpoint
    priority: str | None = None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Connection:
        return cls(
            id=raw["id"],
            source=Endpoint(raw["source"]["block"], raw["source"]["port"]),
            destination=Endpoint(raw["destination"]["block"], raw["destination"]["port"]),
            priority=raw.get("priority"),
        )

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "source": {"block": self.source.block, "port": self.source.port},
            "destination": {"block": self.destination.block, "port": self.destination.port},
        }
        if self.priority is not None:
            body["priority"] = self.priority
        return body


@dataclass(frozen=True)
class Diagram:
    blocks: tuple[dict[str, Any], ...]
    """Each block as the API gives it (``id``, ``schemaUrl`` and its definition's properties)."""
    connections: tuple[Connection, ...]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Diagram:
        return cls(
            blocks=tuple(dict(block) for block in raw.get("blocks", [])),
            connections=tuple(Connection.of(c) for c in raw.get("connections", [])),
        )

    def json(self) -> dict[str, Any]:
        return {
            "blocks": [dict(block) for block in self.blocks],
            "connections": [connection.json() for connection in self.connections],
        }

    def block_type(self, block_id: str) -> str | None:
        """The block's type: the last segment of its ``schemaUrl``."""
        for block in self.blocks:
            if block.get("id") == block_id:
                return str(block.get("schemaUrl", "")).rsplit("/", 1)[-1]
        return None


@dataclass(frozen=True)
class DiagramSubscription:
    diagram: Diagram
    location: str
    """The subscription's URL: ``DELETE`` it (``unsubscribe_diagram``) to end it."""


@dataclass(frozen=True)
class DiagramProblem:
    status_name: str
    message: str
    details: Mapping[str, Any]
    inner: tuple[DiagramProblem, ...]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> DiagramProblem:
        inner = [raw["innerError"]] if "innerError" in raw else raw.get("innerErrors", [])
        return cls(
            status_name=raw["statusName"],
            message=raw["message"],
            details=raw.get("details", {}),
            inner=tuple(cls.of(each) for each in inner),
        )

    def status_names(self) -> list[str]:
        """Every statusName below this one, depth first (the specific errors last)."""
        names: list[str] = []
        for each in self.inner:
            names.append(each.status_name)
            names.extend(each.status_names())
        return names


class MetasysDiagramRejected(MetasysError):
    """A replaced diagram refused: ``problem`` is the reference's error hierarchy
    (``api.diagram:error.saveFailed`` on top, the specific errors inside)."""

    def __init__(self, *args: Any, problem: DiagramProblem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problem = problem

    @property
    def message(self) -> str:
        return self.problem.message


class MetasysDiagramInvalid(MetasysDiagramRejected, MetasysValidationError):
    """400: the diagram (or the body) is not valid."""


class MetasysDiagramForbidden(MetasysDiagramRejected, MetasysForbidden):
    """403: the user may not change this diagram or command one of its outputs."""


@dataclass(frozen=True)
class BlockDefinition:
    id: str
    """The last segment of ``$id``: what a block's ``schemaUrl`` ends with."""
    title: str
    description: str
    schema: Mapping[str, Any]
    """The whole definition (a JSON schema for one block, ``ports`` included)."""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> BlockDefinition:
        return cls(
            id=str(raw["$id"]).rsplit("/", 1)[-1],
            title=raw["title"],
            description=raw["description"],
            schema=raw,
        )

    @property
    def url(self) -> str:
        return str(self.schema["$id"])


@dataclass(frozen=True)
class Palette:
    id: str
    title: str
    blocks: tuple[BlockDefinition, ...]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Palette:
        return cls(
            id=raw["id"],
            title=raw["title"],
            blocks=tuple(BlockDefinition.of(item) for item in raw["items"]),
        )


def _problem(body: Any) -> DiagramProblem | None:
    if isinstance(body, Mapping) and isinstance(body.get("statusName"), str):
        try:
            return DiagramProblem.of(body)
        except (KeyError, TypeError):
            return None
    return None


class ControlsMixin(MetasysTransport):
    def diagram(self, control_id: str) -> Diagram:
        body = self._request("GET", f"/controls/{_seg(control_id)}/diagram")
        return Diagram.of(body["item"])

    def subscribe_diagram(self, control_id: str, stream_id: str) -> DiagramSubscription:
        """The diagram, and a subscription of the open stream to its ``diagram.*`` events."""
        response = self.raw(
            "GET",
            f"/controls/{_seg(control_id)}/diagram",
            headers={"METASYS-SUBSCRIBE": stream_id},
        )
        body = response.json()
        location = str(response.headers.get("metasys-subscription-location", ""))
        return DiagramSubscription(Diagram.of(body["item"]), location)

    def unsubscribe_diagram(self, location: str) -> None:
        self._request("DELETE", location)

    def replace_diagram(self, control_id: str, diagram: Diagram | Mapping[str, Any]) -> Diagram:
        """Save a new diagram; a refused one raises ``MetasysDiagramRejected``."""
        item = diagram.json() if isinstance(diagram, Diagram) else dict(diagram)
        try:
            body = self._request(
                "PUT", f"/controls/{_seg(control_id)}/diagram", json={"item": item}
            )
        except (MetasysValidationError, MetasysForbidden) as refused:
            problem = _problem(refused.body)
            if problem is None:
                raise
            kind = (
                MetasysDiagramForbidden
                if isinstance(refused, MetasysForbidden)
                else MetasysDiagramInvalid
            )
            raise kind(refused.status, refused.body, refused.headers, problem=problem) from refused
        return Diagram.of(body["item"])

    def palette(self, palette_id: str) -> Palette:
        return Palette.of(self._request("GET", f"/controls/palettes/{_seg(palette_id)}"))

    def palette_block(self, palette_id: str, block_definition_id: str) -> BlockDefinition:
        path = f"/controls/palettes/{_seg(palette_id)}/{_seg(block_definition_id)}"
        return BlockDefinition.of(self._request("GET", path))


__all__ = [
    "BlockDefinition",
    "Connection",
    "ControlsMixin",
    "Diagram",
    "DiagramProblem",
    "DiagramSubscription",
    "Endpoint",
    "MetasysDiagramForbidden",
    "MetasysDiagramInvalid",
    "MetasysDiagramRejected",
    "Palette",
]
