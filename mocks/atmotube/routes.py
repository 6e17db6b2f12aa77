"""The Atmotube Cloud route table: the one data endpoint, and the contract."""

from __future__ import annotations

import csv
import io
import threading

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standin._core.contracts import contract_response
from standin._core.handlers import RoutingErrors
from standin._core.rendering import JSONBody
from standin._core.seam import Caller, Seam
from standin.atmotube.errors import atmotube_error
from standin.atmotube.query import DataQuery, parse_data_query
from standin.atmotube.state import AtmotubeState, ReadingsPage

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


def routes(seam: Seam[AtmotubeState]) -> list[BaseRoute]:
    return [
        Route("/api/v1/data", seam.guard(DataReader()), methods=["GET"]),
        Route("/openapi.json", contract, methods=["GET"]),
    ]


class DataReader:
    """``GET /api/v1/data``, answered on a worker thread: a device's first week (9,840 rows,
    its hours generated and encoded on first use) would otherwise hold every other request up.
    One thread at a time reads (``lane``): the generated hours and availability it caches are
    touched nowhere else."""

    def __init__(self) -> None:
        self.lane = threading.Lock()

    async def __call__(self, request: Request, caller: Caller[AtmotubeState]) -> Response:
        query = parse_data_query(request.query_params)

        def answer() -> Response:
            with self.lane:
                page = caller.state.readings(caller.principal, query)
            if query.output == "csv":
                return render_csv(page, query)
            return render_json(page)

        return await anyio.to_thread.run_sync(answer)


async def contract(request: Request) -> Response:
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


ROUTING_ERRORS = RoutingErrors(
    not_found=lambda request: atmotube_error(404, "Not found"),
    method_not_allowed=lambda request: atmotube_error(405, "Method not allowed"),
    other=lambda status: atmotube_error(status, "Request failed"),
)
