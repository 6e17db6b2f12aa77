"""Token and login requests are journaled under the tenant whose credential they sent, so they
leave with that tenant; requests whose credential names no tenant stay in the bounded
anonymous part of the journal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin._core.journal import UNPROVEN_SHARE
from standin._core.tenants import Tenant
from tests.vendor_calls import METASYS

UNPROVEN_CAPACITY = 1_000 // UNPROVEN_SHARE
"""Refused requests naming a tenant that its journal keeps (of the default 1,000 entries)."""
TokenRequest = Callable[[httpx.Client, dict[str, Any], str], httpx.Response]
"""Sends ``api``'s token request with the tenant's credentials, its secret replaced by the
third argument when it is not empty."""


def atrius(client: httpx.Client, creds: dict[str, Any], secret: str) -> httpx.Response:
    return client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["client_id"],
            "client_secret": secret or creds["client_secret"],
            "grant_type": "client_credentials",
        },
    )


def locus(client: httpx.Client, creds: dict[str, Any], secret: str) -> httpx.Response:
    return client.post(
        "/locus/oauth/token",
        data={
            "client_id": creds["client_id"],
            "client_secret": secret or creds["client_secret"],
            "grant_type": "client_credentials",
        },
    )


def buildingminds(client: httpx.Client, creds: dict[str, Any], secret: str) -> httpx.Response:
    return client.post(
        f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token",
        data={
            "client_id": creds["client_id"],
            "client_secret": secret or creds["client_secret"],
            "scope": creds["scope"] + "/.default",
            "grant_type": "client_credentials",
        },
    )


def metasys(client: httpx.Client, creds: dict[str, Any], secret: str) -> httpx.Response:
    return client.post(
        f"{METASYS}/login",
        json={"username": creds["username"], "password": secret or creds["password"]},
    )


TOKEN_REQUESTS: dict[str, tuple[TokenRequest, str]] = {
    "atrius": (atrius, "/o/token/"),
    "locus": (locus, "/oauth/token"),
    "buildingminds": (buildingminds, "/{tenant}/oauth2/v2.0/token"),
    "metasys": (metasys, "/api/v4/login"),
}


def journal(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    response = client.get("/_sandbox/requests", params=filters)
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def token_path(api: str, tenant: Tenant) -> str:
    path = TOKEN_REQUESTS[api][1]
    return path.replace("{tenant}", str(tenant.credentials["buildingminds"]["tenant"]))


@pytest.mark.parametrize("api", list(TOKEN_REQUESTS))
def test_a_token_request_is_journaled_under_the_tenant_whose_credential_it_sent_and_leaves_with_it(
    sandbox: Sandbox, client: httpx.Client, api: str
) -> None:
    send = TOKEN_REQUESTS[api][0]
    tenant = sandbox.create_tenant()
    assert send(client, tenant.credentials[api], "").status_code == 200
    refused = send(client, tenant.credentials[api], "not-the-secret")
    assert refused.status_code in (400, 401)
    entries = journal(client, tenant=tenant.id, api=api)
    assert [(e["tenant"], e["method"], e["path"]) for e in entries] == [
        (tenant.id, "POST", token_path(api, tenant))
    ] * 2
    assert [e["status"] for e in entries] == [refused.status_code, 200]
    assert client.delete(f"/_sandbox/tenants/{tenant.id}").status_code == 204
    assert journal(client, tenant=tenant.id) == []
    assert [e for e in journal(client, api=api) if e["tenant"] == tenant.id] == []


@pytest.mark.parametrize("api", list(TOKEN_REQUESTS))
def test_a_token_request_whose_credential_names_no_tenant_is_journaled_without_one(
    sandbox: Sandbox, client: httpx.Client, api: str
) -> None:
    send = TOKEN_REQUESTS[api][0]
    unknown = {
        **sandbox.credentials()[api],
        "client_id": "no-such-client",
        "username": "no-such-user",
        "tenant": "no-such-directory",
    }
    response = send(client, unknown, "")
    assert response.status_code in (400, 401)
    [entry] = journal(client, api=api)
    assert entry["tenant"] is None
    assert entry["status"] == response.status_code


def test_the_default_tenants_login_is_journaled_under_the_default_tenant(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    assert metasys(client, sandbox.credentials()["metasys"], "").status_code == 200
    [entry] = journal(client, api="metasys")
    assert entry["tenant"] == "default"
    assert '"password":"***"' in entry["request_body"]


@pytest.mark.parametrize("api", list(TOKEN_REQUESTS))
def test_refused_logins_naming_a_tenant_push_out_only_its_other_refused_ones_never_its_own_entries(
    sandbox: Sandbox, client: httpx.Client, api: str
) -> None:
    send = TOKEN_REQUESTS[api][0]
    tenant = sandbox.create_tenant()
    creds = tenant.credentials[api]
    path = token_path(api, tenant)
    for n in range(3):
        client.params = httpx.QueryParams(n=f"proven-{n}")
        assert send(client, creds, "").status_code == 200
    refused_status = set()
    for n in range(1_100):  # anyone who knows the client id or user name can send these
        client.params = httpx.QueryParams(n=f"refused-{n}")
        refused_status.add(send(client, creds, "not-the-secret").status_code)
    [status] = refused_status
    assert status in (400, 401)
    client.params = httpx.QueryParams()
    kept = UNPROVEN_CAPACITY
    entries = journal(client, tenant=tenant.id, limit=str(kept + 10))
    assert [(e["tenant"], e["path"], e["query"], e["status"]) for e in entries] == [
        (tenant.id, path, f"n=refused-{n}", status) for n in range(1_099, 1_099 - kept, -1)
    ] + [(tenant.id, path, f"n=proven-{n}", 200) for n in (2, 1, 0)]
    count = client.get("/_sandbox/requests/count", params={"tenant": tenant.id})
    assert count.json() == {"count": kept + 3}
