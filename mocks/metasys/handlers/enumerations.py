"""Creating, editing, replacing and deleting custom enumerations (INTERNAL); the reads are
``SystemHandlers.enumerations`` and ``SystemHandlers.enumeration``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from standin.metasys import errors
from standin.metasys.handlers.system import enumeration_item
from standin.metasys.http import Caller, caller, json_body, respond

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi


def writer(api: MetasysApi, request: Request) -> Caller:
    who = caller(api, request)
    if not who.user.can_write:
        raise errors.forbidden("The user is not authorized to modify enumerations.")
    return who


class EnumerationHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    async def create(self, request: Request) -> Response:
        who = writer(self.api, request)
        created = who.state.enumerations.create(await json_body(request))
        item = enumeration_item(created, who.base)
        return respond({"item": item}, 201, {"Location": item["self"]})

    async def edit(self, request: Request) -> Response:
        who = writer(self.api, request)
        body = await json_body(request)
        edited = who.state.enumerations.edit(request.path_params["id"], body)
        return respond({"item": enumeration_item(edited, who.base)})

    async def replace(self, request: Request) -> Response:
        who = writer(self.api, request)
        body = await json_body(request)
        replaced = who.state.enumerations.replace(request.path_params["id"], body)
        return respond({"item": enumeration_item(replaced, who.base)})

    async def delete(self, request: Request) -> Response:
        who = writer(self.api, request)
        who.state.enumerations.delete(request.path_params["id"])
        return Response(status_code=204)
