"""A minimal vendor for testing the shared machinery without any real vendor."""

from __future__ import annotations

import random
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin._core.errors import VendorError
from standin._core.handlers import exception_handlers
from standin._core.middleware import SandboxMiddleware
from standin._core.rendering import JSONBody
from standin._core.sandbox import Sandbox
from standin._core.tenants import Tenant


class EchoState:
    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.notes: list[str] = ["fixture note"]


class EchoApi:
    key = "echo"
    title = "Echo"
    real_base_url = "https://echo.example.com"
    hosts: tuple[str, ...] = ("echo.example.com",)

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def default_credentials(self) -> dict[str, Any]:
        return {"token": "default-token"}

    def new_credentials(self, tenant_id: str, rng: random.Random) -> dict[str, Any]:
        return {"token": f"token-{rng.getrandbits(32):08x}"}

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials["token"]]

    def new_state(self, tenant_id: str, credentials: dict[str, Any]) -> EchoState:
        return EchoState(tenant_id)

    def state(self, request: Request) -> tuple[Tenant, EchoState]:
        tenant = self.sandbox.tenants.resolve(self.key, request.headers.get("x-token", ""))
        if tenant is None:
            raise VendorError(401, {"problem": "who are you"})
        state = tenant.states[self.key]
        assert isinstance(state, EchoState)
        return tenant, state

    async def notes(self, request: Request) -> Response:
        _, state = self.state(request)
        if request.method == "POST":
            state.notes.append((await request.body()).decode())
            return JSONBody({"notes": state.notes}, 201)
        return JSONBody({"notes": state.notes})

    def app(self) -> ASGIApp:
        def routing(request: Request, status: int) -> VendorError:
            return VendorError(status, {"problem": f"routing {status}"})

        app = Starlette(
            routes=[Route("/notes", self.notes, methods=["GET", "POST"])],
            exception_handlers=exception_handlers(routing),
        )
        return SandboxMiddleware(app, self.sandbox, self.key)

    def control_routes(self) -> list[BaseRoute]:
        async def poke(request: Request) -> Response:
            return JSONBody({"poked": True})

        return [Route("/poke", poke, methods=["POST"])]
