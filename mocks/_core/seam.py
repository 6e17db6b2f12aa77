"""The caller seam: the one way a request to a vendor's fake becomes a typed caller.

Each vendor declares how a request names its caller (a bearer token, an API key in the query …)
as an :data:`IdentifyCaller` that answers an :class:`Identity` or raises the vendor's own 401;
the seam does the rest, once for every vendor: finds the tenant, attributes the request to it
for the journal, applies the tenant's faults, then the tenant's copy of the vendor's limiter
(a place in a concurrency limit is held until the last byte of the answer has left), lets the
vendor refuse access after the limit (its 403), and calls the handler with a :class:`Caller`
whose state is typed and whose clock is the tenant's. A request whose credential names no
tenant meets the default tenant's faults, as every request that reaches no tenant does.

A route is guarded in the vendor's one route table::

    Route("/api/v1/data", seam.guard(data), methods=["GET"])

    async def data(request: Request, caller: Caller[AtmotubeState]) -> Response: ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standin._core.clock import Clock
from standin._core.errors import VendorError
from standin._core.faulting import apply_fault, vendor_path
from standin._core.persistence import READ_ONLY_METHODS
from standin._core.ratelimit import RateDecision, RateLimiter, holds_places
from standin._core.request import GuardedRequest
from standin._core.routing import EndpointsByMethod
from standin._core.tenants import Tenant, TenantRegistry
from standin._core.tokens import IssuedToken, TokenIssuer, TokenRejected

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

S = TypeVar("S")

TENANT_STATE_KEY = "standin.tenant"
"""Where the seam leaves the caller's tenant id in the request's ``state`` for the journal."""
NAMED_STATE_KEY = "standin.tenant_named"
"""Set when the tenant was only named by a credential a token request sent, not proven: a
refused one is journaled under that tenant but is not a use of it (``--tenant-ttl``)."""
RELEASE_STATE_KEY = "standin.release"
"""Where a :class:`ReleasePoint` collects the places to give back as the last byte leaves."""


class Identity(NamedTuple):
    """Who a request's credential names (a named tuple: one is made for every request, and a
    tuple is several times cheaper to make than a frozen dataclass)."""

    tenant_id: str
    principal: str
    """Who is asking: a client id, a user name, an API key."""
    limit_key: str
    """What the vendor's rate limit counts by."""
    token: IssuedToken | None = None
    """The access token presented, where the credential is one."""

    @classmethod
    def of_token(cls, token: IssuedToken) -> Identity:
        """An OAuth client's token: its subject asks, and the limit counts per client id, so
        every token of one client (client credentials, password, refreshed) shares it."""
        return cls(
            token.tenant_id,
            principal=token.subject,
            limit_key=token.client_id or token.subject,
            token=token,
        )


