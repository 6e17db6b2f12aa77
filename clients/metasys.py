"""A thin client for the Johnson Controls Metasys REST API v4.

It logs in on first use and refreshes its token (``GET /refreshToken``) ``refresh_before`` ahead
of the expiry the server gave (judged on the injected clock); an answer of 401 logs in again once
and repeats the request. Too many requests (403 with ``Retry-After``) are waited out and retried.
Every list is a lazy iterator following ``next``; samples page through any range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from standin.clients._http import (
    Clock,
    HttpClientOwner,
    Sleeper,
    build_http_client,
    response_body,
    retry_after_delay,
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


@dataclass
class _Session:
    token: Token | None = None
    logins: int = 0
    refreshes: int = field(default=0)


class MetasysClient(
    ActivityMixin,
    AdminMixin,
    CertificateMixin,
    ControlsMixin,
    EnumerationsMixin,
    SiteMixin,
    HttpClientOwner,
    MetasysTransport,
):
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
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else build_http_client(self.base_url)
        self._clock = clock
        self._sleep = sleep
        self.refresh_before = refresh_before
        self.max_retries = max_retries
        self.session = _Session()

    # --- session -------------------------------------------------------------------------

    def login(self) -> Token:
        response = self._http.post(
            f"{self.base_url}/login",
            json={"username": self.username, "password": self._password},
        )
        body = self._checked(response)
        self.session.token = Token(body["accessToken"], _time(body["expires"]))
        self.session.logins += 1
        return self.session.token

    def refresh(self) -> Token:
        body = self._request("GET", "/refreshToken", refresh=False)
        self.session.token = Token(body["accessToken"], _time(body["expires"]))
        self.session.refreshes += 1
        return self.session.token

    def _bearer(self, refresh: bool) -> str:
        token = self.session.token
        if token is None or self._clock() >= token.expires:
            token = self.login()
        elif refresh and self._clock() >= token.expires - self.refresh_before:
            token = self.refresh()
        return token.access_token

    # --- for the stream consumer (clients/metasys_stream.py) ---------------------------

    @property
    def http(self) -> httpx.Client:
        return self._http

    def bearer(self) -> str:
        """The current token, logging in or refreshing (ahead of its expiry) as needed."""
        return self._bearer(True)

    def check(self, response: httpx.Response) -> Any:
        return self._checked(response)

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        return self._request(method, path_or_url, **kwargs)

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response itself (for its headers), after the usual error checks."""
        response = self._respond(method, f"{self.base_url}{path}", True, **kwargs)
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
        if response.status_code >= 400:
            kind = ERRORS.get(response.status_code, MetasysError)
            raise kind(response.status_code, response_body(response), response.headers)
        if not response.content:
            return None
        return response.json()

    def _send(self, method: str, url: str, refresh: bool, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self._bearer(refresh)}"}
        return self._http.request(method, url, headers=headers, **kwargs)

    def _request(
        self, method: str, path_or_url: str, *, refresh: bool = True, **kwargs: Any
    ) -> Any:
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        return self._checked(self._respond(method, url, refresh, **kwargs))

    def _respond(self, method: str, url: str, refresh: bool, **kwargs: Any) -> httpx.Response:
        """The answer once a 401 has cost one login and too many requests (403 with
        Retry-After) were waited out; MetasysTooManyRequests after ``max_retries`` waits."""
        response = self._send(method, url, refresh, **kwargs)
        if response.status_code == 401:
            self.login()
            response = self._send(method, url, False, **kwargs)
        retries = 0
        while response.status_code == 403 and "retry-after" in response.headers:
            wait = _seconds(response.headers["retry-after"])
            if retries >= self.max_retries:
                raise MetasysTooManyRequests(
                    response.status_code,
                    response_body(response),
                    response.headers,
                    retry_after=wait,
                )
            retries += 1
            self._sleep(wait)
            response = self._send(method, url, refresh, **kwargs)
        return response

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, fetched a page at a time as the caller iterates."""
        body = self._request("GET", path, params=dict(params or {}))
        while True:
            yield from body.get("items", [])
            next_url = body.get("next")
            if not next_url:
                return
            body = self._request("GET", next_url)

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
        response = self._respond("POST", url, True, json=body)
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


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    utc = moment.astimezone(dt.UTC)
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _seconds(value: str) -> float:
    seconds = retry_after_delay(value)
    # An absurd Retry-After (negative, NaN, infinite, over an hour) must not stall the caller.
    return seconds if seconds is not None and seconds <= 3600.0 else DEFAULT_RETRY_AFTER
