"""A thin client for the Locus Energy v3 API (SolarNOC).

Logs in with the password grant (or client credentials), refreshes the access token before it
expires and logs in again when the refresh is refused. The API serves one request at a time per
credential, so the client sends one at a time (a lock shared by every thread using it) and
waits out a 429 before retrying. ``component_data`` and ``site_data`` split a long period into
the windows its granularity allows and return typed rows. The reference's three common
workflows are methods: ``component_data_by_node_id``, ``lifetime_energy`` and ``walk``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

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
    contract_error,
    error_of,
    grant_form,
    json_optional_string,
    json_string,
    parse_json,
    rate_limited_error,
    refresh_form,
    status_error,
    system_sleep,
    utc_now,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "WINDOWS",
    "Alert",
    "BaseField",
    "Client",
    "Component",
    "DataRow",
    "LocusAuthError",
    "LocusBadRequest",
    "LocusClient",
    "LocusError",
    "LocusForbidden",
    "LocusNotFound",
    "LocusRateLimited",
    "LocusUnauthorized",
    "Site",
    "Token",
]

DEFAULT_BASE_URL = "https://api.locusenergy.com"
TOKEN_PATH = "/oauth/token"
Granularity = Literal["latest", "1min", "5min", "15min", "hourly", "daily", "monthly", "yearly"]
WINDOWS: dict[str, dt.timedelta | None] = {
    "1min": dt.timedelta(days=4),
    "5min": dt.timedelta(days=30),
    "15min": dt.timedelta(days=30),
    "hourly": dt.timedelta(days=30),
    "daily": dt.timedelta(days=364),
    "monthly": None,
    "yearly": None,
}
"""The span of one request per granularity, within the reference's limits (1min < 5 days;
5min, 15min, hourly < 31 days; daily < 1 year; monthly and yearly unlimited)."""
T = TypeVar("T")


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: dt.datetime
    refresh_token: str | None = None


@dataclass(frozen=True)
class Client:
    id: int
    partner_id: int
    tz: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Site:
    id: int
    client_id: int
    name: str
    raw: Mapping[str, Any] = field(repr=False)
    """Every field as sent (address, locale, coordinates...)."""

    @property
    def timezone(self) -> str | None:
        value = self.raw.get("locationTimezone")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Component:
    id: int
    site_id: int
    client_id: int
    parent_id: int
    parent_type: str
    node_id: str
    name: str
    node_type: str
    application: str
    generation_type: str
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class BaseField:
    base_field: str
    long_name: str
    source: str
    unit: str
    short_names: dict[str, str]
    """shortName -> aggregation."""
    granularities: tuple[str, ...]
    field_parameters: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class DataRow:
    id: int
    ts: dt.datetime
    """The leading timestamp, aware, in the asked time zone."""
    values: dict[str, float | None]
    """Fields with a value (bulk rows also carry ``None`` for fields a site cannot have)."""


@dataclass(frozen=True)
class Alert:
    id: int
    component_id: int
    component_name: str
    site_id: int
    site_name: str
    alert_type: str
    priority: str
    start: dt.datetime
    end: dt.datetime | None
    updated: dt.datetime
    description_short: str | None = None
    description_long: str | None = None


class LocusError(ApiError):
    """An unexpected answer: an undocumented status, or a body that breaks the contract."""


class LocusBadRequest(LocusError):
    """400: a parameter was refused."""


class LocusUnauthorized(LocusError):
    """401: the access token was refused, even after logging in again."""


class LocusForbidden(LocusError):
    """403: the id belongs to another partner."""


class LocusNotFound(LocusError):
    """404: no such id."""


class LocusAuthError(LocusError):
    """The token endpoint refused the credentials (``error`` is the RFC 6749 code)."""

    @property
    def error(self) -> str | None:
        return self.body_string("error")


class LocusRateLimited(RateLimitedError, LocusError):
    """429, still, after the client's retries."""


_ERRORS: dict[int, type[LocusError]] = {
    400: LocusBadRequest,
    401: LocusUnauthorized,
    403: LocusForbidden,
    404: LocusNotFound,
}


