"""In-process mode: requests for the vendors' real host names reach the fakes through respx.

Unchanged client code (sync or async httpx) runs against the sandbox with no ports. Streaming
responses are buffered by this route, so Server-Sent Events need a real server instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import respx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from standin._core.sandbox import Sandbox
from standin.registry import create_sandbox


class AsgiBridge:
    """A respx side effect that answers a request from an ASGI app.

    Async clients are answered on their own event loop; sync clients through a portal thread.
    """

    def __init__(self, app: ASGIApp, portal: BlockingPortal | None = None) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._portal = portal
        self._stack = ExitStack()

    async def answer(self, request: httpx.Request) -> httpx.Response:
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        response = await self._transport.handle_async_request(forwarded)
        content = await response.aread()
        headers = [(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=content)

    def __call__(self, request: httpx.Request) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._blocking_portal().call(self.answer, request)
        return self.answer(request)

    def _blocking_portal(self) -> BlockingPortal:
        if self._portal is None:
            self._portal = self._stack.enter_context(start_blocking_portal())
        return self._portal

    def close(self) -> None:
        self._stack.close()


@contextmanager
def standin(
    sandbox: Sandbox | None = None,
    *,
    hosts: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[Sandbox]:
    """Route every vendor host to ``sandbox`` (a fresh default one if not given) and yield it.

    ``hosts`` adds or replaces host names per api key, e.g. ``{"metasys": ["bas.example.com"]}``.
    Requests to any other host are not intercepted.
    """
    sandbox = sandbox or create_sandbox()
    bridges: list[AsgiBridge] = []
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as router:
        for key, api in sandbox.apis.items():
            bridge = AsgiBridge(api.app())
            bridges.append(bridge)
            for host in (hosts or {}).get(key, api.hosts):
                router.route(host=host).mock(side_effect=bridge)
        router.route().pass_through()
        try:
            yield sandbox
        finally:
            for bridge in bridges:
                bridge.close()
