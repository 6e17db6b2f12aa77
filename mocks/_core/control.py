"""The ``/_sandbox`` control plane: reset, clock, credentials, tenants, journal, faults, limits,
and each vendor's triggers under ``/_sandbox/<api>``.

Clock, faults, limits and reset are each tenant's own: ``?tenant=ID`` picks the tenant, and
without it they are the default tenant's (all a local, single-user sandbox has), or, for a
request that came in with a tenant token, that token's tenant. Who gets in, and to what, is
:mod:`standin._core.access`'s rule; :class:`AccessGuard` applies it to every request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.access import (
    ADMIN_HEADER,
    SCOPE_KEY,
    TENANT_HEADER,
    Access,
    access_of,
    client_is_local,
    header,
    same_token,
)
from standin._core.bodies import parse_json, read_capped
from standin._core.clock import EARLIEST, LATEST, isoformat, within_range
from standin._core.errors import VendorError
from standin._core.faults import MAX_FAULTS, Fault, FaultSpecError
from standin._core.handlers import SettledErrors, error_response, exception_handlers
from standin._core.journal import JournalQuery
from standin._core.persistence import READ_ONLY_METHODS
from standin._core.quotas import over_quota
from standin._core.rendering import JSONBody
from standin._core.tenants import Tenant

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

OPEN_PATHS = frozenset({"/health"})
"""Control-plane paths that need no token (a load balancer's or orchestrator's health check)."""
DEFAULT_USAGE_KEYS = 10
MAX_USAGE_KEYS = 100
"""``GET /_sandbox/limits`` lists at most this many keys per limiter, the busiest first."""
MAX_CONTROL_BODY = 64 * 1024
"""The largest control-plane request body read; a larger one is answered 413 unread."""


def control_error(status: int, message: str) -> VendorError:
    return VendorError(status, {"error": message})


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await read_capped(request, MAX_CONTROL_BODY, _too_large)
    body = parse_json(raw, _not_json) if raw else {}
    if not isinstance(body, dict):
        raise control_error(400, "body must be a JSON object")
    return body


def _not_json(reason: str) -> VendorError:
    return control_error(400, "body must be JSON")


def _too_large(limit: int) -> VendorError:
    return control_error(413, f"body larger than {limit} bytes")


_ROUTING_WORDS = {404: "not found", 405: "method not allowed"}


def control_routing_error(request: Request, status: int) -> VendorError:
    """The control plane's (and the landing page's) words for routing errors and a 500."""
    return control_error(status, _ROUTING_WORDS.get(status, "request failed"))


class AccessGuard:
    """Lets a control-plane request in with the access it has (:mod:`standin._core.access`),
    or answers 401; the handlers then keep a tenant token to its own tenant (403)."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.sandbox.note_use(None)  # with a tenant TTL, idle tenants go
        if _route(scope) not in OPEN_PATHS:
            try:
                access = self.grant(scope)
            except VendorError as refusal:
                await error_response(refusal)(scope, receive, send)
                return
            scope = {**scope, SCOPE_KEY: access}
        await self.app(scope, receive, send)

    def grant(self, scope: Scope) -> Access:
        """The access a request's tokens (or its being local) give it; 401 when none does.

        A token that is sent must be right, even where none is needed: a mistyped token is
        told at once rather than working locally and failing on a shared server.
        """
        sandbox = self.sandbox
        admin_token = sandbox.admin_token
        sent_admin = header(scope, ADMIN_HEADER)
        if sent_admin is not None and admin_token:
            if same_token(sent_admin, admin_token):
                return Access(None, "admin")
            raise control_error(401, f"the {ADMIN_HEADER} header is not this server's admin token")
        sent_tenant = header(scope, TENANT_HEADER)
        if sent_tenant is not None:
            tenant = sandbox.tenants.by_token(sent_tenant)
            if tenant is None:
                raise control_error(401, f"the {TENANT_HEADER} header is no tenant's token")
            return Access(tenant.id, "tenant")
        if sandbox.is_shared or not client_is_local(scope):
            raise control_error(
                401, f"control plane requires the {ADMIN_HEADER} or {TENANT_HEADER} header"
            )
        return Access(None, "local")


