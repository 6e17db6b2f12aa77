"""A thin client for the Johnson Controls Metasys REST API v4.

It logs in on first use and refreshes its token (``GET /refreshToken``) ``refresh_before`` ahead
of the expiry the server gave (judged on the injected clock); an answer of 401 logs in again once
and repeats the request. Too many requests (403 with ``Retry-After``) are waited out and retried,
up to the transport's ceiling (clients/_http.py).
Every list is a lazy iterator following ``next``; samples page through any range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from standin.clients._http import (
    BearerClient,
    Clock,
    Setting,
    Sleeper,
    Throttle,
    TokenCache,
    contract_error,
    follow_next,
    rate_limited_error,
    retry_after_delay,
    status_error,
    system_sleep,
    utc_now,
)
from standin.clients.metasys_activity import ActivityMixin
from standin.clients.metasys_admin import AdminMixin
from standin.clients.metasys_certificates import CertificateMixin
from standin.clients.metasys_controls import ControlsMixin
from standin.clients.metasys_enumerations import EnumerationsMixin
from standin.clients.metasys_errors import (
    ERRORS,
    MetasysAuthError,
    MetasysConflict,
    MetasysDeviceOffline,
    MetasysError,
    MetasysForbidden,
    MetasysNotFound,
    MetasysTooManyRequests,
    MetasysValidationError,
)
from standin.clients.metasys_results import (
    PRIORITIES,
    Command,
    Equipment,
    EquipmentPoint,
    MetasysObject,
    NetworkDevice,
    ObjectSummary,
    Sample,
    Space,
    Token,
    TrendedAttribute,
    UserInfo,
    Value,
    _time,
)
from standin.clients.metasys_site import SiteMixin
from standin.clients.metasys_stream import MetasysStream, StreamEvent
from standin.clients.metasys_transport import MetasysTransport, seg

__all__ = [
    "DEFAULT_BASE_URL",
    "PRIORITIES",
    "Command",
    "Equipment",
    "EquipmentPoint",
    "MetasysAuthError",
    "MetasysClient",
    "MetasysConflict",
    "MetasysDeviceOffline",
    "MetasysError",
    "MetasysForbidden",
    "MetasysNotFound",
    "MetasysObject",
    "MetasysStream",
    "MetasysTooManyRequests",
    "MetasysValidationError",
    "NetworkDevice",
    "ObjectSummary",
    "Sample",
    "Space",
    "StreamEvent",
    "Token",
    "TrendedAttribute",
    "UserInfo",
    "Value",
]

DEFAULT_BASE_URL = "https://metasys.standin.example/api/v4"
DEFAULT_RETRY_AFTER = 60.0
"""Seconds to wait on a 403 whose Retry-After is not a usable number of seconds."""


def priority_member(priority: int | str | None) -> str | None:
    """A write priority as ``writePriorityEnumSet.<member>`` from a level (1..16) or a name."""
    if priority is None:
        return None
    if isinstance(priority, int):
        if not 1 <= priority <= 16:
            raise ValueError("priority must be from 1 to 16")
        return f"writePriorityEnumSet.{PRIORITIES[priority]}"
    return (
        priority
        if priority.startswith("writePriorityEnumSet.")
        else (f"writePriorityEnumSet.{priority}")
    )


_seg = seg


# --- the client --------------------------------------------------------------------------------


class _Session:
    """The client's token (held by its token cache) and how often it logged in and refreshed."""

    def __init__(self, tokens: TokenCache[Token]) -> None:
        self._tokens = tokens
        self.logins = 0
        self.refreshes = 0

    @property
    def token(self) -> Token | None:
        return self._tokens.token