class LocusClient(BearerClient[Token]):
    max_retries = Setting[int]("_throttle")
    refresh_margin = Setting[dt.timedelta]("_tokens", "renew_before")

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
        max_retries: int = 5,
        retry_wait: float = 1.0,
        refresh_margin: float = 60.0,
    ) -> None:
        """With ``username`` and ``password`` the client uses the password grant (and refresh
        tokens); without, client credentials. ``http`` is used as given (never closed here).

        The API sends no Retry-After with its 429, so the client waits ``retry_wait`` seconds,
        doubling each time, at most ``max_retries`` times. A token is renewed when it has less
        than ``refresh_margin`` seconds left.
        """
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self._connect(base_url, http, clock)
        self.retry_wait = retry_wait
        # The API sends no Retry-After: the wait doubles from ``retry_wait`` each time.
        self._throttle = Throttle(
            sleep=sleep,
            max_retries=max_retries,
            wait=lambda _, attempt: self.retry_wait * 2**attempt,
            rate_limited=_rate_limited,
        )
        self._tokens = TokenCache(
            self._fetch_token,
            expires=lambda token: token.expires_at,
            clock=clock,
            renew_before=dt.timedelta(seconds=refresh_margin),
        )
        self._lock = threading.RLock()
        """One request at a time, as the API serves one per credential."""

    # --- tokens ------------------------------------------------------------------------------

    def token(self) -> Token:
        """A usable access token: the current one, refreshed, or from a new login."""
        with self._lock:
            return self._tokens.current()

    def _fetch_token(self, previous: Token | None) -> Token:
        if previous is not None and previous.refresh_token is not None:
            try:
                renewed = self._grant(refresh_form(previous.refresh_token))
            except LocusAuthError:
                pass  # an expired or revoked refresh token: log in again
            else:
                # A refresh answer carries no refresh token: the one we have stays good.
                return replace(
                    renewed, refresh_token=renewed.refresh_token or previous.refresh_token
                )
        return self._grant(grant_form(self.username, self.password))

    def _grant(self, form: dict[str, str]) -> Token:
        sent_at = self._clock()
        data = {"client_id": self.client_id, "client_secret": self.client_secret, **form}
        response = self._throttle.send(lambda: self._http.post(self._url(TOKEN_PATH), data=data))
        if response.status_code in (400, 401):
            raise error_of(LocusAuthError, response)
        body = _parse(response, _object)
        access = json_string(body.get("access_token"), "access_token")
        expires_in = _integer(body.get("expires_in"), "expires_in")
        refresh = body.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            raise _contract_error(response, "refresh_token is not a string")
        return Token(access, sent_at + dt.timedelta(seconds=expires_in), refresh)

    # --- hierarchy ---------------------------------------------------------------------------

    def client(self, client_id: int) -> Client:
        return self._get(f"/v3/clients/{client_id}", {}, _client)

    def partner_clients(self, partner_id: int) -> list[Client]:
        return self._get(f"/v3/partners/{partner_id}/clients", {}, _list("clients", _client))

    def site(self, site_id: int) -> Site:
        return self._get(f"/v3/sites/{site_id}", {}, _site)

    def client_sites(self, client_id: int) -> list[Site]:
        return self._get(f"/v3/clients/{client_id}/sites", {}, _list("sites", _site))

    def partner_sites(self, partner_id: int) -> list[Site]:
        return self._get(f"/v3/partners/{partner_id}/sites", {}, _list("sites", _site))

    def install_info(self, site_id: int) -> dict[str, str]:
        body = self._get(f"/v3/sites/{site_id}/installinfo", {}, _object)
        return {k: v for k, v in body.items() if k != "statusCode" and isinstance(v, str)}

    def model_settings(self, site_id: int) -> dict[str, float]:
        body = self._get(f"/v3/sites/{site_id}/modelsettings", {}, _object)
        return {
            k: v
            for k, v in body.items()
            if k != "statusCode" and isinstance(v, int | float) and not isinstance(v, bool)
        }

    def component(self, component_id: int) -> Component:
        return self._get(f"/v3/components/{component_id}", {}, _component)

    def site_components(self, site_id: int) -> list[Component]:
        return self._get(f"/v3/sites/{site_id}/components", {}, _list("components", _component))

    def client_components(self, client_id: int) -> list[Component]:
        path = f"/v3/clients/{client_id}/components"
        return self._get(path, {}, _list("components", _component))

    def partner_components(
        self, partner_id: int, *, node_id: str | None = None, notes: str | None = None
    ) -> list[Component]:
        """``%`` in ``node_id`` or ``notes`` is a wildcard."""
        params = {k: v for k, v in (("nodeId", node_id), ("notes", notes)) if v is not None}
        path = f"/v3/partners/{partner_id}/components"
        return self._get(path, params, _list("components", _component))

    # --- data available and data -------------------------------------------------------------

    def component_data_available(self, component_id: int) -> list[BaseField]:
        path = f"/v3/components/{component_id}/dataavailable"
        return self._get(path, {}, _list("baseFields", _base_field))

    def site_data_available(self, site_id: int) -> list[BaseField]:
        return self._get(f"/v3/sites/{site_id}/dataavailable", {}, _list("baseFields", _base_field))

    def bulk_data_available(self, partner_id: int) -> list[BaseField]:
        path = f"/v3/partners/{partner_id}/sites/dataavailable"
        return self._get(path, {}, _list("baseFields", _base_field))

    def component_data(
        self,
        component_id: int,
        fields: list[str],
        start: dt.datetime,
        end: dt.datetime,
        *,
        gran: Granularity,
        tz: str,
        **field_parameters: str,
    ) -> list[DataRow]:
        """Rows from ``start`` to ``end`` (naive, in ``tz``), in as many requests as ``gran``
        needs. ``field_parameters`` are ``modelType``, ``irradianceSource`` and
        ``inverterClipping`` for modeled fields."""
        return self._windows(
            f"/v3/components/{component_id}/data", fields, start, end, gran, tz, field_parameters
        )

    def site_data(
        self,
        site_id: int,
        fields: list[str],
        start: dt.datetime,
        end: dt.datetime,
        *,
        gran: Granularity,
        tz: str,
        **field_parameters: str,
    ) -> list[DataRow]:
        return self._windows(
            f"/v3/sites/{site_id}/data", fields, start, end, gran, tz, field_parameters
        )

    def latest(self, component_id: int, fields: list[str], *, tz: str) -> DataRow | None:
        params = {"fields": ",".join(fields), "gran": "latest", "tz": tz}
        rows = self._get(f"/v3/components/{component_id}/data", params, _rows)
        return rows[-1] if rows else None

    def bulk_data(
        self, partner_id: int, fields: list[str], start: dt.datetime, end: dt.datetime, *, tz: str
    ) -> list[DataRow]:
        """Monthly rows of every site, a year per request at most."""
        rows: list[DataRow] = []
        for first, last in _spans(start, end, None, yearly=True):
            params = {
                "fields": ",".join(fields),
                "start": _timestamp(first),
                "end": _timestamp(last),
                "tz": tz,
                "gran": "monthly",
            }
            rows.extend(self._get(f"/v3/partners/{partner_id}/sites/data", params, _rows))
        return rows

    def _windows(
        self,
        path: str,
        fields: list[str],
        start: dt.datetime,
        end: dt.datetime,
        gran: str,
        tz: str,
        field_parameters: Mapping[str, str],
    ) -> list[DataRow]:
        rows: list[DataRow] = []
        for first, last in _spans(start, end, WINDOWS.get(gran)):
            params = {
                "fields": ",".join(fields),
                "start": _timestamp(first),
                "end": _timestamp(last),
                "tz": tz,
                "gran": gran,
                **field_parameters,
            }
            rows.extend(self._get(path, params, _rows))
        return rows

    # --- alerts ------------------------------------------------------------------------------

    def partner_alerts(
        self,
        partner_id: int,
        *,
        tz: str,
        updated_since: dt.datetime | None = None,
        open_during: tuple[dt.datetime, dt.datetime] | None = None,
        alert_types: list[str] | None = None,
        status: str | None = None,
        priorities: list[str] | None = None,
    ) -> list[Alert]:
        """The API needs ``updated_since`` (at most 7 days ago) or ``open_during`` (at most
        31 days long)."""
        params = _alert_params(tz, updated_since, open_during, alert_types, status, priorities)
        return self._get(f"/v3/partners/{partner_id}/alerts", params, _list("alerts", _alert))

    def site_alerts(self, site_id: int, *, tz: str, **filters: Any) -> list[Alert]:
        params = _alert_params(tz, **filters)
        return self._get(f"/v3/sites/{site_id}/alerts", params, _list("alerts", _alert))

    def component_alerts(self, component_id: int, *, tz: str, **filters: Any) -> list[Alert]:
        params = _alert_params(tz, **filters)
        return self._get(f"/v3/components/{component_id}/alerts", params, _list("alerts", _alert))

    # --- the reference's common workflows ----------------------------------------------------

    def component_data_by_node_id(
        self,
        partner_id: int,
        node_id: str,
        fields: list[str],
        start: dt.datetime,
        end: dt.datetime,
        *,
        gran: Granularity,
        tz: str,
    ) -> tuple[Component, list[DataRow]]:
        """Getting data for a component: its id from its node id, its data available (the
        fields must be among it), then its data."""
        found = self.partner_components(partner_id, node_id=node_id)
        if len(found) != 1:
            raise LookupError(f"{len(found)} components have node id {node_id!r}")
        component = found[0]
        available = {
            name
            for base in self.component_data_available(component.id)
            if gran in base.granularities
            for name in base.short_names
        }
        missing = [name for name in fields if name not in available]
        if missing:
            raise LookupError(f"component {component.id} has no {', '.join(missing)} at {gran}")
        return component, self.component_data(component.id, fields, start, end, gran=gran, tz=tz)

    def lifetime_energy(
        self,
        component_id: int,
        *,
        since: dt.datetime = dt.datetime(2000, 1, 1),
        until: dt.datetime = dt.datetime(2030, 1, 1),
        tz: str = "UTC",
    ) -> float:
        """Getting lifetime energy for a component: ``Wh_sum`` by year, added up."""
        rows = self.component_data(component_id, ["Wh_sum"], since, until, gran="yearly", tz=tz)
        return float(sum(row.values.get("Wh_sum") or 0.0 for row in rows))

    def walk(self, partner_id: int) -> Iterator[tuple[Site, Component, list[BaseField]]]:
        """Traversing the hierarchy: each site of the partner, each of its components, and what
        data the component has."""
        for site in self.partner_sites(partner_id):
            for component in self.site_components(site.id):
                yield site, component, self.component_data_available(component.id)

    # --- transport ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _get(self, path: str, params: Mapping[str, str], parse: Callable[[Any], T]) -> T:
        with self._lock:
            # A 401 means revoked or expired early: log in anew (not by the refresh token).
            response = self._bearer_request(
                "GET",
                self._url(path),
                params=dict(params),
                headers={"Accept": "application/json"},
                refused=self._tokens.forget,
            )
            return _parse(response, parse)


