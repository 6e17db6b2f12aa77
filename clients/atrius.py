"""A thin client for the Atrius (BuildingOS) API: OAuth 2.0 token, gateways, organizations,
buildings, meters, pushed time series and meter data.

The token is fetched on first use, cached, and renewed ``renew_before`` ahead of its expiry
(judged on the injected clock); an API answer of 401 renews it once and repeats the request.
With a username and password the client uses the password grant, and then renews through the
refresh token it was given. A 429 is waited out for its Retry-After and retried. ``push``
splits readings into requests of at most 1000 points, as the guide recommends.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from standin.clients._http import (
    ApiError,
    BearerClient,
    Clock,
    RateLimitedError,
    Setting,
    Sleeper,
    Throttle,
    TokenCache,
    bearer_token_answer,
    contract_error,
    expiry,
    follow_next,
    grant_form,
    is_json_integer,
    json_object,
    json_optional_string,
    json_string,
    parse_json,
    rate_limited_error,
    refresh_form,
    status_error,
    system_sleep,
    throttled_wait,
    utc_now,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_POINTS_PER_PUSH",
    "AtriusAuthError",
    "AtriusClient",
    "AtriusError",
    "AtriusNotFound",
    "AtriusPayloadTooLarge",
    "AtriusRateLimited",
    "AtriusValidationError",
    "Building",
    "DataPoint",
    "Gateway",
    "Meter",
    "MeterPushReport",
    "Organization",
    "PushReport",
    "SkippedPoint",
    "Token",
]

DEFAULT_BASE_URL = "https://api.buildingos.com"
TOKEN_PATH = "/o/token/"
MAX_POINTS_PER_PUSH = 1000
"""Data points per push request at most (the guide: "recommend < 1000 data points")."""
DEFAULT_RETRY_AFTER = 60.0
"""Seconds to wait on a 429 that says nothing usable: the length of the rate-limit window."""

Resolution = Literal["live", "quarterhour", "hour", "day", "month"]
Order = Literal["asc", "desc"]
Timestamp = dt.datetime | str
T = TypeVar("T")

_THROTTLED = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.ASCII)

# Python keyword names of the meter fields and the API's names for them.
METER_FIELDS: dict[str, str] = {
    "building": "building",
    "gateway": "gateway",
    "display_name": "displayName",
    "resource_type": "resourceType",
    "reading_type": "readingType",
    "storage_unit": "storageUnit",
    "display_unit": "displayUnit",
    "source_unit": "sourceUnit",
    "scope": "scope",
    "status": "status",
    "vendor_meter_id": "vendorMeterId",
    "default_timescale": "defaultTimescale",
}


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    token_type: str
    expires_in: int | None
    """Seconds the token lives, as the token endpoint said (36000 for Atrius)."""
    scope: str | None
    refresh_token: str | None
    """Only the password and refresh grants hand one out."""
    expires_at: dt.datetime | None
    """On the client's clock: when the request for this token was sent, plus ``expires_in``;
    ``None`` (renewed on a 401 only) when there is no ``expires_in`` or it is out of range."""


def _last_segment(url: str) -> str:
    return url.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True)
class Gateway:
    id: str
    organization: str
    """The organization's absolute URL, e.g. ``https://api.buildingos.com/organizations/6732``."""
    object: str | None = None

    @property
    def organization_id(self) -> str:
        return _last_segment(self.organization)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str | None = None
    url: str | None = None
    object: str | None = None


@dataclass(frozen=True)
class Building:
    id: str
    name: str
    organization: str
    """The organization's absolute URL."""
    uuid: str | None = None
    enabled: bool | None = None
    postal_code: str | None = None
    time_zone: str | None = None
    url: str | None = None

    @property
    def organization_id(self) -> str:
        return _last_segment(self.organization)


