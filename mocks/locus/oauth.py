"""The token endpoint's decisions (password, refresh_token, client_credentials), without HTTP."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from standin._core.tenants import TenantRegistry
from standin._core.tokens import TokenIssuer, TokenRejected
from standin.locus import errors

GRANTS = ("password", "refresh_token", "client_credentials")
TOKEN_LIFETIME = 3600
"""An hour, as every token response in the reference says."""
REFRESH_LIFETIME = 30 * 86400
"""**Sandbox choice:** the reference gives no lifetime for refresh tokens."""


def grant_token(
    form: Mapping[str, str], tenants: TenantRegistry, issuer: TokenIssuer
) -> dict[str, Any]:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise errors.oauth(400, "invalid_request", "Missing grant_type parameter")
    if grant_type not in GRANTS:
        raise errors.oauth(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    client_id = form.get("client_id", "")
    tenant = tenants.resolve("locus", client_id) if client_id else None
    if tenant is None or not _same(
        tenant.credentials["locus"]["client_secret"], form.get("client_secret", "")
    ):
        raise errors.oauth(401, "invalid_client", "Client authentication failed")
    credentials = tenant.credentials["locus"]
    subject = client_id
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
            previous = issuer.redeem_refresh(value)
        except TokenRejected:
            raise errors.oauth(400, "invalid_grant", "Invalid refresh token") from None
        if previous.client_id != client_id:
            raise errors.oauth(400, "invalid_grant", "Invalid refresh token")
        subject = previous.subject
    token = issuer.issue(tenant_id=tenant.id, subject=subject, client_id=client_id)
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


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
