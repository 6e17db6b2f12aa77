"""Who opens the control plane: the admin token, a tenant's own token, a local client of an
unshared sandbox; and never a vendor credential."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.access import client_is_local
from standin._core.clock import Clock
from standin._core.durable import DATABASE_NAME, SqliteStore
from standin.registry import create_sandbox
from tests.buildingminds.conftest import record
from tests.conftest import NOW

pytestmark = pytest.mark.anyio

ADMIN = "adm1n-t0ken"
REMOTE = ("192.0.2.10", 5000)
NEEDS_A_TOKEN = {
    "error": "control plane requires the X-Standin-Admin-Token or X-Standin-Tenant-Token header"
}
NOT_THE_ADMIN_TOKEN = {"error": "the X-Standin-Admin-Token header is not this server's admin token"}
NO_TENANTS_TOKEN = {"error": "the X-Standin-Tenant-Token header is no tenant's token"}


def frozen() -> Clock:
    clock = Clock()
    clock.freeze(NOW)
    return clock


@asynccontextmanager
async def client_for(
    sandbox: Sandbox, client: tuple[str, int] = ("127.0.0.1", 40000)
) -> AsyncIterator[httpx.AsyncClient]:
    """The combined app, as a client at ``client`` (address, port) reaches it."""
    transport = httpx.ASGITransport(app=build_app(sandbox), client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as c:
        yield c


def admin() -> dict[str, str]:
    return {"X-Standin-Admin-Token": ADMIN}


def tenant_header(token: str) -> dict[str, str]:
    return {"X-Standin-Tenant-Token": token}


def not_yours(tenant: str) -> dict[str, str]:
    return {"error": f"this X-Standin-Tenant-Token opens tenant {tenant!r} only"}


@pytest.fixture
def shared() -> Sandbox:
    return create_sandbox(clock=frozen(), admin_token=ADMIN, shared=True)


@pytest.fixture
def unshared() -> Sandbox:
    """A plain local ``standin serve``: no admin token, not shared."""
    return create_sandbox(["atmotube"], clock=frozen())


@dataclass
class TwoTenants:
    """A remote client of the shared sandbox and two tenants it made with the admin token."""

    client: httpx.AsyncClient
    mine: dict[str, Any]
    theirs: dict[str, Any]

    @property
    def token(self) -> dict[str, str]:
        """My tenant token, as a header."""
        return tenant_header(self.mine["tenant_token"])


@pytest.fixture
async def two_tenants(shared: Sandbox) -> AsyncIterator[TwoTenants]:
    async with client_for(shared, REMOTE) as client:
        yield TwoTenants(client, await make_tenant(client), await make_tenant(client))


# --- the locality rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "local"),
    [
        (("127.0.0.1", 1), True),
        (("127.201.3.4", 1), True),
        (("::1", 1), True),
        (("::ffff:127.0.0.1", 1), True),
        (None, True),
        (("192.0.2.10", 5000), False),
        (("10.0.0.7", 1), False),
        (("::ffff:192.0.2.10", 1), False),
        (("2001:db8::1", 1), False),
        (("0.0.0.0", 1), False),
        (("localhost", 1), False),
        (("testclient", 50000), False),
    ],
)
def test_a_client_is_local_only_at_a_loopback_address_or_with_no_address(
    client: tuple[str, int] | None, local: bool
) -> None:
    assert client_is_local({"type": "http", "client": client}) is local


async def test_a_request_from_a_non_loopback_client_needs_a_token_on_an_unshared_sandbox(
    unshared: Sandbox,
) -> None:
    assert not unshared.is_shared
    async with client_for(unshared, REMOTE) as remote:
        refused = await remote.get("/_sandbox/clock")
        assert (refused.status_code, refused.json()) == (401, NEEDS_A_TOKEN)
        assert (await remote.get("/_sandbox/credentials")).status_code == 401
    for address in ("127.0.0.1", "::1"):
        async with client_for(unshared, (address, 40000)) as local:
            opened = await local.get("/_sandbox/clock")
            assert (opened.status_code, opened.json()) == (
                200,
                {"now": "2026-11-20T12:00:30.000Z", "mode": "frozen"},
            )


async def test_a_non_loopback_client_gets_in_with_a_tenant_token_on_an_unshared_sandbox(
    unshared: Sandbox,
) -> None:
    async with client_for(unshared) as local:
        created = (await local.post("/_sandbox/tenants")).json()
    async with client_for(unshared, REMOTE) as remote:
        clock = await remote.get("/_sandbox/clock", headers=tenant_header(created["tenant_token"]))
        assert clock.status_code == 200
        assert clock.json()["mode"] == "real"  # a new tenant's own clock, not the default's


async def test_on_a_shared_sandbox_a_local_client_needs_a_token_too(shared: Sandbox) -> None:
    async with client_for(shared) as local:
        refused = await local.get("/_sandbox/credentials")
        assert (refused.status_code, refused.json()) == (401, NEEDS_A_TOKEN)
        wrong = await local.get("/_sandbox/credentials", headers={"X-Standin-Admin-Token": "x"})
        assert (wrong.status_code, wrong.json()) == (401, NOT_THE_ADMIN_TOKEN)
        opened = await local.get("/_sandbox/credentials", headers=admin())
        assert opened.status_code == 200
        assert opened.json() == shared.credentials()
        access = await local.get("/_sandbox/access", headers=admin())
        assert access.json() == {"access": "admin", "tenant": None}


async def test_health_needs_no_token_from_anywhere(shared: Sandbox) -> None:
    async with client_for(shared, REMOTE) as remote:
        health = await remote.get("/_sandbox/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


async def test_a_local_client_of_an_unshared_sandbox_keeps_open_access(unshared: Sandbox) -> None:
    async with client_for(unshared) as local:
        access = await local.get("/_sandbox/access")
        assert access.json() == {"access": "local", "tenant": None}
        assert (await local.get("/_sandbox/tenants")).status_code == 200
        assert (await local.post("/_sandbox/tenants")).status_code == 201
        # An admin token sent to a server that has none is no error (a script's default).
        sent = await local.get("/_sandbox/clock", headers={"X-Standin-Admin-Token": "any"})
        assert sent.status_code == 200


async def test_a_wrong_tenant_token_is_refused_even_from_a_local_client(unshared: Sandbox) -> None:
    async with client_for(unshared) as local:
        wrong = await local.get("/_sandbox/clock", headers=tenant_header("st_not-a-token"))
    assert (wrong.status_code, wrong.json()) == (401, NO_TENANTS_TOKEN)


# --- tenant tokens ---------------------------------------------------------------------------


async def make_tenant(client: httpx.AsyncClient) -> dict[str, Any]:
    created = await client.post("/_sandbox/tenants", headers=admin())
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def test_a_tenant_token_opens_its_own_clock_and_not_another_tenants(
    shared: Sandbox, two_tenants: TwoTenants
) -> None:
    client, mine, theirs = two_tenants.client, two_tenants.mine, two_tenants.theirs
    token = two_tenants.token
    assert mine["tenant_token"].startswith("st_")
    assert mine["tenant_token"] != theirs["tenant_token"]

    moved = await client.post("/_sandbox/clock", json={"freeze": True}, headers=token)
    assert moved.status_code == 200
    moved = await client.post("/_sandbox/clock", json={"advance": 3600}, headers=token)
    assert moved.status_code == 200
    assert moved.json()["mode"] == "frozen"
    named = await client.get(f"/_sandbox/clock?tenant={mine['tenant']}", headers=token)
    assert named.json() == moved.json()
    assert shared.tenant(mine["tenant"]).clock.mode == "frozen"
    assert shared.tenant(theirs["tenant"]).clock.mode == "real"
    assert shared.clock.now() == NOW

    for other in (theirs["tenant"], "default", "t-nope"):
        for method, body in (("GET", None), ("POST", {"advance": 60})):
            refused = await client.request(
                method, f"/_sandbox/clock?tenant={other}", json=body, headers=token
            )
            assert (refused.status_code, refused.json()) == (403, not_yours(mine["tenant"]))
    assert shared.tenant(theirs["tenant"]).clock.mode == "real"
    assert shared.clock.now() == NOW


async def test_a_tenant_token_reaches_all_of_its_own_tenants_control_plane(
    shared: Sandbox, two_tenants: TwoTenants
) -> None:
    client, mine, theirs = two_tenants.client, two_tenants.mine, two_tenants.theirs
    token = two_tenants.token
    me = mine["tenant"]

    access = await client.get("/_sandbox/access", headers=token)
    assert access.json() == {"access": "tenant", "tenant": me}
    credentials = await client.get("/_sandbox/credentials", headers=token)
    assert credentials.json() == shared.credentials(me)

    fault = await client.post(
        "/_sandbox/faults", json={"api": "atmotube", "status": 503}, headers=token
    )
    assert fault.status_code == 201
    faults = (await client.get("/_sandbox/faults", headers=token)).json()["faults"]
    assert [f["id"] for f in faults] == [fault.json()["id"]]
    assert shared.tenant(theirs["tenant"]).faults.list() == []
    assert shared.tenant("default").faults.list() == []
    removed = await client.delete(f"/_sandbox/faults/{fault.json()['id']}", headers=token)
    assert removed.status_code == 204
    assert (await client.delete("/_sandbox/faults", headers=token)).status_code == 204

    limits = await client.patch(
        "/_sandbox/limits", json={"atmotube": {"requests": {"limit": 7}}}, headers=token
    )
    assert limits.status_code == 200
    assert limits.json()["atmotube"]["requests"]["limit"] == 7
    default_limits = shared.tenant("default").limits.describe()
    assert default_limits["atmotube"]["requests"]["limit"] != 7

    reset = await client.post("/_sandbox/reset", headers=token)
    assert reset.json() == {"reset": [me]}

    # The journal: its own tenant's entries only, whatever the filter leaves out.
    for tenant in (mine, theirs):
        read = await client.get(
            "/atmotube/api/v1/data",
            params={"api_key": tenant["atmotube"]["api_key"], "mac": "AA:BB:CC:DD:EE:01"},
        )
        assert read.status_code == 404, read.text  # the tenant's, not a device of it
    entries = (await client.get("/_sandbox/requests", headers=token)).json()["requests"]
    assert [e["tenant"] for e in entries] == [me]
    count = await client.get("/_sandbox/requests/count", headers=token)
    assert count.json() == {"count": 1}
    found = await client.post("/_sandbox/requests/find", json={"api": "atmotube"}, headers=token)
    assert [e["tenant"] for e in found.json()["requests"]] == [me]
    assert (await client.delete("/_sandbox/requests", headers=token)).status_code == 204
    counted = await client.post("/_sandbox/requests/count", json={}, headers=token)
    assert counted.json() == {"count": 0}
    everyone = await client.get("/_sandbox/requests/count", headers=admin())
    assert everyone.json() == {"count": 1}  # the other tenant's entry stays


async def test_a_tenant_token_is_refused_the_tenant_list_new_tenants_and_other_tenants(
    shared: Sandbox, two_tenants: TwoTenants
) -> None:
    client, mine, theirs = two_tenants.client, two_tenants.mine, two_tenants.theirs
    token = two_tenants.token
    listed = await client.get("/_sandbox/tenants", headers=token)
    assert (listed.status_code, listed.json()) == (
        403,
        {"error": "listing tenants needs the X-Standin-Admin-Token"},
    )
    created = await client.post("/_sandbox/tenants", headers=token)
    assert (created.status_code, created.json()) == (
        403,
        {"error": "creating a tenant needs the X-Standin-Admin-Token"},
    )
    refused = not_yours(mine["tenant"])
    other = theirs["tenant"]
    for method, path, body in (
        ("GET", f"/_sandbox/credentials?tenant={other}", None),
        ("GET", "/_sandbox/credentials?tenant=default", None),
        ("POST", f"/_sandbox/reset?tenant={other}", None),
        ("GET", f"/_sandbox/faults?tenant={other}", None),
        ("POST", f"/_sandbox/faults?tenant={other}", {"api": "atmotube", "status": 500}),
        ("PATCH", f"/_sandbox/limits?tenant={other}", {}),
        ("GET", f"/_sandbox/requests?tenant={other}", None),
        ("GET", f"/_sandbox/requests/count?tenant={other}", None),
        ("POST", "/_sandbox/requests/find", {"tenant": other}),
        ("DELETE", f"/_sandbox/requests?tenant={other}", None),
        ("DELETE", f"/_sandbox/tenants/{other}", None),
        ("DELETE", "/_sandbox/tenants/default", None),
    ):
        answer = await client.request(method, path, json=body, headers=token)
        assert (answer.status_code, answer.json()) == (403, refused), (method, path)
    assert [t.id for t in shared.tenants.all()] == ["default", mine["tenant"], other]
    assert shared.tenant(other).faults.list() == []


async def test_a_tenant_token_removes_its_own_tenant_and_then_opens_nothing(
    shared: Sandbox,
) -> None:
    async with client_for(shared, REMOTE) as client:
        mine = await make_tenant(client)
        token = tenant_header(mine["tenant_token"])
        removed = await client.delete(f"/_sandbox/tenants/{mine['tenant']}", headers=token)
        assert removed.status_code == 204
        after = await client.get("/_sandbox/clock", headers=token)
    assert (after.status_code, after.json()) == (401, NO_TENANTS_TOKEN)
    assert [t.id for t in shared.tenants.all()] == ["default"]


async def test_a_tenant_token_triggers_vendor_events_in_its_own_tenant_only(
    shared: Sandbox, two_tenants: TwoTenants
) -> None:
    client, mine, theirs = two_tenants.client, two_tenants.mine, two_tenants.theirs
    token = two_tenants.token
    refused = (403, not_yours(mine["tenant"]))

    # Locus and Metasys triggers name a tenant in the body: their own by default.
    alert = {"componentId": 123, "durationSeconds": 60}
    raised = await client.post("/_sandbox/locus/alerts", json=alert, headers=token)
    assert raised.status_code == 201, raised.text
    elsewhere = await client.post(
        "/_sandbox/locus/alerts", json={**alert, "tenant": theirs["tenant"]}, headers=token
    )
    assert (elsewhere.status_code, elsewhere.json()) == refused
    flags = await client.post(
        "/_sandbox/metasys/streaming", json={"arrayUpdates": True}, headers=token
    )
    assert flags.status_code == 200
    assert flags.json()["arrayUpdates"] is True
    in_default = await client.post(
        "/_sandbox/metasys/streaming",
        json={"arrayUpdates": True, "tenant": "default"},
        headers=token,
    )
    assert (in_default.status_code, in_default.json()) == refused
    heartbeat = await client.post(
        "/_sandbox/metasys/streaming", json={"heartbeatSeconds": 5}, headers=token
    )
    assert (heartbeat.status_code, heartbeat.json()) == (
        403,
        {"error": "changing the sandbox-wide heartbeat periods needs the X-Standin-Admin-Token"},
    )

    # Atmotube's names its tenant by an API key.
    device = {"api_key": mine["atmotube"]["api_key"], "mac": "AA:BB:CC:DD:EE:01"}
    registered = await client.post("/_sandbox/atmotube/devices", json=device, headers=token)
    assert registered.status_code == 201, registered.text
    other_key = {**device, "api_key": theirs["atmotube"]["api_key"]}
    foreign = await client.post("/_sandbox/atmotube/devices", json=other_key, headers=token)
    assert (foreign.status_code, foreign.json()) == refused

    # BuildingMinds' by a record id: another tenant's batch is not found.
    bm = {"Authorization": f"Bearer {await _bm_token(client, theirs['buildingminds'])}"}
    posted = await client.post(
        "/buildingminds/api/digitaltwinintegration/address",
        json=[record("address", "A1")],
        headers=bm,
    )
    batch = posted.json()["batchId"]
    hidden = await client.post(f"/_sandbox/buildingminds/batches/{batch}/complete", headers=token)
    assert (hidden.status_code, hidden.json()) == (
        404,
        {"error": f"unknown batch {batch!r}"},
    )
    own = tenant_header(theirs["tenant_token"])
    completed = await client.post(f"/_sandbox/buildingminds/batches/{batch}/complete", headers=own)
    assert completed.status_code == 200
    timing = await client.patch(
        "/_sandbox/buildingminds/processing", json={"pickup_seconds": 1}, headers=token
    )
    assert (timing.status_code, timing.json()) == (
        403,
        {"error": "changing the sandbox-wide processing times needs the X-Standin-Admin-Token"},
    )
    assert (
        await client.get("/_sandbox/buildingminds/processing", headers=token)
    ).status_code == 200


async def _bm_token(client: httpx.AsyncClient, creds: dict[str, str]) -> str:
    form = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "scope": creds["scope"] + "/.default",
        "grant_type": "client_credentials",
    }
    answer = await client.post(f"/buildingminds/{creds['tenant']}/oauth2/v2.0/token", data=form)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


# --- vendor credentials ----------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


async def _vendor_secrets(
    client: httpx.AsyncClient, sandbox: Sandbox, tenant: dict[str, Any]
) -> dict[str, str]:
    """Every credential value of the default tenant and of ``tenant``, and the tokens of every
    API that issues them, each under a name for the failure message."""
    found: dict[str, str] = {}
    for owner, credentials in (("default", sandbox.credentials()), ("tenant", tenant)):
        for api in sandbox.apis:
            for number, value in enumerate(_strings(credentials[api])):
                found[f"{owner} {api} credential {number}"] = value
    creds = sandbox.credentials()
    atrius = await client.post(
        "/atrius/o/token/",
        data={
            "client_id": creds["atrius"]["client_id"],
            "client_secret": creds["atrius"]["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    found["atrius access token"] = atrius.json()["access_token"]
    found["buildingminds access token"] = await _bm_token(client, creds["buildingminds"])
    locus_form = {
        "grant_type": "password",
        **{
            name: creds["locus"][name]
            for name in ("client_id", "client_secret", "username", "password")
        },
    }
    locus = (await client.post("/locus/oauth/token", data=locus_form)).json()
    found["locus access token"] = locus["access_token"]
    found["locus refresh token"] = locus["refresh_token"]
    metasys = await client.post(
        "/metasys/api/v4/login",
        json={"username": creds["metasys"]["username"], "password": creds["metasys"]["password"]},
    )
    found["metasys access token"] = metasys.json()["accessToken"]
    return found


async def test_vendor_credentials_never_open_the_control_plane(shared: Sandbox) -> None:
    async with client_for(shared) as client:
        tenant = await make_tenant(client)
        secrets = await _vendor_secrets(client, shared, tenant)
    assert len(secrets) > 20
    unshared = create_sandbox(clock=frozen())
    for sandbox, where in ((shared, ("127.0.0.1", 40000)), (unshared, REMOTE)):
        async with client_for(sandbox, where) as client:
            for name, secret in secrets.items():
                for headers, body in (
                    ({"X-Standin-Admin-Token": secret}, NOT_THE_ADMIN_TOKEN),
                    ({"X-Standin-Tenant-Token": secret}, NO_TENANTS_TOKEN),
                    ({"Authorization": f"Bearer {secret}"}, NEEDS_A_TOKEN),
                ):
                    if sandbox is unshared and "X-Standin-Admin-Token" in headers:
                        body = NEEDS_A_TOKEN  # a server without an admin token ignores one
                    answer = await client.get("/_sandbox/credentials", headers=headers)
                    assert (answer.status_code, answer.json()) == (401, body), (name, headers)


# --- kept with the tenant --------------------------------------------------------------------


async def tenants_kept_in(data_dir: Path, count: int) -> list[dict[str, Any]]:
    """``count`` tenants made (with the admin token) by a server keeping ``data_dir``, which
    then stops: what ``POST /_sandbox/tenants`` answered for each."""
    sandbox = create_sandbox(["atmotube"], data_dir=data_dir, admin_token=ADMIN)
    try:
        async with client_for(sandbox) as client:
            return [await make_tenant(client) for _ in range(count)]
    finally:
        sandbox.close()


async def test_a_tenant_token_survives_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    (tenant,) = await tenants_kept_in(tmp_path, 1)
    second = create_sandbox(["atmotube"], data_dir=tmp_path, admin_token=ADMIN)
    async with client_for(second, REMOTE) as client:
        token = tenant_header(tenant["tenant_token"])
        credentials = await client.get("/_sandbox/credentials", headers=token)
        assert credentials.status_code == 200
        assert credentials.json() == {"atmotube": tenant["atmotube"]}
        listed = await client.get("/_sandbox/tenants", headers=admin())
        assert listed.json()["tenants"][1] == {
            "tenant": tenant["tenant"],
            "atmotube": tenant["atmotube"],
        }
    second.close()


def kept_files(data_dir: Path) -> bytes:
    """Every byte of a data directory (the database, its write-ahead log)."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.iterdir()) if path.is_file())