@dataclass(frozen=True)
class Meter:
    uuid: str
    """What data is pushed under and read back by."""
    id: str
    display_name: str
    resource_type: str
    url: str | None = None
    building: str | None = None
    """The building's absolute URL."""
    gateway: str | None = None
    """The gateway's absolute URL."""
    reading_type: str | None = None
    storage_unit: str | None = None
    display_unit: str | None = None
    source_unit: str | None = None
    scope: str | None = None
    status: str | None = None
    vendor_meter_id: str | None = None
    default_timescale: str | None = None

    @property
    def building_id(self) -> str | None:
        return None if self.building is None else _last_segment(self.building)

    @property
    def gateway_id(self) -> str | None:
        return None if self.gateway is None else _last_segment(self.gateway)


@dataclass(frozen=True)
class SkippedPoint:
    index: int
    """The point's position in the series the caller gave ``push`` for this meter."""
    point: object
    """The point as it was sent."""
    reason: str


@dataclass(frozen=True)
class MeterPushReport:
    accepted: int
    skipped: tuple[SkippedPoint, ...] = ()
    error: str | None = None
    """Why none of the meter's points were taken (an unknown meter, another gateway's)."""


@dataclass(frozen=True)
class PushReport:
    """The answer to one push request."""

    accepted: int
    skipped: int
    rejected_meters: tuple[str, ...]
    meters: dict[str, MeterPushReport]


@dataclass(frozen=True)
class DataPoint:
    localtime: dt.datetime
    """The reading's (or bucket's) start in the building's time zone."""
    value: float | None
    """In the meter's display unit; ``None`` for a bucket without readings."""


# --- errors ----------------------------------------------------------------------------------


class AtriusError(ApiError):
    """An unexpected answer: an undocumented status, or a body that breaks the contract.

    ``detail`` is DRF's ``{"detail": ...}`` message when the body has one.
    """

    @property
    def detail(self) -> str | None:
        return self.body_string("detail")


class AtriusAuthError(AtriusError):
    """401 from the API (after one renewed token), or any error from the token endpoint.

    ``error`` is the RFC 6749 error code (``invalid_client``, ``invalid_grant``, ...) when the
    token endpoint gave one; ``None`` for the API's 401.
    """

    @property
    def error(self) -> str | None:
        return self.body_string("error")

    @property
    def description(self) -> str | None:
        return self.body_string("error_description")


class AtriusValidationError(AtriusError):
    """400: the request was refused field by field, as Django REST Framework does.

    ``fields`` maps each field to its messages; nested fields are joined with dots
    (``meta.naive_timestamp_utc``) and errors that belong to no field are under
    ``non_field_errors``. A ``{"detail": "..."}`` body (a JSON parse error) has no fields.
    """

    @property
    def fields(self) -> dict[str, list[str]]:
        return _field_errors(self.body)


class AtriusNotFound(AtriusError):
    """404: no such gateway, organization, building, meter or page (for this client)."""


class AtriusPayloadTooLarge(AtriusError):
    """413: too many data points, or too many bytes, in one request."""


class AtriusRateLimited(RateLimitedError, AtriusError):
    """429, still, after the client's retries; ``retry_after`` comes from Retry-After (or the
    body's "Expected available in N")."""


_ERRORS: dict[int, type[AtriusError]] = {
    400: AtriusValidationError,
    401: AtriusAuthError,
    404: AtriusNotFound,
    413: AtriusPayloadTooLarge,
}


def _field_errors(body: Any, path: str | None = None) -> dict[str, list[str]]:
    """DRF's error body as field -> messages; ``path`` is where ``body`` sits (``None`` at
    the top, where bare messages belong to no field)."""

    def inner(name: object) -> str:
        return str(name) if path is None else f"{path}.{name}"

    here = "non_field_errors" if path is None else path
    if isinstance(body, list) and all(isinstance(item, str) for item in body):
        return {here: list(body)} if body else {}
    if isinstance(body, list):
        found: dict[str, list[str]] = {}
        for index, item in enumerate(body):
            found.update(_field_errors(item, inner(index)))
        return found
    if isinstance(body, dict):
        if path is None and isinstance(body.get("detail"), str):
            return {}  # {"detail": "JSON parse error - ..."}: about no field
        found = {}
        for name, value in body.items():
            found.update(_field_errors(value, inner(name)))
        return found
    if body is None:
        return {}
    return {here: [str(body)]}


