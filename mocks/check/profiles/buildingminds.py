"""BuildingMinds: an Azure AD client-credentials token (a JWT) sent as a bearer token, 100
requests a minute per credential.

The token endpoint is Azure AD's, on another host than the API
(``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`` beside
``https://api.onbuildingminds.com/api/digitaltwinintegration/...``); a standin serves both under
one prefix. Where the connection gets its tokens, the first that applies:

1. ``token_url`` in the credentials, as given;
2. ``login_url`` in the credentials, with ``/{tenant}/oauth2/v2.0/token`` after it;
3. the vendor's base URL (host ``api.onbuildingminds.com``): Azure AD's own login host;
4. any other base URL (a standin, under its prefix or at its root): the base URL itself.

The tenant is ``tenant`` from the credentials (the guide's ``buildingminds.onmicrosoft.com``
when there is none). The contract's own Azure AD operations (token, OpenID configuration, keys)
are sent to the same login host as the tokens (rules 1 to 4, the token path taken off
``token_url``), the API's to the base URL.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from standin.check.profiles.base import CredentialsRefused, Target, is_positive

if TYPE_CHECKING:
    from standin.check.profiles.base import Case

TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"
AZURE_AD = "/{tenant}/"
"""Paths of Azure AD's (token, discovery): no bearer token, the tenant in the path."""
API = "/api/digitaltwinintegration/"
INBOUND_PATH = "/api/digitaltwinintegration/batch/{batchId}/inbound"
VENDOR_API_HOST = "api.onbuildingminds.com"
VENDOR_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_TENANT = "buildingminds.onmicrosoft.com"
SCOPE_SUFFIX = "/.default"
EXPIRY_MARGIN = 60.0
"""Seconds before its announced expiry that a token is replaced, so none expires in flight."""
INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
"""The records' date-time pattern (``validFrom``, ``validUntil``, ...)."""


def _crc(seed: object) -> int:
    return zlib.crc32(repr(seed).encode("utf-8", "surrogatepass"))


def _mostly(seed: object) -> bool:
    """Three times in four, decided by ``seed`` (so a seeded run replays the same choices)."""
    return _crc(seed) % 4 != 0


def login_url(base_url: str, credentials: Mapping[str, Any]) -> str:
    """Where Azure AD's paths (``/{tenant}/...``) start for ``base_url``'s API: the login host of
    ``token_url`` or ``login_url`` in the credentials, else Azure AD's own login host for the
    vendor's base URL, else ``base_url`` itself (a standin serves both)."""
    explicit = credentials.get("token_url")
    if isinstance(explicit, str) and explicit:
        tenant = quote(str(credentials.get("tenant") or DEFAULT_TENANT), safe="")
        suffix = f"/{tenant}/oauth2/v2.0/token"
        if explicit.endswith(suffix):
            return explicit.removesuffix(suffix)
    login = credentials.get("login_url")
    if isinstance(login, str) and login:
        return login.rstrip("/")
    vendor = urlsplit(base_url).hostname == VENDOR_API_HOST
    return VENDOR_LOGIN_URL if vendor else base_url.rstrip("/")


def token_url(base_url: str, credentials: Mapping[str, Any]) -> str:
    """Where Azure AD answers for ``base_url``'s API (see the module's docstring)."""
    explicit = credentials.get("token_url")
    if isinstance(explicit, str) and explicit:
        return explicit
    tenant = quote(str(credentials.get("tenant") or DEFAULT_TENANT), safe="")
    return f"{login_url(base_url, credentials)}/{tenant}/oauth2/v2.0/token"


