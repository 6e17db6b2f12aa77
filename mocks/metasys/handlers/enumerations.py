"""Creating, editing, replacing and deleting custom enumerations (INTERNAL); the reads are
``SystemHandlers.enumerations`` and ``SystemHandlers.enumeration``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors
from standin.metasys.deps import Deps
from standin.metasys.handlers.system import enumeration_item
from standin.metasys.http import json_body, respond
from standin.metasys.state.site import MetasysState


def writer(deps: Deps, caller: Caller[MetasysState]) -> None:
    """Only an administrator changes enumerations (403 before the body is read)."""
    if not deps.user(caller).can_write:
        raise errors.forbidden("The user is not authorized to modify enumerations.")


class EnumerationHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def create(self, request: Request, caller: Caller[MetasysState]) -> Response:
        writer(self.deps, caller)
        base = self.deps.base(request)
        created = caller.state.enumerations.create(await json_body(request))
        item = enumeration_item(created, base)
        return respond({"item": item}, 201, {"Location": item["self"]})

    async def edit(self, request: Request, caller: Caller[MetasysState]) -> Response:
        writer(self.deps, caller)
        base = self.deps.base(request)
        body = await json_body(request)
        edited = caller.state.enumerations.edit(request.path_params["id"], body)
        return respond({"item": enumeration_item(edited, base)})

    async def replace(self, request: Request, caller: Caller[MetasysState]) -> Response:
        writer(self.deps, caller)
        base = self.deps.base(request)
        body = await json_body(request)
        replaced = caller.state.enumerations.replace(request.path_params["id"], body)
        return respond({"item": enumeration_item(replaced, base)})

    async def delete(self, request: Request, caller: Caller[MetasysState]) -> Response:
        writer(self.deps, caller)
        caller.state.enumerations.delete(request.path_params["id"])
        return Response(status_code=204)
