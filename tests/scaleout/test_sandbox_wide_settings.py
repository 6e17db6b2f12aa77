"""What the control plane sets for the whole sandbox, or for requests that reach no tenant,
applies on every replica, whichever replica was told it (read-your-writes included):
BuildingMinds' processing times, Metasys' heartbeat periods, and the default tenant's faults for
requests that name no tenant."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import connect_sse

from tests.buildingminds.conftest import record
from tests.scaleout.replicas import Replica, replica
from tests.vendor_calls import METASYS, buildingminds_token, metasys_token

BATCHES = "/buildingminds/api/digitaltwinintegration"


@pytest.fixture
def pair(redis_url: str) -> Iterator[tuple[Replica, Replica]]:
    """The first replica makes and serves the default tenant; the second serves what it makes."""
    with replica(redis_url) as first, replica(redis_url) as second:
        yield first, second


def test_processing_times_set_through_one_replica_are_read_and_used_on_the_other(
    pair: tuple[Replica, Replica],
) -> None:
    first, second = pair
    with first.client() as a, second.client() as b:
        tenant = b.post("/_sandbox/tenants").json()  # served by the second
        frozen = b.post(
            "/_sandbox/clock", params={"tenant": tenant["tenant"]}, json={"freeze": True}
        )
        assert frozen.status_code == 200
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
    pair: tuple[Replica, Replica],
) -> None:
    first, second = pair
    with first.client() as a, second.client() as b:
        tenant = b.post("/_sandbox/tenants").json()  # served by the second
        clock = {"tenant": tenant["tenant"]}
        assert b.post("/_sandbox/clock", params=clock, json={"freeze": True}).status_code == 200
        changed = a.post("/_sandbox/metasys/streaming", json={"heartbeatSeconds": 5})
        assert changed.status_code == 200
        assert changed.json()["heartbeatSeconds"] == 5.0
        token = metasys_token(b, tenant["metasys"])
        with (
            httpx.Client(base_url=second.base, timeout=10, trust_env=False) as http,
            connect_sse(
                http, "GET", f"{METASYS}/stream", headers={"Authorization": f"Bearer {token}"}
            ) as source,
        ):
            assert source.response.status_code == 200
            events = source.iter_sse()
            hello = next(events)
            stream_id = hello.id.rpartition(":")[0]
            assert hello.event == "hello"
            # The default period is 30 s: only the period set on the first beats after 5.
            assert a.post("/_sandbox/clock", params=clock, json={"advance": 5}).status_code == 200
            beat = next(events)
            assert (beat.id, beat.event) == (f"{stream_id}:2", "heartbeat")
        periods = b.post("/_sandbox/metasys/streaming", json={}).json()
        assert periods["heartbeatSeconds"] == 5.0


def test_a_default_tenant_fault_meets_requests_reaching_no_tenant_on_every_replica(
    pair: tuple[Replica, Replica],
) -> None:
    first, second = pair
    refused = {"client_id": "nobody", "client_secret": "nothing", "grant_type": "password"}
    with first.client() as a, second.client() as b:
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
