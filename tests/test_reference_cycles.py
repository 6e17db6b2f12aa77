"""What a request or a deleted tenant leaves behind is freed by reference counting, at once:
nothing of ours waits for the cycle collector. ``standin serve`` collects the oldest generation
rarely (for the streams' latency), so garbage in reference cycles piled up between its full
collections: under the soak, the deleted tenants' states (about 100,000 objects a collection)
and a request's server object held the resident set tens of MiB higher."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from standin import Sandbox, build_app
from standin._core.liveserver import live_server
from tests.locus.conftest import password_token
from tests.vendor_calls import (
    METASYS,
    ZONE_SETPOINT,
    atrius_token,
    buildingminds_token,
    metasys_id,
    metasys_token,
)

BUILDINGMINDS = "/buildingminds/api/digitaltwinintegration"


@contextmanager
def collector_off() -> Iterator[list[str]]:
    """The cycle collector off inside; on leaving, the names of the types (functions: their
    qualified names) of ours that only a collection would have freed."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    left: list[str] = []
    try:
        yield left
    finally:
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left.extend(sorted({name for name in map(ours, gc.garbage) if name is not None}))
        gc.garbage.clear()
        gc.set_debug(0)
        if was_enabled:
            gc.enable()
        gc.collect()


def ours(thing: object) -> str | None:
    """The name of ``thing``'s type if standin defines it (of the function if it is one), or
    uvicorn's request object (which our layers must not hold in a cycle); None otherwise."""
    kind = type(thing)
    module = getattr(thing, "__module__", None) if callable(thing) else kind.__module__
    if kind.__name__ == "RequestResponseCycle":
        return f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(module, str) and module.startswith("standin"):
        name = getattr(thing, "__qualname__", kind.__qualname__)
        return f"{module}.{name}"
    return None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def use_every_api(client: httpx.Client, creds: dict[str, Any]) -> None:
    """An integrator's visit: a token and reads of each API, writes to Metasys and
    BuildingMinds."""
    atrius = bearer(atrius_token(client, creds["atrius"]))
    assert client.get("/atrius/buildings/", headers=atrius).status_code == 200
    metasys = bearer(metasys_token(client, creds["metasys"]))
    point = metasys_id(client, metasys, ZONE_SETPOINT)
    for value in (90.0, 70.0):
        commanded = client.put(
            f"{METASYS}/objects/{point}/commands/adjustCommand",
            json={"parameters": [value]},
            headers=metasys,
        )
        assert commanded.status_code == 200, commanded.text
    for path in ("/audits", "/alarms", "/activities"):
        assert client.get(f"{METASYS}{path}", headers=metasys).status_code == 200
    buildingminds = bearer(buildingminds_token(client, creds["buildingminds"]))
    record = {
        "buildingId": "cycle-1",
        "siteId": "SITE-BER",
        "name": "Cycle 1",
        "primaryTypeOfBuilding": "Office",
        "typeOfOwnership": "Owner",
        "validFrom": "2024-01-01T00:00:00Z",
        "validUntil": "2099-12-31T23:59:59Z",
    }
    sent = client.post(f"{BUILDINGMINDS}/building", json=[record], headers=buildingminds)
    assert sent.status_code in (200, 202), sent.text
    assert client.get(f"{BUILDINGMINDS}/batch", headers=buildingminds).status_code == 200
    atmotube = creds["atmotube"]
    read = client.get(
        "/atmotube/api/v1/data",
        params={"api_key": atmotube["api_key"], "mac": atmotube["macs"][0]},
    )
    assert read.status_code == 200, read.text
    locus = bearer(password_token(client, creds["locus"])["access_token"])
    sites = client.get(f"/locus/v3/partners/{creds['locus']['partner_id']}/sites", headers=locus)
    assert sites.status_code == 200, sites.text


def test_a_deleted_tenants_state_of_every_api_is_freed_when_its_delete_answers(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    with collector_off() as left:
        created = client.post("/_sandbox/tenants")
        assert created.status_code == 201, created.text
        tenant_id = created.json()["tenant"]
        use_every_api(client, created.json())
        tenant = sandbox.tenants.get(tenant_id)
        assert tenant is not None
        states = {api: weakref.ref(state) for api, state in tenant.states.items()}
        del tenant
        deleted = client.delete(f"/_sandbox/tenants/{tenant_id}")
        assert (deleted.status_code, deleted.content) == (204, b"")
        alive = sorted(api for api, state in states.items() if state() is not None)
    assert alive == []
    assert left == []


def test_requests_served_by_uvicorn_leave_nothing_of_ours_to_the_cycle_collector(
    sandbox: Sandbox,
) -> None:
    creds = sandbox.credentials(None)
    with (
        live_server(build_app(sandbox)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
        collector_off() as left,
    ):
        use_every_api(client, creds)
    assert left == []
