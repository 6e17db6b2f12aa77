"""Every vendor's fake keeps tenants apart: a tenant's clock, faults and rate limits are its own,
and new tenants' credentials come from secrets, not the seed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin.registry import create_sandbox
from tests.atrius.conftest import token_for as atrius_token
from tests.buildingminds.conftest import BASE as BUILDINGMINDS
from tests.buildingminds.conftest import token_for as buildingminds_token
from tests.locus.conftest import password_token
from tests.metasys.conftest import BASE as METASYS
from tests.metasys.conftest import login


@dataclass(frozen=True)
class Vendor:
    """How one tenant calls one vendor: its credential as headers and query, and a read that
    only a known caller gets."""

    api: str
    credential: Callable[[httpx.Client, dict[str, Any]], dict[str, Any]]
    read: Callable[[dict[str, Any]], str]
    """The path of a guarded read for the tenant's credentials."""


def _bearer(token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def _metasys(client: httpx.Client, creds: dict[str, Any]) -> dict[str, Any]:
    response = login(client, str(creds["username"]), str(creds["password"]))
    assert response.status_code == 200, response.text
    return _bearer(response.json()["accessToken"])


def _atmotube_read(creds: dict[str, Any]) -> str:
    mac, key = creds["macs"][0], creds["api_key"]
    return f"/atmotube/api/v1/data?api_key={key}&mac={mac}&date=2022-06-13&limit=1"


ATRIUS = Vendor(
    "atrius",
    lambda client, creds: _bearer(atrius_token(client, creds)),
    lambda creds: f"/atrius/organizations/{creds['organization']}",
)
LOCUS = Vendor(
    "locus",
    lambda client, creds: _bearer(password_token(client, creds)["access_token"]),
    lambda creds: f"/locus/v3/partners/{creds['partner_id']}/sites",
)
METASYS_VENDOR = Vendor("metasys", _metasys, lambda creds: f"{METASYS}/networkDevices")
BUILDINGMINDS_VENDOR = Vendor(
    "buildingminds",
    lambda client, creds: _bearer(buildingminds_token(client, creds)),
    lambda creds: f"{BUILDINGMINDS}/batch",
)
ATMOTUBE = Vendor(
    "atmotube",
    lambda client, creds: {},  # the API key is in the query
    _atmotube_read,
)
WITH_TOKENS = [ATRIUS, LOCUS, METASYS_VENDOR, BUILDINGMINDS_VENDOR]
EVERY_VENDOR = [*WITH_TOKENS, ATMOTUBE]


def _ids(vendors: list[Vendor]) -> list[str]:
    return [vendor.api for vendor in vendors]


def _read(client: httpx.Client, vendor: Vendor, sandbox: Sandbox, tenant: str | None) -> Any:
    creds = sandbox.credentials(tenant)[vendor.api]
    credential = vendor.credential(client, creds)

    def read() -> httpx.Response:
        return client.get(vendor.read(creds), **credential)

    return read


@pytest.mark.parametrize("vendor", WITH_TOKENS, ids=_ids(WITH_TOKENS))
def test_advancing_one_tenants_clock_expires_its_tokens_and_no_one_elses(
    client: httpx.Client, sandbox: Sandbox, vendor: Vendor
) -> None:
    a, b = sandbox.create_tenant(), sandbox.create_tenant()
    read_a = _read(client, vendor, sandbox, a.id)
    read_b = _read(client, vendor, sandbox, b.id)
    read_default = _read(client, vendor, sandbox, None)
    assert [read().status_code for read in (read_a, read_b, read_default)] == [200, 200, 200]
    moved = client.post(f"/_sandbox/clock?tenant={a.id}", json={"advance": 12.5 * 3600})
    assert moved.status_code == 200
    assert read_a().status_code == 401
    assert read_b().status_code == 200
    assert read_default().status_code == 200


@pytest.mark.parametrize("vendor", EVERY_VENDOR, ids=_ids(EVERY_VENDOR))
def test_one_tenants_fault_leaves_the_others_alone(
    client: httpx.Client, sandbox: Sandbox, vendor: Vendor
) -> None:
    a, b = sandbox.create_tenant(), sandbox.create_tenant()
    read_a = _read(client, vendor, sandbox, a.id)
    read_b = _read(client, vendor, sandbox, b.id)
    fault = {"api": vendor.api, "status": 503, "body": {"injected": True}}
    assert client.post(f"/_sandbox/faults?tenant={a.id}", json=fault).status_code == 201
    faulted = read_a()
    assert (faulted.status_code, faulted.json()) == (503, {"injected": True})
    assert read_b().status_code == 200
    assert read_a().status_code == 503


@pytest.mark.parametrize("vendor", EVERY_VENDOR, ids=_ids(EVERY_VENDOR))
def test_the_default_tenants_fault_answers_its_own_reads_and_not_another_tenants(
    client: httpx.Client, sandbox: Sandbox, vendor: Vendor
) -> None:
    """The sandbox middleware applies the default tenant's faults only to requests that reach
    no tenant; a read another tenant's credential opens meets that tenant's faults alone."""
    other = sandbox.create_tenant()
    read_default = _read(client, vendor, sandbox, None)
    read_other = _read(client, vendor, sandbox, other.id)
    fault = {"api": vendor.api, "status": 503, "body": {"injected": True}}
    assert client.post("/_sandbox/faults", json=fault).status_code == 201
    assert read_default().status_code == 503
    assert read_other().status_code == 200


@pytest.mark.parametrize("vendor", EVERY_VENDOR, ids=_ids(EVERY_VENDOR))
def test_one_tenants_rate_limit_change_leaves_the_others_alone(
    client: httpx.Client, sandbox: Sandbox, vendor: Vendor
) -> None:
    a, b = sandbox.create_tenant(), sandbox.create_tenant()
    read_a = _read(client, vendor, sandbox, a.id)
    read_b = _read(client, vendor, sandbox, b.id)
    name = next(iter(sandbox.limits.describe()[vendor.api]))
    kind = sandbox.limits.describe()[vendor.api][name]["kind"]
    if kind == "concurrency":
        # One at a time is the vendor's own figure: hold A's only place instead.
        a.limits.get(vendor.api, name).acquire(a.credentials[vendor.api]["client_id"])
    else:
        change = {vendor.api: {name: {"limit": 1}}}
        assert client.patch(f"/_sandbox/limits?tenant={a.id}", json=change).status_code == 200
        assert read_a().status_code == 200
    assert read_a().status_code in (403, 429)
    assert [read_b().status_code for _ in range(3)] == [200, 200, 200]


def test_two_sandboxes_with_the_same_seed_give_new_tenants_different_credentials() -> None:
    first = create_sandbox(seed=0).create_tenant()
    second = create_sandbox(seed=0).create_tenant()
    assert first.id != second.id
    pairs = {
        "atmotube": ["api_key"],
        "atrius": ["client_id", "gateway", "organization"],
        "buildingminds": ["client_id", "directory_id", "forbidden_client_id"],
        "locus": ["client_id", "partner_ids"],
        "metasys": ["username", "password"],
    }
    for api, names in pairs.items():
        for name in names:
            mine, theirs = first.credentials[api][name], second.credentials[api][name]
            assert mine != theirs, (api, name)


def test_a_deleted_tenant_that_used_every_vendor_leaves_no_state_clock_or_limits_alive(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    created = client.post("/_sandbox/tenants")
    assert created.status_code == 201
    tenant_id = created.json()["tenant"]
    for vendor in EVERY_VENDOR:
        response = _read(client, vendor, sandbox, tenant_id)()
        assert response.status_code == 200, (vendor.api, response.text)
    tenant = sandbox.tenants.get(tenant_id)
    assert tenant is not None
    kept = {api: weakref.ref(state) for api, state in tenant.states.items()}
    kept |= {
        "tenant": weakref.ref(tenant),
        "clock": weakref.ref(tenant.clock),
        "limits": weakref.ref(tenant.limits),
        "faults": weakref.ref(tenant.faults),
    }
    del tenant
    assert client.delete(f"/_sandbox/tenants/{tenant_id}").status_code == 204
    gc.collect()
    assert sorted(kept) == sorted([*_ids(EVERY_VENDOR), "tenant", "clock", "limits", "faults"])
    assert [name for name, ref in kept.items() if ref() is not None] == []
