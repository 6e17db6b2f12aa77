"""BuildingMinds client tests that run twice (the plugin's ``vendor_live``): on the sandbox,
and on the live target when STANDIN_LIVE_BUILDINGMINDS_BASE_URL and _CREDENTIALS are set.
Read-only, and asserting only what the vendor documents."""

from __future__ import annotations

from typing import Any

import pytest

from standin.clients.buildingminds import (
    BuildingMindsAuthError,
    BuildingMindsClient,
    BuildingMindsNotFound,
)

pytestmark = pytest.mark.vendor_live("buildingminds")


def test_azure_ad_issues_a_bearer_token_that_is_kept(
    buildingminds_client: BuildingMindsClient,
) -> None:
    token = buildingminds_client.token()
    assert token.token_type == "Bearer"
    assert token.expires_in > 0
    assert buildingminds_client.token() == token


def test_the_batches_are_a_typed_page_within_its_limit(
    buildingminds_client: BuildingMindsClient,
) -> None:
    page = buildingminds_client.batches(limit=2)
    assert len(page.items) <= 2
    assert page.total_count >= len(page.items)


def test_an_unknown_batch_raises_not_found(buildingminds_client: BuildingMindsClient) -> None:
    with pytest.raises(BuildingMindsNotFound) as raised:
        buildingminds_client.inbound("00000000-0000-4000-8000-000000000000")
    assert raised.value.status == 404


def test_a_wrong_secret_raises_invalid_client_with_its_aadsts_code(target_client: Any) -> None:
    wrong: BuildingMindsClient = target_client("buildingminds", client_secret="not-the-secret")
    with pytest.raises(BuildingMindsAuthError) as raised:
        wrong.token()
    assert (raised.value.status, raised.value.error, raised.value.aadsts) == (
        401,
        "invalid_client",
        7000215,
    )
