"""Metasys client tests that run twice (the plugin's ``vendor_live``): on the sandbox, and on
the live target (a site's ``https://{hostname}``) when STANDIN_LIVE_METASYS_BASE_URL and
_CREDENTIALS are set. Read-only, and asserting only what the vendor documents."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from standin.clients.metasys import MetasysAuthError, MetasysClient

pytestmark = pytest.mark.vendor_live("metasys")


def test_the_user_logs_in_and_is_who_the_api_says(
    metasys_client: MetasysClient, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    token = metasys_client.login()
    assert token.access_token
    assert metasys_client.user_info().user_name == standin_credentials["metasys"]["username"]


def test_a_listed_network_device_and_space_read_back_alike(metasys_client: MetasysClient) -> None:
    devices = list(itertools.islice(metasys_client.network_devices(), 2))
    assert devices
    device = metasys_client.network_device(devices[0].id)
    assert (device.id, device.item_reference) == (devices[0].id, devices[0].item_reference)
    spaces = list(itertools.islice(metasys_client.spaces(), 2))
    if spaces:
        space = metasys_client.space(spaces[0].id)
        assert (space.id, space.item_reference) == (spaces[0].id, spaces[0].item_reference)


def test_a_wrong_password_raises_auth_error(target_client: Any) -> None:
    wrong: MetasysClient = target_client("metasys", password="not-the-password")
    with pytest.raises(MetasysAuthError) as raised:
        wrong.login()
    assert raised.value.status == 401
