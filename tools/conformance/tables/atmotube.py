"""The Atmotube client's calls."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import httpx
from hypothesis import strategies as st

from standin.clients._http import Clock, Sleeper
from standin.clients.atmotube import (
    AtmotubeBadRequest,
    AtmotubeClient,
    AtmotubeError,
    AtmotubeNotFound,
    AtmotubeRateLimited,
    AtmotubeUnauthorized,
    Coords,
    Reading,
    ReadingsPage,
)
from tools.conformance.table import ClientTable, Row

DATA = "GET /api/v1/data"
MINUTE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00\\.000Z$"
CSV_COLUMNS = {
    "Date (GMT)": "time",
    "VOC (ppm)": "voc",
    "PM1 (ug/m3)": "pm1",
    "PM2.5 (ug/m3)": "pm25",
    "PM10 (ug/m3)": "pm10",
    "Temperature (C)": "t",
    "Humidity (%)": "h",
    "Pressure (mbar)": "p",
    "Latitude": "lat",
    "Longitude": "lon",
}

minute_times = st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0).isoformat(timespec="milliseconds") + "Z"
)


def connect(http: httpx.Client, clock: Clock, sleep: Sleeper) -> AtmotubeClient:
    return AtmotubeClient("any-key", http=http, clock=clock, sleep=sleep)


def _cell(reading: dict[str, Any], name: str) -> str:
    if name == "time":
        return str(reading["time"]).replace("T", " ").removesuffix(".000Z")
    if name in ("lat", "lon"):
        coords = reading.get("coords")
        return "" if coords is None else repr(float(coords[name]))
    value = reading.get(name)
    return "" if value is None else str(value)


def csv_pages(request: httpx.Request) -> st.SearchStrategy[str]:
    """The CSV download of readings the JSON schema allows, in the separator asked for (the
    contract describes the columns in prose only)."""
    separator = request.url.params.get("separator", ";")

    def render(readings: list[dict[str, Any]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for reading in readings:
            writer.writerow(_cell(reading, name) for name in CSV_COLUMNS.values())
        return out.getvalue()

    return st.lists(TABLE.schema("Reading"), max_size=3).map(render)


def csv_or_json(request: httpx.Request) -> st.SearchStrategy[str] | None:
    return csv_pages(request) if request.url.params.get("format") == "csv" else None


def asked_format(request: httpx.Request) -> str:
    return "text/csv" if request.url.params.get("format") == "csv" else "application/json"


def param(name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.parameter(DATA, name))


def mac() -> st.SearchStrategy[Any]:
    return param("mac")


def day() -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


def page_arguments() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "mac": mac(),
        "order": param("order"),
        "offset": param("offset"),
        "limit": st.none() | param("limit"),
        "days": st.one_of(
            st.just({}),
            st.fixed_dictionaries({"date": day()}),
            st.fixed_dictionaries({"start_date": day(), "end_date": day()}),
        ),
    }


def _page(client: AtmotubeClient, a: dict[str, Any]) -> object:
    return client.page(
        a["mac"], order=a["order"], offset=a["offset"], limit=a["limit"], **a["days"]
    )


def _page_csv(client: AtmotubeClient, a: dict[str, Any]) -> object:
    return client.page_csv(
        a["mac"],
        order=a["order"],
        offset=a["offset"],
        limit=a["limit"],
        separator=a["separator"],
        **a["days"],
    )


def _readings(client: AtmotubeClient, a: dict[str, Any]) -> object:
    return client.readings(
        a["mac"], a["start"], a["start"] + a["span"], order=a["order"], fmt=a["fmt"]
    )


def typed(item: dict[str, Any]) -> Reading:
    """What the client should make of one item, written independently of it."""

    def number(name: str) -> float | None:
        value = item.get(name)
        return None if value is None else float(value)

    def integer(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value)

    coords = item.get("coords")
    return Reading(
        time=dt.datetime.fromisoformat(item["time"]),
        voc=number("voc"),
        pm1=integer("pm1"),
        pm25=integer("pm25"),
        pm10=integer("pm10"),
        t=number("t"),
        h=integer("h"),
        p=number("p"),
        coords=None if coords is None else Coords(float(coords["lat"]), float(coords["lon"])),
    )


def _same_readings(result: Any, bodies: list[Any]) -> None:
    data = bodies[-1]["data"]
    assert result == ReadingsPage(data["total"], [typed(item) for item in data["items"]])


TABLE: ClientTable[AtmotubeClient] = ClientTable(
    api="atmotube",
    client_class=AtmotubeClient,
    connect=connect,
    origins=("https://api.atmotube.com",),
    errors={400: AtmotubeBadRequest, 401: AtmotubeUnauthorized, 404: AtmotubeNotFound},
    base_error=AtmotubeError,
    rate_limited=AtmotubeRateLimited,
    max_retries=3,
    overrides={MINUTE: minute_times},
    rows=(
        Row(
            "page",
            DATA,
            _page,
            returns=ReadingsPage,
            arguments=page_arguments(),
            media_type="application/json",
            check=_same_readings,
        ),
        Row(
            "page_csv",
            DATA,
            _page_csv,
            items=Reading,
            arguments={**page_arguments(), "separator": param("separator")},
            media_type="text/csv",
            body=csv_pages,
        ),
        Row(
            "readings",
            DATA,
            _readings,
            items=Reading,
            arguments={
                "mac": mac(),
                "start": day(),
                "span": st.integers(0, 15).map(lambda n: dt.timedelta(days=n)),
                "order": param("order"),
                "fmt": st.sampled_from(["json", "csv"]),
            },
            media_type=asked_format,
            body=csv_or_json,
        ),
    ),
)
