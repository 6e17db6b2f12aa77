"""A tenant registers at most MAX_DEVICES Atmotube devices through the control plane (sandbox
choice): one more is refused with the control plane's 400 and registers nothing; registering a
device it has again does not count."""

from __future__ import annotations

from dataclasses import replace

import httpx

from standin import Sandbox
from standin.atmotube.api import AtmotubeApi
from standin.atmotube.state import MAX_DEVICES, AtmotubeState


def default_state(sandbox: Sandbox) -> AtmotubeState:
    state: AtmotubeState = sandbox.vendor(AtmotubeApi).state(sandbox.tenants.default())
    return state


def fill(state: AtmotubeState) -> str:
    """Devices up to the quota; the MAC of one of them."""
    template = next(iter(state.devices.values()))
    while len(state.devices) < MAX_DEVICES:
        n = len(state.devices)
        mac = ":".join(f"{byte:02X}" for byte in n.to_bytes(6, "big"))
        state.register_device(replace(template, mac=mac))
    return template.mac


def test_a_device_past_the_tenants_quota_is_refused_with_400_and_not_registered(
    sandbox: Sandbox, client: httpx.Client, api_key: str
) -> None:
    state = default_state(sandbox)
    fill(state)
    response = client.post(
        "/_sandbox/atmotube/devices", json={"api_key": api_key, "mac": "AA:BB:CC:DD:EE:77"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "Sandbox quota: this tenant already holds 1,000 devices, the most it may hold; "
        "reset the tenant (POST /_sandbox/reset) to start again."
    }
    assert "AA:BB:CC:DD:EE:77" not in state.devices
    assert len(state.devices) == MAX_DEVICES


def test_registering_a_held_device_again_at_the_quota_is_accepted(
    sandbox: Sandbox, client: httpx.Client, api_key: str
) -> None:
    state = default_state(sandbox)
    held = fill(state)
    before = set(state.devices.keys())
    response = client.post("/_sandbox/atmotube/devices", json={"api_key": api_key, "mac": held})
    assert response.status_code == 201
    assert len(state.devices) == MAX_DEVICES
    assert set(state.devices.keys()) == before


def test_a_device_name_longer_than_100_characters_is_refused_with_400(
    client: httpx.Client, api_key: str
) -> None:
    body = {"api_key": api_key, "mac": "AA:BB:CC:DD:EE:78", "name": "n" * 101}
    response = client.post("/_sandbox/atmotube/devices", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": "name must be at most 100 characters"}
    assert (
        client.post("/_sandbox/atmotube/devices", json={**body, "name": "n" * 100}).status_code
        == 201
    )
