"""A minimal vendor for testing the shared machinery without any real vendor."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.errors import VendorError
from standin._core.handlers import RoutingErrors
from standin._core.ratelimit import LimiterSpec, RateDecision
from standin._core.rendering import JSONBody
from standin._core.sandbox import Sandbox
from standin._core.seam import Caller, Identity, Refusals, Seam

SEALED = "sealed"
"""A note no caller may read: its route answers 403 after the rate limit."""


class EchoState:
    def __init__(self, tenant_id: str, clock: Clock) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self.notes: list[str] = ["fixture note"]


def who_are_you() -> VendorError:
    return VendorError(401, {"problem": "who are you"})


def slow_down(decision: RateDecision) -> VendorError:
    return VendorError(
        429, {"problem": "one at a time"}, {"Retry-After": decision.retry_after_header()}
    )


class EchoApi:
    key = "echo"
    title = "Echo"
    real_base_url = "https://echo.example.com"
    hosts: tuple[str, ...] = ("echo.example.com",)
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec("concurrency", "concurrency", 1, "one request per token at a time"),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.seam = Seam(
            sandbox,
            self.key,
            EchoState,
            identify=self.identify,
            refusals=Refusals(unauthenticated=who_are_you, rate_limited=slow_down),
            limiter="concurrency",
            authorize=self.authorize,
        )

    def identify(self, request: Request) -> Identity:
        token = request.headers.get("x-token", "")
        tenant = self.sandbox.tenants.resolve(self.key, token)
        if tenant is None:
            raise who_are_you()
        return Identity(tenant.id, principal=token, limit_key=token)

    def authorize(self, caller: Caller[EchoState]) -> None:
        if caller.state.notes and caller.state.notes[-1] == SEALED:
            raise VendorError(403, {"problem": "sealed"})

    def default_credentials(self) -> dict[str, Any]:
        return {"token": "default-token"}

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        return {"token": f"token-{secrets.token_hex(8)}"}

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials["token"]]

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> EchoState:
        return EchoState(tenant_id, clock)

    def forget_tenant(self, tenant_id: str) -> None:
        """Nothing kept outside the tenant's state."""

    def app(self) -> ASGIApp:
        routing = RoutingErrors(
            not_found=lambda request: VendorError(404, {"problem": "routing 404"}),
            method_not_allowed=lambda request: VendorError(405, {"problem": "routing 405"}),
            other=lambda status: VendorError(status, {"problem": f"routing {status}"}),
        )
        routes = [
            Route("/notes", self.seam.guard(notes), methods=["GET", "POST"]),
            Route("/now", self.seam.guard(now), methods=["GET"]),
            Route("/broken", self.seam.guard(broken), methods=["POST"]),
        ]
        return vendor_app(self.sandbox, self.key, routes, routing)

    def control_routes(self) -> list[BaseRoute]:
        async def poke(request: Request) -> Response:
            return JSONBody({"poked": True})

        return [Route("/poke", poke, methods=["POST"])]


async def notes(request: Request, caller: Caller[EchoState]) -> Response:
    if request.method == "POST":
        caller.state.notes.append((await request.body()).decode())
        return JSONBody({"notes": caller.state.notes}, 201)
    return JSONBody({"notes": caller.state.notes})


async def now(request: Request, caller: Caller[EchoState]) -> Response:
    return JSONBody({"now": caller.clock.time()})


async def broken(request: Request, caller: Caller[EchoState]) -> Response:
    """A handler with a bug: it changes nothing, then fails as no handler should."""
    raise RuntimeError("a bug in a handler")
