"""Alerts raised through the control plane are bounded per tenant (sandbox choice), and so are
their descriptions: past either the request is refused with the control plane's 400."""

from __future__ import annotations

import httpx
import pytest

from standin import Sandbox
from standin.locus.alerts import MAX_ALERTS
from standin.locus.api import LocusApi
from standin.locus.state import LocusState

COMPONENT = 123


def default_state(sandbox: Sandbox) -> LocusState:
    state: LocusState = sandbox.vendor(LocusApi).state(sandbox.tenants.default())
    return state


def test_an_alert_past_the_tenants_quota_is_refused_with_400_and_not_raised(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    state = default_state(sandbox)
    while len(state.alerts) < MAX_ALERTS:
        state.raise_alert(COMPONENT, "Device Fault", "High", None, None, None)
    response = client.post("/_sandbox/locus/alerts", json={"componentId": COMPONENT})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Sandbox quota: this tenant already holds 1,000 alerts, the most it may hold; "
        "reset the tenant (POST /_sandbox/reset) to start again."
    }
    assert len(state.alerts) == MAX_ALERTS


@pytest.mark.parametrize(
    ("name", "longest"), [("descriptionShort", 255), ("descriptionLong", 2000)]
)
def test_an_alert_description_past_its_length_is_refused_with_400(
    sandbox: Sandbox, client: httpx.Client, name: str, longest: int
) -> None:
    before = len(default_state(sandbox).alerts)
    body = {"componentId": COMPONENT, name: "d" * (longest + 1)}
    response = client.post("/_sandbox/locus/alerts", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": f"{name} must be at most {longest:,} characters"}
    assert len(default_state(sandbox).alerts) == before
    accepted = client.post("/_sandbox/locus/alerts", json={**body, name: "d" * longest})
    assert accepted.status_code == 201
