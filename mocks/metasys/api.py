"""Metasys bound to a sandbox: users as credentials, tenant state, JWT sessions, the rate limit,
and the control-plane triggers (device offline, point values)."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin import fixtures
from standin._core.apps import vendor_app
from standin._core.clock import Clock
from standin._core.control import (
    control_error,
    control_tenant,
    read_json_object,
    require_everything,
)
from standin._core.paging import ContinuationTokens
from standin._core.ratelimit import LimiterSpec
from standin._core.rendering import JSONBody
from standin._core.seam import Identity, Refusals, Seam
from standin._core.tenants import DEFAULT_TENANT, Tenant
from standin._core.timeseries import series_key
from standin._core.tokens import IssuedToken, TokenIssuer
from standin.metasys import errors
from standin.metasys.auth import DEFAULT_LIFETIME, LazyJwtSigner, bearer, stream_token
from standin.metasys.deps import Deps
from standin.metasys.diagram_streams import DiagramStreams
from standin.metasys.enums import ENUM_SETS
from standin.metasys.routes import ROUTING_ERRORS, routes
from standin.metasys.sessions import Sessions
from standin.metasys.state import MetasysState
from standin.metasys.state.model import Command
from standin.metasys.state.stream_options import StreamOptions
from standin.metasys.streaming import Streams

if TYPE_CHECKING:
    from standin._core.sandbox import Sandbox

DEFAULT_HOST = "metasys.standin.example"
CREDENTIAL_PREFIX = {"admin": "", "viewer": "viewer_", "standard": "standard_"}
"""Each fixture user's credentials: the API administrator's as ``username``/``password``, the
read-only API user's and the user without API access under their prefixes."""
HEARTBEAT_PERIODS = (
    ("heartbeatSeconds", "heartbeat_seconds"),
    ("objectHeartbeatSeconds", "object_heartbeat_seconds"),
    ("activityHeartbeatSeconds", "activity_heartbeat_seconds"),
)
"""The sandbox-wide heartbeat periods ``POST /_sandbox/metasys/streaming`` sets: the body's
name and the :class:`~standin.metasys.streaming.Streams` attribute."""
REQUESTS_PER_MINUTE = 600
"""**Sandbox choice:** the guide says too many requests answer 403 but gives no figure."""


