"""Vendor calls the durability and scale-out tests make again and again: tokens and Metasys ids."""

from __future__ import annotations

from typing import Any

import httpx

METASYS = "/metasys/api/v4"
ZONE_SETPOINT = "ADS1:NAE-1/FC-1.VAV-101.ZN-SP"
"""An AV of the default fixtures: relinquishDefault 72.0, min 60, max 85, alarm above 80."""


def atrius_grant(
    client: httpx.Client, creds: dict[str, Any], grant_type: str, **fields: str
) -> httpx.Response:
    """``POST /atrius/o/token/``: the tenant's Atrius client id and secret, ``grant_type`` and
    its ``fields`` (``username`` and ``password``, or ``refresh_token``)."""
    return client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "grant_type": grant_type,
            **fields,
        },
    )


def atrius_token(client: httpx.Client, creds: dict[str, Any]) -> str:
    response = atrius_grant(client, creds, "client_credentials")
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def buildingminds_token(client: httpx.Client, creds: dict[str, Any]) -> str:
    """An Azure AD client-credentials token of the tenant's BuildingMinds app."""
    response = client.post(
        f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token",
        data={
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": creds["scope"] + "/.default",
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def metasys_token(client: httpx.Client, creds: dict[str, Any]) -> str:
    response = client.post(
        f"{METASYS}/login", json={"username": creds["username"], "password": creds["password"]}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


def metasys_id(client: httpx.Client, auth: dict[str, str], reference: str) -> str:
    response = client.get(f"{METASYS}/objectIdentifiers", params={"fqr": reference}, headers=auth)
    assert response.status_code == 200, response.text
    found: str = response.json()
    return found


def metasys_adjust(client: httpx.Client, auth: dict[str, str], point: str, value: float) -> None:
    """Command ``point`` to ``value`` (``adjustCommand``); the command must be acknowledged."""
    response = client.put(
        f"{METASYS}/objects/{point}/commands/adjustCommand",
        headers=auth,
        json={"parameters": [value]},
    )
    assert response.status_code == 200, response.text
