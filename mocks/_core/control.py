"""The ``/_sandbox`` control plane: reset, clock, credentials, tenants, journal, faults, limits,
and each vendor's triggers under ``/_sandbox/<api>``."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from standin._core.clock import isoformat
from standin._core.errors import VendorError
from standin._core.faults import Fault, FaultSpecError
from standin._core.handlers import error_response, exception_handlers
from standin._core.rendering import JSONBody

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

ADMIN_HEADER = "X-Standin-Admin-Token"


def control_error(status: int, message: str) -> VendorError:
    return VendorError(status, {"error": message})


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise control_error(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise control_error(400, "body must be a JSON object")
    return body


def _routing_error(request: Request, status: int) -> VendorError:
    return control_error(status, "method not allowed" if status == 405 else "not found")


class AdminGuard:
    """Requires the admin token on every control-plane request when the sandbox has one."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self.sandbox.admin_token
        if scope["type"] == "http" and token:
            sent = dict(scope["headers"]).get(ADMIN_HEADER.lower().encode(), b"")
            if not hmac.compare_digest(sent, token.encode()):
                message = f"control plane requires the {ADMIN_HEADER} header"
                await error_response(control_error(401, message))(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ControlPlane:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/", self.index, methods=["GET"]),
            Route("/reset", self.reset, methods=["POST"]),
            Route("/clock", self.get_clock, methods=["GET"]),
            Route("/clock", self.move_clock, methods=["POST"]),
            Route("/credentials", self.credentials, methods=["GET"]),
            Route("/tenants", self.list_tenants, methods=["GET"]),
            Route("/tenants", self.create_tenant, methods=["POST"]),
            Route("/requests", self.requests, methods=["GET"]),
            Route("/faults", self.list_faults, methods=["GET"]),
            Route("/faults", self.add_fault, methods=["POST"]),
            Route("/faults", self.clear_faults, methods=["DELETE"]),
            Route("/faults/{fault_id}", self.remove_fault, methods=["DELETE"]),
            Route("/limits", self.get_limits, methods=["GET"]),
            Route("/limits", self.change_limits, methods=["PATCH"]),
        ]
        for key, api in self.sandbox.apis.items():
            vendor_routes = api.control_routes()
            if vendor_routes:
                routes.append(Mount(f"/{key}", routes=vendor_routes))
        return routes

    def app(self) -> ASGIApp:
        app = Starlette(routes=self.routes(), exception_handlers=exception_handlers(_routing_error))
        return AdminGuard(app, self.sandbox)

    async def index(self, request: Request) -> Response:
        triggers = {
            key: sorted(
                f"{','.join(sorted(r.methods or []))} /_sandbox/{key}{r.path}"
                for r in api.control_routes()
                if isinstance(r, Route)
            )
            for key, api in self.sandbox.apis.items()
        }
        return JSONBody(
            {
                "apis": sorted(self.sandbox.apis),
                "endpoints": sorted(
                    f"{','.join(sorted(r.methods or []))} /_sandbox{r.path}"
                    for r in self.routes()
                    if isinstance(r, Route)
                ),
                "triggers": triggers,
            }
        )

    async def reset(self, request: Request) -> Response:
        tenant_id = request.query_params.get("tenant")
        if tenant_id is not None and self.sandbox.tenants.get(tenant_id) is None:
            raise control_error(404, f"unknown tenant {tenant_id!r}")
        return JSONBody({"reset": self.sandbox.reset(tenant_id)})

    def _clock_body(self) -> dict[str, str]:
        clock = self.sandbox.clock
        return {"now": isoformat(clock.now()), "mode": clock.mode}

    async def get_clock(self, request: Request) -> Response:
        return JSONBody(self._clock_body())

    async def move_clock(self, request: Request) -> Response:
        body = await read_json_object(request)
        clock = self.sandbox.clock
        actions = [name for name in ("advance", "set", "freeze", "real") if name in body]
        if len(actions) != 1:
            raise control_error(400, "send exactly one of advance, set, freeze, real")
        action = actions[0]
        value = body[action]
        if action == "advance":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise control_error(400, "advance takes a number of seconds")
            clock.advance(float(value))
        elif action == "set":
            clock.set(_parse_instant(value))
        elif action == "freeze":
            if value is not True:
                raise control_error(400, "freeze takes true")
            clock.freeze()
        else:
            if value is not True:
                raise control_error(400, "real takes true")
            clock.real()
        return JSONBody(self._clock_body())

    async def credentials(self, request: Request) -> Response:
        tenant_id = request.query_params.get("tenant")
        try:
            return JSONBody(self.sandbox.credentials(tenant_id))
        except KeyError:
            raise control_error(404, f"unknown tenant {tenant_id!r}") from None

    async def list_tenants(self, request: Request) -> Response:
        return JSONBody(
            {"tenants": [{"tenant": t.id, **t.credentials} for t in self.sandbox.tenants.all()]}
        )

    async def create_tenant(self, request: Request) -> Response:
        tenant = self.sandbox.create_tenant()
        return JSONBody({"tenant": tenant.id, **tenant.credentials}, status_code=201)

    async def requests(self, request: Request) -> Response:
        api = request.query_params.get("api") or None
        raw_limit = request.query_params.get("limit", "100")
        if not raw_limit.isdigit() or int(raw_limit) < 1:
            raise control_error(400, "limit must be a positive integer")
        if api is not None and api not in self.sandbox.apis:
            raise control_error(400, f"unknown api {api!r}")
        entries = self.sandbox.journal.entries(api, int(raw_limit))
        return JSONBody({"requests": [entry.as_dict() for entry in entries]})

    async def list_faults(self, request: Request) -> Response:
        return JSONBody({"faults": [fault.as_dict() for fault in self.sandbox.faults.list()]})

    async def add_fault(self, request: Request) -> Response:
        body = await read_json_object(request)
        try:
            fault = Fault.from_spec(body, set(self.sandbox.apis))
        except FaultSpecError as error:
            raise control_error(400, str(error)) from None
        self.sandbox.faults.add(fault)
        return JSONBody({"id": fault.id}, status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        self.sandbox.faults.clear()
        return Response(status_code=204)

    async def remove_fault(self, request: Request) -> Response:
        if not self.sandbox.faults.remove(request.path_params["fault_id"]):
            raise control_error(404, "unknown fault")
        return Response(status_code=204)

    async def get_limits(self, request: Request) -> Response:
        return JSONBody(self.sandbox.limits.describe())

    async def change_limits(self, request: Request) -> Response:
        body = await read_json_object(request)
        try:
            self.sandbox.limits.configure(body)
        except ValueError as error:
            raise control_error(400, str(error)) from None
        return JSONBody(self.sandbox.limits.describe())


def _parse_instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise control_error(400, "set takes an ISO 8601 timestamp")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise control_error(400, "set takes an ISO 8601 timestamp") from None
