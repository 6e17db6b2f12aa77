"""Locus Energy v3 bound to a sandbox: credentials, tenant state, the bearer token, the
concurrency limit, gzip, and the alert trigger."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin import fixtures
from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.control import control_error, control_tenant, read_json_object
from standin._core.ratelimit import LimiterSpec
from standin._core.rendering import JSONBody
from standin._core.seam import Identity, Refusals, ReleasePoint, Seam, bearer_token
from standin._core.tenants import Tenant
from standin._core.timeseries import series_key
from standin._core.tokens import TokenIssuer
from standin.locus import errors
from standin.locus.alerts import ALERT_TYPES, PRIORITIES
from standin.locus.oauth import REFRESH_LIFETIME, TOKEN_LIFETIME
from standin.locus.routes import ROUTING_ERRORS, routes
from standin.locus.state import LocusState

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

CONCURRENT_REQUESTS = 1
"""The reference: "Requests are rate limited by default to 1 request at a time"."""


class LocusApi:
    key = "locus"
    title = "Locus Energy v3 API (SolarNOC)"
    real_base_url = "https://api.locusenergy.com"
    hosts: tuple[str, ...] = ("api.locusenergy.com",)
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec(
            "concurrency",
            "concurrency",
            CONCURRENT_REQUESTS,
            "API requests in flight at once per client id (the token endpoint is not "
            "limited); raise it as an account manager would",
        ),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.fixture: dict[str, Any] = fixtures.load("locus")
        self.issuer = TokenIssuer(
            sandbox.clock_for,
            lifetime_seconds=TOKEN_LIFETIME,
            refresh_lifetime_seconds=REFRESH_LIFETIME,
            opaque_bytes=16,
        )
        self.seam = Seam(
            sandbox,
            self.key,
            LocusState,
            identify=self.identify,
            refusals=Refusals(
                unauthenticated=errors.unauthorized,
                rate_limited=lambda decision: errors.too_many_requests(),
            ),
            limiter="concurrency",
        )

    def identify(self, request: Request) -> Identity:
        """A bearer token from the token endpoint; the limit counts per OAuth client id."""
        header = request.headers.get("authorization")
        return Identity.of_token(bearer_token(header, self.issuer, errors.unauthorized))

    def default_credentials(self) -> dict[str, Any]:
        partner_ids = [int(p) for p in self.fixture["partner_ids"]]
        return {
            **self.fixture["credentials"],
            "partner_id": partner_ids[0],
            "partner_ids": partner_ids,
        }

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's own partners: distinct ids, none of them a partner of the fixture."""
        taken = {int(p["id"]) for p in self.fixture["partners"]}
        partner_ids: list[int] = []
        while len(partner_ids) < len(self.fixture["partner_ids"]):
            drawn = 10000 + secrets.randbelow(89999)
            if drawn not in taken:
                taken.add(drawn)
                partner_ids.append(drawn)
        return {
            "client_id": secrets.token_hex(16),
            "client_secret": secrets.token_hex(16),
            "username": f"solarnoc+{tenant_id}",
            "password": secrets.token_urlsafe(12),
            "partner_id": partner_ids[0],
            "partner_ids": partner_ids,
        }

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials["client_id"]]

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> LocusState:
        return LocusState.from_fixture(
            self.fixture,
            clock,
            [int(p) for p in credentials["partner_ids"]],
            series_key(f"locus:{tenant_id}") ^ self.sandbox.seed,
        )

    def forget_tenant(self, tenant_id: str) -> None:
        self.issuer.forget_tenant(tenant_id)

    def state(self, tenant: Tenant) -> LocusState:
        return self.seam.state(tenant)

    def app(self) -> ASGIApp:
        app = vendor_app(self.sandbox, self.key, routes(self.seam, self.issuer), ROUTING_ERRORS)
        # Answers are gzipped whenever the client accepts it, however small (the reference).
        # Compression holds back the start of an answer until its body is complete, so the
        # place in the one-at-a-time limit is given back outside it, as the last byte leaves.
        return ReleasePoint(GZipMiddleware(app, minimum_size=0))

    def control_routes(self) -> list[BaseRoute]:
        return [Route("/alerts", self.raise_alert, methods=["POST"])]

    async def raise_alert(self, request: Request) -> Response:
        """Raise an alert now: ``{componentId, alertType?, priority?, descriptionShort?,
        descriptionLong?, durationSeconds?, tenant?}``; it closes after ``durationSeconds``."""
        body = await read_json_object(request)
        tenant = control_tenant(request, self.sandbox, body.get("tenant"))
        alert_type = body.get("alertType", "Device Fault")
        if alert_type not in ALERT_TYPES:
            raise control_error(400, f"alertType must be one of {', '.join(ALERT_TYPES)}")
        priority = body.get("priority", "High")
        if priority not in PRIORITIES:
            raise control_error(400, f"priority must be one of {', '.join(PRIORITIES)}")
        duration = body.get("durationSeconds")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0
        ):
            raise control_error(400, "durationSeconds must be a positive number")
        texts = {}
        for name, longest in MAX_DESCRIPTION.items():
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > longest):
                raise control_error(400, f"{name} must be a string of at most {longest} characters")
            texts[name] = value
        component_id = body.get("componentId")
        state = self.state(tenant)
        if isinstance(component_id, bool) or not isinstance(component_id, int):
            raise control_error(400, "componentId must be an integer")
        if len(state.alerts) >= MAX_ALERTS:
            raise control_error(409, f"a tenant keeps at most {MAX_ALERTS} Locus alerts")
        try:
            alert = state.raise_alert(
                component_id,
                alert_type,
                priority,
                None if duration is None else float(duration),
                texts["descriptionShort"],
                texts["descriptionLong"],
            )
        except KeyError:
            raise control_error(404, f"unknown component {component_id} for this partner") from None
        component = state.components.get(component_id)
        assert component is not None
        site = state.sites.get(component.site_id)
        assert site is not None
        rendered = alert.as_json(component.name, site.id, site.name, ZoneInfo("UTC"), state.now())
        return JSONBody(rendered, status_code=201)


MAX_DESCRIPTION = {"descriptionShort": 255, "descriptionLong": 4096}
"""The longest descriptions a raised alert keeps (the guide's are a few words and a sentence)."""
MAX_ALERTS = 10_000
"""Alerts a tenant keeps, fixture ones included: raised alerts are acknowledged writes, kept
(and with ``--data-dir`` saved) as long as the tenant, so past this a raise is refused rather
than an older alert dropped."""


__all__ = ["LocusApi"]
