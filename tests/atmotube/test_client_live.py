"""Atmotube client tests that run twice (the plugin's ``vendor_live``): on the sandbox, and on
the live target when STANDIN_LIVE_ATMOTUBE_BASE_URL and _CREDENTIALS are set. Read-only, and
asserting only what the vendor documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from standin.clients.atmotube import AtmotubeClient, AtmotubeUnauthorized

pytestmark = pytest.mark.vendor_live("atmotube")


def test_a_page_is_typed_and_holds_at_most_its_limit(
    atmotube_client: AtmotubeClient, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    mac = standin_credentials["atmotube"]["macs"][0]
    page = atmotube_client.page(mac, limit=5)
    assert len(page.items) <= 5
    assert page.total >= len(page.items)
    assert all(reading.time.tzinfo is not None for reading in page.items)


def test_a_days_readings_come_oldest_first_within_the_day(
    atmotube_client: AtmotubeClient, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    mac = standin_credentials["atmotube"]["macs"][0]
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    page = atmotube_client.page(mac, date=yesterday, limit=50)
    times = [reading.time for reading in page.items]
    assert times == sorted(times)
    assert all(time.astimezone(dt.UTC).date() == yesterday for time in times)


def test_an_unknown_api_key_raises_unauthorized(
    target_client: Any, standin_credentials: dict[str, dict[str, Any]]
) -> None:
    mac = standin_credentials["atmotube"]["macs"][0]
    stranger: AtmotubeClient = target_client("atmotube", api_key="00000000-not-a-key")
    with pytest.raises(AtmotubeUnauthorized) as raised:
        stranger.page(mac, limit=1)
    assert raised.value.status == 401
