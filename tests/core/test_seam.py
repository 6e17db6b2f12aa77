"""The caller seam: one way in for every vendor (tested through the echo vendor)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from starlette.types import Message

from standin import Sandbox, build_app
from standin._core.faults import Fault
from standin._core.ratelimit import ConcurrencyLimiter
from tests.core.echo_api import SEALED, EchoApi, EchoState


def test_a_request_without_a_known_credential_gets_the_vendors_own_401(
    echo: httpx.Client,
) -> None:
    for headers in ({}, {"X-Token": "nobody's"}):
        response = echo.get("/echo/notes", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"problem": "who are you"}


def test_a_known_caller_reaches_its_own_tenants_typed_state(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    tenant = echo_sandbox.create_tenant()
    token = tenant.credentials["echo"]["token"]
    assert echo.post("/echo/notes", headers={"X-Token": token}, content="mine").status_code == 201
    seam = echo_sandbox.vendor(EchoApi).seam
    state: EchoState = seam.state(tenant)
    assert state.notes == ["fixture note", "mine"]
    assert seam.state(echo_sandbox.tenants.default()).notes == ["fixture note"]


def test_the_journal_records_the_tenant_the_seam_found(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    tenant = echo_sandbox.create_tenant()
    echo.get("/echo/notes", headers={"X-Token": tenant.credentials["echo"]["token"]})
    echo.get("/echo/notes", headers={"X-Token": "default-token"})
    echo.get("/echo/notes")
    entries = echo.get("/_sandbox/requests", params={"api": "echo"}).json()["requests"]
    assert [(e["tenant"], e["status"]) for e in entries] == [
        (None, 401),
        ("default", 200),
        (tenant.id, 200),
    ]


def test_a_refused_rate_limit_answers_in_the_vendors_words_with_retry_after(
    echo_sandbox: Sandbox,
) -> None:
    limiter = echo_sandbox.limits.get("echo", "concurrency")
    assert isinstance(limiter, ConcurrencyLimiter)
    assert limiter.acquire("default-token").allowed  # another request holds the only place
    app = build_app(echo_sandbox)
    transport = httpx.ASGITransport(app=app)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/echo/notes", headers={"X-Token": "default-token"})

    response = asyncio.run(call())
    assert response.status_code == 429
    assert response.json() == {"problem": "one at a time"}
    assert response.headers["retry-after"] == "1"


def test_the_vendors_403_comes_after_the_rate_limit(echo_sandbox: Sandbox) -> None:
    state = echo_sandbox.vendor(EchoApi).seam.state(echo_sandbox.tenants.default())
    state.notes.append(SEALED)
    limiter = echo_sandbox.limits.get("echo", "concurrency")
    assert isinstance(limiter, ConcurrencyLimiter)
    # Through the raw ASGI app: the 403 is answered and the place is given back.
    messages = asyncio.run(_call(echo_sandbox, "/echo/notes"))
    assert messages[0]["status"] == 403
    assert limiter.in_flight("default-token") == 0
    limiter.acquire("default-token")
    messages = asyncio.run(_call(echo_sandbox, "/echo/notes"))
    assert messages[0]["status"] == 429  # the limit is checked before access


def test_a_place_in_a_concurrency_limit_is_held_until_the_last_byte_leaves(
    echo_sandbox: Sandbox,
) -> None:
    limiter = echo_sandbox.limits.get("echo", "concurrency")
    assert isinstance(limiter, ConcurrencyLimiter)
    seen: list[tuple[str, int]] = []

    def watch(message: Message) -> None:
        seen.append((message["type"], limiter.in_flight("default-token")))

    messages = asyncio.run(_call(echo_sandbox, "/echo/notes", watch))
    assert messages[0]["status"] == 200
    assert seen == [("http.response.start", 1), ("http.response.body", 0)]


def test_a_handler_is_given_its_callers_tenants_clock(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    tenant = echo_sandbox.create_tenant()
    tenant.clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    theirs = echo.get("/echo/now", headers={"X-Token": tenant.credentials["echo"]["token"]})
    mine = echo.get("/echo/now", headers={"X-Token": "default-token"})
    assert theirs.json() == {"now": datetime(2030, 1, 1, tzinfo=UTC).timestamp()}
    assert mine.json() == {"now": echo_sandbox.clock.time()}


def test_a_tenants_fault_answers_before_its_rate_limit_and_holds_no_place(
    echo_sandbox: Sandbox,
) -> None:
    limiter = echo_sandbox.limits.get("echo", "concurrency")
    assert isinstance(limiter, ConcurrencyLimiter)
    fault = echo_sandbox.faults.add(Fault(api="echo", path="/notes", status=500, count=1))
    limiter.acquire("default-token")  # the only place is taken
    messages = asyncio.run(_call(echo_sandbox, "/echo/notes"))
    assert messages[0]["status"] == 500
    assert echo_sandbox.journal.entries()[0].fault_id == fault.id
    assert limiter.in_flight("default-token") == 1
    messages = asyncio.run(_call(echo_sandbox, "/echo/notes"))
    assert messages[0]["status"] == 429


async def _call(
    sandbox: Sandbox, path: str, watch: Callable[[Message], None] | None = None
) -> list[Message]:
    app = build_app(sandbox)
    sent: list[Message] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("t", 80),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"t"), (b"x-token", b"default-token")],
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if watch is not None:
            watch(message)
        sent.append(message)

    await app(scope, receive, send)
    return sent
