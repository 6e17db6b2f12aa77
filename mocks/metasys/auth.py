"""Login and refresh: signed JWTs whose lifetime is the user's profile setting (default 30 min).

Only users whose access type is API may log in; others are refused with 403."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from standin._core.seam import bearer_token
from standin._core.tokens import IssuedToken, JwtSigner, TokenIssuer, TokenRejected
from standin.metasys import errors
from standin.metasys.state.model import User
from standin.metasys.state.site import MetasysState

DEFAULT_LIFETIME = 30 * 60


class LazyJwtSigner(JwtSigner):
    """A JwtSigner whose RSA key is made on first use: making one takes tens of milliseconds,
    and most sandboxes (every test of another API) never sign a Metasys token."""

    def __init__(self, key_id: str) -> None:  # the key is made by _ready()
        self.key_id = key_id
        self.algorithm = "RS256"
        self._made = False

    def _ready(self) -> None:
        if not self._made:
            JwtSigner.__init__(self, self.key_id)
            self._made = True

    def sign(self, claims: Mapping[str, Any]) -> str:
        self._ready()
        return super().sign(claims)

    def decode(self, token: str) -> dict[str, Any]:
        self._ready()
        return super().decode(token)

    def jwks(self) -> dict[str, Any]:
        self._ready()
        return super().jwks()


@dataclass(frozen=True)
class Session:
    token: IssuedToken
    user: User


def expires_text(token: IssuedToken) -> str:
    assert token.expires_at is not None
    return datetime.fromtimestamp(token.expires_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_body(token: IssuedToken) -> dict[str, Any]:
    return {"accessToken": token.value, "expires": expires_text(token)}


def login(
    body: Any, tenant_id: str | None, state: MetasysState | None, issuer: TokenIssuer
) -> IssuedToken:
    """Check the credentials (401 if wrong, 403 if not an API user) and issue a token."""
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    username, password = body.get("username"), body.get("password")
    for name, value in (("username", username), ("password", password)):
        if value is not None and not isinstance(value, str):
            raise errors.bad_request(f"{name} must be a string.")
    user = None if state is None or not isinstance(username, str) else state.user(username)
    if (
        tenant_id is None
        or user is None
        or not isinstance(password, str)
        or not hmac.compare_digest(user.password.encode(), password.encode())
    ):
        raise errors.unauthorized()
    if not user.is_api_user:
        raise errors.forbidden("Invalid user type: the account does not have API access.")
    return issue(issuer, tenant_id, user)


def issue(issuer: TokenIssuer, tenant_id: str, user: User) -> IssuedToken:
    return issuer.issue(
        tenant_id=tenant_id,
        subject=user.username,
        claims={"unique_name": user.username, "userId": user.id},
        lifetime_seconds=user.token_minutes * 60 or DEFAULT_LIFETIME,
    )


def stream_token(request: Request, issuer: TokenIssuer) -> IssuedToken:
    """The bearer header, or the ``access_token`` query parameter (EventSource clients cannot
    set headers; the reference allows it on ``GET /stream`` only); 401 as for :func:`bearer`."""
    header = request.headers.get("authorization")
    if header is not None:
        return bearer(header, issuer)
    value = request.query_params.get("access_token")
    if not value:
        raise errors.unauthorized()
    try:
        return issuer.validate(value)
    except TokenRejected:
        raise errors.unauthorized() from None


def bearer(header: str | None, issuer: TokenIssuer) -> IssuedToken:
    """The token of an ``Authorization: Bearer <token>`` header (the guide also writes
    ``Bearer: <token>``); 401 if missing, malformed, unknown or expired."""
    return bearer_token(header, issuer, errors.unauthorized, schemes=("bearer", "bearer:"))