def control_tenant(request: Request, sandbox: Sandbox, tenant_id: object = None) -> Tenant:
    """The tenant a control-plane request acts on: ``tenant_id`` (a ``?tenant=`` value or a
    trigger's ``tenant`` field) when given, else the request's own (its tenant token's), else
    the default tenant. 404 for no such tenant; 403 for a tenant its token does not open."""
    access = access_of(request.scope)
    if tenant_id is None:
        tenant_id = access.tenant
    if tenant_id is not None and not isinstance(tenant_id, str):
        raise control_error(404, f"unknown tenant {tenant_id!r}")
    if tenant_id is not None and not access.opens(tenant_id):
        raise _not_yours(access)
    try:
        tenant = sandbox.tenant(tenant_id)
    except KeyError:
        raise control_error(404, f"unknown tenant {tenant_id!r}") from None
    if not access.opens(tenant.id):  # the default tenant, reached without naming it
        raise _not_yours(access)
    sandbox.note_use(tenant.id)
    return tenant


def check_opens(request: Request, tenant: Tenant) -> None:
    """403 unless the request's access opens ``tenant`` (a trigger that found it by a
    credential or a record id)."""
    access = access_of(request.scope)
    if not access.opens(tenant.id):
        raise _not_yours(access)


def opened_tenants(request: Request, tenants: Iterable[Tenant]) -> list[Tenant]:
    """Those of ``tenants`` the request's access opens (where a trigger looks for a record)."""
    access = access_of(request.scope)
    return [tenant for tenant in tenants if access.opens(tenant.id)]


def require_everything(request: Request, what: str) -> None:
    """403 unless the request may reach every tenant (admin token, or local and unshared)."""
    if not access_of(request.scope).is_everything:
        raise control_error(403, f"{what} needs the {ADMIN_HEADER}")


def _not_yours(access: Access) -> VendorError:
    return control_error(403, f"this {TENANT_HEADER} opens tenant {access.tenant!r} only")


AdminGuard = AccessGuard
"""The guard's earlier name."""