def _message(status: int, body: Any) -> str:
    if isinstance(body, dict):
        if isinstance(body.get("detail"), str):
            return f"Atrius {status}: {body['detail']}"
        if isinstance(body.get("error"), str):
            description = body.get("error_description")
            if isinstance(description, str):
                return f"Atrius {status}: {body['error']} ({description})"
            return f"Atrius {status}: {body['error']}"
        if status == 400:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in _field_errors(body).items()
            )
            return f"Atrius 400: {problems}"
    return f"Atrius {status}: {body!r}"


_TOKEN_ERRORS: dict[int, type[AtriusError]] = {400: AtriusAuthError, 401: AtriusAuthError}
"""The token endpoint's refusals are all about the credentials."""


def _error(
    response: httpx.Response, errors: Mapping[int, type[AtriusError]] = _ERRORS
) -> AtriusError:
    return status_error(errors, AtriusError, response, _message)


_contract_error = contract_error(AtriusError, "Atrius")
_rate_limited = rate_limited_error(AtriusRateLimited, _message)


# --- the client ------------------------------------------------------------------------------


class AtriusClient(BearerClient[Token]):
    max_retries = Setting[int]("_throttle")
    renew_before = Setting[dt.timedelta]("_tokens")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        username: str | None = None,
        password: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        clock: Clock = utc_now,
        sleep: Sleeper = system_sleep,
        renew_before: dt.timedelta = dt.timedelta(minutes=5),
        max_retries: int = 3,
    ) -> None:
        """``http`` is used as given (never closed here); without it the client makes its own.

        With ``username`` and ``password`` tokens come from the password grant, else from the
        client credentials grant (the guide's). ``max_retries`` counts the retries after a
        429, not the first attempt.
        """
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self._connect(base_url, http, clock)
        self._throttle = Throttle(
            sleep=sleep,
            max_retries=max_retries,
            wait=lambda response, _: _retry_after(response, self._clock()),
            rate_limited=_rate_limited,
        )
        self._tokens = TokenCache(
            self._fetch_token,
            expires=lambda token: token.expires_at,
            clock=clock,
            renew_before=renew_before,
        )

    # --- token -------------------------------------------------------------------------------

    def token(self) -> Token:
        """The cached token; fetched on first use and renewed when it is about to expire."""
        return self._tokens.current()

    def _fetch_token(self, previous: Token | None) -> Token:
        """A new token: by the refresh token when there is one that still works, else anew."""
        if previous is not None and previous.refresh_token is not None:
            try:
                return self._grant(refresh_form(previous.refresh_token))
            except AtriusAuthError as error:
                if error.error != "invalid_grant":
                    raise
        return self._grant(grant_form(self.username, self.password))

    def _grant(self, form: dict[str, str]) -> Token:
        sent_at = self._clock()
        body = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        response = self._throttle.send(
            lambda: self._http.post(self.base_url + TOKEN_PATH, data=body)
        )
        if response.status_code != 200:
            raise _error(response, _TOKEN_ERRORS)
        return _parse(response, lambda data: _token(data, sent_at))

    # --- gateways and organizations ----------------------------------------------------------

    def gateway(self, number: int | str) -> Gateway:
        response = self._call("GET", f"/gateways/{_segment(number)}")
        return _parse(response, lambda body: _gateway(_wrapped(body)))

    def organization(self, organization_id: int | str) -> Organization:
        response = self._call("GET", f"/organizations/{_segment(organization_id)}")
        return _parse(response, lambda body: _organization(_wrapped(body)))

    # --- buildings ---------------------------------------------------------------------------

    def buildings(self, *, per_page: int | None = None) -> Iterator[Building]:
        """Every building, page after page (following ``next``)."""
        return self._paged("/buildings/", _per_page(per_page), _building)

    def building(self, building_id: int | str) -> Building:
        response = self._call("GET", f"/buildings/{_segment(building_id)}")
        return _parse(response, lambda body: _building(_wrapped(body)))

    def create_building(
        self,
        organization: int | str,
        name: str,
        postal_code: str,
        time_zone: str | None = None,
    ) -> Building:
        """``organization`` is the id (``6732``) or its URL; the guide sends the number."""
        body: dict[str, Any] = {
            "organization": organization,
            "name": name,
            "postalCode": postal_code,
        }
        if time_zone is not None:
            body["timeZone"] = time_zone
        response = self._call("POST", "/buildings/", json=body, expected=201)
        return _parse(response, _building)

    # --- meters ------------------------------------------------------------------------------

    def meters(
        self, building: int | str | None = None, *, per_page: int | None = None
    ) -> Iterator[Meter]:
        """Every meter, or a building's, page after page (following ``next``)."""
        params = _per_page(per_page)
        if building is not None:
            params["building"] = str(building)
        return self._paged("/meters/", params, _meter)

    def meter(self, meter_uuid: str) -> Meter:
        response = self._call("GET", f"/meters/{_segment(meter_uuid)}")
        return _parse(response, lambda body: _meter(_wrapped(body)))

    def create_meter(
        self,
        *,
        building: int | str,
        gateway: int | str,
        display_name: str,
        resource_type: str,
        reading_type: str,
        storage_unit: str,
        display_unit: str,
        source_unit: str,
        scope: str,
        status: str | None = None,
        vendor_meter_id: str | None = None,
        default_timescale: str | None = None,
    ) -> Meter:
        """One meter (the API takes one per request); fields left ``None`` are not sent."""
        fields: dict[str, Any] = {
            "building": building,
            "gateway": gateway,
            "display_name": display_name,
            "resource_type": resource_type,
            "reading_type": reading_type,
            "storage_unit": storage_unit,
            "display_unit": display_unit,
            "source_unit": source_unit,
            "scope": scope,
            "status": status,
            "vendor_meter_id": vendor_meter_id,
            "default_timescale": default_timescale,
        }
        body = {METER_FIELDS[k]: v for k, v in fields.items() if v is not None}
        response = self._call("POST", "/meters/", json=body, expected=201)
        return _parse(response, _meter)

    def update_meter(self, meter_uuid: str, *, partial: bool, **fields: str | int) -> Meter:
        """PATCH (``partial``: only the given fields) or PUT (every required field).

        Fields are named as ``create_meter`` names them (``display_name=...``); the API's own
        names (``displayName=...``) are sent as they are.
        """
        body = {METER_FIELDS.get(name, name): value for name, value in fields.items()}
        method = "PATCH" if partial else "PUT"
        response = self._call(method, f"/meters/{_segment(meter_uuid)}", json=body)
        return _parse(response, _meter)

    # --- time series -------------------------------------------------------------------------

    def push(
        self,
        gateway: int | str,
        readings: Mapping[str, Sequence[tuple[Timestamp, float]]],
        *,
        naive_timestamp_utc: bool = False,
    ) -> list[PushReport]:
        """Push readings (meter uuid -> ``(timestamp, value)`` pairs) through a gateway.

        Sent in requests of at most ``MAX_POINTS_PER_PUSH`` points in all, several meters per
        request, a meter's series continuing in the next request where it must. Datetimes are
        sent in ISO 8601 (with their offset when aware). One report per request; each skipped
        point's ``index`` is its position in the series given here. Non-finite values, which
        JSON cannot carry, raise ValueError before anything is sent.
        """
        for meter_uuid, series in readings.items():
            for index, (_, value) in enumerate(series):
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValueError(f"{meter_uuid}[{index}]: {value} cannot be sent as JSON")
        path = f"/gateways/{_segment(gateway)}/data"
        reports: list[PushReport] = []
        for chunk, offsets in _chunks(readings, MAX_POINTS_PER_PUSH):
            body = {"meta": {"naive_timestamp_utc": naive_timestamp_utc}, "data": chunk}
            response = self._call("POST", path, json=body)
            reports.append(_parse(response, functools.partial(_push_report, offsets=offsets)))
        return reports

    def data(
        self,
        meter_uuid: str,
        start: dt.date,
        end: dt.date,
        resolution: Resolution = "hour",
        order: Order = "asc",
    ) -> list[DataPoint]:
        """The meter's data from ``start`` to ``end`` (whole days in the building's time
        zone, both included), in its display unit."""
        params = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "resolution": resolution,
            "order": order,
        }
        response = self._call("GET", f"/meters/{_segment(meter_uuid)}/data/", params=params)
        return _parse(response, _data_points)

    # --- requests ----------------------------------------------------------------------------

    def _paged(self, path: str, params: dict[str, str], parse: Callable[[Any], T]) -> Iterator[T]:
        return follow_next(
            lambda url, query: self._call("GET", url, params=query),
            self.base_url + path,
            params,
            lambda response: _parse(response, lambda body: _page(body, parse)),
            _contract_error,
            origin=self.base_url,
        )

    def _call(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        expected: int = 200,
    ) -> httpx.Response:
        """One API request with the bearer token: 429s waited out, a 401 renews the token
        and repeats the request once; any other answer than ``expected`` raises."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        response = self._bearer_request(method, url, params=params, json=json)
        if response.status_code != expected:
            raise _error(response)
        return response


# --- requests, pure --------------------------------------------------------------------------


def _segment(value: int | str) -> str:
    return quote(str(value), safe="")


def _per_page(per_page: int | None) -> dict[str, str]:
    return {} if per_page is None else {"per_page": str(per_page)}


def _timestamp(moment: Timestamp) -> str:
    return moment.isoformat() if isinstance(moment, dt.datetime) else moment


def _chunks(
    readings: Mapping[str, Sequence[tuple[Timestamp, float]]], size: int
) -> Iterator[tuple[dict[str, list[list[Any]]], dict[str, int]]]:
    """Requests' ``data`` of at most ``size`` points, and where each meter's part starts in
    its series. A meter with no readings still goes, in the request being filled."""
    chunk: dict[str, list[list[Any]]] = {}
    offsets: dict[str, int] = {}
    count = 0
    for meter_uuid, series in readings.items():
        if not series:
            chunk.setdefault(meter_uuid, [])
            offsets.setdefault(meter_uuid, 0)
        for index, (moment, value) in enumerate(series):
            if count == size:
                yield chunk, offsets
                chunk, offsets, count = {}, {}, 0
            if meter_uuid not in chunk:
                chunk[meter_uuid], offsets[meter_uuid] = [], index
            chunk[meter_uuid].append([_timestamp(moment), value])
            count += 1
    if chunk:
        yield chunk, offsets


def _retry_after(response: httpx.Response, now: dt.datetime) -> float:
    """Seconds from Retry-After (delay or HTTP date), else from DRF's "Expected available in
    N seconds.", else the length of the rate-limit window."""
    return throttled_wait(
        response, now, field="detail", pattern=_THROTTLED, default=DEFAULT_RETRY_AFTER
    )


