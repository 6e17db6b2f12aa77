"""BuildingMinds bound to a sandbox: Azure AD clients, tenant state, processing times, the rate
limit and the control-plane triggers."""

from __future__ import annotations

import random
import secrets
import uuid
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin import fixtures
from standin._core.access import access_of
from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.control import (
    control_error,
    read_json_object,
    require_everything,
)
from standin._core.ratelimit import LimiterSpec
from standin._core.rendering import JSONBody
from standin._core.seam import Caller, Identity, Refusals, Seam, bearer_token
from standin._core.tenants import Tenant
from standin._core.timeseries import series_key
from standin._core.tokens import JwtSigner, TokenIssuer
from standin.buildingminds import errors
from standin.buildingminds.aad import WRITE_ROLE, AzureAd
from standin.buildingminds.routes import (
    batch_json,
    caught_up,
    inbound_json,
    routes,
    routing_errors,
)
from standin.buildingminds.state import BuildingMindsState, Timing, check_injectable

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

REQUESTS_PER_MINUTE = 100
"""The guide: "100 requests per minute per credential"."""


class BuildingMindsApi:
    key = "buildingminds"
    title = "BuildingMinds Digital Twin Integration API"
    real_base_url = "https://api.onbuildingminds.com/api/digitaltwinintegration"
    hosts: tuple[str, ...] = ("login.microsoftonline.com", "api.onbuildingminds.com")
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec(
            "requests",
            "rolling_window",
            REQUESTS_PER_MINUTE,
            "API requests per credential (client id) in any 60 s; the token endpoint is "
            "Azure AD's and not limited here",
        ),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.fixture: dict[str, Any] = load_fixture()
        self.timing = Timing()
        self._issuer: TokenIssuer | None = None
        self.environment: str = self.fixture["environments"][0]
        self.aad = AzureAd(
            lambda: sandbox.tenants.all(),
            self.issuer,
            self.fixture["environments"],
            sandbox.clock.time,
            sandbox.seed,
            lambda name: sandbox.tenants.resolve(self.key, name),
        )
        self.seam = Seam(
            sandbox,
            self.key,
            BuildingMindsState,
            identify=self.identify,
            refusals=Refusals(
                unauthenticated=errors.unauthorized,
                rate_limited=lambda decision: errors.rate_limited(decision.retry_after_header()),
            ),
            limiter="requests",
            authorize=self.authorize,
        )

    def issuer(self) -> TokenIssuer:
        """Made on first use: an RSA key takes a while to generate, and most sandboxes in a test
        run never issue a BuildingMinds token."""
        if self._issuer is None:
            self._issuer = TokenIssuer(
                self.sandbox.clock_for,
                lifetime_seconds=3599,
                token_format="jwt",
                signer=JwtSigner(key_id=_key_id(self.sandbox.seed)),
            )
        return self._issuer

    # --- credentials and state ---------------------------------------------------------------

    def default_credentials(self) -> dict[str, Any]:
        directory = self.fixture["directory"]
        return _credentials(
            directory["tenant"], directory["directory_id"], list(self.fixture["clients"])
        )

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        directory_id = str(uuid.uuid4())
        clients = [
            {
                **client,
                "client_id": str(uuid.uuid4()),
                "client_secret": f"{client['client_secret'][:3]}8Q~{secrets.token_urlsafe(28)}",
            }
            for client in self.fixture["clients"]
        ]
        return _credentials(directory_id, directory_id, clients)

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        # The directory's names too: Azure AD finds a tenant by them (its token and discovery
        # URLs), on whichever replica serves it.
        names = dict.fromkeys([credentials["tenant"], credentials["directory_id"]])
        return [credentials["client_id"], credentials["forbidden_client_id"], *names]

    def new_state(
        self, tenant_id: str, credentials: dict[str, Any], clock: Clock
    ) -> BuildingMindsState:
        return BuildingMindsState.from_fixture(
            self.fixture, clock, self.timing, series_key(tenant_id)
        )

    def forget_tenant(self, tenant_id: str) -> None:
        if self._issuer is not None:
            self._issuer.forget_tenant(tenant_id)

    def state(self, tenant: Tenant) -> BuildingMindsState:
        return self.seam.state(tenant)

    # --- callers -----------------------------------------------------------------------------

    def identify(self, request: Request) -> Identity:
        """A bearer token this sandbox's Azure AD issued; the limit counts per client id."""
        header = request.headers.get("authorization")
        token = bearer_token(header, self.issuer(), errors.unauthorized)
        client = token.client_id or token.subject
        return Identity(token.tenant_id, principal=client, limit_key=client, token=token)

    def authorize(self, caller: Caller[BuildingMindsState]) -> None:
        """Only a token for this environment that carries the read-write role gets in; the
        request then runs on the processing times last set through any replica."""
        claims = caller.token.claims
        if claims.get("aud") != self.environment or WRITE_ROLE not in (claims.get("roles") or []):
            raise errors.forbidden()
        self.shared_timing()

    def shared_timing(self) -> Timing:
        """The processing times, as last set through any replica serving this sandbox (kept
        with the persistence; in one process, :attr:`timing` as it is)."""
        kept = self.sandbox.persistence.sandbox_settings(self.key)
        if kept is not None and kept != self.timing.as_dict():
            self.timing.configure(kept)
        return self.timing

    # --- apps --------------------------------------------------------------------------------

    def app(self) -> ASGIApp:
        return vendor_app(
            self.sandbox, self.key, routes(self.seam, self.aad), routing_errors(self.aad)
        )

    def control_routes(self) -> list[BaseRoute]:
        return [
            Route("/processing", self.get_processing, methods=["GET"]),
            Route("/processing", self.set_processing, methods=["PATCH"]),
            Route("/batches/{batch_id}/complete", self.complete_batch, methods=["POST"]),
            Route("/messages/{inbound_id}/fail", self.fail_message, methods=["POST"]),
        ]

    async def get_processing(self, request: Request) -> Response:
        """How long pickup, processing and geocoding take on the sandbox clock."""
        return JSONBody(self.shared_timing().as_dict())

    async def set_processing(self, request: Request) -> Response:
        """Change them: ``{"pickup_seconds"?, "processing_seconds"?, "geocoding_seconds"?}``
        (sandbox-wide, so not with a tenant token)."""
        require_everything(request, "changing the sandbox-wide processing times")
        body = await read_json_object(request)
        timing = self.shared_timing()
        try:
            timing.configure(body)
        except ValueError as problem:
            raise control_error(400, str(problem)) from None
        # Kept before the answer: the next request through any replica runs on them.
        self.sandbox.persistence.save_sandbox_settings(self.key, timing.as_dict())
        return JSONBody(timing.as_dict())

    async def complete_batch(self, request: Request) -> Response:
        """Finish a batch at once, in whichever tenant it is; held records stay held. What fell
        due before, then the batch's own records, are replayed a slice at a time (see
        :func:`caught_up`): other requests are answered in between."""
        batch_id = request.path_params["batch_id"]
        tenant = self._holder(request, "batches", batch_id)
        if tenant is not None:
            state = self.state(tenant)
            await caught_up(state)
            batch = state.expedite(batch_id)
            if batch is not None:
                await caught_up(state)
                # A submission let in between slices may have made room by forgetting it.
                if state.batches.get(batch.id) is batch and self._serves(tenant):
                    return JSONBody({"tenant": tenant.id, **batch_json(state.summary(batch))})
        raise control_error(404, f"unknown batch {batch_id!r}")

    async def fail_message(self, request: Request) -> Response:
        """Fail one record: ``{"status": "Failed"|"TransformationFailed", "message"?}``. What
        fell due before is replayed first, a slice at a time (see :func:`caught_up`)."""
        body = await read_json_object(request)
        status = body.get("status", "Failed")
        reason = body.get("message", "Processing failed")
        if not isinstance(status, str) or not isinstance(reason, str):
            raise control_error(400, "status and message must be strings")
        try:
            check_injectable(status)
        except ValueError as problem:
            raise control_error(400, str(problem)) from None
        inbound_id = request.path_params["inbound_id"]
        tenant = self._holder(request, "messages", inbound_id)
        if tenant is not None:
            state = self.state(tenant)
            await caught_up(state)
            try:
                message = (
                    state.fail_message(inbound_id, status, reason) if self._serves(tenant) else None
                )
            except ValueError as problem:
                raise control_error(409, str(problem)) from None
            if message is not None:
                return JSONBody({"tenant": tenant.id, **inbound_json(message)})
        raise control_error(404, f"unknown inbound message {inbound_id!r}")

    def _holder(self, request: Request, collection: str, record_id: str) -> Tenant | None:
        """The tenant whose state has the record ``record_id`` in ``collection`` (a look that
        replays nothing), among those this request's token opens."""
        opens = access_of(request.scope).opens

        def holds(tenant: Tenant) -> Tenant | None:
            if not opens(tenant.id):
                return None  # another tenant's, which this request's token does not open
            return tenant if _holds(self.state(tenant), collection, record_id) else None

        return self.sandbox.tenants.first(
            holds, self.key, lambda state: _holds(state, collection, record_id)
        )

    def _serves(self, tenant: Tenant) -> bool:
        """Whether this process still serves ``tenant`` after the loop was let go (it may have
        been removed, or handed to another replica, meanwhile)."""
        return self.sandbox.tenants.local(tenant.id) is tenant


