"""A thin client for the Atmotube Cloud API (``GET /api/v1/data``).

``page`` and ``page_csv`` send one request each. ``readings`` fetches any date range: the API
answers at most 7 days per request and 1440 readings per page, so the range is split into
windows of at most 7 days and each window is paged by ``offset``. A 429 is waited out (the
limit resets at the start of each clock minute) and retried.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from standin.clients._http import (
    ApiError,
    Clock,
    HttpClientOwner,
    RateLimitedError,
    Setting,
    Sleeper,
    Throttle,
    contract_error,
    is_json_integer,
    parse_json,
    rate_limited_error,
    retry_after_delay,
    status_error,
    system_sleep,
    utc_now,
)

__all__ = [
    "MAX_LIMIT",
    "MAX_RANGE_DAYS",
    "AtmotubeBadRequest",
    "AtmotubeClient",
    "AtmotubeError",
    "AtmotubeNotFound",
    "AtmotubeRateLimited",
    "AtmotubeUnauthorized",
    "Coords",
    "Reading",
    "ReadingsPage",
]

DEFAULT_BASE_URL = "https://api.atmotube.com"
DATA_PATH = "/api/v1/data"
MAX_LIMIT = 1440
"""Readings per page at most: a day of one-minute readings."""
MAX_RANGE_DAYS = 7
"""Days per request at most, counting both ends."""

Order = Literal["asc", "desc"]
OutputFormat = Literal["json", "csv"]

_JSON_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z", re.ASCII)
_CSV_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)

CSV_DATE_COLUMN = "Date (GMT)"
_CSV_FIELDS = {
    "voc": "VOC (ppm)",
    "pm1": "PM1 (ug/m3)",
    "pm25": "PM2.5 (ug/m3)",
    "pm10": "PM10 (ug/m3)",
    "t": "Temperature (C)",
    "h": "Humidity (%)",
    "p": "Pressure (mbar)",
    "lat": "Latitude",
    "lon": "Longitude",
}


@dataclass(frozen=True)
class Coords:
    lat: float
    lon: float


@dataclass(frozen=True)
class Reading:
    """One minute's reading; a value is ``None`` when the sensor did not report it."""

    time: dt.datetime
    voc: float | None
    pm1: int | None
    pm25: int | None
    pm10: int | None
    t: float | None
    h: int | None
    p: float | None
    coords: Coords | None = None


@dataclass(frozen=True)
class ReadingsPage:
    total: int
    """Readings matching the device and date range, before ``offset`` and ``limit``."""
    items: list[Reading]


class AtmotubeError(ApiError):
    """An unexpected answer: an undocumented status, or a body that breaks the contract."""


class AtmotubeBadRequest(AtmotubeError):
    """400: a parameter is missing or malformed, or the date range is too long."""


class AtmotubeUnauthorized(AtmotubeError):
    """401: the API key is missing or unknown."""


class AtmotubeNotFound(AtmotubeError):
    """404: the device is not registered to this API key."""


class AtmotubeRateLimited(RateLimitedError, AtmotubeError):
    """429, still, after the client's retries; ``retry_after`` comes from Retry-After, or is the
    time to the next minute when the header is unusable."""


_ERRORS: dict[int, type[AtmotubeError]] = {
    400: AtmotubeBadRequest,
    401: AtmotubeUnauthorized,
    404: AtmotubeNotFound,
}