async def test_a_data_dir_keeps_a_tenant_tokens_digest_and_never_the_token(
    tmp_path: Path,
) -> None:
    (tenant,) = await tenants_kept_in(tmp_path, 1)
    token = tenant["tenant_token"]
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert token.encode() not in kept_files(tmp_path)
    with contextlib.closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        rows = db.execute("SELECT id, token_digest FROM tenants ORDER BY rowid").fetchall()
    assert rows == [("default", None), (tenant["tenant"], digest)]


def test_a_data_dir_kept_before_tenant_tokens_leaves_its_tenants_to_the_admin(
    tmp_path: Path,
) -> None:
    first = create_sandbox(["atmotube"], data_dir=tmp_path)
    tenant = first.create_tenant()
    first.close()
    with contextlib.closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        db.execute("UPDATE tenants SET token_digest = NULL")  # as an older standin kept it
    second = create_sandbox(["atmotube"], data_dir=tmp_path)
    assert second.tenant(tenant.id).token_digest is None
    assert second.credentials(tenant.id) == tenant.credentials
    second.close()


def test_the_store_adds_the_token_digest_column_to_an_older_tenants_table(
    tmp_path: Path,
) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        db.execute(
            "CREATE TABLE tenants (id TEXT PRIMARY KEY, credentials TEXT NOT NULL, "
            "created REAL NOT NULL)"
        )
        db.execute("INSERT INTO tenants VALUES ('t-old', '{}', 0)")
    store = SqliteStore(tmp_path / DATABASE_NAME)
    assert store.tenants() == [("t-old", {}, None)]
    store.close()


