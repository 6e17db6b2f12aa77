"""The Locus Energy v3 route table: the token, the hierarchy, data available, data, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.contracts import contract_response
from standin._core.handlers import RoutingErrors
from standin._core.oauth import NO_STORE, client_from_basic, token_form
from standin._core.rendering import JSONBody, dumps_members
from standin._core.seam import Caller, Seam, attribute_credential
from standin._core.tenants import TenantRegistry
from standin._core.tokens import TokenIssuer
from standin.locus import catalogue, data, errors
from standin.locus.alerts import ALERT_TYPES, PRIORITY_FILTERS, STATUSES, Alert
from standin.locus.models import Component
from standin.locus.oauth import grant_token
from standin.locus.query import csv_filter, data_query, timestamp, zone
from standin.locus.state import LocusState

INSTALL_FIELDS = (
    "installer",
    "installCrew",
    "installDate",
    "ptoDate",
    "startupDate",
    "uninstallCrew",
    "uninstallDate",
)
MODEL_FIELDS = (
    "mismatch",
    "diodesAndConnections",
    "dcWiring",
    "soiling",
    "sunTracking",
    "nameplate",
    "acWiring",
    "transformer",
)
UPDATED_SINCE_LIMIT = timedelta(days=7)
OPEN_DURING_LIMIT = timedelta(days=31)


def routes(seam: Seam[LocusState], issuer: TokenIssuer) -> list[BaseRoute]:
    v3 = "/v3"
    guard = seam.guard
    token = TokenEndpoint(seam.sandbox.tenants, issuer)
    return [
        Route("/oauth/token", token.answer, methods=["POST"]),
        Route(v3 + "/components/{id}", guard(component), methods=["GET"]),
        Route(v3 + "/sites/{id}/components", guard(site_components), methods=["GET"]),
        Route(v3 + "/clients/{id}/components", guard(client_components), methods=["GET"]),
        Route(v3 + "/partners/{id}/components", guard(partner_components), methods=["GET"]),
        Route(v3 + "/sites/{id}", guard(site), methods=["GET"]),
        Route(v3 + "/clients/{id}/sites", guard(client_sites), methods=["GET"]),
        Route(v3 + "/partners/{id}/sites", guard(partner_sites), methods=["GET"]),
        Route(v3 + "/sites/{id}/installinfo", guard(installinfo), methods=["GET"]),
        Route(v3 + "/sites/{id}/modelsettings", guard(modelsettings), methods=["GET"]),
        Route(v3 + "/clients/{id}", guard(client), methods=["GET"]),
        Route(v3 + "/partners/{id}/clients", guard(partner_clients), methods=["GET"]),
        Route(
            v3 + "/components/{id}/dataavailable",
            guard(component_available),
            methods=["GET"],
        ),
        Route(v3 + "/sites/{id}/dataavailable", guard(site_available), methods=["GET"]),
        Route(v3 + "/partners/{id}/sites/dataavailable", guard(bulk_available), methods=["GET"]),
        Route(v3 + "/components/{id}/data", guard(component_data), methods=["GET"]),
        Route(v3 + "/sites/{id}/data", guard(site_data), methods=["GET"]),
        Route(v3 + "/partners/{id}/sites/data", guard(bulk_data), methods=["GET"]),
        Route(v3 + "/partners/{id}/alerts", guard(partner_alerts), methods=["GET"]),
        Route(v3 + "/sites/{id}/alerts", guard(site_alerts), methods=["GET"]),
        Route(v3 + "/components/{id}/alerts", guard(component_alerts), methods=["GET"]),
        Route("/openapi.json", contract, methods=["GET"]),
    ]


def ok(body: dict[str, Any]) -> Response:
    """Every success body carries ``"statusCode": 200`` first, as the reference shows."""
    return JSONBody({"statusCode": 200, **body})


# --- auth ------------------------------------------------------------------------------------


class TokenEndpoint:
    """``POST /oauth/token``: the only operation without a bearer token (and outside the limit)."""

    def __init__(self, tenants: TenantRegistry, issuer: TokenIssuer) -> None:
        self.tenants = tenants
        self.issuer = issuer

    async def answer(self, request: Request) -> Response:
        basic = client_from_basic(request.headers.get("authorization"))
        form = await token_form(request)
        client_id = form.get("client_id") if basic is None else basic.client_id
        attribute_credential(request.scope, self.tenants, "locus", client_id)
        body = grant_token(form, basic, self.tenants, self.issuer)
        return JSONBody(body, headers=NO_STORE)


# --- components --------------------------------------------------------------------------


async def component(request: Request, caller: Caller[LocusState]) -> Response:
    return ok(caller.state.component(_id(request)).as_json())


async def site_components(request: Request, caller: Caller[LocusState]) -> Response:
    found = caller.state.site_components(_id(request))
    return ok({"components": [c.as_json() for c in found]})


async def client_components(request: Request, caller: Caller[LocusState]) -> Response:
    found = caller.state.client_components(_id(request))
    return ok({"components": [c.as_json() for c in found]})


async def partner_components(request: Request, caller: Caller[LocusState]) -> Response:
    params = request.query_params
    found = caller.state.partner_components(_id(request), params.get("nodeId"), params.get("notes"))
    return ok({"components": [c.as_json() for c in found]})


# --- sites -------------------------------------------------------------------------------


async def site(request: Request, caller: Caller[LocusState]) -> Response:
    return ok(caller.state.site(_id(request)).as_json())


async def client_sites(request: Request, caller: Caller[LocusState]) -> Response:
    found = caller.state.client_sites(_id(request))
    return ok({"sites": [{"statusCode": 200, **s.as_json()} for s in found]})


async def partner_sites(request: Request, caller: Caller[LocusState]) -> Response:
    found = caller.state.partner_sites(_id(request))
    return ok({"sites": [{"statusCode": 200, **s.as_json()} for s in found]})


async def installinfo(request: Request, caller: Caller[LocusState]) -> Response:
    site = caller.state.site(_id(request))
    return ok({k: site.install[k] for k in INSTALL_FIELDS if k in site.install})


async def modelsettings(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    site = state.site(_id(request))
    body: dict[str, Any] = {}
    inverters = state.site_inverters(site.id)
    if inverters:
        body["size"] = round(sum(c.dc_kw for c in inverters), 3)
    body.update({k: site.model[k] for k in MODEL_FIELDS})
    if "tmy3Id" in site.model:
        body["tmy3Id"] = site.model["tmy3Id"]
    return ok(body)


# --- clients -----------------------------------------------------------------------------


async def client(request: Request, caller: Caller[LocusState]) -> Response:
    return ok(caller.state.client(_id(request)).as_json())


async def partner_clients(request: Request, caller: Caller[LocusState]) -> Response:
    found = caller.state.partner_clients(_id(request))
    return ok({"clients": [c.as_json() for c in found]})


# --- data available and data ---------------------------------------------------------------


async def component_available(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    component = state.component(_id(request))
    site = state.sites.get(component.site_id)
    assert site is not None
    fields = data.component_fields(state, component)
    return ok({"baseFields": data.available(state, site, fields)})


async def site_available(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    site = state.site(_id(request))
    return ok({"baseFields": data.available(state, site, data.site_fields(state, site))})


async def bulk_available(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    state.partner_sites(_id(request))
    return ok({"baseFields": [f.as_json(("TMY3",)) for f in catalogue.BULK_FIELDS]})


async def component_data(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    component = state.component(_id(request))
    query = data_query(_params(request), allow_latest=True)
    return await _offload(data.component_data, state, component, query)


async def site_data(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    site = state.site(_id(request))
    query = data_query(_params(request), allow_latest=False)
    return await _offload(data.site_data, state, site, query)


async def bulk_data(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    partner_id = _id(request)
    state.partner_sites(partner_id)
    params = _params(request)
    if params.get("gran") and params["gran"] != "monthly":
        raise errors.bad_request("Only monthly granularity is supported for bulk data")
    query = data_query(params, allow_latest=False)
    return await _offload(data.bulk_data, state, partner_id, query)


# --- alerts ------------------------------------------------------------------------------


async def partner_alerts(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    partner_id = _id(request)
    state.partner_sites(partner_id)
    components = [c for c in state.components.values() if c.partner_id == partner_id]
    return _alerts(request, state, components, partner=True)


async def site_alerts(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    return _alerts(request, state, state.site_components(_id(request)))


async def component_alerts(request: Request, caller: Caller[LocusState]) -> Response:
    state = caller.state
    return _alerts(request, state, [state.component(_id(request))])


def _alerts(
    request: Request,
    state: LocusState,
    components: list[Component],
    partner: bool = False,
) -> Response:
    params = _params(request)
    tz = zone(params)
    updated_since = timestamp(params, "updatedSince", required=False)
    open_min = timestamp(params, "openDuringMin", required=False)
    open_max = timestamp(params, "openDuringMax", required=False)
    types = csv_filter(params, "alertType", ALERT_TYPES)
    statuses = csv_filter(params, "status", STATUSES)
    priorities = csv_filter(params, "priority", PRIORITY_FILTERS)
    if (open_min is None) != (open_max is None):
        raise errors.bad_request("openDuringMin and openDuringMax must be given together")
    now = state.now()
    if partner and updated_since is None and open_min is None:
        raise errors.bad_request(
            "Either updatedSince or both openDuringMin and openDuringMax are required"
        )
    since_at = None if updated_since is None else _instant(updated_since, tz)
    if partner and since_at is not None and since_at < now - UPDATED_SINCE_LIMIT.total_seconds():
        raise errors.bad_request("updatedSince is limited to up to 7 days ago")
    window = None
    if open_min is not None and open_max is not None:
        if open_max <= open_min:
            raise errors.bad_request("openDuringMax must be after openDuringMin")
        if partner and open_max - open_min > OPEN_DURING_LIMIT:
            raise errors.bad_request("Open during time period is limited to 31 days")
        window = (_instant(open_min, tz), _instant(open_max, tz))
    by_id = {c.id: c for c in components}
    found: list[Alert] = []
    for alert in state.raised_alerts(components):
        if since_at is not None and alert.updated(now) < since_at:
            continue
        if window is not None and not alert.open_during(window[0], window[1], now):
            continue
        if types is not None and alert.alert_type not in types:
            continue
        if statuses is not None and ("open" if alert.is_open(now) else "closed") not in statuses:
            continue
        if priorities is not None and alert.priority.lower() not in priorities:
            continue
        found.append(alert)
    bodies = []
    for alert in found:
        component = by_id[alert.component_id]
        site = state.sites.get(component.site_id)
        assert site is not None
        bodies.append(alert.as_json(component.name, site.id, site.name, tz, now))
    return ok({"alerts": bodies})


async def contract(request: Request) -> Response:
    return contract_response(request, "locus")


async def _offload(function: Any, *args: Any) -> Response:
    """Work out data rows and encode them on a worker thread: the request keeps its place in
    the one-at-a-time limit meanwhile, and the server keeps answering (with 429 for the same
    credential). The encoding too: 31 days of 5-minute rows are about 1.8 MB, some 10 ms of
    encoder time that held the loop when it was done there."""
    return JSONBody(await anyio.to_thread.run_sync(partial(encoded_data, function, *args)))


ENCODED_ROWS = 2000
"""Data rows per encoder call in :func:`encoded_data`."""


def encoded_data(function: Any, *args: Any) -> bytes:
    """:func:`ok`'s body of ``{"data": function(*args)}``, encoded a few thousand rows at a
    time (one encoder call would hold the GIL, and so the event loop, throughout)."""
    rows = function(*args)
    return b'{"statusCode":200,"data":[' + dumps_members(rows, ENCODED_ROWS) + b"]}"


def _id(request: Request) -> int:
    """The path's id: ASCII digits, else the routing 404 (``-5``, ``abc``, ``²``). Read here,
    not by Starlette's ``int`` convertor, which answered 500 for more than 4,300 digits
    (``int()`` refuses them): such an id is the same 404."""
    raw: str = request.path_params["id"]
    if raw.isascii() and raw.isdigit():
        try:
            return int(raw)
        except ValueError:
            pass
    raise ROUTING_ERRORS.not_found(request)


def _params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _instant(moment: datetime, tz: ZoneInfo) -> float:
    return moment.replace(tzinfo=tz).timestamp()


ROUTING_ERRORS = RoutingErrors(
    not_found=lambda request: errors.locus_error(404, "Not found"),
    method_not_allowed=lambda request: errors.locus_error(405, "Method not allowed"),
    other=lambda status: errors.locus_error(status, "Request failed"),
)
