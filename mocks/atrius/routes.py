"""The Atrius (BuildingOS) route table: token, gateways, organizations, buildings, meters,
pushed and pulled time series, and the unit reference."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from standin._core.bodies import parse_json, read_capped
from standin._core.contracts import contract_response
from standin._core.errors import VendorError
from standin._core.handlers import RoutingErrors
from standin._core.oauth import NO_STORE, client_from_basic, token_form
from standin._core.paging import Page, paginate, with_query
from standin._core.rendering import JSONBody, dumps, dumps_members
from standin._core.seam import Caller, Seam, attribute_credential
from standin._core.tenants import TenantRegistry
from standin._core.tokens import TokenIssuer
from standin.atrius import errors
from standin.atrius.models import Building, Gateway, Meter, Organization
from standin.atrius.oauth import grant_token
from standin.atrius.series import RESOLUTIONS, DataQuery, Row, ordered
from standin.atrius.state import AtriusState
from standin.atrius.units import reference

T = TypeVar("T")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
MAX_BODY_BYTES = 1024 * 1024
"""**Sandbox choice:** every JSON body; a push of about 30,000 points as the guide writes them."""
MAX_RANGE_DAYS = 366
INLINE_ROWS = 2000
"""A data answer of more rows than this is made off the event loop (a thread hop costs about
what a hundred rows do)."""
ROWS_A_DAY = {"live": 1440, "quarterhour": 96, "hour": 24, "day": 1}
"""Rows a day per resolution, for :func:`rows_asked` (other resolutions: one)."""
ENCODED_ROWS = 2000
"""Rows per encoder call in :func:`encoded_data`."""
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def routes(seam: Seam[AtriusState], issuer: TokenIssuer) -> list[BaseRoute]:
    """Every Atrius route; all but the token endpoint and the contract need a bearer token."""
    return [
        Route("/o/token/", token_endpoint(seam.sandbox.tenants, issuer), methods=["POST"]),
        *_both("/gateways/{number}", seam.guard(gateway), ["GET"]),
        *_both("/gateways/{number}/data", seam.guard(push), ["POST"]),
        *_both("/organizations/{organization_id}", seam.guard(organization), ["GET"]),
        Route("/buildings/", seam.guard(buildings), methods=["GET", "POST"]),
        *_both("/buildings/{building_id}", seam.guard(building), ["GET"]),
        Route("/meters/", seam.guard(meters), methods=["GET", "POST"]),
        *_both("/meters/{meter_uuid}", seam.guard(meter), ["GET", "PATCH", "PUT"]),
        *_both("/meters/{meter_uuid}/data", seam.guard(meter_data), ["GET"]),
        Route("/units/", seam.guard(units), methods=["GET"]),
        Route("/openapi.json", contract, methods=["GET"]),
    ]


def _both(path: str, endpoint: ASGIApp, methods: list[str]) -> list[Route]:
    """DRF answers with and without the trailing slash on these paths (the guide uses both)."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


# --- auth ------------------------------------------------------------------------------------


def token_endpoint(
    tenants: TenantRegistry, issuer: TokenIssuer
) -> Callable[[Request], Awaitable[Response]]:
    """``POST /o/token/``: not behind the seam, since it is where a caller gets its token."""

    async def token(request: Request) -> Response:
        form = await token_form(request)
        basic = client_from_basic(request.headers.get("authorization"))
        client_id = form.get("client_id") if basic is None else basic.client_id
        attribute_credential(request.scope, tenants, "atrius", client_id)
        return JSONBody(grant_token(form, basic, tenants, issuer), headers=NO_STORE)

    return token


# --- gateways and organizations ----------------------------------------------------------------


async def gateway(request: Request, caller: Caller[AtriusState]) -> Response:
    found = caller.state.gateway_numbered(request.path_params["number"])
    return JSONBody({"data": gateway_json(found, base_url(request))})


async def organization(request: Request, caller: Caller[AtriusState]) -> Response:
    found = caller.state.organization_numbered(request.path_params["organization_id"])
    return JSONBody({"data": organization_json(found, base_url(request))})


# --- buildings -------------------------------------------------------------------------------


async def buildings(request: Request, caller: Caller[AtriusState]) -> Response:
    state = caller.state
    base = base_url(request)
    if request.method == "POST":
        created = state.create_building(await json_body(request))
        return JSONBody(building_json(created, base), status_code=201)
    page = page_of(request, state.list_buildings())
    return JSONBody(paged(request, page, [building_json(b, base) for b in page.items]))