class AtmotubeClient(HttpClientOwner):
    max_retries = Setting[int]("_throttle")

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        clock: Clock = utc_now,
        sleep: Sleeper = system_sleep,
        max_retries: int = 3,
    ) -> None:
        """``http`` is used as given (never closed here); without it the client makes its own.

        ``max_retries`` counts the retries after a 429, not the first attempt.
        """
        self.api_key = api_key
        self._connect(base_url, http, clock)
        self._throttle = Throttle(
            sleep=sleep, max_retries=max_retries, wait=self._wait, rate_limited=self._rate_limited
        )

    def page(
        self,
        mac: str,
        *,
        order: Order = "asc",
        offset: int = 0,
        limit: int | None = None,
        date: dt.date | None = None,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
    ) -> ReadingsPage:
        """One page of readings as JSON. Without ``limit`` the API returns 100 readings, or
        all readings of the range when ``date`` or ``start_date``/``end_date`` is given."""
        params = _params(mac, order, offset, limit, date, start_date, end_date)
        response = self._get({**params, "format": "json"})
        return _parse_page(response)

    def page_csv(
        self,
        mac: str,
        *,
        order: Order = "asc",
        offset: int = 0,
        limit: int | None = None,
        date: dt.date | None = None,
        start_date: dt.date | None = None,
        end_date: dt.date | None = None,
        separator: str = ";",
    ) -> list[Reading]:
        """One page of readings as CSV; the CSV format carries no total."""
        params = _params(mac, order, offset, limit, date, start_date, end_date)
        response = self._get({**params, "format": "csv", "separator": separator})
        return _parse_csv(response, separator)

    def readings(
        self,
        mac: str,
        start: dt.date,
        end: dt.date,
        *,
        order: Order = "asc",
        fmt: OutputFormat = "json",
    ) -> list[Reading]:
        """Every reading from ``start`` to ``end`` (both inclusive, GMT days), in ``order``.

        ``end`` before ``start`` is sent as is, so the API answers it (400).
        """
        windows = list(_windows(start, end))
        if order == "desc":
            windows.reverse()
        found: list[Reading] = []
        for first, last in windows:
            found.extend(self._window(mac, first, last, order, fmt))
        return found

    def _window(
        self, mac: str, first: dt.date, last: dt.date, order: Order, fmt: OutputFormat
    ) -> list[Reading]:
        # Readings keep arriving for a range that includes the current minute; newest-first
        # paging by offset then serves some readings twice, so repeats are dropped.
        seen: set[dt.datetime] = set()
        found: list[Reading] = []
        offset = 0
        while True:
            total: int | None = None
            if fmt == "csv":
                items = self.page_csv(
                    mac,
                    order=order,
                    offset=offset,
                    limit=MAX_LIMIT,
                    start_date=first,
                    end_date=last,
                )
            else:
                page = self.page(
                    mac,
                    order=order,
                    offset=offset,
                    limit=MAX_LIMIT,
                    start_date=first,
                    end_date=last,
                )
                items, total = page.items, page.total
            for item in items:
                if item.time not in seen:
                    seen.add(item.time)
                    found.append(item)
            offset += len(items)
            if len(items) < MAX_LIMIT or (total is not None and offset >= total):
                return found

    def _get(self, params: dict[str, str]) -> httpx.Response:
        query = {"api_key": self.api_key, **params}
        response = self._throttle.send(
            lambda: self._http.get(self.base_url + DATA_PATH, params=query)
        )
        if response.status_code == 200:
            return response
        raise status_error(_ERRORS, AtmotubeError, response, _message)

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        # The window resets at the minute; Retry-After is rounded up to whole seconds, so
        # whichever is later is the first moment a retry can succeed.
        header = retry_after_delay(response.headers.get("Retry-After"))
        return max(_seconds_to_next_minute(self._clock()), header or 0.0)

    def _rate_limited(self, response: httpx.Response, wait: float, why: str | None) -> Exception:
        """``retry_after`` is what Retry-After says, else the time to the next minute."""
        header = retry_after_delay(response.headers.get("Retry-After"))
        told = _seconds_to_next_minute(self._clock()) if header is None else header
        return _throttled_error(response, told, why)


def _params(
    mac: str,
    order: Order,
    offset: int,
    limit: int | None,
    date: dt.date | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> dict[str, str]:
    params = {"mac": mac, "order": order, "offset": str(offset)}
    if limit is not None:
        params["limit"] = str(limit)
    # isoformat, not strftime: "%Y" does not zero-pad years before 1000.
    if date is not None:
        params["date"] = date.isoformat()
    if start_date is not None:
        params["start_date"] = start_date.isoformat()
    if end_date is not None:
        params["end_date"] = end_date.isoformat()
    return params


def _windows(start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """``start`` .. ``end`` cut into runs of at most ``MAX_RANGE_DAYS`` days, both ends in."""
    if end < start:
        yield start, end
        return
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=MAX_RANGE_DAYS - 1))
        yield first, last
        first = last + dt.timedelta(days=1)


