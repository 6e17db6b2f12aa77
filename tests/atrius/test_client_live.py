"""Atrius client tests that run twice (the plugin's ``vendor_live``): on the sandbox, and on
the live target when STANDIN_LIVE_ATRIUS_BASE_URL and _CREDENTIALS are set. Read-only, and
asserting only what the vendor documents."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from standin.clients.atrius import AtriusAuthError, AtriusClient, AtriusNotFound

pytestmark = pytest.mark.vendor_live("atrius")


def test_one_bearer_token_serves_many_calls(atrius_client: AtriusClient) -> None:
    token = atrius_client.token()
    assert token.token_type == "Bearer"
    assert token.expires_in is not None
    assert token.expires_in > 0
    assert atrius_client.token() == token


def test_the_gateway_its_organization_and_its_buildings_are_typed(
    atrius_client: AtriusClient, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    gateway = atrius_client.gateway(standin_credentials["atrius"]["gateway"])
    organization = atrius_client.organization(gateway.organization_id)
    assert organization.id == gateway.organization_id
    buildings = list(itertools.islice(atrius_client.buildings(per_page=2), 3))
    assert buildings
    first = atrius_client.building(buildings[0].id)
    assert (first.id, first.name) == (buildings[0].id, buildings[0].name)


def test_an_unknown_building_raises_not_found(atrius_client: AtriusClient) -> None:
    with pytest.raises(AtriusNotFound) as raised:
        atrius_client.building("999999999")
    assert raised.value.status == 404


def test_a_wrong_client_secret_raises_invalid_client(target_client: Any) -> None:
    wrong: AtriusClient = target_client("atrius", client_secret="not-the-secret")
    with pytest.raises(AtriusAuthError) as raised:
        wrong.token()
    assert (raised.value.status, raised.value.error) == (401, "invalid_client")
