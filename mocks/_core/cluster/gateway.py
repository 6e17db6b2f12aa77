"""The hand-off between replicas: an ASGI middleware in front of the whole app.

It keeps the request body as the app reads it (up to :data:`MAX_FORWARDED_BODY`) and runs the
app. When the tenant lookup finds the tenant served by another live replica
(:class:`~standin._core.cluster.signals.TenantElsewhere`, raised before anything is answered or
changed), it hands the request to that replica over HTTP (method, path, query, headers, body)
and streams the answer back as it comes, unbuffered, so a Metasys event stream works through a
replica that does not serve its tenant. A holder that refuses the connection (it was killed)
has its lease taken over, and the request is answered here. A holder that took the request and
then went away without answering (killed while serving it) may have applied it: a request that
is safe to send twice (``GET``, ``HEAD``, ``OPTIONS``, ``PUT``, ``DELETE``: idempotent in HTTP's
terms) is answered here too, but a ``POST`` or ``PATCH`` is answered 502 (:func:`lost_response`),
as the balancer answers one whose replica died while serving it: it is not applied twice. A
request is handed on at most :data:`MAX_HOPS` times, then answered 503.

A handed request carries the replicas' shared secret; only then are its hop count and its
``X-Forwarded-For`` (the address the first replica saw) believed, and the scope's ``client``
becomes that original address, which is what any "is this client local" rule must judge.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.cluster.signals import Holder, StorageUnavailable, TenantElsewhere
from standin._core.rendering import JSONBody

if TYPE_CHECKING:
    from standin._core.cluster.persistence import RedisPersistence

log = logging.getLogger("standin.cluster")

FORWARDED_HEADER = "X-Standin-Forwarded"
"""Carries the replicas' shared secret on a request one replica hands to another."""
HOPS_HEADER = "X-Standin-Hops"
"""How many times the request has been handed on."""
MAX_HOPS = 2
"""A request handed on this many times (its tenant moved meanwhile) is answered 503."""
MAX_FORWARDED_BODY = 16 * 1024 * 1024
"""The largest body handed on; above every vendor's own cap (BuildingMinds', 10 MiB), which
refuses larger ones before any tenant is looked up."""
RETRY_AFTER_SECONDS = 1
KEPT_ALIVE = 32
"""Idle connections to the other replicas kept open (when the server runs a lifespan)."""
KEEP_ALIVE_EXPIRY_S = 2.0
"""How long an idle connection to another replica is kept: under the 5 s that `standin serve`
keeps an idle connection open (``standin.cli.KEEP_ALIVE_SECONDS``), so this replica closes it
before the other does, and never sends a request on a connection the other is closing (a
``POST`` lost that way could not be sent again: see :data:`SAFE_TO_REPEAT`)."""
SAFE_TO_REPEAT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""The methods HTTP calls idempotent (RFC 9110, 9.2.2): one whose holder went away after taking
it is answered here, as if it had been sent once more."""

_FORWARDED = FORWARDED_HEADER.lower().encode()
_HOPS = HOPS_HEADER.lower().encode()
_XFF = b"x-forwarded-for"
_NOT_HANDED_ON = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
    }
)
_NOT_HANDED_BACK = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"date", b"server"}
)
_NOT_DELIVERED = (httpx.ConnectError, httpx.ConnectTimeout)
"""The holder never took the request: nothing of it can have been applied."""
_LOST = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""The holder went away after taking (part of) the request, before answering: it may have been
applied."""


def original_client(scope: Scope, secret: str) -> tuple[str, int] | None:
    """The client address the first replica saw, when ``scope`` is a request handed on by a
    replica (it carries the shared ``secret``); None for any other request, whose
    ``X-Forwarded-For`` proves nothing."""
    sent = forwarded_for = b""
    for name, value in scope.get("headers", []):
        if name == _FORWARDED:
            sent = value
        elif name == _XFF:
            forwarded_for = value
    if not sent or not hmac.compare_digest(sent, secret.encode()):
        return None
    last = forwarded_for.decode("latin-1").rsplit(",", 1)[-1].strip()
    return (last, 0) if last else None


def unavailable_response(detail: str) -> JSONBody:
    return JSONBody(
        {"error": "sandbox storage unavailable", "detail": detail},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )


def lost_response(tenant_id: str, method: str) -> JSONBody:
    """A non-idempotent request whose holder went away while serving it: it may have been
    applied, so it is not served again here."""
    return JSONBody(
        {
            "error": "replica failed",
            "detail": f"the replica serving tenant {tenant_id} stopped while answering this "
            f"{method}: it may or may not have been applied",
        },
        status_code=502,
        headers={"Cache-Control": "no-store"},
    )