def _seconds_to_next_minute(now: dt.datetime) -> float:
    """At an exact minute boundary the whole minute: that minute's count is already used up."""
    minute_start = now.replace(second=0, microsecond=0)
    return (minute_start + dt.timedelta(minutes=1) - now).total_seconds()


def _message(status: int, body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f"Atmotube {status}: {body['message']}"
    return f"Atmotube {status}: {body!r}"


_contract_error = contract_error(AtmotubeError, "Atmotube")
_throttled_error = rate_limited_error(AtmotubeRateLimited, _message)


def _parse_page(response: httpx.Response) -> ReadingsPage:
    return parse_json(response, _json_page, _contract_error)


def _json_page(body: Any) -> ReadingsPage:
    if not isinstance(body, dict) or not is_json_integer(body.get("status")) or body["status"] != 0:
        raise ValueError("status is not 0")
    data = body.get("data")
    if not isinstance(data, dict):
        raise ValueError("data is not an object")
    total, items = _integer(data.get("total")), data.get("items")
    if total is None or total < 0:
        raise ValueError("total is not a non-negative integer")
    if not isinstance(items, list):
        raise ValueError("items is not an array")
    return ReadingsPage(total, [_json_reading(item) for item in items])


def _json_reading(item: Any) -> Reading:
    if not isinstance(item, dict):
        raise ValueError("a reading is not an object")
    time = item.get("time")
    if not isinstance(time, str):
        raise ValueError("a reading has no time")
    coords = item.get("coords")
    if coords is not None and not isinstance(coords, dict):
        raise ValueError("coords is not an object")
    return Reading(
        time=_parse_time(time, _JSON_TIME),
        voc=_number(item.get("voc")),
        pm1=_integer(item.get("pm1")),
        pm25=_integer(item.get("pm25")),
        pm10=_integer(item.get("pm10")),
        t=_number(item.get("t")),
        h=_integer(item.get("h")),
        p=_number(item.get("p")),
        coords=None if coords is None else _coords(coords.get("lat"), coords.get("lon")),
    )


def _parse_time(text: str, shape: re.Pattern[str]) -> dt.datetime:
    # A shape check, then fromisoformat: an order of magnitude faster than strptime, which
    # counts when a range holds tens of thousands of readings.
    try:
        if not shape.fullmatch(text):
            raise ValueError
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"time {text!r} is not like {shape.pattern}") from None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{value!r} is out of range for a float") from None


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if not is_json_integer(value):
        raise ValueError(f"{value!r} is not an integer")
    return int(value)


def _coords(lat: Any, lon: Any) -> Coords:
    latitude, longitude = _number(lat), _number(lon)
    if latitude is None or longitude is None:
        raise ValueError("coords need lat and lon")
    return Coords(latitude, longitude)


def _parse_csv(response: httpx.Response, separator: str) -> list[Reading]:
    rows = csv.reader(io.StringIO(response.text, newline=""), delimiter=separator)
    try:
        header = next(rows, None)
        if header is None or not header or header[0] != CSV_DATE_COLUMN:
            raise ValueError(f"the header does not start with {CSV_DATE_COLUMN!r}")
        missing = [name for name in _CSV_FIELDS.values() if name not in header]
        if missing:
            raise ValueError(f"columns missing: {', '.join(missing)}")
        column = {field: header.index(name) for field, name in _CSV_FIELDS.items()}
        return [_csv_reading(row, column) for row in rows if row]
    except (ValueError, IndexError, csv.Error) as err:
        raise _contract_error(response, str(err)) from None


def _csv_reading(row: list[str], column: dict[str, int]) -> Reading:
    def cell(field: str) -> str | None:
        value = row[column[field]]
        return value or None

    def number(field: str) -> float | None:
        value = cell(field)
        return None if value is None else float(value)

    def integer(field: str) -> int | None:
        value = cell(field)
        return None if value is None else int(value)

    lat, lon = number("lat"), number("lon")
    return Reading(
        time=_parse_time(row[0], _CSV_TIME),
        voc=number("voc"),
        pm1=integer("pm1"),
        pm25=integer("pm25"),
        pm10=integer("pm10"),
        t=number("t"),
        h=integer("h"),
        p=number("p"),
        coords=None if lat is None or lon is None else Coords(lat, lon),
    )
