"""The Atmotube Cloud route table: the one data endpoint, and the contract."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.contracts import contract_response
from standin._core.errors import VendorError
from standin._core.rendering import JSONBody
from standin.atmotube.errors import atmotube_error, invalid_api_key, rate_limited
from standin.atmotube.query import DataQuery, parse_data_query
from standin.atmotube.state import ReadingsPage

if TYPE_CHECKING:
    from standin.atmotube.api import AtmotubeApi

CSV_COLUMNS = (
    "Date (GMT)",
    "VOC (ppm)",
    "PM1 (ug/m3)",
    "PM2.5 (ug/m3)",
    "PM10 (ug/m3)",
    "Temperature (C)",
    "Humidity (%)",
    "Pressure (mbar)",
    "Latitude",
    "Longitude",
)


class AtmotubeHandlers:
    def __init__(self, api: AtmotubeApi) -> None:
        self.api = api

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/data", self.data, methods=["GET"]),
            Route("/openapi.json", self.contract, methods=["GET"]),
        ]

    async def data(self, request: Request) -> Response:
        params = request.query_params
        api_key = params.get("api_key") or ""
        tenant = self.api.sandbox.tenants.resolve("atmotube", api_key)
        if tenant is None:
            raise invalid_api_key()
        decision = self.api.limiter.acquire(api_key)
        if not decision.allowed:
            raise rate_limited(decision.limit, decision.retry_after_header())
        query = parse_data_query(params)
        page = self.api.state(tenant).readings(api_key, query)
        if query.output == "csv":
            return render_csv(page, query)
        return render_json(page)

    async def contract(self, request: Request) -> Response:
        return contract_response(request, "atmotube")


def render_json(page: ReadingsPage) -> Response:
    body = b'{"status":0,"data":{"total":%d,"items":[%b]}}' % (page.total, b",".join(page.encoded))
    return JSONBody(body)


def render_csv(page: ReadingsPage, query: DataQuery) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=query.separator, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in page.readings:
        writer.writerow(
            (
                r.time[:19].replace("T", " "),
                r.voc,
                r.pm1,
                r.pm25,
                r.pm10,
                r.t,
                r.h,
                r.p,
                "" if r.lat is None else r.lat,
                "" if r.lon is None else r.lon,
            )
        )
    filename = query.mac.replace(":", "") + ".csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def routing_error(request: Request, status: int) -> VendorError:
    if status == 405:
        return atmotube_error(405, "Method not allowed")
    if status == 404:
        return atmotube_error(404, "Not found")
    return atmotube_error(status, "Request failed")
