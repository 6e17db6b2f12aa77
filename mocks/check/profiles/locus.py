"""Locus Energy v3 (SolarNOC): password-grant bearer tokens, one request at a time.

The reference limits concurrency, not a rate: one request in flight per credential. The check
sends its requests one after the other on one session (schemathesis' examples and its checks'
follow-up requests alike), so it never has two in flight.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from standin.check.profiles.base import CredentialsRefused, Target, is_positive

if TYPE_CHECKING:
    from standin.check.profiles.base import Case

TOKEN_PATH = "/oauth/token"
EXPIRY_MARGIN = 60.0
"""Seconds before its announced expiry that a token is replaced, so none expires in flight."""
ZONES = (
    "UTC",
    "US/Pacific",
    "US/Eastern",
    "America/Los_Angeles",
    "America/New_York",
    "Pacific/Honolulu",
    "Australia/Adelaide",
    "Europe/Berlin",
)
"""Zones a positive case asks in: generated names are rarely zones at all."""
SPANS = {
    "latest": timedelta(hours=1),
    "1min": timedelta(hours=3),
    "5min": timedelta(days=2),
    "15min": timedelta(days=3),
    "hourly": timedelta(days=5),
    "daily": timedelta(days=40),
    "monthly": timedelta(days=200),
    "yearly": timedelta(days=800),
}
"""The period a positive data request asks for: within the reference's limit per granularity
(1min < 5 days; 5min, 15min, hourly < 31 days; daily < 1 year; bulk monthly at most a year)."""
OPEN_DURING = timedelta(days=30)
"""A partner's alerts need ``updatedSince`` (at most 7 days back, on the target's clock, which
the check cannot read) or an open-during window of at most 31 days (on no clock at all)."""


def crc(seed: object) -> int:
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def _mostly(seed: object) -> bool:
    """Three times in four, decided by ``seed`` (so a seeded run replays the same choices)."""
    return crc(seed) % 4 != 0


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _moment(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=None) if 1970 <= moment.year <= 2100 else None


class LocusWorld:
    """The partner's clients, sites and components, and what data each has: asked of the
    target once each, through the paced session."""

    def __init__(self, connection: LocusConnection) -> None:
        self.connection = connection
        partner = connection.partner_id
        self.partner = partner
        self.clients = self._ids(f"/v3/partners/{partner}/clients", "clients")
        self.sites = self._ids(f"/v3/partners/{partner}/sites", "sites")
        self.components = self._ids(f"/v3/partners/{partner}/components", "components")
        self._fields: dict[str, list[dict[str, Any]]] = {}

    def _ids(self, path: str, key: str) -> list[int]:
        if self.partner is None:
            return []
        found = (self.connection.get(path) or {}).get(key, [])
        ids = [item.get("id") for item in found if isinstance(item, dict)]
        return sorted(i for i in ids if isinstance(i, int))

    def fields(self, path: str) -> list[dict[str, Any]]:
        """The base fields ``path`` (an entity's ``dataavailable``) lists."""
        if path not in self._fields:
            found = (self.connection.get(path) or {}).get("baseFields", [])
            self._fields[path] = [f for f in found if isinstance(f, dict)]
        return self._fields[path]


class LocusConnection:
    def __init__(self, target: Target) -> None:
        self.target = target
        creds = target.credentials
        self.client_id = str(creds["client_id"])
        self.client_secret = str(creds["client_secret"])
        self.username = None if creds.get("username") is None else str(creds["username"])
        self.password = None if creds.get("password") is None else str(creds["password"])
        partner = creds.get("partner_id")
        self.partner_id = None if partner is None else int(partner)
        self._token: str | None = None
        self._expires_at = 0.0
        self._world: LocusWorld | None = None

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
        """A password-grant access token (client credentials without a user), replaced shortly
        before it expires."""
        if self._token is None or self.target.clock() >= self._expires_at:
            answer = self._grant(self._login())
            self._token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in", 3600))
            self._expires_at = self.target.clock() + max(0.0, lifetime - EXPIRY_MARGIN)
        return self._token

    def _login(self) -> dict[str, str]:
        if self.username is not None and self.password is not None:
            return {"grant_type": "password", "username": self.username, "password": self.password}
        return {"grant_type": "client_credentials"}

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

    def get(self, path: str) -> dict[str, Any] | None:
        response = self.target.session.get(
            self.target.url(path),
            headers={"Authorization": f"Bearer {self.token()}", "Accept": "application/json"},
            timeout=30,
        )
        if response.status_code != 200:
            return None
        answer = response.json()
        return answer if isinstance(answer, dict) else None

    def world(self) -> LocusWorld:
        if self._world is None:
            self._world = LocusWorld(self)
        return self._world

    # --- case preparation --------------------------------------------------------------------

    def prepare(self, case: Case) -> None:
        if not is_positive(case):
            return
        path = case.operation.path
        if path == TOKEN_PATH:
            if isinstance(case.body, dict):
                self._prepare_token_request(case, dict(case.body))
            return
        self._prepare_path(case)
        if path.endswith("/data"):
            self._prepare_data_query(case)
        elif path.endswith("/alerts"):
            self._prepare_alert_query(case)

    def _prepare_token_request(self, case: Case, body: dict[str, Any]) -> None:
        """The real client id and secret; a real user; a refresh token the target issued."""
        body["client_id"], body["client_secret"] = self.client_id, self.client_secret
        grant = body.get("grant_type")
        has_user = self.username is not None and self.password is not None
        if grant in ("password", "refresh_token") and not has_user:
            body = {k: v for k, v in body.items() if k not in ("username", "password")}
            body["grant_type"] = "client_credentials"
        elif grant == "password":
            body["username"], body["password"] = self.username, self.password
        elif grant == "refresh_token":
            body["refresh_token"] = str(self._grant(self._login())["refresh_token"])
        case.body = body

    def _prepare_path(self, case: Case) -> None:
        """Generated ids mostly become real ones, so that 200s are seen, not only 404s."""
        world = self.world()
        params = dict(case.path_parameters or {})
        for name, value in params.items():
            if not _mostly(("path", value)):
                continue
            if name == "partnerId" and world.partner is not None:
                params[name] = world.partner
            elif name in ("siteId", "clientId", "componentId"):
                known = {
                    "siteId": world.sites,
                    "clientId": world.clients,
                    "componentId": world.components,
                }[name]
                if known:
                    params[name] = known[crc(value) % len(known)]
        case.path_parameters = params

    def _available(self, case: Case, gran: str) -> list[dict[str, Any]]:
        """The base fields of the case's entity that ``gran`` serves."""
        path = case.operation.path
        identifier = next(iter((case.path_parameters or {}).values()), None)
        if path.endswith("/sites/data"):
            listing = f"/v3/partners/{identifier}/sites/dataavailable"
        elif path.startswith("/v3/components/"):
            listing = f"/v3/components/{identifier}/dataavailable"
        else:
            listing = f"/v3/sites/{identifier}/dataavailable"
        return [f for f in self.world().fields(listing) if gran in f.get("granularities", [])]

    def _entity_with_data(self, case: Case, gran: str) -> list[dict[str, Any]]:
        """The case's entity's fields at ``gran``; when it has none, the first entity of its
        kind that has some takes its place (an entity without data refuses every field)."""
        available = self._available(case, gran)
        if available or not case.path_parameters:
            return available
        name = next(iter(case.path_parameters))
        world = self.world()
        candidates = {"siteId": world.sites, "componentId": world.components}.get(name, [])
        for candidate in candidates:
            case.path_parameters = {name: candidate}
            available = self._available(case, gran)
            if available:
                return available
        return []

    def _prepare_data_query(self, case: Case) -> None:
        """Fields the entity has at the granularity, their field parameters, a period the
        granularity allows, a zone that exists."""
        query = dict(case.query or {})
        gran = str(query.get("gran", ""))
        query["tz"] = ZONES[crc(("tz", query.get("tz"))) % len(ZONES)]
        available = self._entity_with_data(case, gran)
        names = [
            str(a["shortName"])
            for f in available
            for a in f.get("aggregations", [])
            if isinstance(a, dict) and "shortName" in a
        ]
        if names:
            wanted = str(query.get("fields", "")).split(",")[:3]
            chosen = list(dict.fromkeys(names[crc(w) % len(names)] for w in wanted))
            query["fields"] = ",".join(chosen)
            for parameter in _parameters_of(available, chosen):
                name, values = parameter
                if query.get(name) not in values:
                    query[name] = values[crc((name, query.get(name))) % len(values)]
        start = _moment(query.get("start")) or datetime(2024, 6, 1)
        start = start.replace(year=max(2015, min(start.year, 2026)))
        query["start"] = _timestamp(start)
        query["end"] = _timestamp(start + SPANS.get(gran, timedelta(hours=1)))
        case.query = query

    def _prepare_alert_query(self, case: Case) -> None:
        """A zone that exists, well-formed times, an open-during window in order (at most 31
        days for a partner, which needs one)."""
        query = dict(case.query or {})
        query["tz"] = ZONES[crc(("tz", query.get("tz"))) % len(ZONES)]
        for name in ("updatedSince", "openDuringMin", "openDuringMax"):
            if name in query and _moment(query[name]) is None:
                query.pop(name)
        low, high = _moment(query.get("openDuringMin")), _moment(query.get("openDuringMax"))
        partner = case.operation.path.startswith("/v3/partners/")
        if low is None or high is None or high <= low or (partner and high - low > OPEN_DURING):
            query.pop("openDuringMin", None)
            query.pop("openDuringMax", None)
            if partner:
                high = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
                low = high - OPEN_DURING
                query["openDuringMin"], query["openDuringMax"] = _timestamp(low), _timestamp(high)
        if partner:
            query.pop("updatedSince", None)
        case.query = query


def _parameters_of(
    available: list[dict[str, Any]], chosen: list[str]
) -> list[tuple[str, list[str]]]:
    """The field parameters (name, allowed values) the chosen short names need."""
    found: dict[str, list[str]] = {}
    for base in available:
        names = {a.get("shortName") for a in base.get("aggregations", []) if isinstance(a, dict)}
        if not names & set(chosen):
            continue
        for parameter in base.get("fieldParameters", []):
            if not isinstance(parameter, dict):
                continue
            values = [str(v) for v in parameter.get("values", [])]
            if values:
                found.setdefault(str(parameter.get("param")), values)
    return list(found.items())


class LocusProfile:
    api = "locus"
    requests_per_minute = 600
    """**Sandbox choice:** the reference limits concurrency (one request at a time per
    credential), not a rate, and the check never has two requests in flight; it paces itself at
    ten a second all the same, so as not to hammer a live service."""
    rate_limit = (
        "the check sends Locus at most {limit} requests a minute (Locus limits concurrency, "
        "not rate)"
    )
    token_operations = frozenset({f"POST {TOKEN_PATH}"})

    unsupported: Mapping[str, str] = MappingProxyType({})

    def connect(self, target: Target) -> LocusConnection:
        return LocusConnection(target)
