"""What the control plane sets for the whole sandbox, or for requests that reach no tenant,
applies on every replica, whichever replica was told it (read-your-writes included):
BuildingMinds' processing times, Metasys' heartbeat periods, and the default tenant's faults for
requests that name no tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.buildingminds.conftest import record
from tests.scaleout.metasys_support import sse
from tests.scaleout.replicas import replica
from tests.vendor_calls import buildingminds_token, metasys_token

BATCHES = "/buildingminds/api/digitaltwinintegration"


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """A client of each of two replicas: the first makes and serves the default tenant; the
    second serves what it makes."""
    with (
        replica(redis_url) as first,
        replica(redis_url) as second,
        first.client() as a,
        second.client() as b,
    ):
        yield a, b


def frozen_tenant(http: httpx.Client) -> dict[str, Any]:
    """A new tenant, made (and so served) by ``http``'s replica, its clock frozen."""
    tenant: dict[str, Any] = http.post("/_sandbox/tenants").json()
    frozen = http.post(
        "/_sandbox/clock", params={"tenant": tenant["tenant"]}, json={"freeze": True}
    )
    assert frozen.status_code == 200
    return tenant


def test_processing_times_set_through_one_replica_are_read_and_used_on_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = frozen_tenant(b)
    changed = a.patch("/_sandbox/buildingminds/processing", json={"pickup_seconds": 1000})
    assert changed.status_code == 200
    assert changed.json() == {
        "pickup_seconds": 1000.0,
        "processing_seconds": 20.0,
        "geocoding_seconds": 10.0,
    }
    assert b.get("/_sandbox/buildingminds/processing").json() == changed.json()

    auth = {"Authorization": f"Bearer {buildingminds_token(b, tenant['buildingminds'])}"}
    submitted = b.post(f"{BATCHES}/address", json=[record("address", "A1")], headers=auth)
    assert submitted.status_code == 200, submitted.text
    batch_id = submitted.json()["batchId"]

    def counts() -> dict[str, int]:
        listed = b.get(f"{BATCHES}/batch", headers=auth).json()["data"]
        found: dict[str, int] = next(
            entry["statusCounts"] for entry in listed if entry["batchId"] == batch_id
        )
        return found

    before = counts()
    # Past every default step (5 + 20 + 10 s), short of the pickup set on the first.
    moved = a.post("/_sandbox/clock", params={"tenant": tenant["tenant"]}, json={"advance": 60})
    assert moved.status_code == 200
    assert counts() == before
    a.post("/_sandbox/clock", params={"tenant": tenant["tenant"]}, json={"advance": 1000})
    assert counts() == {"Completed": 1}


def test_heartbeat_periods_set_through_one_replica_beat_on_a_stream_held_by_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = frozen_tenant(b)
    clock = {"tenant": tenant["tenant"]}
    changed = a.post("/_sandbox/metasys/streaming", json={"heartbeatSeconds": 5})
    assert changed.status_code == 200
    assert changed.json()["heartbeatSeconds"] == 5.0
    token = metasys_token(b, tenant["metasys"])
    with sse(b, {"Authorization": f"Bearer {token}"}) as events:
        (hello_id, name, _) = next(events)
        stream_id = hello_id.rpartition(":")[0]
        assert name == "hello"
        # The default period is 30 s: only the period set on the first beats after 5.
        assert a.post("/_sandbox/clock", params=clock, json={"advance": 5}).status_code == 200
        (beat_id, name, _) = next(events)
        assert (beat_id, name) == (f"{stream_id}:2", "heartbeat")
    periods = b.post("/_sandbox/metasys/streaming", json={}).json()
    assert periods["heartbeatSeconds"] == 5.0


def test_a_default_tenant_fault_meets_requests_reaching_no_tenant_on_every_replica(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    refused = {"client_id": "nobody", "client_secret": "nothing", "grant_type": "password"}
    unfaulted = b.post("/atrius/o/token/", data=refused)
    assert unfaulted.status_code == 401
    added = b.post(
        "/_sandbox/faults",
        json={
            "api": "atrius",
            "method": "POST",
            "path": "/o/token/",
            "status": 503,
            "body": {"error": "token service down"},
            "count": 2,
        },
    )
    assert added.status_code == 201, added.text
    # The default tenant is served by the first; the second finds its fault all the same.
    assert b.get("/_sandbox/faults").json() == a.get("/_sandbox/faults").json()
    for client in (b, a):
        faulted = client.post("/atrius/o/token/", data=refused)
        assert (faulted.status_code, faulted.json()) == (503, {"error": "token service down"})
    # Counted across replicas: both uses are spent, so the next is answered as before.
    after = b.post("/atrius/o/token/", data=refused)
    assert (after.status_code, after.json()) == (unfaulted.status_code, unfaulted.json())
    other = b.get("/atrius/no-such-path")
    assert other.status_code == 404