def bearer_token(
    header: str | None,
    issuer: TokenIssuer,
    refuse: Callable[[], VendorError],
    schemes: tuple[str, ...] = ("bearer",),
) -> IssuedToken:
    """The valid access token of an ``Authorization: Bearer <token>`` header; ``refuse()`` (the
    vendor's 401) when it is missing, malformed, unknown, revoked or expired. ``schemes`` are
    the scheme words a vendor takes, in lower case."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() not in schemes or not value.strip():
        raise refuse()
    try:
        return issuer.validate(value.strip())
    except TokenRejected:
        raise refuse() from None


IdentifyCaller = Callable[[Request], Identity]
"""Reads the vendor's credential from a request; raises the vendor's 401 when there is none."""


class Caller(NamedTuple, Generic[S]):
    """What a guarded handler gets: the tenant, its state for this vendor, and its clock (the
    tenant's). A named tuple, as :class:`Identity` is."""

    tenant: Tenant
    state: S
    clock: Clock
    identity: Identity

    @property
    def principal(self) -> str:
        return self.identity.principal

    @property
    def token(self) -> IssuedToken:
        """The access token presented (for vendors whose credential is a token)."""
        if self.identity.token is None:
            raise LookupError("this caller presented no token")
        return self.identity.token


Handler = Callable[[Request, Caller[S]], Awaitable[Response]]
Authorize = Callable[[Caller[S]], None]
"""Refuses a known caller access (raises the vendor's 403); runs after the rate limit."""


@dataclass(frozen=True)
class Refusals:
    """The vendor's own answers for an unknown caller and a refused rate limit."""

    unauthenticated: Callable[[], VendorError]
    rate_limited: Callable[[RateDecision], VendorError]


def attribute(scope: Scope, tenant_id: str) -> None:
    """Record the request's tenant where the sandbox middleware reads it back."""
    state = scope.get("state")
    if isinstance(state, dict):
        state[TENANT_STATE_KEY] = tenant_id


def attribute_credential(
    scope: Scope, tenants: TenantRegistry, api: str, *credentials: str | None
) -> None:
    """Attribute a request that reaches no guarded route (a token or login request) to the
    tenant of the first of ``credentials`` that names one (a client id, a user name), whether or
    not what it then proves is accepted: the journal keeps it in that tenant's view, so a
    deleted tenant takes it along. Refused, it does not keep the tenant from going idle:
    anyone who knows a client id could otherwise keep a tenant alive past ``--tenant-ttl``.
    A request none names stays unattributed (the journal's bounded anonymous bucket)."""
    for credential in credentials:
        tenant = tenants.resolve(api, credential) if credential else None
        if tenant is not None:
            attribute_named(scope, tenant.id)
            return


def attribute_named(scope: Scope, tenant_id: str) -> None:
    """Attribute a token or login request to the tenant its credential names, not yet proven
    (:func:`attribute_credential`): refused, it is journaled among the tenant's unproven
    entries and is not a use of it."""
    state = scope.get("state")
    if isinstance(state, dict):
        state[TENANT_STATE_KEY] = tenant_id
        state[NAMED_STATE_KEY] = True


def attributed_tenant(scope: Scope) -> str | None:
    state = scope.get("state")
    tenant_id = state.get(TENANT_STATE_KEY) if isinstance(state, dict) else None
    return tenant_id if isinstance(tenant_id, str) else None


class ReleasePoint:
    """ASGI middleware: places held by guarded requests inside it are given back just before
    the last part of the body leaves it, rather than when the handler's answer is complete.

    Wrap it around whatever still transforms an answer after its handler: a compressing
    middleware holds back the start of an answer until the whole body has come through, so
    a place given back inside it would be free before any byte had left.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        releases: list[Callable[[], None]] = []
        scope = {**scope, "state": {**(scope.get("state") or {}), RELEASE_STATE_KEY: releases}}

        async def send_then_release(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                while releases:
                    releases.pop()()
            await send(message)

        await self.app(scope, receive, send_then_release)


def release_point(scope: Scope) -> list[Callable[[], None]] | None:
    """The places an enclosing :class:`ReleasePoint` gives back, if there is one."""
    state = scope.get("state")
    releases = state.get(RELEASE_STATE_KEY) if isinstance(state, dict) else None
    return releases if isinstance(releases, list) else None


class Seam(Generic[S]):
    """One vendor's way in: its credential, its refusals, its limiter, its typed state.

    ``limiter`` names one of the vendor's declared limiters; each tenant has its own copy.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        api: str,
        state_type: type[S],
        *,
        identify: IdentifyCaller,
        refusals: Refusals,
        limiter: str,
        authorize: Authorize[S] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.api = api
        self.state_type = state_type
        self.identify = identify
        self.refusals = refusals
        self.limiter = limiter
        self.authorize = authorize

    def state(self, tenant: Tenant) -> S:
        """The tenant's state for this vendor, typed."""
        state = tenant.states[self.api]
        if not isinstance(state, self.state_type):
            raise TypeError(f"{self.api} state of tenant {tenant.id} is {type(state).__name__}")
        return state

    def limiter_of(self, tenant: Tenant) -> RateLimiter:
        """The tenant's copy of this vendor's limiter."""
        return tenant.limits.get(self.api, self.limiter)

    def tenant(self, tenant_id: str) -> Tenant:
        """The tenant a credential names; the vendor's 401 if it is gone."""
        tenant = self.sandbox.tenants.get(tenant_id)
        if tenant is None:
            raise self.refusals.unauthenticated()
        return tenant

    def guard(self, handler: Handler[S], *, identify: IdentifyCaller | None = None) -> Guarded[S]:
        """``handler`` as an endpoint that only a known, admitted caller reaches.

        ``identify`` replaces the vendor's usual credential for this one route (Metasys' stream
        also takes its token from the query).
        """
        return Guarded(self, handler, identify or self.identify)


class Guarded(Generic[S]):
    """An ASGI endpoint: the seam's checks, then the handler with its caller."""

    def __init__(self, seam: Seam[S], handler: Handler[S], identify: IdentifyCaller) -> None:
        self.seam = seam
        self.handler = handler
        self.identify = identify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seam = self.seam
        request = GuardedRequest(scope, receive, send)
        method: str = scope["method"]
        try:
            identity = self.identify(request)
            tenant = seam.tenant(identity.tenant_id)
        except VendorError:
            # No tenant reached: the default tenant's faults apply, as to any such request.
            fault = seam.sandbox.faults.take(seam.api, method, vendor_path(scope))
            if fault is not None and await apply_fault(fault, scope, receive, send):
                return
            raise
        attribute(scope, tenant.id)
        faults = tenant.faults
        # With no fault set (the usual case), none can apply: the path is not even worked out.
        fault = faults.take(seam.api, method, vendor_path(scope)) if len(faults) else None
        if fault is not None and fault.count is not None:
            # A counted fault was used up by one: kept, so that a replica taking the tenant
            # over (several replicas through Redis) does not answer with it again.
            seam.sandbox.persistence.save_settings(tenant)
        if fault is not None and await apply_fault(fault, scope, receive, send):
            return
        limiter = seam.limiter_of(tenant)
        # A limiter that decides elsewhere (in Redis, with several replicas) has
        # ``acquire_async``, awaited so the event loop serves other requests meanwhile; an
        # in-memory one decides at once, with no coroutine made for it.
        decide = getattr(limiter, "acquire_async", None)
        key = identity.limit_key
        decision = limiter.acquire(key) if decide is None else await decide(key)
        if not decision.allowed:
            raise seam.refusals.rate_limited(decision)
        outgoing: Send = send
        release: Callable[[], None] | None = None
        # A window's release gives nothing back: nothing to hand on for it.
        if holds_places(limiter):
            held = True

            def give_back() -> None:
                nonlocal held
                if held:
                    held = False
                    limiter.release(key)

            release = give_back

            # Inside a ReleasePoint (the sandbox layer is one), the place is given back where
            # the last byte really leaves.
            releases = release_point(scope)
            if releases is not None:
                releases.append(release)
            else:
                outgoing = _releasing(send, release)

        try:
            caller = Caller(tenant, seam.state(tenant), tenant.clock, identity)
            if seam.authorize is not None:
                seam.authorize(caller)
            response = await self.handler(request, caller)
            if method not in READ_ONLY_METHODS:
                # standin: durable state. Kept before the answer leaves: acknowledged is kept.
                seam.sandbox.persistence.save_state(tenant, seam.api)
            await response(scope, receive, outgoing)
        finally:
            if release is not None:
                release()


def _releasing(send: Send, release: Callable[[], None]) -> Send:
    """``send``, giving the place back just before the last part of the body goes out: a client
    that waits for one answer before it sends the next request must never find its own
    finished request still holding it."""

    async def send_then_release(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            release()
        await send(message)

    return send_then_release


def reaches_guard(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    """Whether the route table answers ``scope`` with a guarded endpoint (the seam then applies
    the faults of the caller's tenant; the sandbox middleware, those of the default tenant)."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            endpoint = route.endpoint if isinstance(route, Route) else None
            if isinstance(endpoint, EndpointsByMethod):
                method = "GET" if scope["method"] == "HEAD" else scope["method"]
                endpoint = endpoint.endpoints.get(method)
            return isinstance(endpoint, Guarded)
    return False
