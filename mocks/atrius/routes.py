"""The Atrius (BuildingOS) route table: token, gateways, organizations, buildings, meters,
pushed and pulled time series, and the unit reference."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.contracts import contract_response
from standin._core.errors import VendorError
from standin._core.paging import Page, paginate, with_query
from standin._core.rendering import JSONBody
from standin._core.tenants import Tenant
from standin.atrius import errors
from standin.atrius.models import Building, Gateway, Meter, Organization
from standin.atrius.oauth import client_from_basic, grant_token
from standin.atrius.series import RESOLUTIONS, DataQuery, ordered
from standin.atrius.state import AtriusState
from standin.atrius.units import reference

if TYPE_CHECKING:
    from standin.atrius.api import AtriusApi

T = TypeVar("T")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
MAX_BODY_BYTES = 1024 * 1024
"""**Sandbox choice:** every JSON body; a push of about 30,000 points as the guide writes them."""
MAX_RANGE_DAYS = 366
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _both(path: str, endpoint: Any, methods: list[str]) -> list[Route]:
    """DRF answers with and without the trailing slash on these paths (the guide uses both)."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


class AtriusHandlers:
    def __init__(self, api: AtriusApi) -> None:
        self.api = api

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/o/token/", self.token, methods=["POST"]),
            *_both("/gateways/{number}", self.gateway, ["GET"]),
            *_both("/gateways/{number}/data", self.push, ["POST"]),
            *_both("/organizations/{organization_id}", self.organization, ["GET"]),
            Route("/buildings/", self.buildings, methods=["GET", "POST"]),
            *_both("/buildings/{building_id}", self.building, ["GET"]),
            Route("/meters/", self.meters, methods=["GET", "POST"]),
            *_both("/meters/{meter_uuid}", self.meter, ["GET", "PATCH", "PUT"]),
            *_both("/meters/{meter_uuid}/data", self.meter_data, ["GET"]),
            Route("/units/", self.units, methods=["GET"]),
            Route("/openapi.json", self.contract, methods=["GET"]),
        ]

    # --- auth --------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form: dict[str, str] = {}
        # RFC 6749 token requests are form-encoded; any other body carries no parameters.
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raw = (await request.body()).decode("utf-8", errors="replace")
            form = dict(parse_qsl(raw, keep_blank_values=True))
        basic = client_from_basic(request.headers.get("authorization"))
        body = grant_token(form, basic, self.api.sandbox.tenants, self.api.issuer)
        return JSONBody(body, headers=NO_STORE)

    def _tenant(self, request: Request) -> tuple[Tenant, AtriusState]:
        """The caller's tenant from its bearer token, after the rate limit."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise errors.not_authenticated()
        token = self.api.token(value.strip())
        if token is None:
            raise errors.not_authenticated()
        decision = self.api.limiter.acquire(token.client_id or token.subject)
        if not decision.allowed:
            raise errors.throttled(decision.retry_after_header())
        tenant = self.api.sandbox.tenants.get(token.tenant_id)
        if tenant is None:
            raise errors.not_authenticated()
        return tenant, self.api.state(tenant)

    # --- gateways and organizations -----------------------------------------------------------

    async def gateway(self, request: Request) -> Response:
        _, state = self._tenant(request)
        found = state.gateway_numbered(request.path_params["number"])
        return JSONBody({"data": gateway_json(found, base_url(request))})

    async def organization(self, request: Request) -> Response:
        _, state = self._tenant(request)
        found = state.organization_numbered(request.path_params["organization_id"])
        return JSONBody({"data": organization_json(found, base_url(request))})

    # --- buildings ---------------------------------------------------------------------------

    async def buildings(self, request: Request) -> Response:
        _, state = self._tenant(request)
        base = base_url(request)
        if request.method == "POST":
            created = state.create_building(await json_body(request))
            return JSONBody(building_json(created, base), status_code=201)
        page = page_of(request, state.list_buildings())
        return JSONBody(paged(request, page, [building_json(b, base) for b in page.items]))

    async def building(self, request: Request) -> Response:
        _, state = self._tenant(request)
        found = state.building(request.path_params["building_id"])
        return JSONBody({"data": building_json(found, base_url(request))})

    # --- meters ------------------------------------------------------------------------------

    async def meters(self, request: Request) -> Response:
        _, state = self._tenant(request)
        base = base_url(request)
        if request.method == "POST":
            created = state.create_meter(await json_body(request))
            return JSONBody(meter_json(created, base), status_code=201)
        building = request.query_params.get("building") or None
        page = page_of(request, state.list_meters(building))
        return JSONBody(paged(request, page, [meter_json(m, base) for m in page.items]))

    async def meter(self, request: Request) -> Response:
        _, state = self._tenant(request)
        meter_uuid = request.path_params["meter_uuid"]
        if request.method == "GET":
            found = state.meter(meter_uuid)
            return JSONBody({"data": meter_json(found, base_url(request))})
        state.meter(meter_uuid)  # an unknown meter is 404 before its body is looked at
        body = await json_body(request)
        updated = state.update_meter(meter_uuid, body, partial=request.method == "PATCH")
        return JSONBody(meter_json(updated, base_url(request)))

    # --- time series -------------------------------------------------------------------------

    async def push(self, request: Request) -> Response:
        _, state = self._tenant(request)
        report = state.push(request.path_params["number"], await json_body(request))
        return JSONBody(report.as_dict())

    async def meter_data(self, request: Request) -> Response:
        _, state = self._tenant(request)
        meter_uuid = request.path_params["meter_uuid"]
        state.meter(meter_uuid)
        query = data_query(request.query_params)
        meter, zone, rows = state.meter_data(meter_uuid, query)
        return JSONBody(
            {
                "data": [
                    {"localtime": row.start.isoformat(), "value": _rounded(row.value)}
                    for row in ordered(rows, query.order)
                ],
                "meta": {
                    "uuid": meter.uuid,
                    "displayName": meter.display_name,
                    "resolution": query.resolution,
                    "readingType": meter.reading_type,
                    "unit": meter.display_unit,
                    "timeZone": str(zone),
                    "start": query.first_day.isoformat(),
                    "end": query.last_day.isoformat(),
                },
            }
        )

    async def units(self, request: Request) -> Response:
        self._tenant(request)
        page = page_of(request, reference())
        return JSONBody(paged(request, page, page.items))

    async def contract(self, request: Request) -> Response:
        return contract_response(request, "atrius")


# --- requests --------------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The JSON body as DRF's JSONParser reads it (415 for other types, 413 when too big)."""
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise errors.too_large(f"Request body exceeds {MAX_BODY_BYTES} bytes.")
    if not raw:
        return {}
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.unsupported_media_type(content_type)
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as problem:
        raise errors.parse_error(str(problem)) from None


def _refuse_constant(name: str) -> Any:
    """DRF's JSONParser refuses NaN and Infinity, which JSON does not have."""
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


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
    if raw_size.isascii() and raw_size.isdigit() and int(raw_size) > 0:
        size = min(int(raw_size), MAX_PER_PAGE)
    if raw_page == "last":
        raw_page = str(max(1, -(-len(items) // size)))
    if not (raw_page.isascii() and raw_page.isdigit()) or int(raw_page) < 1:
        raise errors.invalid_page()
    page = paginate(items, int(raw_page), size)
    if page.page > 1 and not page.items:
        raise errors.invalid_page()
    return page


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


def routing_error(request: Request, status: int) -> VendorError:
    if status == 405:
        return errors.method_not_allowed(request.method)
    if status == 404:
        return errors.not_found()
    return errors.detail(status, "Request failed.")
