"""Atrius (BuildingOS) bound to a sandbox: credentials, tenant state, tokens, the rate limit,
and how a request names its caller (a bearer token) for the caller seam."""

from __future__ import annotations

import random
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from standin import fixtures
from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.ratelimit import LimiterSpec
from standin._core.seam import Identity, Refusals, Seam, bearer_token
from standin._core.tenants import DEFAULT_TENANT, Tenant
from standin._core.timeseries import series_key
from standin._core.tokens import TokenIssuer
from standin.atrius import errors
from standin.atrius.oauth import TOKEN_LIFETIME
from standin.atrius.routes import ROUTING_ERRORS, routes
from standin.atrius.state import AtriusState

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

REQUESTS_PER_MINUTE = 100
"""**Sandbox choice:** the guide mentions rate-limit errors but no figure."""


class AtriusApi:
    key = "atrius"
    title = "Atrius (BuildingOS) API"
    real_base_url = "https://api.buildingos.com"
    hosts: tuple[str, ...] = ("api.buildingos.com",)
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec(
            "requests",
            "rolling_window",
            REQUESTS_PER_MINUTE,
            "API requests per client id in any 60 s (the token endpoint is not limited)",
        ),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.fixture: dict[str, Any] = fixtures.load("atrius")
        self.issuer = TokenIssuer(
            sandbox.clock_for,
            lifetime_seconds=TOKEN_LIFETIME,
            refresh_lifetime_seconds=30 * 86400,
        )
        self.seam = Seam(
            sandbox,
            self.key,
            AtriusState,
            identify=self.identify,
            refusals=Refusals(
                unauthenticated=errors.not_authenticated,
                rate_limited=lambda decision: errors.throttled(decision.retry_after_header()),
            ),
            limiter="requests",
        )

    def identify(self, request: Request) -> Identity:
        """A bearer token from ``/o/token/``; the limit counts per client id, so the tokens of
        one client (client credentials, password, refreshed) share it."""
        header = request.headers.get("authorization")
        return Identity.of_token(bearer_token(header, self.issuer, errors.not_authenticated))

    def default_credentials(self) -> dict[str, Any]:
        client = self.fixture["client"]
        return {
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "username": client["username"],
            "password": client["password"],
            "gateway": str(self.fixture["gateway"]),
            "organization": str(self.fixture["organization"]["id"]),
        }

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        return {
            "client_id": secrets.token_urlsafe(24),
            "client_secret": secrets.token_urlsafe(48),
            "username": f"apiuser+{tenant_id}@standin.example",
            "password": secrets.token_urlsafe(16),
            "gateway": str(10000 + secrets.randbelow(89999)),
            "organization": str(1000 + secrets.randbelow(8999)),
        }

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials["client_id"]]

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> AtriusState:
        ids = self._tenant_ids(tenant_id, credentials, random.Random(series_key(tenant_id)))
        return AtriusState.from_fixture(self.fixture, ids, clock)

    def forget_tenant(self, tenant_id: str) -> None:
        self.issuer.forget_tenant(tenant_id)

    def _tenant_ids(
        self, tenant_id: str, credentials: dict[str, Any], rng: random.Random
    ) -> dict[str, str]:
        """The default tenant keeps the fixture's ids; others get their own, never shared."""
        if tenant_id == DEFAULT_TENANT:
            return {}
        ids = {
            str(self.fixture["organization"]["id"]): credentials["organization"],
            str(self.fixture["gateway"]): credentials["gateway"],
        }
        for record in (*self.fixture["buildings"], *self.fixture["meters"]):
            ids[record["id"]] = str(rng.randrange(200000, 999999))
            ids[record["uuid"]] = f"{rng.getrandbits(128):032x}"
        return ids

    def state(self, tenant: Tenant) -> AtriusState:
        return self.seam.state(tenant)

    def app(self) -> ASGIApp:
        return vendor_app(self.sandbox, self.key, routes(self.seam, self.issuer), ROUTING_ERRORS)

    def control_routes(self) -> list[BaseRoute]:
        return []


__all__ = ["AtriusApi"]
