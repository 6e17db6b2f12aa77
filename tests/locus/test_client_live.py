"""Locus client tests that run twice (the plugin's ``vendor_live``): on the sandbox, and on the
live target when STANDIN_LIVE_LOCUS_BASE_URL and _CREDENTIALS are set. Read-only, and asserting
only what the vendor documents."""

from __future__ import annotations

from typing import Any

import pytest

from standin.clients.locus import LocusAuthError, LocusClient

pytestmark = pytest.mark.vendor_live("locus")


def test_the_password_grant_gives_a_token_with_a_refresh_token(locus_client: LocusClient) -> None:
    token = locus_client.token()
    assert token.access_token
    assert token.refresh_token
    assert locus_client.token() == token


def test_the_partners_sites_and_their_components_are_typed(
    locus_client: LocusClient, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    sites = locus_client.partner_sites(int(standin_credentials["locus"]["partner_id"]))
    assert sites
    site = locus_client.site(sites[0].id)
    assert (site.id, site.client_id, site.name) == (sites[0].id, sites[0].client_id, sites[0].name)
    for component in locus_client.site_components(site.id):
        assert component.site_id == site.id


def test_a_wrong_password_raises_invalid_grant(target_client: Any) -> None:
    wrong: LocusClient = target_client("locus", password="not-the-password")
    with pytest.raises(LocusAuthError) as raised:
        wrong.token()
    assert raised.value.error == "invalid_grant"