class MetasysApi:
    key = "metasys"
    title = "Johnson Controls Metasys REST API v4"
    real_base_url = "https://{hostname}/api/v4"
    hosts: tuple[str, ...] = (DEFAULT_HOST,)
    limiters: tuple[LimiterSpec, ...] = (
        LimiterSpec(
            "requests",
            "fixed_window",
            REQUESTS_PER_MINUTE,
            "API requests per user per clock minute; more are answered 403",
        ),
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.fixture: dict[str, Any] = fixtures.load("metasys")
        self.issuer = TokenIssuer(
            sandbox.clock_for,
            lifetime_seconds=DEFAULT_LIFETIME,
            token_format="jwt",
            signer=LazyJwtSigner("metasys-sandbox"),
        )
        self.streams = Streams(sandbox.clock_for, sandbox.stream_store(self.key))
        if self.streams.hub.store is not None:
            # A tenant this replica lets go of takes its streams along (the store keeps them
            # for the replica that serves it next); in memory only, nothing changes.
            sandbox.tenant_dropped.append(self.streams.evict_tenant)
            # A tenant it takes up brings its streams along, before any request of it.
            sandbox.tenant_loaded.append(self._adopt_streams)
        self.diagram_streams = DiagramStreams(self.streams)
        self.continuations = ContinuationTokens(secrets.token_bytes(32))
        self.sessions = Sessions()
        """Who recently presented bearer headers name (see :meth:`identify`)."""
        self.seam = Seam(
            sandbox,
            self.key,
            MetasysState,
            identify=self.identify,
            refusals=Refusals(
                unauthenticated=errors.unauthorized,
                rate_limited=lambda decision: errors.too_many_requests(
                    decision.retry_after_header()
                ),
            ),
            limiter="requests",
        )

    def _adopt_streams(self, tenant: Tenant) -> None:
        state = tenant.states.get(self.key)
        if isinstance(state, MetasysState):
            self.streams.adopt(state, tenant.id)

    def identify(self, request: Request) -> Identity:
        """The user of the bearer token; the limit counts per user of a tenant.

        A header seen before is not worked out again: what it named is re-checked (see
        :meth:`remembered`) and, still good, used as it is."""
        authorization, subscribing = credential_headers(request.scope["headers"])
        identity = None if authorization is None else self.remembered(authorization)
        if identity is None:
            header = None if authorization is None else authorization.decode("latin-1")
            identity = self.identity(bearer(header, self.issuer))
            # Where a token directory judges tokens (several replicas), each request asks it.
            # Only the token's own spelling is kept: one token, one entry.
            token = identity.token
            if (
                token is not None
                and self.issuer.directory is None
                and authorization == b"Bearer " + token.value.encode("latin-1")
            ):
                self.sessions.keep(authorization, identity)
        if subscribing:
            self.shared_heartbeats()  # a subscription's heartbeat starts with it
        return identity

    def remembered(self, authorization: bytes) -> Identity | None:
        """Who ``authorization`` named when it was last identified, if it would be identified
        the same way now: its token still remembered by the issuer (not revoked, not forgotten
        with its tenant) and not expired on its tenant's clock, its tenant still here, its user
        still there. None otherwise (it is forgotten, and identified again the long way, which
        answers why not)."""
        identity = self.sessions.get(authorization)
        if identity is None:
            return None
        token = identity.token
        if token is not None and self.issuer.still_valid(token):
            tenant = self.sandbox.tenants.get(token.tenant_id)
            if tenant is not None:
                user = self.seam.state(tenant).user(token.subject)
                if user is not None and user.username == identity.principal:
                    return identity
        self.sessions.forget(authorization)
        return None

    def identify_stream(self, request: Request) -> Identity:
        """As :meth:`identify`, or from the ``access_token`` query parameter (``GET /stream``)."""
        identity = self.identity(stream_token(request, self.issuer))
        self.shared_heartbeats()
        return identity

    def shared_heartbeats(self) -> None:
        """The streams' heartbeat periods as last set through any replica serving this sandbox
        (kept with the persistence; in one process, nothing to do): for a stream or a
        subscription about to be made here."""
        kept = self.sandbox.persistence.sandbox_settings(self.key)
        if kept is None:
            return
        for name, attribute in HEARTBEAT_PERIODS:
            value = kept.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                setattr(self.streams, attribute, float(value))

    def identify_reader(self, request: Request) -> Identity:
        """As :meth:`identify`; without an ``Authorization`` header, an anonymous reader of the
        default tenant (the reference lists no authorization for the enumeration reads, and
        their samples send none), counted by the limit as one more user."""
        if credential_headers(request.scope["headers"])[0] is not None:
            return self.identify(request)
        tenant = self.sandbox.tenants.default()
        return Identity(tenant.id, principal="", limit_key=f"{tenant.id}/")

    def identity(self, token: IssuedToken) -> Identity:
        """Who a valid token names: 401 once its tenant or its user is gone."""
        tenant = self.seam.tenant(token.tenant_id)
        user = self.seam.state(tenant).user(token.subject)
        if user is None:
            raise errors.unauthorized()
        return Identity(
            tenant.id,
            principal=user.username,
            limit_key=f"{tenant.id}/{user.username}",
            token=token,
        )

    def default_credentials(self) -> dict[str, Any]:
        credentials: dict[str, Any] = {}
        for user in self.fixture["users"]:
            prefix = CREDENTIAL_PREFIX[user["role"]]
            credentials[f"{prefix}username"] = user["username"]
            credentials[f"{prefix}password"] = user["password"]
        return credentials

    def new_credentials(self, tenant_id: str) -> dict[str, Any]:
        credentials: dict[str, Any] = {}
        for user in self.fixture["users"]:
            prefix = CREDENTIAL_PREFIX[user["role"]]
            credentials[f"{prefix}username"] = f"{user['username']}@{tenant_id}"
            credentials[f"{prefix}password"] = secrets.token_urlsafe(12)
        return credentials

    def credential_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [credentials[f"{prefix}username"] for prefix in CREDENTIAL_PREFIX.values()]

    def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> MetasysState:
        fixture = copy.deepcopy(self.fixture)
        for user in fixture["users"]:
            prefix = CREDENTIAL_PREFIX[user["role"]]
            user["username"] = credentials[f"{prefix}username"]
            user["password"] = credentials[f"{prefix}password"]
        salt = "" if tenant_id == DEFAULT_TENANT else f"{tenant_id}/"
        return MetasysState(fixture, clock, salt, series_key(tenant_id))

    def forget_tenant(self, tenant_id: str) -> None:
        self.issuer.forget_tenant(tenant_id)
        self.sessions.forget_tenant(tenant_id)

    def state(self, tenant: Tenant) -> MetasysState:
        return self.seam.state(tenant)

    def app(self) -> ASGIApp:
        deps = Deps(self.issuer, self.streams, self.diagram_streams, self.continuations)
        table = routes(
            self.seam,
            deps,
            stream_identify=self.identify_stream,
            reader_identify=self.identify_reader,
        )
        return vendor_app(self.sandbox, self.key, table, ROUTING_ERRORS)

    # --- control plane ---------------------------------------------------------------------

    def control_routes(self) -> list[BaseRoute]:
        return [
            Route("/devices/{deviceId}/offline", self.set_offline, methods=["POST"]),
            Route("/objects/{objectId}/value", self.set_value, methods=["POST"]),
            Route("/streaming", self.set_streaming, methods=["POST"]),
            Route("/objects/{objectId}/alarms", self.raise_alarm, methods=["POST"]),
            Route("/devices/{deviceId}/certificate", self.sign_request, methods=["POST"]),
        ]

    def _tenant(self, request: Request, body: dict[str, Any]) -> Tenant:
        """The trigger's ``tenant`` (the caller's own, or the default, without one)."""
        return control_tenant(request, self.sandbox, body.get("tenant"))

    def _target(self, request: Request, body: dict[str, Any]) -> MetasysState:
        return self.state(self._tenant(request, body))

    async def set_offline(self, request: Request) -> Response:
        """Take a network device offline (``{"offline": true}``) or back online; ``tenant``
        picks a tenant other than the default."""
        body = await read_json_object(request)
        tenant = self._tenant(request, body)
        state = self.state(tenant)
        device = state.tree.get(request.path_params["deviceId"].lower())
        if device is None or not device.type.is_network_device:
            raise control_error(404, "unknown network device")
        offline = body.get("offline", True)
        if not isinstance(offline, bool):
            raise control_error(400, "offline must be true or false")
        if offline:
            state.offline.add(device.id)
            self.streams.device_offline(state, tenant.id, device.id)
        else:
            state.offline.discard(device.id)
        return JSONBody({"id": device.id, "offline": offline})

    async def sign_request(self, request: Request) -> Response:
        """Sign an engine's pending BACnet/SC signing request with the tenant's sandbox test
        authority, as a CA would: ``{"days": 1..3650}`` (default 365) answers
        ``{"certificate": PEM}``, the operational certificate then the authority's, ready for
        ``PUT .../certificates/bacnet``. Nothing is written to the device."""
        body = await read_json_object(request)
        state = self._target(request, body)
        device = state.tree.get(request.path_params["deviceId"].lower())
        if device is None or not device.type.is_network_device:
            raise control_error(404, "unknown network device")
        days = body.get("days", 365)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise control_error(400, "days must be an integer from 1 to 3650")
        if state.certificates.of(device).request is None:
            raise control_error(409, "the device has no pending signing request")
        return JSONBody({"certificate": state.certificates.sign(device, days)})

    async def raise_alarm(self, request: Request) -> Response:
        """Raise an alarm on any object: ``{"type": "avHiAlarm"}`` (an alarmValueEnumSet member,
        short or long), optional ``priority`` (0..255, default 70), ``isAckRequired`` (default
        true), ``value`` (the trigger value; default the object's presentValue), ``message``."""
        body = await read_json_object(request)
        state = self._target(request, body)
        obj = state.tree.get(request.path_params["objectId"].lower())
        if obj is None:
            raise control_error(404, "unknown object")
        kind = body.get("type")
        members = [m for m, _ in ENUM_SETS["alarmValueEnumSet"].members]
        short = kind.removeprefix("alarmValueEnumSet.") if isinstance(kind, str) else None
        if short not in members:
            raise control_error(400, "type must be a member of alarmValueEnumSet")
        priority = body.get("priority", 70)
        if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 255:
            raise control_error(400, "priority must be an integer from 0 to 255")
        ack = body.get("isAckRequired", True)
        message = body.get("message", "")
        if not isinstance(ack, bool) or not isinstance(message, str):
            raise control_error(400, "isAckRequired must be true or false, message a string")
        if len(message) > MAX_TRIGGER_TEXT:
            raise control_error(400, f"message must hold at most {MAX_TRIGGER_TEXT} characters")
        if "value" in body:
            value = _trigger_value(body["value"])
        else:
            value = state.item(obj, ["presentValue"]).get("presentValue")
        alarm_id = state.raise_alarm(obj, short, priority, ack, value, message)
        return JSONBody({"id": alarm_id}, 201)

    async def set_streaming(self, request: Request) -> Response:
        """Heartbeat periods in sandbox seconds (``heartbeatSeconds``, ``objectHeartbeatSeconds``,
        ``activityHeartbeatSeconds``: 30 by default, as the guide says) for streams and
        subscriptions made from now on; and, per tenant, ``arrayUpdates``
        (``object.values.update`` as an array of ``{item, condition, subscriptionId}``) and
        ``offlineErrors`` (``object.values.error`` when a device goes offline), both false by
        default."""
        body = await read_json_object(request)
        self.shared_heartbeats()
        streams = self.streams
        fields = dict(HEARTBEAT_PERIODS)
        tenant = self._tenant(request, body)
        if any(name in body for name in fields):
            require_everything(request, "changing the sandbox-wide heartbeat periods")
        flags: dict[str, bool | None] = {}
        for name in ("arrayUpdates", "offlineErrors"):
            flag = body.get(name)
            if flag is not None and not isinstance(flag, bool):
                raise control_error(400, f"{name} must be true or false")
            flags[name] = flag
        periods: dict[str, float] = {}
        for name, attribute in fields.items():
            value = body.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise control_error(400, f"{name} must be a positive number of seconds")
            periods[attribute] = float(value)
        # Nothing changes before everything asked is valid. The flags are the tenant's state
        # (kept with it, so a replica that takes the tenant over has them); the periods are the
        # sandbox's (kept in Redis with --redis, so every replica beats at them).
        state = self.state(tenant)
        current = state.stream_options
        array_updates, offline_errors = flags["arrayUpdates"], flags["offlineErrors"]
        state.stream_options = StreamOptions(
            array_updates=current.array_updates if array_updates is None else array_updates,
            offline_errors=current.offline_errors if offline_errors is None else offline_errors,
        )
        for attribute, period in periods.items():
            setattr(streams, attribute, period)
        if periods:
            # Kept before the answer: streams made next through any replica beat at these.
            self.sandbox.persistence.save_sandbox_settings(
                self.key, {name: getattr(streams, attribute) for name, attribute in fields.items()}
            )
        chosen = state.stream_options
        return JSONBody(
            {name: getattr(streams, attribute) for name, attribute in fields.items()}
            | {"arrayUpdates": chosen.array_updates, "offlineErrors": chosen.offline_errors}
        )

    async def set_value(self, request: Request) -> Response:
        """Command a point's presentValue at a priority (``{"value", "priority": 1..16}``), or
        release it (``{"value": null}``), as field logic would."""
        body = await read_json_object(request)
        state = self._target(request, body)
        obj = state.tree.get(request.path_params["objectId"].lower())
        if obj is None or not obj.type.is_point:
            raise control_error(404, "unknown point")
        level = body.get("priority", 16)
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 16:
            raise control_error(400, "priority must be an integer from 1 to 16")
        value = _trigger_value(body.get("value"))
        previous = state.effective(obj)
        if value is None:
            obj.priority_array.pop(level, None)
        else:
            obj.priority_array[level] = Command(value)
        state.record_change(obj, state.clock.time(), previous)
        effective = state.effective(obj)
        return JSONBody(
            {"id": obj.id, "presentValue": effective.value, "priority": effective.level}
        )


def credential_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes | None, bool]:
    """In one pass over a request's headers (ASGI's, names in lower case): the first
    ``Authorization`` header's value, as sent, and whether ``METASYS-SUBSCRIBE`` is present."""
    authorization: bytes | None = None
    subscribing = False
    for name, value in headers:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"metasys-subscribe":
            subscribing = True
    return authorization, subscribing


MAX_TRIGGER_TEXT = 255
"""The longest text a trigger keeps (an alarm's message, a value): Metasys' own bound on an
annotation's text. Each tenant keeps 10,000 alarms and 10,000 changes of each point, so an
unbounded text (64 KiB each, the control plane's body bound) let one tenant hold gigabytes."""


def _trigger_value(value: Any) -> Any:
    """A value a trigger may give a point or an alarm: what a point's presentValue can be."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and len(value) <= MAX_TRIGGER_TEXT:
        return value
    raise control_error(
        400,
        f"value must be null, true or false, a number, or a string of at most "
        f"{MAX_TRIGGER_TEXT} characters",
    )


__all__ = ["MetasysApi"]