# --- answers ---------------------------------------------------------------------------------


def _parse(response: httpx.Response, parse: Callable[[Any], T]) -> T:
    return parse_json(response, parse, _contract_error)


def _wrapped(body: Any) -> dict[str, Any]:
    """``{"data": {...}}``, as single objects are served."""
    return json_object(json_object(body, "the body").get("data"), "data")


def _ident(value: Any, what: str) -> str:
    """Ids are strings in every example; a JSON integer is taken as its digits."""
    if is_json_integer(value):
        return str(int(value))
    return json_string(value, what)


def _count(value: Any, what: str) -> int:
    if not is_json_integer(value) or value < 0:
        raise ValueError(f"{what} is not a non-negative integer")
    return int(value)


def _token(body: Any, sent_at: dt.datetime) -> Token:
    body, access_token, token_type = bearer_token_answer(body)
    expires_in = (
        None if body.get("expires_in") is None else _count(body["expires_in"], "expires_in")
    )
    return Token(
        access_token=access_token,
        token_type=token_type,
        expires_in=expires_in,
        scope=json_optional_string(body.get("scope"), "scope"),
        refresh_token=json_optional_string(body.get("refresh_token"), "refresh_token"),
        expires_at=expiry(sent_at, expires_in),
    )


def _gateway(data: dict[str, Any]) -> Gateway:
    return Gateway(
        id=_ident(data.get("id"), "id"),
        organization=_ident(data.get("organization"), "organization"),
        object=json_optional_string(data.get("object"), "object"),
    )