def _real_instant(seed: object) -> str:
    """A date-time of the records' pattern that is a real date (a generated one may be Feb 30)."""
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=_crc(seed) % 3_000_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class BuildingMindsConnection:
    def __init__(self, target: Target) -> None:
        self.target = target
        creds = target.credentials
        self.client_id = str(creds["client_id"])
        self.client_secret = str(creds["client_secret"])
        scope = str(creds["scope"])
        self.scope = scope if scope.endswith(SCOPE_SUFFIX) else scope.rstrip("/") + SCOPE_SUFFIX
        self.tenant = str(creds.get("tenant") or DEFAULT_TENANT)
        self.token_url = token_url(target.base_url, creds)
        self.login_url = login_url(target.base_url, creds)
        self._token: str | None = None
        self._expires_at = 0.0
        self._batches: list[str] | None = None

    # --- authentication ------------------------------------------------------------------------

    def authenticate(self) -> None:
        self.token()

    def operation_base_url(self, path: str) -> str | None:
        """Azure AD's operations go to the login host, the API's to the base URL."""
        return self.login_url if path.startswith(AZURE_AD) else None

    def credential(self, case: Case) -> str | None:
        if case.operation.path.startswith(AZURE_AD):
            return None
        return self.token()

    def apply(self, case: Case, credential: str) -> None:
        case.headers["Authorization"] = f"Bearer {credential}"

    def form(self) -> dict[str, str]:
        """The client-credentials grant, as the guide's step 1 sends it."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": self.scope,
            "grant_type": "client_credentials",
        }

    def token(self) -> str:
        """An access token, replaced shortly before it expires (there is no refresh token)."""
        if self._token is None or self.target.clock() >= self._expires_at:
            response = self.target.session.post(self.token_url, data=self.form(), timeout=30)
            if response.status_code != 200:
                raise CredentialsRefused(
                    f"POST {self.token_url} answered {response.status_code}: {response.text[:200]}"
                )
            answer: dict[str, Any] = response.json()
            self._token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in", 3599))
            self._expires_at = self.target.clock() + max(0.0, lifetime - EXPIRY_MARGIN)
        return self._token

    # --- case preparation --------------------------------------------------------------------

    def prepare(self, case: Case) -> None:
        """The real tenant in Azure AD's paths (unless the path is what a negative case made
        invalid); in positive cases the real client at the token endpoint, mostly a real batch
        for its inbound messages, and real calendar dates in records."""
        path = case.operation.path
        if path.startswith(AZURE_AD) and not _negative_path(case):
            case.path_parameters = {**(case.path_parameters or {}), "tenant": self.tenant}
        if not is_positive(case):
            return
        if path == TOKEN_PATH and isinstance(case.body, dict):
            case.body = {**case.body, **self.form()}
        elif path == INBOUND_PATH:
            params = dict(case.path_parameters or {})
            batch = params.get("batchId")
            batches = self.batches()
            if isinstance(batch, str) and batches and _mostly(("batch", batch)):
                params["batchId"] = batches[_crc(batch) % len(batches)]
            case.path_parameters = params
        elif path.startswith(API) and isinstance(case.body, list):
            case.body = [_real_dates(record) for record in case.body]

    def batches(self) -> list[str]:
        """The ids of the target's latest batches (the first page), asked once."""
        if self._batches is None:
            response = self.target.session.get(
                self.target.url("/api/digitaltwinintegration/batch"),
                params={"limit": "100"},
                headers={"Authorization": f"Bearer {self.token()}"},
                timeout=30,
            )
            answer = response.json() if response.status_code == 200 else {}
            data = answer.get("data") if isinstance(answer, dict) else None
            self._batches = [
                str(item["batchId"])
                for item in (data if isinstance(data, list) else [])
                if isinstance(item, dict) and "batchId" in item
            ]
        return self._batches


def _negative_path(case: Case) -> bool:
    # Imported here, as the other profiles do: listing the profiles needs no schemathesis.
    from schemathesis.core.parameters import ParameterLocation

    return case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)


def _real_dates(record: Any) -> Any:
    if not isinstance(record, dict):
        return record
    return {
        name: _real_instant(value) if isinstance(value, str) and INSTANT.fullmatch(value) else value
        for name, value in record.items()
    }


class BuildingMindsProfile:
    api = "buildingminds"
    requests_per_minute = 100
    """The guide: "100 requests per minute per credential"."""
    rate_limit = "BuildingMinds allows {limit} requests per credential a minute"
    token_operations = frozenset({f"POST {TOKEN_PATH}"})

    unsupported: Mapping[str, str] = MappingProxyType({})

    def connect(self, target: Target) -> BuildingMindsConnection:
        return BuildingMindsConnection(target)
