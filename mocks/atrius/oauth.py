"""The token endpoint's decisions (django-oauth-toolkit's answers), without HTTP."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from standin._core.oauth import ClientAuth
from standin._core.tenants import TenantRegistry
from standin._core.tokens import TokenIssuer, TokenRejected
from standin.atrius import errors

GRANTS = ("client_credentials", "password", "refresh_token")
SCOPES = ("read", "write")
TOKEN_LIFETIME = 36000
"""Ten hours, as the guide's token response and FAQ say."""


def grant_token(
    form: Mapping[str, str],
    basic: ClientAuth | None,
    tenants: TenantRegistry,
    issuer: TokenIssuer,
) -> dict[str, Any]:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise errors.oauth(400, "invalid_request", "Request is missing grant type.")
    if grant_type not in GRANTS:
        raise errors.oauth(400, "unsupported_grant_type")
    client = basic or ClientAuth(form.get("client_id", ""), form.get("client_secret", ""))
    tenant = tenants.resolve("atrius", client.client_id) if client.client_id else None
    if tenant is None or not _same(
        tenant.credentials["atrius"]["client_secret"], client.client_secret
    ):
        raise errors.oauth(401, "invalid_client")
    credentials = tenant.credentials["atrius"]
    scope = _scope(form.get("scope"))
    subject = client.client_id
    if grant_type == "password":
        for name in ("username", "password"):
            if not form.get(name):
                raise errors.oauth(400, "invalid_request", f"Request is missing {name} parameter.")
        if form["username"] != credentials["username"] or not _same(
            form["password"], credentials["password"]
        ):
            raise errors.oauth(400, "invalid_grant", "Invalid credentials given.")
        subject = form["username"]
    elif grant_type == "refresh_token":
        value = form.get("refresh_token")
        if not value:
            raise errors.oauth(
                400, "invalid_request", "Request is missing refresh_token parameter."
            )
        try:
            previous = issuer.redeem_refresh(value)
        except TokenRejected:
            raise errors.oauth(400, "invalid_grant", "Invalid credentials given.") from None
        if previous.client_id != client.client_id:
            raise errors.oauth(400, "invalid_grant", "Invalid credentials given.")
        subject = previous.subject
        scope = previous.scope or scope
    token = issuer.issue(
        tenant_id=tenant.id, subject=subject, client_id=client.client_id, scope=scope
    )
    body: dict[str, Any] = {
        "access_token": token.value,
        "expires_in": TOKEN_LIFETIME,
        "token_type": "Bearer",
        "scope": scope,
    }
    if grant_type != "client_credentials":
        body["refresh_token"] = issuer.issue_refresh(token).value
    return body


def _scope(requested: str | None) -> str:
    if not requested:
        return " ".join(SCOPES)
    asked = requested.split()
    if not asked:
        return " ".join(SCOPES)
    if any(part not in SCOPES for part in asked):
        raise errors.oauth(400, "invalid_scope")
    return " ".join(part for part in SCOPES if part in asked)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
