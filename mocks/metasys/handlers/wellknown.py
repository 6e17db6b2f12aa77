"""``GET /objects/{objectId}/objects/wellKnownQuery/{query}`` (INTERNAL): cursor-paged lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from standin.metasys import query, views
from standin.metasys.http import caller, respond
from standin.metasys.state import wellknown

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

MAX_PAGE_SIZE = 1000
Endpoint = Callable[[Request], Awaitable[Response]]


class WellKnownHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    def endpoint(self, name: str) -> Endpoint:
        async def answer(request: Request) -> Response:
            return self.answer(request, name)

        return answer

    def answer(self, request: Request, name: str) -> Response:
        who = caller(self.api, request)
        params = request.query_params
        cursor = query.integer(params, "cursor", 0, minimum=0)
        size = query.integer(params, "pageSize", 100, minimum=1, maximum=MAX_PAGE_SIZE)
        device = who.state.object(request.path_params["objectId"])
        found = wellknown.matching(who.state, device, name)
        page = found[cursor : cursor + size]
        following = cursor + size
        body: dict[str, Any] = {
            "self": str(request.url),
            "items": [views.object_summary(obj, who.state, who.base, False) for obj in page],
            "next": (
                str(request.url.include_query_params(cursor=following))
                if following < len(found)
                else None
            ),
        }
        return respond(body)
