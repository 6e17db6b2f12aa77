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

from mocks.check.profiles.base import CredentialsRefused, Target, is_positive

if TYPE_CHECKING:
    from mocks.check.profiles.base import Case

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
        type's parent) mostly become real ones (so 200s are seen, not only 404s), and
        ``objectType`` and ``classification`` of a child listing, which exclude each other, are
        not both sent."""
        if not is_positive(case):
            return
        path = case.operation.path
        if path == LOGIN_PATH:
            if isinstance(case.body, dict):
                case.body = {**case.body, "username": self.username, "password": self.password}
            return
        self._prepare_path(case)
        query = dict(case.query or {})
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
            kind = ID_PARAMETERS.get(name)
            if kind is None:
                continue
            ids = self.world().ids(kind)
            if ids:
                params[name] = _pick(value, ids)
        case.path_parameters = params

    def world(self) -> MetasysWorld:
        if self._world is None:
            objects = self._items(f"{V4}/objects", depth="1", flatten="true")
            self._world = MetasysWorld(
                objects=_values(objects, "id"),
                references=_values(objects, "itemReference"),
                devices=_values(self._items(f"{V4}/networkDevices"), "id"),
                equipment=_values(self._items(f"{V4}/equipment"), "id"),
                spaces=_values(self._items(f"{V4}/spaces"), "id"),
            )
        return self._world

    def _items(self, path: str, **params: str) -> list[dict[str, Any]]:
        response = self.target.session.get(
            self.target.url(path),
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        answer = response.json() if response.status_code == 200 else {}
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
    token_operations = frozenset({f"POST {LOGIN_PATH}", f"GET {REFRESH_PATH}"})
    throttle_status = 403
    """Metasys refuses too many requests with 403 and Retry-After: waited out like a 429."""

    unsupported: Mapping[str, str] = MappingProxyType(
        {
            "GET /api/v4/stream": (
                "an endless Server-Sent Events stream: tests/metasys streams it over a socket"
            )
        }
    )

    def connect(self, target: Target) -> MetasysConnection:
        return MetasysConnection(target)