class MetasysClient(
    ActivityMixin,
    AdminMixin,
    CertificateMixin,
    ControlsMixin,
    EnumerationsMixin,
    SiteMixin,
    BearerClient[Token],
    MetasysTransport,
):
    max_retries = Setting[int]("_throttle")
    refresh_before = Setting[dt.timedelta]("_tokens", "renew_before")

    def __init__(
        self,
        username: str,
        password: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        clock: Clock = utc_now,
        sleep: Sleeper = system_sleep,
        refresh_before: dt.timedelta = dt.timedelta(minutes=5),
        max_retries: int = 3,
    ) -> None:
        self.username = username
        self._password = password
        self._connect(base_url, http, clock)
        self._sleep = sleep
        self._throttle = Throttle(
            sleep=sleep,
            max_retries=max_retries,
            wait=lambda response, _: _seconds(response.headers["retry-after"]),
            rate_limited=rate_limited_error(MetasysTooManyRequests),
            throttled=_throttled,
        )
        self._tokens: TokenCache[Token] = TokenCache(
            self._fetch_token,
            expires=lambda token: token.expires,
            clock=clock,
            renew_before=refresh_before,
        )
        self.session = _Session(self._tokens)

    # --- session -------------------------------------------------------------------------

    def login(self) -> Token:
        response = self._http.post(
            f"{self.base_url}/login",
            json={"username": self.username, "password": self._password},
        )
        body = self._checked(response)
        self._tokens.token = Token(body["accessToken"], _time(body["expires"]))
        self.session.logins += 1
        return self._tokens.token

    def refresh(self) -> Token:
        """A new token from ``GET /refreshToken`` (after a login when there is no usable one)."""
        return self._refresh(self._unexpired())

    def _unexpired(self) -> Token:
        token = self._tokens.token
        if token is None or self._expired(token):
            token = self.login()
        return token

    def _expired(self, token: Token) -> bool:
        return self._clock() >= token.expires

    def _fetch_token(self, previous: Token | None) -> Token:
        """Near its expiry a token is refreshed; once expired, or without one, log in."""
        if previous is None or self._expired(previous):
            return self.login()
        return self._refresh(previous)

    def _refresh(self, token: Token) -> Token:
        # Sent with the token it replaces, which renewing took out of the cache: put back, so
        # that only a 401 (a new login) or its expiry replaces it first.
        self._tokens.token = token
        response = self._bearer_request(
            "GET",
            f"{self.base_url}/refreshToken",
            token=lambda: self._unexpired().access_token,
            refused=self.login,
        )
        body = self._checked(response)
        self._tokens.token = Token(body["accessToken"], _time(body["expires"]))
        self.session.refreshes += 1
        return self._tokens.token

    # --- for the stream consumer (clients/metasys_stream.py) ---------------------------

    @property
    def http(self) -> httpx.Client:
        return self._http

    def bearer(self) -> str:
        """The current token, logging in or refreshing (ahead of its expiry) as needed."""
        return self._tokens.current().access_token

    def check(self, response: httpx.Response) -> Any:
        return self._checked(response)

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        return self._request(method, path_or_url, **kwargs)

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response itself (for its headers), after the usual error checks."""
        response = self._respond(method, path, **kwargs)
        self._checked(response)
        return response

    def stream(self, *, max_reconnects: int = 5, backoff: float = 1.0) -> MetasysStream:
        """A stream consumer (open it with ``with`` or ``open()``)."""
        return MetasysStream(self, max_reconnects=max_reconnects, backoff=backoff)

    def pause(self, seconds: float) -> None:
        """Wait with the injected sleeper."""
        self._sleep(seconds)

    # --- requests ------------------------------------------------------------------------

    def _checked(self, response: httpx.Response) -> Any:
        return _checked_body(response)

    def _request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        return self._checked(self._respond(method, path_or_url, **kwargs))

    def _url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"

    def _respond(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """The answer once a 401 has cost one login and too many requests (403 with
        Retry-After) were waited out; MetasysTooManyRequests after ``max_retries`` waits."""
        return self._bearer_request(method, self._url(path_or_url), refused=self.login, **kwargs)

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, fetched a page at a time as the caller iterates."""
        return follow_next(
            lambda url, query: self._respond("GET", url, params=query),
            self._url(path),
            dict(params or {}),
            _page,
            _contract_error,
            resolve=lambda _, next_url: self._url(next_url),
        )

    # --- objects -------------------------------------------------------------------------

    def object_id(self, fqr: str) -> str:
        """The id of the object with this fully qualified reference (``site:device/path``)."""
        found: str = self._request("GET", "/objectIdentifiers", params={"fqr": fqr})
        return found

    def tree(self, object_id: str | None = None, *, depth: int = 1) -> list[ObjectSummary]:
        path = "/objects" if object_id is None else f"/objects/{_seg(object_id)}/objects"
        body = self._request("GET", path, params={"depth": depth})
        return [ObjectSummary.of(item) for item in body["items"]]

    def get_object(self, object_id: str, *, include_schema: bool = False) -> MetasysObject:
        params = {"includeSchema": "true"} if include_schema else {}
        body = self._request("GET", f"/objects/{_seg(object_id)}", params=params)
        return MetasysObject.of(object_id, body)

    def read(self, object_id: str, attribute: str = "presentValue") -> Value:
        body = self._request("GET", f"/objects/{_seg(object_id)}/attributes/{_seg(attribute)}")
        condition = (body.get("condition") or {}).get(attribute) or {}
        return Value(
            body["item"].get(attribute), condition.get("priority"), condition.get("reliability")
        )

    def read_many(self, reads: Sequence[tuple[str, str]]) -> list[Value | MetasysError]:
        """Many attribute reads in one batch; each answer a Value or the item's error."""
        requests = [
            {"id": str(index), "relativeUrl": f"{object_id}/attributes/{attribute}"}
            for index, (object_id, attribute) in enumerate(reads)
        ]
        body = self._request("POST", "/objects/batch", json={"method": "GET", "requests": requests})
        answers: dict[str, Any] = {r["id"]: r for r in body["responses"]}
        found: list[Value | MetasysError] = []
        for index, (_, attribute) in enumerate(reads):
            answer = answers.get(str(index))
            if answer is None:
                # The contract does not promise an answer per id; the results stay aligned.
                found.append(MetasysError(200, {"Message": f"Read {index} was not answered."}))
                continue
            item_body = answer.get("body")
            item = item_body.get("item") if isinstance(item_body, Mapping) else None
            if answer["status"] >= 400 or not isinstance(item, Mapping):
                kind = ERRORS.get(answer["status"], MetasysError)
                found.append(kind(answer["status"], item_body))
                continue
            condition = item_body.get("condition")
            by_attribute = condition.get(attribute) if isinstance(condition, Mapping) else None
            detail = by_attribute if isinstance(by_attribute, Mapping) else {}
            found.append(
                Value(item.get(attribute), detail.get("priority"), detail.get("reliability"))
            )
        return found

    def commands(self, object_id: str) -> list[Command]:
        body = self._request("GET", f"/objects/{_seg(object_id)}/commands")
        return [Command.of(item) for item in body["items"]]

    def command(
        self,
        object_id: str,
        command_id: str,
        parameters: Sequence[Any] | None = None,
        *,
        priority: int | str | None = None,
        annotation: str | None = None,
    ) -> None:
        body: dict[str, Any] = {}
        if parameters is not None:
            body["parameters"] = list(parameters)
        if priority is not None:
            body["priority"] = priority_member(priority)
        if annotation is not None:
            body["annotation"] = annotation
        short = command_id.removeprefix("commandIdEnumSet.")
        self._request(
            "PUT", f"/objects/{_seg(object_id)}/commands/commandIdEnumSet.{short}", json=body
        )

    def adjust(self, object_id: str, value: float, *, priority: int | str | None = None) -> None:
        self.command(object_id, "adjustCommand", [value], priority=priority)

    def override(self, object_id: str, value: Any) -> None:
        self.command(object_id, "overrideCommand", [value])

    def release(self, object_id: str, priority: int | str) -> None:
        self.command(
            object_id,
            "releaseCommand",
            ["attributeEnumSet.presentValue", priority_member(priority)],
        )

    def release_all(self, object_id: str) -> None:
        self.command(object_id, "releaseAllCommand", ["attributeEnumSet.presentValue"])

    def write(self, object_id: str, **attributes: Any) -> None:
        """Edit whole attributes (``PATCH /objects/{id}``)."""
        self._request("PATCH", f"/objects/{_seg(object_id)}", json={"item": attributes})

    def create_object(
        self,
        parent_id: str,
        local_unique_identifier: str,
        object_type: str,
        **item: Any,
    ) -> str | None:
        """Create an object; answers its id (from the Location the API gives), or None when
        the answer names none."""
        kind = object_type if "." in object_type else f"objectTypeEnumSet.{object_type}"
        url = f"{self.base_url}/objects"
        body = {
            "parentId": parent_id,
            "localUniqueIdentifier": local_unique_identifier,
            "objectType": kind,
            "item": item,
        }
        response = self._respond("POST", url, json=body)
        self._checked(response)
        # The contract does not promise a Location: without one the id is not known.
        location = response.headers.get("location")
        if not location:
            return None
        return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1] or None

    def delete_object(self, object_id: str) -> None:
        self._request("DELETE", f"/objects/{_seg(object_id)}")

    # --- samples -------------------------------------------------------------------------

    def trended_attributes(
        self, object_id: str, *, network_device: bool = False
    ) -> list[TrendedAttribute]:
        kind = "networkDevices" if network_device else "objects"
        body = self._request("GET", f"/{kind}/{_seg(object_id)}/trendedAttributes")
        return [TrendedAttribute(i["attribute"], i["samplesUrl"]) for i in body["items"]]

    def samples(
        self,
        object_id: str,
        attribute: str = "presentValue",
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        page_size: int = 1000,
        newest_first: bool = False,
        network_device: bool = False,
    ) -> Iterator[Sample]:
        """Every sample in [start, end] across as many pages as it takes."""
        params: dict[str, Any] = {"pageSize": page_size}
        if start is not None:
            params["startTime"] = _iso(start)
        if end is not None:
            params["endTime"] = _iso(end)
        if newest_first:
            params["sort"] = "-timestamp"
        kind = "networkDevices" if network_device else "objects"
        path = f"/{kind}/{_seg(object_id)}/trendedAttributes/{_seg(attribute)}/samples"
        for raw in self._pages(path, params):
            yield Sample.of(raw)

    # --- network devices, spaces, equipment ----------------------------------------------

    def network_devices(self, parent_id: str | None = None) -> Iterator[NetworkDevice]:
        path = (
            "/networkDevices"
            if parent_id is None
            else (f"/networkDevices/{_seg(parent_id)}/networkDevices")
        )
        return (NetworkDevice.of(raw) for raw in self._pages(path))

    def spaces(self, parent_id: str | None = None) -> Iterator[Space]:
        path = "/spaces" if parent_id is None else f"/spaces/{_seg(parent_id)}/spaces"
        return (Space.of(raw) for raw in self._pages(path))

    def equipment(
        self, *, serving_space: str | None = None, served_by: str | None = None
    ) -> Iterator[Equipment]:
        path = "/equipment"
        if serving_space is not None:
            path = f"/spaces/{_seg(serving_space)}/equipment"
        elif served_by is not None:
            path = f"/equipment/{_seg(served_by)}/equipment"
        return (Equipment.of(raw) for raw in self._pages(path))

    def equipment_points(self, equipment_id: str) -> Iterator[EquipmentPoint]:
        path = f"/equipment/{_seg(equipment_id)}/points"
        return (EquipmentPoint.of(raw) for raw in self._pages(path))

    def object_points(self, object_id: str) -> Iterator[EquipmentPoint]:
        """The equipment points mapped to attributes of an object."""
        path = f"/objects/{_seg(object_id)}/points"
        return (EquipmentPoint.of(raw) for raw in self._pages(path))

    def upstream_equipment(self, equipment_id: str) -> Iterator[Equipment]:
        path = f"/equipment/{_seg(equipment_id)}/upstreamEquipment"
        return (Equipment.of(raw) for raw in self._pages(path))

    def equipment_spaces(self, equipment_id: str) -> Iterator[Space]:
        path = f"/equipment/{_seg(equipment_id)}/spaces"
        return (Space.of(raw) for raw in self._pages(path))

    def equipment_devices(self, equipment_id: str) -> Iterator[NetworkDevice]:
        path = f"/equipment/{_seg(equipment_id)}/networkDevices"
        return (NetworkDevice.of(raw) for raw in self._pages(path))

    def space_devices(self, space_id: str) -> Iterator[NetworkDevice]:
        path = f"/spaces/{_seg(space_id)}/networkDevices"
        return (NetworkDevice.of(raw) for raw in self._pages(path))

    def device_equipment(self, device_id: str) -> Iterator[Equipment]:
        path = f"/networkDevices/{_seg(device_id)}/equipment"
        return (Equipment.of(raw) for raw in self._pages(path))

    def device_spaces(self, device_id: str) -> Iterator[Space]:
        path = f"/networkDevices/{_seg(device_id)}/spaces"
        return (Space.of(raw) for raw in self._pages(path))

    def network_device(self, device_id: str) -> NetworkDevice:
        return NetworkDevice.of(self._request("GET", f"/networkDevices/{_seg(device_id)}"))

    def space(self, space_id: str) -> Space:
        return Space.of(self._request("GET", f"/spaces/{_seg(space_id)}"))

    def equipment_instance(self, equipment_id: str) -> Equipment:
        return Equipment.of(self._request("GET", f"/equipment/{_seg(equipment_id)}"))

    def views(self, object_id: str) -> list[str]:
        """The ids of an object's views (``viewNameEnumSet.focusView``, ...)."""
        body = self._request("GET", f"/objects/{_seg(object_id)}/views")
        return [str(view["id"]) for view in body["items"]]

    def supported_child_types(self, object_id: str) -> list[str]:
        """The object types that may be created under an object."""
        body = self._request("GET", f"/objects/{_seg(object_id)}/supportedChildTypes")
        items = body if isinstance(body, list) else body.get("items", [])
        return [str(item["objectType"]) for item in items if "objectType" in item]

    def enumeration(self, enum_id: str) -> dict[str, str]:
        """An enumeration set's members: member id -> title."""
        body = self._request("GET", f"/enumerations/{_seg(enum_id)}")
        return {str(m["id"]): str(m.get("title", "")) for m in body["item"]["members"]}

    def user_info(self) -> UserInfo:
        """The user this client is logged in as."""
        return UserInfo.of(self._request("GET", "/userinfo"))

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every raw item of any paged list (``/users``, ...), following ``next``."""
        return self._pages(path, params)

    def delete_network_device(self, device_id: str) -> None:
        """Delete an offline engine or server of the site director."""
        self._request("DELETE", f"/networkDevices/{_seg(device_id)}")


def _checked_body(response: httpx.Response) -> Any:
    """The decoded body (None when empty); an error answer raises its typed error."""
    if response.status_code >= 400:
        raise status_error(ERRORS, MetasysError, response)
    if not response.content:
        return None
    return response.json()


def _page(response: httpx.Response) -> tuple[list[Any], str | None]:
    """A page's items and its ``next`` link, after the error checks."""
    body = _checked_body(response)
    next_url = body.get("next")
    return list(body.get("items", [])), next_url or None


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _throttled(response: httpx.Response) -> bool:
    """Metasys says "too many requests" with a 403 that carries Retry-After."""
    return response.status_code == 403 and "retry-after" in response.headers


def _seconds(value: str) -> float:
    seconds = retry_after_delay(value)
    # Negative, NaN or infinite: no usable wait. One beyond the ceiling is refused (Throttle).
    return DEFAULT_RETRY_AFTER if seconds is None else seconds


_contract_error = contract_error(MetasysError, "Metasys")
