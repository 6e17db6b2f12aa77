"""Serving a contract from the app it describes, pointed at the sandbox that serves it.

The contract is parsed and encoded once per process, in a worker thread, so the first request
does not hold the event loop (Metasys' contract is 17k lines of YAML); every request after it
only splices its own ``servers`` entry in front of the encoded rest.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from standin import contracts
from standin._core.rendering import dumps


class EncodedContract:
    """A contract as JSON: its ``servers`` list apart, and the rest of the object encoded."""

    def __init__(self, document: Any) -> None:
        rest = dict(document)
        self.servers: list[Any] = list(rest.pop("servers", []))
        self.rest = dumps(rest)

    def with_server_first(self, server: dict[str, str]) -> bytes:
        """The whole document, ``server`` heading its servers (the other keys' order stays)."""
        servers = b'{"servers":' + dumps([server, *self.servers])
        if self.rest == b"{}":
            return servers + b"}"
        return servers + b"," + self.rest[1:]


@cache
def encoded(api: str) -> EncodedContract:
    """The contract of ``api``, encoded on the first call and shared by every later one."""
    return EncodedContract(contracts.parsed(api))


class ContractResponse(Response):
    """The contract of ``api`` as JSON; its body is made when the response is sent, off the
    event loop, because the first one parses the contract."""

    media_type = "application/json"

    def __init__(self, api: str, server: dict[str, str]) -> None:
        super().__init__()
        self.api = api
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        contract = await anyio.to_thread.run_sync(encoded, self.api)
        self.body = contract.with_server_first(self.server)
        self.headers["content-length"] = str(len(self.body))
        await super().__call__(scope, receive, send)


def contract_response(request: Request, api: str) -> Response:
    """The contract of ``api`` as JSON, listing this sandbox first among its servers."""
    # The mount prefix (e.g. /atmotube) is in root_path; base_url leaves it out.
    here = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
    return ContractResponse(api, {"url": here, "description": "this standin sandbox"})
