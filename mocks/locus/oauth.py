"""The token endpoint's decisions (password, refresh_token, client_credentials), without HTTP."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from standin._core.oauth import ClientAuth
from standin._core.tenants import Tenant, TenantRegistry
from standin._core.tokens import TokenIssuer, TokenRejected
from standin.locus import errors

GRANTS = ("password", "refresh_token", "client_credentials")
TOKEN_LIFETIME = 3600
"""An hour, as every token response in the reference says."""
REFRESH_LIFETIME = 30 * 86400
"""**Sandbox choice:** the reference gives no lifetime for refresh tokens."""
BASIC_CHALLENGE = 'Basic realm="locusenergy"'
"""RFC 6749 5.2: a client that tried HTTP Basic is answered 401 with the Basic challenge."""


def grant_token(
    form: Mapping[str, str],
    basic: ClientAuth | None,
    tenants: TenantRegistry,
    issuer: TokenIssuer,
) -> dict[str, Any]:
    """The token answer for ``form``; the client authenticates in the body or by ``basic``.

    **Sandbox choice:** a refresh token stays valid, for any number of refreshes, until its own
    expiry (``REFRESH_LIFETIME`` after the login). It is not rotated because the reference's
    refresh answer carries no ``refresh_token`` ("Only returned for password grant type"): a
    client keeps the one it has, as RFC 6749 section 6 expects when none is issued and as
    requests-oauthlib and Authlib do. Revoking it on use would end every login at its first
    refresh.
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise errors.oauth(400, "invalid_request", "Missing grant_type parameter")
    if grant_type not in GRANTS:
        raise errors.oauth(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    client = basic or ClientAuth(form.get("client_id", ""), form.get("client_secret", ""))
    tenant = _authenticated(client, tenants, by_basic=basic is not None)
    credentials = tenant.credentials["locus"]
    subject = client.client_id
    if grant_type == "password":
        for name in ("username", "password"):
            if not form.get(name):
                raise errors.oauth(400, "invalid_request", f"Missing {name} parameter")
        if form["username"] != credentials["username"] or not _same(
            credentials["password"], form["password"]
        ):
            raise errors.oauth(400, "invalid_grant", "Invalid username or password")
        subject = form["username"]
    elif grant_type == "refresh_token":
        value = form.get("refresh_token")
        if not value:
            raise errors.oauth(400, "invalid_request", "Missing refresh_token parameter")
        try:
            previous = issuer.validate(value, kind="refresh")
        except TokenRejected:
            raise errors.oauth(400, "invalid_grant", "Invalid refresh token") from None
        if previous.client_id != client.client_id:
            raise errors.oauth(400, "invalid_grant", "Invalid refresh token")
        subject = previous.subject
    token = issuer.issue(tenant_id=tenant.id, subject=subject, client_id=client.client_id)
    issued_at = int(token.issued_at)
    if grant_type == "client_credentials":
        return {"access_token": token.value, "issued_at": issued_at, "expires_in": TOKEN_LIFETIME}
    body: dict[str, Any] = {
        "access_token": token.value,
        "issued_at": issued_at,
        "token_type": "bearer",
    }
    if grant_type == "password":
        body["refresh_token"] = issuer.issue_refresh(token).value
    body["expires_in"] = TOKEN_LIFETIME
    return body


def _authenticated(client: ClientAuth, tenants: TenantRegistry, *, by_basic: bool) -> Tenant:
    """The client's tenant, or 401 ``invalid_client`` (RFC 6749 2.3.1: body or HTTP Basic)."""
    tenant = tenants.resolve("locus", client.client_id) if client.client_id else None
    if tenant is not None and _same(
        tenant.credentials["locus"]["client_secret"], client.client_secret
    ):
        return tenant
    challenge = BASIC_CHALLENGE if by_basic else None
    raise errors.oauth(401, "invalid_client", "Client authentication failed", challenge)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
