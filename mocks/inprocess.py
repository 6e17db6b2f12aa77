"""In-process mode: requests for the vendors' real host names reach the fakes through respx.

Unchanged client code (sync or async httpx) runs against the sandbox with no ports. Streaming
responses are buffered by this route, so Server-Sent Events need a real server instead.

A request for a host that no fake answers is refused (:class:`UnroutedHost`) unless it is let
through by name: a test that forgot to route a host must fail, not reach the vendor (or hang on
DNS in CI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import respx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from standin._core.sandbox import Sandbox
from standin.registry import create_sandbox


class UnroutedHost(Exception):
    """In-process mode refused a request for a host it neither routes nor lets through.

    Not an httpx error on purpose: a client that copes with network errors (retrying, or
    reporting the vendor as down) would swallow it, and the test would pass without noticing.
    """

    def __init__(self, request: httpx.Request) -> None:
        host = request.url.host
        super().__init__(
            f"standin refused {request.method} {request.url}: no fake answers host {host!r}, "
            f"and in-process mode sends nothing to the network. Route it to a fake with "
            f"standin(hosts={{'<api>': [{host!r}]}}), or let it through with "
            f"standin(pass_through=[{host!r}]) (or pass_through=True for every host)"
        )
        self.host = host


def _refuse(request: httpx.Request) -> httpx.Response:
    raise UnroutedHost(request)


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
    pass_through: bool | Collection[str] = False,
) -> Iterator[Sandbox]:
    """Route every vendor host to ``sandbox`` (a fresh default one if not given) and yield it.

    ``hosts`` replaces host names per api key, e.g. ``{"metasys": ["bas.example.com"]}``.
    A request for any other host raises :class:`UnroutedHost`, unless ``pass_through`` names
    its host (``["127.0.0.1"]``) or is True: those go to the network as they would without
    standin.
    """
    if isinstance(pass_through, str):
        raise TypeError("pass_through takes a list of host names, or True")
    let_through: Collection[str] = () if isinstance(pass_through, bool) else pass_through
    sandbox = sandbox or create_sandbox()
    bridges: list[AsgiBridge] = []
    with respx.mock(assert_all_mocked=False, assert_all_called=False) as router:
        for key, api in sandbox.apis.items():
            bridge = AsgiBridge(api.app())
            bridges.append(bridge)
            for host in (hosts or {}).get(key, api.hosts):
                router.route(host=host).mock(side_effect=bridge)
        for host in let_through:
            router.route(host=host).pass_through()
        if pass_through is True:
            router.route().pass_through()
        else:
            router.route().mock(side_effect=_refuse)
        try:
            yield sandbox
        finally:
            for bridge in bridges:
                bridge.close()