async def test_a_data_dir_that_kept_plain_tokens_keeps_their_digests_and_they_still_open(
    tmp_path: Path,
) -> None:
    mine, theirs = await tenants_kept_in(tmp_path, 2)
    with (
        contextlib.closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db,
        db,
    ):  # as the previous schema kept them
        db.execute("ALTER TABLE tenants DROP COLUMN token_digest")
        db.execute("ALTER TABLE tenants ADD COLUMN token TEXT")
        for made in (mine, theirs):
            db.execute(
                "UPDATE tenants SET token = ? WHERE id = ?", (made["tenant_token"], made["tenant"])
            )
    second = create_sandbox(["atmotube"], data_dir=tmp_path, admin_token=ADMIN)
    async with client_for(second, REMOTE) as client:
        for made in (mine, theirs):
            opened = await client.get(
                "/_sandbox/credentials", headers=tenant_header(made["tenant_token"])
            )
            assert (opened.status_code, opened.json()) == (200, {"atmotube": made["atmotube"]})
        refused = await client.get(
            "/_sandbox/credentials",
            params={"tenant": theirs["tenant"]},
            headers=tenant_header(mine["tenant_token"]),
        )
        assert (refused.status_code, refused.json()) == (403, not_yours(mine["tenant"]))
    second.close()
    with contextlib.closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(tenants)")]
    assert columns == ["id", "credentials", "created", "token_digest"]
    for made in (mine, theirs):
        assert made["tenant_token"].encode() not in kept_files(tmp_path)
