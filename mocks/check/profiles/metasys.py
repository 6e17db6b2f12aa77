"""Metasys REST API v4: a bearer JWT from ``POST /api/v4/login``, renewed with
``GET /api/v4/refreshToken`` before it expires; 600 requests a minute (a sandbox choice)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from standin.check.profiles import metasys_writes as writes
from standin.check.profiles.base import CredentialsRefused, Target, is_positive
from standin.metasys.types import OBJECT_TYPES as OBJECT_TYPE_TABLE

if TYPE_CHECKING:
    from standin.check.profiles.base import Case

V4 = "/api/v4"
LOGIN_PATH = f"{V4}/login"
REFRESH_PATH = f"{V4}/refreshToken"
DEFAULT_LIFETIME = 30 * 60.0
"""Seconds, when neither the token nor its answer says (the guide: per user profile)."""
MAX_LIFETIME = 60 * 60.0
"""The guide: a token that lives longer than 60 minutes is to be refreshed before 60 minutes."""
RENEWAL_MARGIN = 5 * 60.0
"""Seconds before expiry that a token is refreshed, so none expires in flight."""
ENUM_SETS = ("writePriorityEnumSet", "reliabilityEnumSet", "objectTypeEnumSet", "unitEnumSet")
"""Enumeration sets every Metasys site has (the guide names them)."""
OBJECT_TYPES = tuple(f"objectTypeEnumSet.{kind}" for kind in ("avClass", "bvClass", "mvClass"))
"""Object types every Metasys site has, for the schema operations."""
ENGINE_TYPES = frozenset(
    f"objectTypeEnumSet.{short}"
    for short, kind in OBJECT_TYPE_TABLE.items()
    if kind.classification == "device"
)
"""Engines (NAE, SNE, SNC...): the network devices a BACnet/SC certificate operation takes."""
NOT_SUPERVISORS = frozenset({"objectTypeEnumSet.siteClass", "objectTypeEnumSet.containerClass"})
"""Object types at the top of the tree that are not supervisory devices (engines, servers)."""
WELL_KNOWN = f"{V4}/objects/{{objectId}}/objects/wellKnownQuery/"
"""Queries whose object must be a supervisory device."""
CONTROL_PARAMETERS = {
    "paletteId": "01443cbc-d65e-4666-85d5-484a3b1f4f21",
    "blockDefinitionId": "text",
}
"""The LCT palette and its Text block (the reference's examples)."""
ID_PARAMETERS = {
    "objectId": "objects",
    "networkDeviceId": "devices",
    "id": "devices",
    "equipmentId": "equipment",
    "spaceId": "spaces",
    "treeId": "trees",
    "userId": "users",
}


def _crc(seed: object) -> int:
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def _mostly(seed: object) -> bool:
    """Three times in four, decided by ``seed`` (so a seeded run replays the same choices)."""
    return _crc(seed) % 4 != 0


def _pick(seed: object, options: Sequence[str]) -> str:
    return options[_crc(seed) % len(options)]


def token_lifetime(access_token: str, expires: object) -> float:
    """Seconds the token lives: its JWT's ``exp - iat`` (no clock needed, so a standin on a
    moved clock is judged right), else the answer's ``expires`` against this machine's clock."""
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (IndexError, KeyError, TypeError, ValueError):
        try:
            ends = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
            lifetime = (ends - datetime.now(UTC)).total_seconds()
        except ValueError:
            lifetime = DEFAULT_LIFETIME
    return min(max(lifetime, 0.0), MAX_LIFETIME)


@dataclass
class MetasysWorld:
    """Identifiers the target really has (the first page of each list), asked once."""

    objects: list[str]
    references: list[str]
    """The objects' item references (fully qualified)."""
    devices: list[str]
    equipment: list[str]
    spaces: list[str]
    engines: list[str]
    """The devices that are engines: the only ones with BACnet/SC certificates."""
    trees: list[str]
    users: list[str]
    supervisors: list[str]
    """The top objects that are supervisory devices (the site's servers and engines)."""

    def ids(self, kind: str) -> list[str]:
        found: list[str] = getattr(self, kind)
        return found


class MetasysConnection:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.username = str(target.credentials["username"])
        self.password = str(target.credentials["password"])
        self._token: str | None = None
        self._renew_at = 0.0
        self._expires_at = 0.0
        self._world: MetasysWorld | None = None
        self.scratch = writes.Scratch(self._authorized, lambda: self.world().supervisors)

    # --- authentication ------------------------------------------------------------------------

    def authenticate(self) -> None:
        self.token()

    def credential(self, case: Case) -> str | None:
        if case.operation.path == LOGIN_PATH:
            return None
        return self.token()

    def apply(self, case: Case, credential: str) -> None:
        case.headers["Authorization"] = f"Bearer {credential}"

    def token(self) -> str:
        """The session's bearer token: refreshed before it expires, a new login after."""
        now = self.target.clock()
        if self._token is not None and now < self._renew_at:
            return self._token
        if self._token is not None and now < self._expires_at:
            answer = self._call("GET", REFRESH_PATH, self._token)
            if answer is not None:
                return self._keep(answer)
        answer = self._call("POST", LOGIN_PATH, None)
        if answer is None:
            raise CredentialsRefused(f"POST {LOGIN_PATH} refused {self.username}'s credentials")
        return self._keep(answer)

    def _keep(self, answer: dict[str, Any]) -> str:
        token = str(answer["accessToken"])
        lifetime = token_lifetime(token, answer.get("expires"))
        now = self.target.clock()
        self._token = token
        self._expires_at = now + lifetime
        self._renew_at = now + max(0.0, lifetime - min(RENEWAL_MARGIN, lifetime / 2))
        return token

    def _call(self, method: str, path: str, bearer: str | None) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"timeout": 30}
        if bearer is None:
            kwargs["json"] = {"username": self.username, "password": self.password}
        else:
            kwargs["headers"] = {"Authorization": f"Bearer {bearer}"}
        response = self.target.session.request(method, self.target.url(path), **kwargs)
        if response.status_code != 200:
            if bearer is None:
                raise CredentialsRefused(
                    f"POST {LOGIN_PATH} answered {response.status_code}: {response.text[:200]}"
                )
            return None
        answer = response.json()
        return answer if isinstance(answer, dict) and "accessToken" in answer else None

    # --- case preparation --------------------------------------------------------------------

    def prepare(self, case: Case) -> None:
        """Positive cases: the real user logs in, generated ids (in the path, an fqr, an object
        type's parent) mostly become real ones (so 200s are seen, not only 404s), no made-up
        continuation token is sent, ``objectType`` and ``classification`` of a child listing,
        which exclude each other, are not both sent, and writes go to the check's own objects
        (:mod:`.metasys_writes`)."""
        if not is_positive(case):
            return
        path = case.operation.path
        if path == LOGIN_PATH:
            if isinstance(case.body, dict):
                case.body = {**case.body, "username": self.username, "password": self.password}
            return
        self._prepare_path(case)
        if case.method.upper() != "GET":
            self._prepare_write(case)
        query = dict(case.query or {})
        # Only the target issues continuation tokens (bound to their query): a made-up one is
        # rightly refused.
        query.pop("continuationToken", None)
        if path == f"{V4}/objects/{{objectId}}/objects":
            if "objectType" in query and "classification" in query:
                query.pop("classification")
        elif path == f"{V4}/objectIdentifiers" and isinstance(query.get("fqr"), str):
            references = self.world().references
            if references and _mostly(("fqr", query["fqr"])):
                query["fqr"] = _pick(query["fqr"], references)
        elif path.startswith(f"{V4}/schemas/objectTypes/"):
            name = "parentObjectId" if path.endswith("/identification") else "parentId"
            objects = self.world().objects
            if objects and name in query and _mostly(("parent", query[name])):
                query[name] = _pick(query[name], objects)
        case.query = query
        self._write_back(case)

    def _write_back(self, case: Case) -> None:
        """A setting or a user account edit sends what the target holds (the value must fit the
        setting, the read-only properties must be as read), so a write changes nothing."""
        path, params = case.operation.path, case.path_parameters or {}
        if path.endswith("/system/settings/{settingId}"):
            current = self._read(path.removesuffix("/{settingId}"))
            values = current.get("item") if isinstance(current, dict) else None
            key = params.get("settingId")
            if isinstance(values, dict) and key in values:
                case.body = {"item": values[key]}
        elif path == f"{V4}/users/{{userId}}" and case.method.upper() == "PATCH":
            account = self._read(f"{V4}/users/{params.get('userId')}")
            if isinstance(account, dict) and account:
                case.body = account

    def _prepare_write(self, case: Case) -> None:
        """Writes go to the check's own objects (see :mod:`.metasys_writes`)."""
        path, params = case.operation.path, dict(case.path_parameters or {})
        seed = (path, repr(case.body), sorted(params.items()))
        if path == f"{V4}/objects" and case.method.upper() == "POST":
            case.body = self.scratch.new_body() or case.body
        elif path == f"{V4}/objects/{{objectId}}":
            made = self.scratch.new_object() if case.method.upper() == "DELETE" else None
            target = made or self.scratch.kept()
            if target is not None:
                params["objectId"] = target
            if case.method.upper() == "PATCH":
                case.body = writes.description(seed)
        elif path == f"{V4}/objects/{{objectId}}/commands/{{commandId}}":
            kept = self.scratch.kept()
            if kept is not None:
                params.update(objectId=kept, commandId=writes.ADJUST)
                case.body = {"parameters": [float(writes.crc(seed) % 1000) / 10]}
        elif path == f"{V4}/networkDevices/{{networkDeviceId}}" or path.endswith("/bacnet"):
            # Never delete a real device, nor replace an engine's BACnet/SC keys or certificates
            # (a certificate the engine accepts must be signed for its key, by a CA the site
            # trusts): these go to an unknown device and are answered 404.
            params["networkDeviceId"] = writes.unknown_device(seed)
        elif path == f"{V4}/objects/batch":
            writes.fix_batch(case.body, self.scratch.kept(), seed)
        elif path == f"{V4}/activities/batch":
            writes.unique_ids(case.body)
        case.path_parameters = params

    def finish(self) -> None:
        """Delete the objects the run made (see :mod:`.metasys_writes`)."""
        self.scratch.clean_up()

    def _authorized(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return self.target.session.request(
            method, self.target.url(path), headers=headers, timeout=30, **kwargs
        )

    def _prepare_path(self, case: Case) -> None:
        params = dict(case.path_parameters or {})
        enumerations = case.operation.path.startswith(f"{V4}/enumerations/")
        for name, value in params.items():
            if not isinstance(value, str) or not _mostly(("path", value)):
                continue
            if name == "enumId" or (name == "id" and enumerations):
                params[name] = _pick(value, ENUM_SETS)
                continue
            if name == "objectType":
                params[name] = _pick(value, OBJECT_TYPES)
                continue
            if name in CONTROL_PARAMETERS:
                params[name] = CONTROL_PARAMETERS[name]
                continue
            well_known = name == "objectId" and case.operation.path.startswith(WELL_KNOWN)
            kind = "supervisors" if well_known else ID_PARAMETERS.get(name)
            if kind == "devices" and case.operation.path.endswith("/bacnet"):
                kind = "engines"
            if kind is None:
                continue
            ids = self.world().ids(kind)
            if ids:
                params[name] = _pick(value, ids)
        case.path_parameters = params

    def world(self) -> MetasysWorld:
        if self._world is None:
            objects = self._items(f"{V4}/objects", depth="1", flatten="true")
            devices = self._items(f"{V4}/networkDevices")
            tops = [item for item in objects if item.get("objectType") not in NOT_SUPERVISORS]
            self._world = MetasysWorld(
                objects=_values(objects, "id"),
                references=_values(objects, "itemReference"),
                devices=_values(devices, "id"),
                equipment=_values(self._items(f"{V4}/equipment"), "id"),
                spaces=_values(self._items(f"{V4}/spaces"), "id"),
                engines=_values(
                    [d for d in devices if str(d.get("objectType")) in ENGINE_TYPES], "id"
                ),
                trees=_values(self._items(f"{V4}/objects/trees"), "id"),
                users=_values(self._items(f"{V4}/users"), "id"),
                supervisors=_values(tops, "id"),
            )
        return self._world

    def _read(self, path: str, **params: str) -> Any:
        response = self.target.session.get(
            self.target.url(path),
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        return response.json() if response.status_code == 200 else {}

    def _items(self, path: str, **params: str) -> list[dict[str, Any]]:
        answer = self._read(path, **params)
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            return []
        return [item for item in items if isinstance(item, dict)]


def _values(items: list[dict[str, Any]], key: str) -> list[str]:
    return [str(item[key]) for item in items if isinstance(item.get(key), str)]


class MetasysProfile:
    api = "metasys"
    requests_per_minute = 600
    """**Sandbox choice:** the guide answers too many requests with 403 but names no figure;
    the sandbox allows 600 a minute per user."""
    rate_limit = "Metasys allows {limit} requests per user per clock minute"
    token_operations = frozenset({f"POST {LOGIN_PATH}", f"GET {REFRESH_PATH}"})
    throttle_status = 403
    """Metasys refuses too many requests with 403 and Retry-After: waited out like a 429."""

    unsupported: Mapping[str, str] = MappingProxyType(
        {
            "GET /api/v4/stream": (
                "an endless Server-Sent Events stream: a check of whole answers cannot end it"
            ),
            "POST /api/v4/networkDevices/certificates/bacnet": (
                "imports a ZIP of certificates signed for the engines' own keys onto them: such a "
                "file cannot be generated, and a check must not replace a site's certificates"
            ),
        }
    )

    def connect(self, target: Target) -> MetasysConnection:
        return MetasysConnection(target)