# --- requests ----------------------------------------------------------------------------------


def _timestamp(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def _spans(
    start: dt.datetime, end: dt.datetime, window: dt.timedelta | None, yearly: bool = False
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut into pieces of at most ``window`` (or a year), in order. An empty or
    reversed period is sent as is, for the API to answer."""
    if end <= start or (window is None and not yearly):
        yield start, end
        return
    first = start
    while first < end:
        last = _one_year_after(first) if yearly else first + window  # type: ignore[operator]
        last = min(last, end)
        yield first, last
        first = last


def _one_year_after(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:
        return moment.replace(year=moment.year + 1, day=28)


def _alert_params(
    tz: str,
    updated_since: dt.datetime | None = None,
    open_during: tuple[dt.datetime, dt.datetime] | None = None,
    alert_types: list[str] | None = None,
    status: str | None = None,
    priorities: list[str] | None = None,
) -> dict[str, str]:
    params = {"tz": tz}
    if updated_since is not None:
        params["updatedSince"] = _timestamp(updated_since)
    if open_during is not None:
        params["openDuringMin"] = _timestamp(open_during[0])
        params["openDuringMax"] = _timestamp(open_during[1])
    if alert_types:
        params["alertType"] = ",".join(alert_types)
    if status is not None:
        params["status"] = status
    if priorities:
        params["priority"] = ",".join(priorities)
    return params


# --- responses ---------------------------------------------------------------------------------


_rate_limited = rate_limited_error(LocusRateLimited)
_contract_error = contract_error(LocusError, "Locus")


class _Broken(ValueError):
    pass


def _parse(response: httpx.Response, parse: Callable[[Any], T]) -> T:
    if response.status_code != 200:
        raise status_error(_ERRORS, LocusError, response)
    return parse_json(response, parse, _contract_error)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Broken("expected an object")
    return value


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Broken(f"{what} is not an integer")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Broken(f"{what} is not a number")
    return float(value)


def _moment(value: Any, what: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(json_string(value, what))
    if moment.tzinfo is None:
        raise _Broken(f"{what} has no offset")
    return moment


def _list(key: str, parse: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def parse_list(body: Any) -> list[T]:
        items = _object(body)[key]
        if not isinstance(items, list):
            raise _Broken(f"{key} is not a list")
        return [parse(item) for item in items]

    return parse_list


def _client(value: Any) -> Client:
    body = _object(value)
    return Client(
        id=_integer(body["id"], "id"),
        partner_id=_integer(body["partnerId"], "partnerId"),
        tz=json_string(body["tz"], "tz"),
        first_name=json_string(body["firstName"], "firstName"),
        last_name=json_string(body["lastName"], "lastName"),
        email=json_string(body["email"], "email"),
    )


def _site(value: Any) -> Site:
    body = _object(value)
    return Site(
        id=_integer(body["id"], "id"),
        client_id=_integer(body["clientId"], "clientId"),
        name=json_string(body["name"], "name"),
        raw={k: v for k, v in body.items() if k != "statusCode"},
    )


def _component(value: Any) -> Component:
    body = _object(value)
    return Component(
        id=_integer(body["id"], "id"),
        site_id=_integer(body["siteId"], "siteId"),
        client_id=_integer(body["clientId"], "clientId"),
        parent_id=_integer(body["parentId"], "parentId"),
        parent_type=json_string(body["parentType"], "parentType"),
        node_id=json_string(body["nodeId"], "nodeId"),
        name=json_string(body["name"], "name"),
        node_type=json_string(body["nodeType"], "nodeType"),
        application=json_string(body["application"], "application"),
        generation_type=json_string(body["generationType"], "generationType"),
        raw={k: v for k, v in body.items() if k != "statusCode"},
    )


def _base_field(value: Any) -> BaseField:
    body = _object(value)
    aggregations = body.get("aggregations", [])
    parameters = body.get("fieldParameters", [])
    granularities = body["granularities"]
    if not isinstance(aggregations, list) or not isinstance(parameters, list):
        raise _Broken("aggregations and fieldParameters are lists")
    if not isinstance(granularities, list):
        raise _Broken("granularities is a list")
    return BaseField(
        base_field=json_string(body["baseField"], "baseField"),
        long_name=json_string(body["longName"], "longName"),
        source=json_string(body["source"], "source"),
        unit=json_string(body["unit"], "unit"),
        short_names={
            json_string(_object(a)["shortName"], "shortName"): json_string(
                a["aggregation"], "aggregation"
            )
            for a in aggregations
        },
        granularities=tuple(json_string(g, "granularity") for g in granularities),
        field_parameters={
            json_string(_object(p)["param"], "param"): tuple(
                json_string(v, "value") for v in _values(p["values"])
            )
            for p in parameters
        },
    )


def _values(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Broken("values is a list")
    return value


def _rows(body: Any) -> list[DataRow]:
    data = _object(body)["data"]
    if not isinstance(data, list):
        raise _Broken("data is not a list")
    rows = []
    for item in data:
        row = _object(item)
        values: dict[str, float | None] = {}
        for name, value in row.items():
            if name in ("id", "ts"):
                continue
            values[name] = None if value is None else _number(value, name)
        rows.append(DataRow(_integer(row["id"], "id"), _moment(row["ts"], "ts"), values))
    return rows


def _alert(value: Any) -> Alert:
    body = _object(value)
    end = body.get("end")
    return Alert(
        id=_integer(body["id"], "id"),
        component_id=_integer(body["componentId"], "componentId"),
        component_name=json_string(body["componentName"], "componentName"),
        site_id=_integer(body["siteId"], "siteId"),
        site_name=json_string(body["siteName"], "siteName"),
        alert_type=json_string(body["alertType"], "alertType"),
        priority=json_string(body["priority"], "priority"),
        start=_moment(body["start"], "start"),
        end=None if end is None else _moment(end, "end"),
        updated=_moment(body["updated"], "updated"),
        description_short=json_optional_string(body.get("descriptionShort"), "descriptionShort"),
        description_long=json_optional_string(body.get("descriptionLong"), "descriptionLong"),
    )
