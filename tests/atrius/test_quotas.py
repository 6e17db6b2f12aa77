"""A tenant's buildings and meters are bounded (sandbox choice): past the quota a creation is
refused with DRF's 400 and nothing is made; the tenant's other writes go on."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from standin import Sandbox
from standin.atrius.state import MAX_BUILDINGS, MAX_METERS, AtriusState
from tests.atrius.conftest import meter_body

BUILDING = {"organization": 6732, "name": "One Too Many", "postalCode": "12345"}
NO_WAY_OUT = (
    "the API deletes none, so reset the sandbox tenant (POST /_sandbox/reset) to start again"
)


def default_state(sandbox: Sandbox) -> AtriusState:
    state = sandbox.apis["atrius"].state(sandbox.tenants.default())
    assert isinstance(state, AtriusState)
    return state


def test_a_building_past_the_tenants_quota_is_refused_with_400_and_not_made(
    sandbox: Sandbox, api: Any
) -> None:
    state = default_state(sandbox)
    while len(state.buildings) < MAX_BUILDINGS:
        state.create_building({**BUILDING, "name": f"B{len(state.buildings)}"})
    response = api.post("/buildings/", json=BUILDING)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            f"Sandbox quota: this tenant already holds 1,000 buildings, the most it may hold; "
            f"{NO_WAY_OUT}."
        ]
    }
    assert len(state.buildings) == MAX_BUILDINGS
    assert api.get("/buildings/", params={"per_page": 1}).json()["count"] == MAX_BUILDINGS


def test_a_meter_past_the_tenants_quota_is_refused_with_400_and_not_made(
    sandbox: Sandbox, api: Any
) -> None:
    state = default_state(sandbox)
    template = next(iter(state.meters.values()))
    while len(state.meters) < MAX_METERS:  # copies, made faster than one creation at a time
        n = len(state.meters)
        state.meters.put(f"{n:032x}", replace(template, id=str(10**6 + n), uuid=f"{n:032x}"))
    response = api.post("/meters/", json=meter_body(vendorMeterId="ONE-MORE"))
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            f"Sandbox quota: this tenant already holds 5,000 meters, the most it may hold; "
            f"{NO_WAY_OUT}."
        ]
    }
    assert len(state.meters) == MAX_METERS
    assert not any(m.vendor_meter_id == "ONE-MORE" for m in state.meters.values())


def test_a_building_with_bad_fields_at_the_quota_gets_its_field_errors_first(
    sandbox: Sandbox, api: Any
) -> None:
    state = default_state(sandbox)
    while len(state.buildings) < MAX_BUILDINGS:
        state.create_building({**BUILDING, "name": f"B{len(state.buildings)}"})
    response = api.post("/buildings/", json={**BUILDING, "name": ""})
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
