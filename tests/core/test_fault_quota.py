"""A tenant holds at most MAX_FAULTS active faults: one more is refused with 400 until some are
removed."""

from __future__ import annotations

import httpx

from standin._core.faults import MAX_FAULTS


def test_a_fault_past_the_tenants_quota_is_refused_with_400_until_one_is_removed(
    echo: httpx.Client,
) -> None:
    made = [
        echo.post("/_sandbox/faults", json={"api": "echo", "path": f"/{n}", "status": 503})
        for n in range(MAX_FAULTS)
    ]
    assert {response.status_code for response in made} == {201}
    response = echo.post("/_sandbox/faults", json={"api": "echo", "status": 503})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Sandbox quota: this tenant already holds 100 faults, the most it may hold; "
        "remove some (DELETE /_sandbox/faults/{id}) to make room."
    }
    assert len(echo.get("/_sandbox/faults").json()["faults"]) == MAX_FAULTS
    assert echo.delete(f"/_sandbox/faults/{made[0].json()['id']}").status_code == 204
    again = echo.post("/_sandbox/faults", json={"api": "echo", "status": 503})
    assert again.status_code == 201
