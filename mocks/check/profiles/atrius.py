"""Atrius (BuildingOS): OAuth client-credentials bearer tokens, 100 requests a minute."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from standin.check.profiles import atrius_writes as writes
from standin.check.profiles.atrius_writes import AtriusWorld, Unit
from standin.check.profiles.base import CredentialsRefused, Target, is_positive

if TYPE_CHECKING:
    from standin.check.profiles.base import Case

TOKEN_PATH = "/o/token/"
EXPIRY_MARGIN = 60.0
"""Seconds before its announced expiry that a token is replaced, so none expires in flight."""


def _mostly(seed: object) -> bool:
    """Three times in four, decided by ``seed`` (so a seeded run replays the same choices)."""
    return writes.crc(seed) % 4 != 0


_pick = writes.pick


class AtriusConnection:
    def __init__(self, target: Target) -> None:
        self.target = target
        creds = target.credentials
        self.client_id = str(creds["client_id"])
        self.client_secret = str(creds["client_secret"])
        self.username = creds.get("username")
        self.password = creds.get("password")
        self.gateway = creds.get("gateway")
        self.organization = creds.get("organization")
        self._token: str | None = None
        self._expires_at = 0.0
        self._world: AtriusWorld | None = None

    # --- authentication ------------------------------------------------------------------------

    def authenticate(self) -> None:
        self.token()

    def credential(self, case: Case) -> str | None:
        if case.operation.path == TOKEN_PATH:
            return None
        return self.token()

    def apply(self, case: Case, credential: str) -> None:
        case.headers["Authorization"] = f"Bearer {credential}"

    def token(self) -> str:
        """A client-credentials access token, replaced shortly before it expires."""
        if self._token is None or self.target.clock() >= self._expires_at:
            answer = self._grant({"grant_type": "client_credentials"})
            self._token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in", 3600))
            self._expires_at = self.target.clock() + max(0.0, lifetime - EXPIRY_MARGIN)
        return self._token

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        response = self.target.session.post(
            self.target.url(TOKEN_PATH),
            data={**form, "client_id": self.client_id, "client_secret": self.client_secret},
            timeout=30,
        )
        if response.status_code != 200:
            raise CredentialsRefused(
                f"POST {TOKEN_PATH} answered {response.status_code}: {response.text[:200]}"
            )
        answer: dict[str, Any] = response.json()
        return answer

    # --- case preparation --------------------------------------------------------------------

    def prepare(self, case: Case) -> None:
        path, method = case.operation.path, case.method.upper()
        if not is_positive(case):
            return
        body = case.body
        if path == TOKEN_PATH:
            if isinstance(body, dict):
                self._prepare_token_request(case, body)
            return
        self._prepare_path(case)
        if path.startswith("/meters/{uuid}/data"):
            self._prepare_data_query(case)
        elif path == "/meters/" and method == "GET":
            query = dict(case.query or {})
            buildings = self.world().buildings
            if "building" in query and buildings and _mostly(("building", query["building"])):
                query["building"] = _pick(query["building"], buildings)
            case.query = query
        elif isinstance(body, dict):
            case.body = self._prepared_body(path, method, dict(body), case)

    def _prepared_body(
        self, path: str, method: str, body: dict[str, Any], case: Case
    ) -> dict[str, Any]:
        if path == "/buildings/":
            writes.fix_building(body, self.world())
        elif path == "/meters/":
            writes.fix_meter(body, self.world(), existing=None)
        elif path.startswith("/meters/{uuid}") and method in ("PATCH", "PUT"):
            answer = self._get(f"/meters/{case.path_parameters.get('uuid', '')}") or {}
            existing = answer.get("data")
            writes.fix_meter(
                body, self.world(), existing=existing if isinstance(existing, dict) else None
            )
        elif path.startswith("/gateways/{number}/data"):
            writes.fix_push(body, self.world())
        return body

    def _prepare_token_request(self, case: Case, generated: dict[str, Any]) -> None:
        """The real client, one time in four by HTTP Basic; a real user and refresh token."""
        body = dict(generated)
        if _mostly(("basic", repr(body))):
            body["client_id"], body["client_secret"] = self.client_id, self.client_secret
        else:
            body.pop("client_id", None)
            body.pop("client_secret", None)
            pair = f"{self.client_id}:{self.client_secret}".encode()
            basic = base64.b64encode(pair).decode()
            case.headers["Authorization"] = f"Basic {basic}"
        has_user = self.username is not None and self.password is not None
        grant = body.get("grant_type")
        if grant in ("password", "refresh_token") and not has_user:
            body["grant_type"] = "client_credentials"
        elif grant == "password":
            body["username"], body["password"] = str(self.username), str(self.password)
        elif grant == "refresh_token":
            answer = self._grant(
                {
                    "grant_type": "password",
                    "username": str(self.username),
                    "password": str(self.password),
                }
            )
            body["refresh_token"] = str(answer["refresh_token"])
        case.body = body

    def _prepare_path(self, case: Case) -> None:
        """Generated ids mostly become real ones, so that 200s are seen, not only 404s."""
        params = dict(case.path_parameters or {})
        path = case.operation.path
        for name, value in params.items():
            if not isinstance(value, str) or not _mostly(("path", value)):
                continue
            if name == "number" and self.gateway is not None:
                params[name] = str(self.gateway)
            elif path.startswith("/organizations/") and self.organization is not None:
                params[name] = str(self.organization)
            elif path.startswith("/buildings/") and self.world().buildings:
                params[name] = _pick(value, self.world().buildings)
            elif name == "uuid" and self.world().meters:
                params[name] = _pick(value, self.world().meters)
        case.path_parameters = params

    @staticmethod
    def _prepare_data_query(case: Case) -> None:
        """``start`` not after ``end``, at most 366 days counting both ends."""
        query = dict(case.query or {})
        try:
            start = date.fromisoformat(str(query["start"]))
            end = date.fromisoformat(str(query["end"]))
        except (KeyError, ValueError):
            return
        start, end = min(start, end), max(start, end)
        end = min(end, start + timedelta(days=365))
        query["start"], query["end"] = start.isoformat(), end.isoformat()
        case.query = query

    def world(self) -> AtriusWorld:
        """The target's buildings, meters and units (the first page of each), asked once."""
        if self._world is None:
            units = [
                Unit(str(u["code"]), str(u["resourceType"]), str(u["dimension"]))
                for u in self._list("/units/")
                if {"code", "resourceType", "dimension"} <= set(u)
            ]
            self._world = AtriusWorld(
                organization=None if self.organization is None else str(self.organization),
                gateway=None if self.gateway is None else str(self.gateway),
                buildings=[str(b["id"]) for b in self._list("/buildings/") if "id" in b],
                meters=[str(m["uuid"]) for m in self._list("/meters/") if "uuid" in m],
                units=units,
            )
        return self._world

    def _get(self, path: str, **params: str) -> dict[str, Any] | None:
        response = self.target.session.get(
            self.target.url(path),
            params=params,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        if response.status_code != 200:
            return None
        answer = response.json()
        return answer if isinstance(answer, dict) else None

    def _list(self, path: str) -> list[dict[str, Any]]:
        answer = self._get(path, per_page="1000") or {}
        results = answer.get("results", [])
        return (
            [item for item in results if isinstance(item, dict)]
            if isinstance(results, list)
            else []
        )


class AtriusProfile:
    api = "atrius"
    requests_per_minute = 100
    """**Sandbox choice:** the guide names no figure; the sandbox allows 100 a minute."""
    rate_limit = "Atrius allows {limit} requests per client id in any 60 s"
    token_operations = frozenset({f"POST {TOKEN_PATH}"})

    unsupported: Mapping[str, str] = MappingProxyType({})

    def connect(self, target: Target) -> AtriusConnection:
        return AtriusConnection(target)