class Gateway:
    def __init__(self, app: ASGIApp, persistence: RedisPersistence) -> None:
        self.app = app
        self.persistence = persistence
        self._client: httpx.AsyncClient | None = None
        self._lifespan = False
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._watch_lifespan(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            scope, hops = self._admit(scope)
            await self._serve(scope, receive, watch, hops)
        except StorageUnavailable as down:
            if started:
                raise
            await unavailable_response(down.detail)(scope, receive, send)

    def _admit(self, scope: Scope) -> tuple[Scope, int]:
        """The scope without the hand-off headers; for a request a replica handed on, its
        original client and its hop count."""
        headers = scope.get("headers", [])
        if not any(name in (_FORWARDED, _HOPS) for name, _ in headers):
            return scope, 0
        client = original_client(scope, self.persistence.secret)
        hops = 0
        if client is not None:
            for name, value in headers:
                if name == _HOPS and value.isdigit():
                    hops = int(value)
        kept = [(n, v) for n, v in headers if n not in (_FORWARDED, _HOPS)]
        scope = {**scope, "headers": kept}
        if client is not None:
            scope["client"] = client
        return scope, hops

    async def _serve(self, scope: Scope, receive: Receive, send: Send, hops: int) -> None:
        body = bytearray()
        complete = False
        started = False

        async def keep_body(message_source: Receive) -> Message:
            nonlocal complete
            message = await message_source()
            if message["type"] == "http.request" and not complete:
                if len(body) <= MAX_FORWARDED_BODY:  # past it, only whether it ended counts
                    body.extend(message.get("body", b""))
                complete = not message.get("more_body", False)
            return message

        async def receive_and_keep() -> Message:
            return await keep_body(receive)

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        source: Receive = receive_and_keep
        while True:
            try:
                await self.app(scope, source, watch)
                return
            except TenantElsewhere as moved:
                if started:
                    raise
                elsewhere = moved
            while not complete:
                message = await keep_body(receive)
                if message["type"] == "http.disconnect":
                    return
                if len(body) > MAX_FORWARDED_BODY:
                    await JSONBody({"error": "request body too large"}, 413)(scope, receive, send)
                    return
            hops += 1
            if hops > MAX_HOPS:
                await unavailable_response(
                    f"tenant {elsewhere.tenant_id} is moving between replicas; retry"
                )(scope, receive, send)
                return
            holder = elsewhere.holder
            handed = await self._hand_on(scope, bytes(body), hops, holder, receive, send)
            if handed is _Handed.ANSWERED:
                return
            method = scope["method"]
            if handed is _Handed.LOST and method not in SAFE_TO_REPEAT:
                log.warning(
                    "standin: replica %s at %s went away while serving %s %s",
                    holder.replica,
                    holder.url,
                    method,
                    scope["path"],
                )
                await lost_response(elsewhere.tenant_id, method)(scope, receive, send)
                return
            # Its holder does not answer: serve the tenant here (or meet whoever took it).
            log.warning("standin: replica %s at %s does not answer", holder.replica, holder.url)
            self.persistence.take_over(elsewhere.tenant_id, holder)
            source = _replay(bytes(body), receive)

    def _watch_lifespan(self, send: Send) -> Send:
        """A server that tells its app it starts and stops lets connections to the other
        replicas be kept alive: they are closed as it stops."""

        async def watch(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._lifespan = True
            elif message["type"] == "lifespan.shutdown.complete" and self._client is not None:
                client, self._client = self._client, None
                await client.aclose()
            await send(message)

        return watch

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=2.0, read=None, write=30.0, pool=None),
                # Without a lifespan (a server that never says it stops), no connection
                # outlives its request: a kept-alive one would outlive the server's loop.
                limits=httpx.Limits(
                    max_connections=None,
                    max_keepalive_connections=KEPT_ALIVE if self._lifespan else 0,
                    keepalive_expiry=KEEP_ALIVE_EXPIRY_S,
                ),
                follow_redirects=False,
                verify=False,  # replicas present the sandbox's own certificate
                trust_env=False,
            )
            self._client_loop = loop
        return self._client

    async def _hand_on(
        self,
        scope: Scope,
        body: bytes,
        hops: int,
        holder: Holder,
        receive: Receive,
        send: Send,
    ) -> _Handed:
        """Hand the request to ``holder`` and stream its answer back; whether it answered, or
        why not (nothing has been sent to the client then)."""
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = holder.url + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = [(n, v) for n, v in scope.get("headers", []) if n not in _NOT_HANDED_ON]
        peer = scope.get("client")
        forwarded_for = [v for n, v in headers if n == _XFF]
        headers = [(n, v) for n, v in headers if n != _XFF]
        chain = [v.decode("latin-1") for v in forwarded_for]
        if peer:
            chain.append(str(peer[0]))
        if chain:
            headers.append((_XFF, ", ".join(chain).encode("latin-1")))
        headers.append((_FORWARDED, self.persistence.secret.encode()))
        headers.append((_HOPS, str(hops).encode()))
        client = self._http()
        request = client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            response = await client.send(request, stream=True)
        except _NOT_DELIVERED:
            return _Handed.NOT_DELIVERED
        except _LOST:
            return _Handed.LOST
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (n, v) for n, v in response.headers.raw if n.lower() not in _NOT_HANDED_BACK
                    ],
                }
            )
            await _stream_back(response, receive, send)
        except (httpx.TransportError, ExceptionGroup) as failure:
            if isinstance(failure, ExceptionGroup) and not failure.subgroup(httpx.TransportError):
                raise
            # The holder went away mid-answer: this answer ends unfinished, as it would have
            # from the holder itself (a client of an event stream resumes with Last-Event-Id).
            log.warning("standin: replica at %s stopped answering mid-response", holder.url)
        finally:
            await response.aclose()
        return _Handed.ANSWERED


class _Handed(enum.Enum):
    ANSWERED = enum.auto()
    """The holder answered (its answer, whole or cut short, went back to the client)."""
    NOT_DELIVERED = enum.auto()
    """The holder refused the connection: it never took the request."""
    LOST = enum.auto()
    """The holder took the request and went away before answering."""


async def _stream_back(response: httpx.Response, receive: Receive, send: Send) -> None:
    """The answer's body as it arrives; stops reading it when the client goes away."""
    async with anyio.create_task_group() as group:

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(watch_disconnect)
        async for chunk in response.aiter_raw():
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        group.cancel_scope.cancel()


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A receive that gives the whole kept body once, then waits as ``receive`` does."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