class SavesTriggers:
    """standin: durable state. A vendor trigger that succeeded (its answer below 400) keeps
    that API's state of every tenant before its answer leaves: a trigger names its tenant in
    its own way (a body field, an API key), and triggers are rare."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, api: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_ONLY_METHODS:
            await self.app(scope, receive, send)
            return

        async def save_then_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.sandbox.persistence.save_api(self.api)
            await send(message)

        await self.app(scope, receive, save_then_send)


class ControlPlane:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/", self.index, methods=["GET"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/access", self.access, methods=["GET"]),
            Route("/reset", self.reset, methods=["POST"]),
            Route("/clock", self.get_clock, methods=["GET"]),
            Route("/clock", self.move_clock, methods=["POST"]),
            Route("/credentials", self.credentials, methods=["GET"]),
            Route("/tenants", self.list_tenants, methods=["GET"]),
            Route("/tenants", self.create_tenant, methods=["POST"]),
            Route("/tenants/{tenant_id}", self.remove_tenant, methods=["DELETE"]),
            Route("/requests", self.requests, methods=["GET"]),
            Route("/requests", self.clear_requests, methods=["DELETE"]),
            Route("/requests/count", self.count_requests, methods=["GET", "POST"]),
            Route("/requests/find", self.find_requests, methods=["POST"]),
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
                triggers = SavesTriggers(Router(vendor_routes), self.sandbox, key)
                routes.append(Mount(f"/{key}", app=triggers))
        return routes

    def app(self) -> ASGIApp:
        app = Starlette(
            routes=self.routes(), exception_handlers=exception_handlers(control_routing_error)
        )
        return AccessGuard(SettledErrors(app), self.sandbox)

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

    def _tenant(self, request: Request) -> Tenant:
        """The tenant ``?tenant=`` names (404 if there is none), or the request's own (its
        tenant token's, else the default tenant); 403 for one its token does not open."""
        return control_tenant(request, self.sandbox, request.query_params.get("tenant"))

    async def access(self, request: Request) -> Response:
        """How this request got in: ``{"access": "admin"|"tenant"|"local", "tenant"}``, the
        tenant being the tenant token's (None for access to every tenant)."""
        return JSONBody(access_of(request.scope).as_dict())

    async def reset(self, request: Request) -> Response:
        """The tenant back to its fixtures, its rate-limit counters forgotten."""
        return JSONBody({"reset": self.sandbox.reset(self._tenant(request).id)})

    def _clock_body(self, tenant: Tenant) -> dict[str, str]:
        clock = tenant.clock
        return {"now": isoformat(clock.now()), "mode": clock.mode}

    async def get_clock(self, request: Request) -> Response:
        return JSONBody(self._clock_body(self._tenant(request)))

    async def move_clock(self, request: Request) -> Response:
        tenant = self._tenant(request)
        body = await read_json_object(request)
        clock = tenant.clock
        actions = [name for name in ("advance", "set", "freeze", "real") if name in body]
        if len(actions) != 1:
            raise control_error(400, "send exactly one of advance, set, freeze, real")
        action = actions[0]
        value = body[action]
        if action == "advance":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise control_error(400, "advance takes a number of seconds")
            _check_reachable(clock.time() + float(value))
            clock.advance(float(value))
        elif action == "set":
            instant = _parse_instant(value)
            _check_reachable(instant.timestamp())
            clock.set(instant)
        elif action == "freeze":
            if value is not True:
                raise control_error(400, "freeze takes true")
            clock.freeze()
        else:
            if value is not True:
                raise control_error(400, "real takes true")
            clock.real()
        self.sandbox.persistence.save_settings(tenant)
        return JSONBody(self._clock_body(tenant))

    async def credentials(self, request: Request) -> Response:
        return JSONBody(self.sandbox.credentials(self._tenant(request).id))

    async def list_tenants(self, request: Request) -> Response:
        """Every tenant with its credentials (admin only); with several replicas, every
        replica's. Tenant tokens are not listed: each is answered once, at creation, and kept
        only as a digest."""
        require_everything(request, "listing tenants")
        listing = self.sandbox.tenants.listing()
        return JSONBody(
            {"tenants": [{"tenant": id_, **credentials} for id_, credentials in listing]}
        )

    async def create_tenant(self, request: Request) -> Response:
        """A new tenant: ``{"tenant": ID, "tenant_token": "st_...", "<api>": {...}}`` (admin
        only: a tenant token opens one tenant, and making more is not part of it)."""
        require_everything(request, "creating a tenant")
        tenant, token = self.sandbox.create_tenant_with_token()
        return JSONBody(
            {"tenant": tenant.id, "tenant_token": token, **tenant.credentials}, status_code=201
        )

    async def remove_tenant(self, request: Request) -> Response:
        """Forget a tenant and everything of it; the default tenant stays (409). A tenant
        token may remove its own tenant, and no other (403)."""
        tenant_id = request.path_params["tenant_id"]
        access = access_of(request.scope)
        if not access.opens(tenant_id):
            raise _not_yours(access)
        try:
            removed = self.sandbox.remove_tenant(tenant_id)
        except ValueError as problem:
            raise control_error(409, str(problem)) from None
        if not removed:
            raise control_error(404, f"unknown tenant {tenant_id!r}")
        return Response(status_code=204)

    async def health(self, request: Request) -> Response:
        """Whether this server answers, and what it serves; no token needed, no secret shown."""
        sandbox = self.sandbox
        persistence = sandbox.persistence
        # Where state is kept elsewhere (Redis), a replica that cannot reach it is unhealthy:
        # 503, so that a load balancer takes it out until it can.
        problem = persistence.unavailable()
        body: dict[str, Any] = {
            "status": "ok" if problem is None else "unavailable",
            "version": _version(),
            "uptime_seconds": round(time.monotonic() - sandbox.started, 3),
            "apis": list(sandbox.apis),
            "tenants": len(sandbox.tenants.all() if problem else sandbox.tenants.listing()),
            "storage": persistence.storage,
        }
        if persistence.storage == "redis":
            body["redis"] = "reachable" if problem is None else "unreachable"
        if problem is not None:
            body["detail"] = problem
        return JSONBody(
            body, status_code=200 if problem is None else 503, headers={"Cache-Control": "no-store"}
        )

    async def requests(self, request: Request) -> Response:
        """The journal, newest first: ``?tenant=&api=&method=&path=<glob>&status=&limit=``."""
        query = self._journal_query(request, dict(request.query_params))
        limit = _positive_int(request.query_params.get("limit", "100"), "limit")
        entries = self.sandbox.journal.entries(limit=limit, query=query)
        return JSONBody({"requests": [entry.as_dict() for entry in entries]})

    async def count_requests(self, request: Request) -> Response:
        """How many journal entries match: the GET filters, or the same fields as JSON."""
        fields: dict[str, Any] = (
            dict(request.query_params)
            if request.method == "GET"
            else await read_json_object(request)
        )
        query = self._journal_query(request, fields)
        return JSONBody({"count": self.sandbox.journal.count(query)})

    async def find_requests(self, request: Request) -> Response:
        """Journal entries matching a JSON pattern ``{tenant, api, method, path, status,
        limit}`` (each optional), newest first, as WireMock's ``requests/find``."""
        fields = await read_json_object(request)
        limit = fields.pop("limit", None)
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise control_error(400, "limit must be a positive integer")
        if limit is not None and limit < 1:
            raise control_error(400, "limit must be a positive integer")
        if limit is not None:
            limit = min(limit, 10**MAX_DIGITS)
        query = self._journal_query(request, fields)
        entries = self.sandbox.journal.entries(limit=limit, query=query)
        return JSONBody({"requests": [entry.as_dict() for entry in entries]})

    async def clear_requests(self, request: Request) -> Response:
        tenant = self._journal_tenant(request, request.query_params.get("tenant") or None)
        self.sandbox.journal.clear(tenant if isinstance(tenant, str) else None)
        return Response(status_code=204)

    def _journal_tenant(self, request: Request, tenant_id: object) -> object:
        """The journal's ``tenant`` filter: as given (None: every tenant), but a tenant token
        sees its own tenant's entries only (403 for another's)."""
        access = access_of(request.scope)
        if access.is_everything:
            return tenant_id
        if tenant_id in (None, ""):
            return access.tenant
        if tenant_id != access.tenant:
            raise _not_yours(access)
        return tenant_id

    def _journal_query(self, request: Request, fields: dict[str, Any]) -> JournalQuery:
        known = {"tenant", "api", "method", "path", "status", "limit"}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise control_error(400, f"unknown fields: {', '.join(unknown)}")
        fields = {**fields, "tenant": self._journal_tenant(request, fields.get("tenant"))}
        texts: dict[str, str | None] = {}
        for name in ("tenant", "api", "method", "path"):
            value = fields.get(name)
            if value is not None and not isinstance(value, str):
                raise control_error(400, f"{name} must be a string")
            texts[name] = value or None
        api = texts["api"]
        if api is not None and api not in self.sandbox.apis:
            raise control_error(400, f"unknown api {api!r}")
        raw_status = fields.get("status")
        status = None if raw_status in (None, "") else _status(raw_status)
        return JournalQuery(texts["tenant"], api, texts["method"], texts["path"], status)

    async def list_faults(self, request: Request) -> Response:
        faults = self._tenant(request).faults
        return JSONBody({"faults": [fault.as_dict() for fault in faults.list()]})

    async def add_fault(self, request: Request) -> Response:
        """A fault for the tenant's requests (the default tenant's faults also answer requests
        that reach no tenant: token endpoints, unknown credentials, unknown paths)."""
        tenant = self._tenant(request)
        body = await read_json_object(request)
        try:
            fault = Fault.from_spec(body, set(self.sandbox.apis))
        except FaultSpecError as error:
            raise control_error(400, str(error)) from None
        if len(tenant.faults) >= MAX_FAULTS:
            way_out = "remove some (DELETE /_sandbox/faults/{id}) to make room"
            raise control_error(400, over_quota("faults", MAX_FAULTS, way_out))
        tenant.faults.add(fault)
        self.sandbox.persistence.save_settings(tenant)
        return JSONBody({"id": fault.id}, status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        tenant = self._tenant(request)
        tenant.faults.clear()
        self.sandbox.persistence.save_settings(tenant)
        return Response(status_code=204)

    async def remove_fault(self, request: Request) -> Response:
        tenant = self._tenant(request)
        if not tenant.faults.remove(request.path_params["fault_id"]):
            raise control_error(404, "unknown fault")
        self.sandbox.persistence.save_settings(tenant)
        return Response(status_code=204)

    async def get_limits(self, request: Request) -> Response:
        """Each limiter's settings and its busiest keys' counts on the tenant's clock:
        ``?keys=N`` (1 to MAX_USAGE_KEYS, default DEFAULT_USAGE_KEYS) keys per limiter."""
        tenant = self._tenant(request)
        busiest = _positive_int(request.query_params.get("keys", str(DEFAULT_USAGE_KEYS)), "keys")
        if busiest > MAX_USAGE_KEYS:
            raise control_error(400, f"keys must be at most {MAX_USAGE_KEYS}")
        return JSONBody(tenant.limits.usage(tenant.clock.time(), busiest))

    async def change_limits(self, request: Request) -> Response:
        tenant = self._tenant(request)
        body = await read_json_object(request)
        try:
            tenant.limits.configure(body)
        except ValueError as error:
            raise control_error(400, str(error)) from None
        self.sandbox.persistence.save_settings(tenant)
        return JSONBody(tenant.limits.usage(tenant.clock.time(), DEFAULT_USAGE_KEYS))


MAX_DIGITS = 18
"""Digits read of a control-plane integer (leading zeros aside): more than any count or status
needs, and far below the 4,300 past which ``int()`` refuses a string (a 500, not a 400)."""


def _digits(text: str) -> int | None:
    """``text`` as a non-negative integer if it is ASCII digits alone (``str.isdigit()`` also
    accepts "²", which ``int()`` refuses), capped at ``10**MAX_DIGITS``; else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")
    return 10**MAX_DIGITS if len(significant) > MAX_DIGITS else int(significant or "0")


def _positive_int(text: str, name: str) -> int:
    value = _digits(text)
    if value is None or value < 1:
        raise control_error(400, f"{name} must be a positive integer")
    return value


def _status(value: Any) -> int:
    if isinstance(value, str) and (digits := _digits(value)) is not None:
        value = digits
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise control_error(400, "status must be an HTTP status code")
    return value


def _route(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _version() -> str:
    import standin

    return standin.__version__


def _parse_instant(value: Any) -> datetime:
    """An ISO 8601 instant; one without an offset is UTC, as the clock reads it."""
    if not isinstance(value, str):
        raise control_error(400, "set takes an ISO 8601 timestamp")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise control_error(400, "set takes an ISO 8601 timestamp") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _check_reachable(seconds: float) -> None:
    """A clock is moved only where every fake can still answer (checked before it moves, so
    a refused move leaves it as it was)."""
    if not within_range(seconds):
        raise control_error(
            400, f"the clock moves between {isoformat(EARLIEST)} and {isoformat(LATEST)} only"
        )
