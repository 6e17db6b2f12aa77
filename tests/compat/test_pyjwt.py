"""PyJWT verifies a BuildingMinds token as a resource server would: discovery, JWKS, claims."""

from __future__ import annotations

from typing import Any

import jwt
import requests

from tests.compat.conftest import Served


def test_pyjwt_verifies_a_token_against_the_served_jwks(served: Served) -> None:
    creds: dict[str, Any] = dict(served.sandbox.credentials()["buildingminds"])
    login = f"{served.base_url}/buildingminds/{creds['tenant']}"
    answer = requests.post(
        f"{login}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": creds["scope"] + "/.default",
        },
        timeout=10,
    )
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    discovery = requests.get(f"{login}/.well-known/openid-configuration", timeout=10).json()
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],
        audience=creds["scope"],  # the App ID URI the token was requested for
        issuer=discovery["issuer"],
        options={"require": ["exp", "iat", "nbf", "aud", "iss", "sub"]},
    )
    assert claims["ver"] == "1.0"
    assert claims["iss"] == f"https://sts.windows.net/{creds['directory_id']}/"
    assert claims["appid"] == creds["client_id"]
    assert claims["tid"] == creds["directory_id"]
    assert claims["roles"] == ["DigitalTwinIntegration.ReadWrite"]
    api = f"{served.base_url}/buildingminds/api/digitaltwinintegration/batch"
    assert requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=10).ok


def test_pyjwt_refuses_the_token_for_another_audience(served: Served) -> None:
    creds: dict[str, Any] = dict(served.sandbox.credentials()["buildingminds"])
    login = f"{served.base_url}/buildingminds/{creds['tenant']}"
    token = requests.post(
        f"{login}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scope": creds["forbidden_scope"] + "/.default",
        },
        timeout=10,
    ).json()["access_token"]
    keys = jwt.PyJWKClient(f"{login}/discovery/keys")
    try:
        jwt.decode(
            token,
            keys.get_signing_key_from_jwt(token).key,
            algorithms=["RS256"],
            audience=creds["scope"],
        )
    except jwt.InvalidAudienceError:
        return
    raise AssertionError("a token for another App ID URI was accepted")
