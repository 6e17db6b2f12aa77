"""Controls (INTERNAL): a control's diagram (read, with ``METASYS-SUBSCRIBE``, and replace), the
end of a diagram subscription, and the LCT palette and its block definitions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from standin._core.errors import VendorError
from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.deps import Deps
from standin.metasys.handlers.streams import end_subscription, owner_of
from standin.metasys.http import json_body, respond
from standin.metasys.state.controls import Diagram, block_type_id, problem, save_failed
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID, palette, schema_url
from standin.metasys.state.site import MetasysState


def diagram_item(diagram: Diagram, base: str) -> dict[str, Any]:
    """The diagram, each block's ``schemaUrl`` on the host the caller reached."""
    item = diagram.item()
    for block in item["blocks"]:
        block["schemaUrl"] = schema_url(base, block_type_id(block))
    return item


def diagram_schema(base: str) -> dict[str, Any]:
    """**Sandbox choice:** ``includeSchema``: the diagram's JSON schema, each block one of the
    palette's block definitions (by ``$ref`` to its URL)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Diagram",
        "type": "object",
        "properties": {
            "blocks": {
                "type": "array",
                "items": {"oneOf": [{"$ref": schema_url(base, b)} for b in BLOCK_TYPES]},
            },
            "connections": {"type": "array", "items": {"type": "object"}},
        },
    }


class ControlHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def diagram(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        include_schema = query.boolean(request.query_params, "includeSchema")
        control = caller.state.controls.control(request.path_params["controlId"])
        body: dict[str, Any] = {
            "item": diagram_item(caller.state.controls.diagram(control), base),
            "self": str(request.url),
        }
        if include_schema:
            body["schema"] = diagram_schema(base)
        stream_id = request.headers.get("metasys-subscribe")
        if stream_id is None:
            return respond(body)
        subscription_id = self.deps.diagram_streams.subscribe(
            caller.state, stream_id, owner_of(caller), control.id
        )
        location = (
            f"{base}/controls/streams/{quote(stream_id, safe='')}/subscriptions/{subscription_id}"
        )
        return respond(body, headers={"METASYS-SUBSCRIPTION-LOCATION": location})

    async def replace_diagram(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        controls = caller.state.controls
        control = controls.control(request.path_params["controlId"])
        try:
            body = await json_body(request)
        except VendorError as refused:
            message = refused.body.get("Message") if isinstance(refused.body, dict) else None
            raise save_failed(
                400,
                [
                    problem(
                        "schemaFailure",
                        "The payload did not validate against the schema.",
                        {"violations": [message or "the body is not JSON"]},
                    )
                ],
            ) from None
        diagram = controls.replace(control, body, user)
        self.deps.diagram_streams.diagram_replaced(caller.state, control.id)
        return respond({"item": diagram_item(diagram, base), "self": str(request.url)})

    async def delete_subscription(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return end_subscription(request, caller, self.deps.diagram_streams.unsubscribe)

    async def palette(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        self._palette(request.path_params["paletteId"])
        return respond(palette(base))

    async def block(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        self._palette(request.path_params["paletteId"])
        raw = request.path_params["blockDefinitionId"]
        kind = BLOCK_TYPES.get(raw)
        if kind is None:
            raise errors.not_found(f"The block definition {raw} was not found.")
        return respond(kind.schema(base))

    def _palette(self, palette_id: str) -> None:
        if palette_id.lower() != LCT_PALETTE_ID:
            raise errors.not_found(f"The palette {palette_id} was not found.")