def _organization(data: dict[str, Any]) -> Organization:
    return Organization(
        id=_ident(data.get("id"), "id"),
        name=json_optional_string(data.get("name"), "name"),
        url=json_optional_string(data.get("url"), "url"),
        object=json_optional_string(data.get("object"), "object"),
    )


def _building(data: Any) -> Building:
    data = json_object(data, "a building")
    enabled = data.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ValueError("enabled is not a boolean")
    return Building(
        id=_ident(data.get("id"), "id"),
        name=json_string(data.get("name"), "name"),
        organization=_ident(data.get("organization"), "organization"),
        uuid=json_optional_string(data.get("uuid"), "uuid"),
        enabled=enabled,
        postal_code=json_optional_string(data.get("postalCode"), "postalCode"),
        time_zone=json_optional_string(data.get("timeZone"), "timeZone"),
        url=json_optional_string(data.get("url"), "url"),
    )


def _meter(data: Any) -> Meter:
    data = json_object(data, "a meter")

    def text(name: str) -> str | None:
        return json_optional_string(data.get(name), name)

    def ident(name: str) -> str | None:
        return None if data.get(name) is None else _ident(data[name], name)

    return Meter(
        uuid=json_string(data.get("uuid"), "uuid"),
        id=_ident(data.get("id"), "id"),
        display_name=json_string(data.get("displayName"), "displayName"),
        resource_type=json_string(data.get("resourceType"), "resourceType"),
        url=text("url"),
        building=ident("building"),
        gateway=ident("gateway"),
        reading_type=text("readingType"),
        storage_unit=text("storageUnit"),
        display_unit=text("displayUnit"),
        source_unit=text("sourceUnit"),
        scope=text("scope"),
        status=text("status"),
        vendor_meter_id=text("vendorMeterId"),
        default_timescale=text("defaultTimescale"),
    )


