"""Two replicas on one Redis serve one sandbox: whichever replica a request reaches, it is
answered as one process would answer it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.atrius.conftest import meter_body
from tests.buildingminds.conftest import record
from tests.scaleout.replicas import Replica, replica
from tests.vendor_calls import (
    METASYS,
    ZONE_SETPOINT,
    atrius_token,
    buildingminds_token,
    metasys_adjust,
    metasys_id,
    metasys_token,
)


@pytest.fixture
def pair(redis_url: str) -> Any:
    with replica(redis_url) as first, replica(redis_url) as second:
        yield first, second


@pytest.fixture
def clients(pair: tuple[Replica, Replica]) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """A client of each replica of the pair: ``a`` the first's, ``b`` the second's."""
    first, second = pair
    with first.client() as a, second.client() as b:
        yield a, b


def test_a_tenant_created_on_one_replica_is_usable_on_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    created = a.post("/_sandbox/tenants")
    assert created.status_code == 201
    tenant = created.json()
    token = atrius_token(b, tenant["atrius"])
    buildings = b.get("/atrius/buildings/", headers={"Authorization": f"Bearer {token}"})
    assert buildings.status_code == 200
    assert b.get("/_sandbox/credentials", params={"tenant": tenant["tenant"]}).json() == {
        key: value for key, value in tenant.items() if key not in ("tenant", "tenant_token")
    }
    listed = b.get("/_sandbox/tenants").json()["tenants"]
    assert [entry["tenant"] for entry in listed] == ["default", tenant["tenant"]]
    assert all("tenant_token" not in entry for entry in listed)


def test_a_tenant_token_from_one_replica_opens_that_tenant_on_the_other_and_nothing_else(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = a.post("/_sandbox/tenants").json()
    other = a.post("/_sandbox/tenants").json()
    mine = {"X-Standin-Tenant-Token": tenant["tenant_token"]}
    moved = b.post("/_sandbox/clock", json={"freeze": True}, headers=mine)
    assert moved.status_code == 200
    assert a.get("/_sandbox/clock", params={"tenant": tenant["tenant"]}).json() == moved.json()
    refused = b.get("/_sandbox/clock", params={"tenant": other["tenant"]}, headers=mine)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": f"this X-Standin-Tenant-Token opens tenant {tenant['tenant']!r} only"
    }
    wrong = b.get("/_sandbox/clock", headers={"X-Standin-Tenant-Token": "st_not-a-token"})
    assert wrong.status_code == 401


def test_a_meter_written_on_one_replica_is_read_on_the_other(
    pair: tuple[Replica, Replica], clients: tuple[httpx.Client, httpx.Client]
) -> None:
    first, second = pair
    a, b = clients
    creds = a.get("/_sandbox/credentials").json()
    auth = {"Authorization": f"Bearer {atrius_token(a, creds['atrius'])}"}
    meter = a.post("/atrius/meters/", json=meter_body(sourceUnit="kwh"), headers=auth)
    assert meter.status_code == 201
    read = b.get(f"/atrius/meters/{meter.json()['uuid']}", headers=auth)
    assert read.status_code == 200
    # The same meter, its links on the host the client asked (the hand-off keeps Host).
    written = orjson.loads(meter.text.replace(first.base, second.base))
    assert read.json()["data"] == written


def test_a_metasys_command_on_one_replica_is_the_value_read_on_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    creds = b.get("/_sandbox/credentials").json()
    auth = {"Authorization": f"Bearer {metasys_token(a, creds['metasys'])}"}
    point = metasys_id(a, auth, ZONE_SETPOINT)
    metasys_adjust(a, auth, point, 71)
    value = b.get(f"{METASYS}/objects/{point}/attributes/presentValue", headers=auth)
    assert value.status_code == 200
    assert value.json()["item"]["presentValue"] == 71


def test_a_token_issued_by_one_replica_opens_the_other_and_its_revocation_too(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = b.post("/_sandbox/tenants").json()
    token = metasys_token(a, tenant["metasys"])
    auth = {"Authorization": f"Bearer {token}"}
    assert b.get(f"{METASYS}/spaces", headers=auth).status_code == 200
    assert a.get(f"{METASYS}/spaces", headers=auth).status_code == 200
    unknown = b.get(f"{METASYS}/spaces", headers={"Authorization": "Bearer nothing-issued"})
    assert unknown.status_code == 401


def test_a_clock_moved_through_one_replica_is_the_clock_of_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = a.post("/_sandbox/tenants").json()["tenant"]
    moved = b.post(
        "/_sandbox/clock", params={"tenant": tenant}, json={"set": "2031-05-04T03:02:01Z"}
    )
    assert moved.status_code == 200
    assert moved.json()["mode"] == "offset"
    frozen = b.post("/_sandbox/clock", params={"tenant": tenant}, json={"freeze": True})
    assert a.get("/_sandbox/clock", params={"tenant": tenant}).json() == frozen.json()
    # The default tenant's clock stays where it was.
    assert a.get("/_sandbox/clock").json()["mode"] == "real"


def test_a_tenant_deleted_through_either_replica_is_gone_from_both(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = a.post("/_sandbox/tenants").json()
    assert b.delete(f"/_sandbox/tenants/{tenant['tenant']}").status_code == 204
    assert [t["tenant"] for t in a.get("/_sandbox/tenants").json()["tenants"]] == ["default"]
    refused = a.post(
        "/atrius/o/token/",
        data={
            "client_id": tenant["atrius"]["client_id"],
            "client_secret": tenant["atrius"]["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    assert refused.status_code == 401
    assert b.get("/_sandbox/clock", params={"tenant": tenant["tenant"]}).status_code == 404


def test_faults_and_limits_set_through_one_replica_apply_on_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = a.post("/_sandbox/tenants").json()
    fault = b.post(
        "/_sandbox/faults",
        params={"tenant": tenant["tenant"]},
        json={"api": "atmotube", "status": 503, "body": {"error": "down"}},
    )
    assert fault.status_code == 201
    data = a.get("/atmotube/api/v1/data", params={"api_key": tenant["atmotube"]["api_key"]})
    assert (data.status_code, data.json()) == (503, {"error": "down"})
    changed = a.patch(
        "/_sandbox/limits",
        params={"tenant": tenant["tenant"]},
        json={"atmotube": {"requests": {"limit": 7}}},
    )
    assert changed.status_code == 200, changed.text
    seen = b.get("/_sandbox/limits", params={"tenant": tenant["tenant"]}).json()
    assert seen["atmotube"]["requests"]["limit"] == 7


def test_health_says_state_is_in_redis_and_redis_is_reachable(
    pair: tuple[Replica, Replica],
) -> None:
    first, _ = pair
    health = httpx.get(f"{first.base}/_sandbox/health", trust_env=False)
    assert health.status_code == 200
    body = health.json()
    assert (body["status"], body["storage"], body["redis"]) == ("ok", "redis", "reachable")


def test_a_buildingminds_tenant_made_on_one_replica_gets_azure_ad_tokens_on_the_other(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    creds = a.post("/_sandbox/tenants").json()["buildingminds"]
    discovery = b.get(f"/buildingminds/{creds['tenant']}/v2.0/.well-known/openid-configuration")
    assert discovery.status_code == 200
    auth = {"Authorization": f"Bearer {buildingminds_token(b, creds)}"}
    batches = a.get("/buildingminds/api/digitaltwinintegration/batch", headers=auth)
    assert batches.status_code == 200
    # Both replicas publish one signing key, so a token verifies against either's JWKS.
    keys_a = a.get(f"/buildingminds/{creds['tenant']}/discovery/v2.0/keys").json()
    keys_b = b.get(f"/buildingminds/{creds['tenant']}/discovery/v2.0/keys").json()
    assert keys_a == keys_b


def test_only_a_tenant_idle_across_the_replicas_is_removed_by_the_ttl(redis_url: str) -> None:
    now = [0.0]
    with (
        replica(redis_url, ["atmotube"], tenant_ttl=60, idle_source=lambda: now[0]) as first,
        replica(redis_url, ["atmotube"], tenant_ttl=60, idle_source=lambda: now[0]) as second,
        first.client() as a,
        second.client() as b,
    ):
        tenant = a.post("/_sandbox/tenants").json()
        creds = tenant["atmotube"]
        key = {"api_key": creds["api_key"], "mac": creds["macs"][0], "date": "2026-01-05"}
        now[0] = 50
        # Used through the other replica: the replica serving it sees the use.
        assert b.get("/atmotube/api/v1/data", params=key).status_code == 200
        served = first.sandbox.tenants.local(tenant["tenant"])
        assert served is not None
        assert second.sandbox.tenants.local(tenant["tenant"]) is None
        # The serving replica notes the use just after its answer has left.
        deadline = time.monotonic() + 5
        while served.last_used != 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        now[0] = 70
        a.get("/_sandbox/health")
        b.get("/_sandbox/health")
        listed = [t["tenant"] for t in b.get("/_sandbox/tenants").json()["tenants"]]
        assert listed == ["default", tenant["tenant"]]
        now[0] = 111
        a.get("/_sandbox/health")
        listed = [t["tenant"] for t in b.get("/_sandbox/tenants").json()["tenants"]]
        assert listed == ["default"]


def test_a_buildingminds_batch_is_completed_by_a_trigger_sent_to_either_replica(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = clients
    tenant = b.post("/_sandbox/tenants").json()
    creds = tenant["buildingminds"]
    token = buildingminds_token(a, creds)
    submitted = a.post(
        "/buildingminds/api/digitaltwinintegration/address",
        json=[record("address", "A1")],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert submitted.status_code == 200, submitted.text
    batch = submitted.json()["batchId"]
    # The tenant is served by the replica that created it (the second); ask the first.
    completed = a.post(f"/_sandbox/buildingminds/batches/{batch}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["tenant"] == tenant["tenant"]
    assert completed.json()["statusCounts"] == {"Completed": 1}
    missing = a.post("/_sandbox/buildingminds/batches/nope/complete")
    assert (missing.status_code, missing.json()) == (404, {"error": "unknown batch 'nope'"})