def load_fixture() -> dict[str, Any]:
    """``fixtures/buildingminds.yaml``, parsed by libyaml when it is there: every sandbox (one
    per test, in most suites) reads it, and the pure-Python parser takes ten times as long."""
    text = resources.files(fixtures).joinpath("buildingminds.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(text, Loader=loader)
    return loaded


def _credentials(tenant: str, directory_id: str, clients: list[dict[str, Any]]) -> dict[str, Any]:
    """Flat, so ``standin credentials`` and the landing page show every value."""
    allowed, forbidden = clients
    return {
        "client_id": allowed["client_id"],
        "client_secret": allowed["client_secret"],
        "scope": allowed["scope"],
        "tenant": tenant,
        "directory_id": directory_id,
        "forbidden_client_id": forbidden["client_id"],
        "forbidden_client_secret": forbidden["client_secret"],
        "forbidden_scope": forbidden["scope"],
    }


def _holds(state: object, collection: str, record_id: str) -> bool:
    """Whether a (kept) BuildingMinds state has the record ``record_id`` in ``collection``."""
    return isinstance(state, BuildingMindsState) and record_id in getattr(state, collection)


def _key_id(seed: int) -> str:
    """Azure AD key ids are short base64url strings."""
    return f"standin-{seed:x}-{random.Random(seed).getrandbits(64):016x}"


__all__ = ["BuildingMindsApi"]