def _page(body: Any, parse: Callable[[Any], T]) -> tuple[list[T], str | None]:
    body = json_object(body, "the body")
    results = body.get("results")
    if not isinstance(results, list):
        raise ValueError("results is not an array")
    return [parse(item) for item in results], json_optional_string(body.get("next"), "next")


def _push_report(body: Any, offsets: Mapping[str, int]) -> PushReport:
    body = json_object(body, "the body")
    rejected = body.get("rejected_meters")
    if not isinstance(rejected, list):
        raise ValueError("rejected_meters is not an array")
    meters = json_object(body.get("meters"), "meters")
    return PushReport(
        accepted=_count(body.get("accepted"), "accepted"),
        skipped=_count(body.get("skipped"), "skipped"),
        rejected_meters=tuple(json_string(m, "a rejected meter") for m in rejected),
        meters={key: _meter_report(report, offsets.get(key, 0)) for key, report in meters.items()},
    )


def _meter_report(report: Any, offset: int) -> MeterPushReport:
    report = json_object(report, "a meter's report")
    skipped = report.get("skipped")
    if not isinstance(skipped, list):
        raise ValueError("skipped is not an array")
    return MeterPushReport(
        accepted=_count(report.get("accepted"), "accepted"),
        skipped=tuple(_skipped(item, offset) for item in skipped),
        error=json_optional_string(report.get("error"), "error"),
    )


def _skipped(item: Any, offset: int) -> SkippedPoint:
    item = json_object(item, "a skipped point")
    return SkippedPoint(
        index=offset + _count(item.get("index"), "index"),
        point=item.get("point"),
        reason=json_string(item.get("reason"), "reason"),
    )


def _data_points(body: Any) -> list[DataPoint]:
    rows = json_object(body, "the body").get("data")
    if not isinstance(rows, list):
        raise ValueError("data is not an array")
    return [_data_point(row) for row in rows]


def _data_point(row: Any) -> DataPoint:
    row = json_object(row, "a row")
    localtime = json_string(row.get("localtime"), "localtime")
    try:
        moment = dt.datetime.fromisoformat(localtime)
    except ValueError:
        raise ValueError(f"localtime {localtime!r} is not ISO 8601") from None
    value = row.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"value {value!r} is not a number")
    try:
        number = None if value is None else float(value)
    except OverflowError:
        raise ValueError(f"value {value!r} is out of range for a float") from None
    return DataPoint(localtime=moment, value=number)
