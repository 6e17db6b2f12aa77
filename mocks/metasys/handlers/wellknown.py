"""``GET /objects/{objectId}/objects/wellKnownQuery/{query}`` (INTERNAL): cursor-paged lists."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller, Handler
from standin.metasys import query, views
from standin.metasys.deps import Deps
from standin.metasys.http import respond
from standin.metasys.state import wellknown
from standin.metasys.state.site import MetasysState

MAX_PAGE_SIZE = 1000


class WellKnownHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def endpoint(self, name: str) -> Handler[MetasysState]:
        async def answer(request: Request, caller: Caller[MetasysState]) -> Response:
            return self.answer(request, caller, name)

        return answer

    def answer(self, request: Request, caller: Caller[MetasysState], name: str) -> Response:
        base = self.deps.base(request)
        params = request.query_params
        cursor = query.integer(params, "cursor", 0, minimum=0)
        size = query.integer(params, "pageSize", 100, minimum=1, maximum=MAX_PAGE_SIZE)
        device = caller.state.object(request.path_params["objectId"])
        found = wellknown.matching(caller.state, device, name)
        page = found[cursor : cursor + size]
        following = cursor + size
        body: dict[str, Any] = {
            "self": str(request.url),
            "items": [views.object_summary(obj, caller.state, base, False) for obj in page],
            "next": (
                str(request.url.include_query_params(cursor=following))
                if following < len(found)
                else None
            ),
        }
        return respond(body)
