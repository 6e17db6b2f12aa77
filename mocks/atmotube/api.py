"""Atmotube Cloud bound to a sandbox: credentials, tenant state, the rate limit and the app."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin import fixtures
from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.control import check_opens, control_error, read_json_object
from standin._core.quotas import over_quota
from standin._core.ratelimit import LimiterSpec
from standin._core.rendering import JSONBody
from standin._core.seam import Identity, Refusals, Seam
from standin._core.tenants import Tenant
from standin.atmotube import errors
from standin.atmotube.query import MAC_PATTERN
from standin.atmotube.readings import Device, ReadingCache
from standin.atmotube.routes import ROUTING_ERRORS, routes
from standin.atmotube.state import MAX_DEVICE_NAME, MAX_DEVICES, ApiKey, AtmotubeState

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

REQUESTS_PER_MINUTE = 60


class AtmotubeApi:
    key = "atmotube"
    title = "Atmotube Cloud API"
    real_base_url = "https://api.atmotube.com/api/v1"
    hosts: tuple[str, ...] = ("api.atmotube.com",)
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec(
            "requests",
            "fixed_window",
            REQUESTS_PER_MINUTE,
            "requests per API key, counted per clock minute and reset at its start",
        ),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.fixture: dict[str, Any] = fixtures.load("atmotube")
        self.cache = ReadingCache()
        self.seam = Seam(
            sandbox,
            self.key,
            AtmotubeState,
            identify=self.identify,
            refusals=Refusals(
                unauthenticated=errors.invalid_api_key,
                rate_limited=lambda decision: errors.rate_limited(
                    decision.limit, decision.retry_after_header()
                ),
            ),
            limiter="requests",
        )

    def identify(self, request: Request) -> Identity:
        """The API key in the query is Atmotube's only credential; the limit counts per key."""
        api_key = request.query_params.get("api_key") or ""
        tenant = self.sandbox.tenants.resolve(self.key, api_key)
        if tenant is None:
            raise errors.invalid_api_key()
        return Identity(tenant.id, principal=api_key, limit_key=api_key)

    def default_credentials(self) -> dict[str, Any]:
        keys = [
            {"api_key": entry["api_key"], "macs": [m.upper() for m in entry["devices"]]}
            for entry in self.fixture["api_keys"]
        ]
        return {**keys[0], "keys": keys}

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        keys = [
            {
                "api_key": str(uuid.uuid4()),
                "macs": [m.upper() for m in entry["devices"]],
            }
            for entry in self.fixture["api_keys"]
        ]
        return {**keys[0], "keys": keys}

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [entry["api_key"] for entry in credentials["keys"]]

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> AtmotubeState:
        keys = self.credential_keys(credentials)
        return AtmotubeState.from_fixture(self.fixture, keys, clock, self.cache)

    def forget_tenant(self, tenant_id: str) -> None:
        """An API key is the whole credential: nothing outside the tenant's state to drop."""

    def state(self, tenant: Tenant) -> AtmotubeState:
        return self.seam.state(tenant)

    def app(self) -> ASGIApp:
        return vendor_app(self.sandbox, self.key, routes(self.seam), ROUTING_ERRORS)

    def control_routes(self) -> list[BaseRoute]:
        return [Route("/devices", self.register_device, methods=["POST"])]

    async def register_device(self, request: Request) -> Response:
        """Register a device to an API key: ``{api_key, mac, environment?, since?, coords?}``."""
        body = await read_json_object(request)
        api_key = body.get("api_key")
        tenant = (
            self.sandbox.tenants.resolve(self.key, api_key) if isinstance(api_key, str) else None
        )
        if tenant is None:
            raise control_error(404, "unknown atmotube api_key")
        check_opens(request, tenant)
        mac = body.get("mac")
        if not isinstance(mac, str) or not MAC_PATTERN.match(mac):
            raise control_error(400, "mac must look like AA:BB:CC:DD:EE:FF")
        environment = body.get("environment", "indoor")
        if environment not in ("indoor", "outdoor"):
            raise control_error(400, "environment must be indoor or outdoor")
        coords = body.get("coords")
        try:
            today = tenant.clock.now().date()
            since = date.fromisoformat(str(body.get("since", today)))
            latitude = None if coords is None else float(coords["lat"])
            longitude = None if coords is None else float(coords["lon"])
        except (ValueError, TypeError, KeyError):
            raise control_error(400, "since must be YYYY-MM-DD; coords {lat, lon}") from None
        name = str(body.get("name", mac.upper()))
        if len(name) > MAX_DEVICE_NAME:
            raise control_error(400, f"name must be at most {MAX_DEVICE_NAME} characters")
        device = Device(
            mac=mac.upper(),
            name=name,
            environment=environment,
            since=since,
            utc_offset_hours=0.0,
            latitude=latitude,
            longitude=longitude,
        )
        state = self.state(tenant)
        if not state.has_room_for(device.mac):
            way_out = "reset the tenant (POST /_sandbox/reset) to start again"
            raise control_error(400, over_quota("devices", MAX_DEVICES, way_out))
        state.register_device(device)
        entry = state.api_keys.get(api_key) if isinstance(api_key, str) else None
        assert entry is not None
        if device.mac not in entry.macs:
            state.api_keys.put(entry.key, ApiKey(entry.key, (*entry.macs, device.mac)))
        return JSONBody({"mac": device.mac, "api_key": entry.key, "since": since.isoformat()}, 201)