async def building(request: Request, caller: Caller[AtriusState]) -> Response:
    found = caller.state.building(request.path_params["building_id"])
    return JSONBody({"data": building_json(found, base_url(request))})


# --- meters ----------------------------------------------------------------------------------


async def meters(request: Request, caller: Caller[AtriusState]) -> Response:
    state = caller.state
    base = base_url(request)
    if request.method == "POST":
        created = state.create_meter(await json_body(request))
        return JSONBody(meter_json(created, base), status_code=201)
    in_building = request.query_params.get("building") or None
    page = page_of(request, state.list_meters(in_building))
    return JSONBody(paged(request, page, [meter_json(m, base) for m in page.items]))


async def meter(request: Request, caller: Caller[AtriusState]) -> Response:
    state = caller.state
    meter_uuid = request.path_params["meter_uuid"]
    if request.method == "GET":
        found = state.meter(meter_uuid)
        return JSONBody({"data": meter_json(found, base_url(request))})
    state.meter(meter_uuid)  # an unknown meter is 404 before its body is looked at
    body = await json_body(request)
    updated = state.update_meter(meter_uuid, body, partial=request.method == "PATCH")
    return JSONBody(meter_json(updated, base_url(request)))


# --- time series -----------------------------------------------------------------------------


async def push(request: Request, caller: Caller[AtriusState]) -> Response:
    report = caller.state.push(request.path_params["number"], await json_body(request))
    return JSONBody(report.as_dict())


async def meter_data(request: Request, caller: Caller[AtriusState]) -> Response:
    state = caller.state
    meter_uuid = request.path_params["meter_uuid"]
    state.meter(meter_uuid)
    query = data_query(request.query_params)
    if rows_asked(query) <= INLINE_ROWS:
        return JSONBody(data_body(*state.meter_data(meter_uuid, query), query))
    # A long series (a year of quarter hours: 35,136 rows), generated or from pushed readings,
    # is made and encoded on a worker thread from what it needs, copied now: no other request
    # waits behind it on the event loop.
    work = state.detached_data(meter_uuid, query)
    return JSONBody(await anyio.to_thread.run_sync(lambda: encoded_data(*work(), query)))


def rows_asked(query: DataQuery) -> int:
    """About how many rows ``query`` asks for (its days times its rows a day)."""
    days = (query.last_day - query.first_day).days + 1
    return days * ROWS_A_DAY.get(query.resolution, 1)


def encoded_data(found: Meter, zone: ZoneInfo, rows: list[Row], query: DataQuery) -> bytes:
    """:func:`data_body` encoded, its rows a few thousand at a time: one encoder call holds the
    GIL throughout, and the event loop must not wait behind a whole year of rows."""
    listed = data_rows(ordered(rows, query.order))
    meta = dumps(data_body(found, zone, [], query)["meta"])
    return b'{"data":[' + dumps_members(listed, ENCODED_ROWS) + b'],"meta":' + meta + b"}"


def data_rows(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"localtime": row.start.isoformat(), "value": _rounded(row.value)} for row in rows]


def data_body(found: Meter, zone: ZoneInfo, rows: list[Row], query: DataQuery) -> dict[str, Any]:
    return {
        "data": data_rows(ordered(rows, query.order)),
        "meta": {
            "uuid": found.uuid,
            "displayName": found.display_name,
            "resolution": query.resolution,
            "readingType": found.reading_type,
            "unit": found.display_unit,
            "timeZone": str(zone),
            "start": query.first_day.isoformat(),
            "end": query.last_day.isoformat(),
        },
    }


async def units(request: Request, caller: Caller[AtriusState]) -> Response:
    """The unit reference is the same for every tenant, but still needs a token."""
    page = page_of(request, reference())
    return JSONBody(paged(request, page, page.items))


async def contract(request: Request) -> Response:
    return contract_response(request, "atrius")


# --- requests --------------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The JSON body as DRF's JSONParser reads it (415 for other types, 413 when too big), and
    only what can be answered back (see :func:`parse_json`)."""
    content_type = request.headers.get("content-type", "")
    raw = await read_capped(request, MAX_BODY_BYTES, _too_large)
    if not raw:
        return {}
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.unsupported_media_type(content_type)
    # DRF's parser has no depth bound of its own, and Atrius keeps no nested value of a body.
    return parse_json(raw, errors.parse_error, max_depth=None)


def _too_large(limit: int) -> VendorError:
    return errors.too_large(f"Request body exceeds {limit} bytes.")


def data_query(params: Any) -> DataQuery:
    problems: dict[str, list[str]] = {}
    days: dict[str, date] = {}
    for name in ("start", "end"):
        raw = params.get(name)
        if not raw:
            problems[name] = ["This field is required."]
            continue
        try:
            if not _DAY.match(raw):
                raise ValueError(raw)
            days[name] = date.fromisoformat(raw)
        except ValueError:
            problems[name] = [
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
            ]
    resolution = params.get("resolution") or "hour"
    if resolution not in RESOLUTIONS:
        problems["resolution"] = [f'"{resolution}" is not a valid choice.']
    order = params.get("order") or "asc"
    if order not in ("asc", "desc"):
        problems["order"] = [f'"{order}" is not a valid choice.']
    if not problems:
        if days["end"] < days["start"]:
            problems["end"] = ["end must not be before start."]
        elif (days["end"] - days["start"]).days >= MAX_RANGE_DAYS:
            problems["end"] = [f"The range may span at most {MAX_RANGE_DAYS} days."]
    if problems:
        raise errors.validation(problems)
    return DataQuery(days["start"], days["end"], resolution, order)  # type: ignore[arg-type]


def page_of(request: Request, items: Sequence[T]) -> Page[T]:
    """DRF's PageNumberPagination: a bad or missing page is 404; a bad per_page is ignored."""
    raw_page = request.query_params.get("page", "1")
    raw_size = request.query_params.get("per_page", "")
    size = DEFAULT_PER_PAGE
    asked = _count(raw_size)
    if asked:
        size = min(asked, MAX_PER_PAGE)
    if raw_page == "last":
        raw_page = str(max(1, -(-len(items) // size)))
    number = _count(raw_page)
    if number is None or number < 1:
        raise errors.invalid_page()
    page = paginate(items, number, size)
    if page.page > 1 and not page.items:
        raise errors.invalid_page()
    return page


def _count(text: str) -> int | None:
    """A page number or size, or None if ``text`` is not one. Beyond 18 digits it is past any
    bound anyway, and read as 10**18 (``int`` refuses strings of 4,300 digits and more)."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def paged(request: Request, page: Page[Any], results: list[Any]) -> dict[str, Any]:
    url = str(request.url)
    next_url = with_query(url, page=page.page + 1) if page.has_next else None
    previous_url = None
    if page.has_previous:
        previous_page = page.page - 1
        previous_url = with_query(url, page=None if previous_page == 1 else previous_page)
    return {"count": page.total, "next": next_url, "previous": previous_url, "results": results}


# --- representations -------------------------------------------------------------------------


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


def organization_json(organization: Organization, base: str) -> dict[str, Any]:
    return {
        "id": organization.id,
        "object": "organization",
        "name": organization.name,
        "url": f"{base}/organizations/{organization.id}",
    }


def gateway_json(gateway: Gateway, base: str) -> dict[str, Any]:
    return {
        "id": gateway.id,
        "object": "gateway",
        "organization": f"{base}/organizations/{gateway.organization}",
    }


def building_json(building: Building, base: str) -> dict[str, Any]:
    return {
        "id": building.id,
        "uuid": building.uuid,
        "enabled": building.enabled,
        "name": building.name,
        "organization": f"{base}/organizations/{building.organization}",
        "postalCode": building.postal_code,
        "timeZone": building.time_zone,
        "url": f"{base}/buildings/{building.id}",
    }


def meter_json(meter: Meter, base: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": meter.uuid,
        "id": meter.id,
        "url": f"{base}/meters/{meter.uuid}",
    }
    body.update(meter.api_fields())
    body["building"] = f"{base}/buildings/{meter.building}"
    body["gateway"] = f"{base}/gateways/{meter.gateway}"
    return body


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


ROUTING_ERRORS = RoutingErrors(
    not_found=lambda request: errors.not_found(),
    method_not_allowed=lambda request: errors.method_not_allowed(request.method),
    other=lambda status: errors.detail(status, "Request failed."),
)
