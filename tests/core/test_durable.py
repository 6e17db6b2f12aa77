"""Durable state: ``--data-dir`` keeps tenants, tokens and every acknowledged write of every API
in SQLite, and a sandbox made on the same directory (or a server restarted on it, even after
SIGKILL) has them all back."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.durable import DATABASE_NAME, SqlitePersistence, SqliteStore
from standin._core.pickling import dump_state, load_state
from standin._core.tokens import IssuedToken
from standin.atmotube.api import AtmotubeApi
from standin.atrius.api import AtriusApi
from standin.buildingminds.api import BuildingMindsApi
from standin.buildingminds.state import InboundQuery
from standin.inprocess import AsgiBridge
from standin.metasys.api import MetasysApi
from standin.metasys.state import MetasysState
from standin.registry import create_sandbox
from tests.atrius.conftest import LIB_ELECTRICITY, LIBRARY, meter_body
from tests.buildingminds.conftest import record
from tests.buildingminds.conftest import token_for as buildingminds_token
from tests.kill_support import AcknowledgedWrites
from tests.locus.conftest import HUDSON, password_token
from tests.metasys.certificate_cases import PARAMETERS
from tests.support import serving
from tests.vendor_calls import (
    METASYS,
    ZONE_SETPOINT,
    atrius_token,
    metasys_adjust,
    metasys_id,
    metasys_token,
)

ENGINE = "ADS1:NAE-1"
EPOCH = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())


# --- the store -------------------------------------------------------------------------------


def test_the_store_keeps_tenants_in_creation_order_with_their_states(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DATABASE_NAME)
    store.put_tenant("default", {"atrius": {"client_id": "a"}}, {"atrius": b"one"})
    store.put_tenant("t-2", {"atrius": {"client_id": "b"}}, {"atrius": b"two"}, bytes(range(32)))
    store.put_states([("default", "atrius", b"three")])
    store.put_tenant("default", {"atrius": {"client_id": "c"}}, {})
    store.close()
    reopened = SqliteStore(tmp_path / DATABASE_NAME)
    assert reopened.tenants() == [
        ("default", {"atrius": {"client_id": "c"}}, None),
        ("t-2", {"atrius": {"client_id": "b"}}, bytes(range(32))),
    ]
    assert reopened.states("default") == {"atrius": b"three"}
    reopened.delete_tenant("t-2")
    assert [tenant_id for tenant_id, _, _ in reopened.tenants()] == ["default"]
    assert reopened.states("t-2") == {}
    reopened.close()


def test_the_store_keeps_tokens_until_they_are_forgotten(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DATABASE_NAME)
    token = IssuedToken(
        value="abc",
        kind="access",
        tenant_id="default",
        subject="user",
        issued_at=1_700_000_000.0,
        expires_at=1_700_003_600.0,
        client_id="client",
        scope="read",
        claims={"roles": ["Write"]},
    )
    store.put_token("locus", token)
    store.put_token("locus", IssuedToken("def", "refresh", "default", "user", 1.0, None))
    assert store.tokens("locus")[0] == token
    assert store.tokens("atrius") == []
    store.delete_tokens("locus", ["abc"])
    assert [kept.value for kept in store.tokens("locus")] == ["def"]
    store.close()


def test_the_store_commits_through_a_write_ahead_log(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DATABASE_NAME)
    # synchronous=NORMAL is per connection: 1. The journal mode is kept in the file.
    assert store._rows("PRAGMA synchronous") == [(1,)]
    store.close()
    assert SqliteStore(tmp_path / DATABASE_NAME)._rows("PRAGMA journal_mode") == [("wal",)]


def test_the_store_keeps_a_signing_key_per_api(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DATABASE_NAME)
    assert store.signing_key("metasys") is None
    store.put_signing_key("metasys", "kid", b"PEM")
    assert store.signing_key("metasys") == ("kid", b"PEM")
    store.close()


# --- snapshots -------------------------------------------------------------------------------


def test_a_snapshot_refers_to_the_clock_and_the_vendor_objects_instead_of_copying_them() -> None:
    sandbox = create_sandbox(["atmotube", "buildingminds"])
    tenant = sandbox.tenants.default()
    atmotube = sandbox.vendor(AtmotubeApi)
    restored = load_state(dump_state(atmotube.state(tenant), atmotube), atmotube, sandbox.clock)
    assert vars(restored)["_cache"] is atmotube.cache
    assert vars(restored)["_clock"] is sandbox.clock
    buildingminds = sandbox.vendor(BuildingMindsApi)
    state = buildingminds.state(tenant)
    restored = load_state(dump_state(state, buildingminds), buildingminds, sandbox.clock)
    assert vars(restored)["_timing"] is buildingminds.timing
    assert [b.id for b in vars(restored)["batches"].values()] == [
        b.id for b in state.batches.values()
    ]


def test_listeners_of_open_streams_are_not_kept_in_a_snapshot() -> None:
    sandbox = create_sandbox(["metasys"])
    metasys = sandbox.vendor(MetasysApi)
    state = metasys.state(sandbox.tenants.default())
    heard: list[object] = []
    state.event_listeners.append(heard.append)
    state.alarms.listeners.append(lambda action, alarm: heard.append(alarm))
    restored = load_state(dump_state(state, metasys), metasys, sandbox.clock)
    assert isinstance(restored, MetasysState)
    assert (list(restored.event_listeners), list(restored.alarms.listeners)) == ([], [])
    assert len(state.event_listeners) == 1


# --- a restart, in process --------------------------------------------------------------------


@contextmanager
def client_of(sandbox: Sandbox) -> Iterator[httpx.Client]:
    bridge = AsgiBridge(build_app(sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://standin.test") as c:
        yield c
    bridge.close()


def test_health_says_where_state_is_kept(tmp_path: Path) -> None:
    with client_of(create_sandbox(["atrius"])) as client:
        assert client.get("/_sandbox/health").json()["storage"] == "memory"
    sandbox = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(sandbox) as client:
        assert client.get("/_sandbox/health").json()["storage"] == "sqlite"
    sandbox.close()
    assert (tmp_path / DATABASE_NAME).exists()


def test_a_sandbox_on_the_same_data_dir_has_every_write_tenant_and_token_back(
    tmp_path: Path,
) -> None:
    first = create_sandbox(data_dir=tmp_path)
    creds = first.credentials()
    with client_of(first) as client:
        tenant = client.post("/_sandbox/tenants").json()
        atrius = {"Authorization": f"Bearer {atrius_token(client, creds['atrius'])}"}
        meter = client.post("/atrius/meters/", json=meter_body(sourceUnit="kwh"), headers=atrius)
        assert meter.status_code == 201
        meter_uuid = meter.json()["uuid"]
        pushed = client.post(
            "/atrius/gateways/48213/data",
            json={"meta": {}, "data": {meter_uuid: [["2024-01-15T10:00:00Z", 72.5]]}},
            headers=atrius,
        )
        assert pushed.status_code == 200, pushed.text
        metasys = {"Authorization": f"Bearer {metasys_token(client, creds['metasys'])}"}
        point = metasys_id(client, metasys, ZONE_SETPOINT)
        engine = metasys_id(client, metasys, ENGINE)
        metasys_adjust(client, metasys, point, 70)
        enumeration = client.post(
            f"{METASYS}/enumerations",
            json={
                "item": {
                    "title": "Fan Modes",
                    "members": [{"title": "Off"}, {"title": "Low"}, {"title": "High"}],
                }
            },
            headers=metasys,
        )
        assert enumeration.status_code == 201
        signing = client.post(
            f"{METASYS}/networkDevices/{engine}/signingRequests/bacnet",
            json=PARAMETERS,
            headers=metasys,
        )
        assert signing.status_code == 201, signing.text
        device = client.post(
            "/_sandbox/atmotube/devices",
            json={"api_key": creds["atmotube"]["api_key"], "mac": "AA:BB:CC:DD:EE:01"},
        )
        assert device.status_code == 201
    first.close()

    second = create_sandbox(data_dir=tmp_path)
    assert [t.id for t in second.tenants.all()] == ["default", tenant["tenant"]]
    assert second.credentials(tenant["tenant"]) == {
        key: value for key, value in tenant.items() if key not in ("tenant", "tenant_token")
    }
    with client_of(second) as client:
        read = client.get(f"/atrius/meters/{meter_uuid}", headers=atrius)
        assert read.status_code == 200
        assert read.json()["data"] == meter.json()
        data = client.get(
            f"/atrius/meters/{meter_uuid}/data/",
            params={"start": "2024-01-15", "end": "2024-01-15", "resolution": "live"},
            headers=atrius,
        )
        assert data.json()["data"] == [{"localtime": "2024-01-15T05:00:00-05:00", "value": 72.5}]
        value = client.get(f"{METASYS}/objects/{point}/attributes/presentValue", headers=metasys)
        assert value.status_code == 200
        assert value.json()["item"]["presentValue"] == 70
        listed = client.get(f"{METASYS}/enumerations/customEnumSet30001", headers=metasys)
        assert listed.status_code == 200
        kept = client.get(
            f"{METASYS}/networkDevices/{engine}/signingRequests/bacnet", headers=metasys
        )
        assert (kept.status_code, kept.text) == (200, signing.text)
        readings = client.get(
            "/atmotube/api/v1/data",
            params={
                "api_key": creds["atmotube"]["api_key"],
                "mac": "AA:BB:CC:DD:EE:01",
                "date": second.clock.now().date().isoformat(),
            },
        )
        assert readings.status_code == 200, readings.text
        # New tenants after a restart draw new ids, never the kept ones again.
        assert client.post("/_sandbox/tenants").json()["tenant"] != tenant["tenant"]
    second.close()


def test_batches_with_their_statuses_alerts_raised_and_signed_tokens_come_back(
    tmp_path: Path,
) -> None:
    first = create_sandbox(["buildingminds", "locus"], data_dir=tmp_path)
    creds = first.credentials()
    with client_of(first) as client:
        # An RS256 token: the signing key is kept, so it still verifies after the restart.
        bm = {"Authorization": f"Bearer {buildingminds_token(client, creds['buildingminds'])}"}
        posted = client.post(
            "/buildingminds/api/digitaltwinintegration/address",
            json=[record("address", "A1")],
            headers=bm,
        )
        batch = posted.json()["batchId"]
        completed = client.post(f"/_sandbox/buildingminds/batches/{batch}/complete")
        assert completed.status_code == 200
        locus = {
            "Authorization": f"Bearer {password_token(client, creds['locus'])['access_token']}"
        }
        raised = client.post(
            "/_sandbox/locus/alerts", json={"componentId": 123, "durationSeconds": 3600}
        )
        assert raised.status_code == 201
    first.close()

    second = create_sandbox(["buildingminds", "locus"], data_dir=tmp_path)
    with client_of(second) as client:
        inbound = client.get(
            f"/buildingminds/api/digitaltwinintegration/batch/{batch}/inbound", headers=bm
        )
        assert inbound.status_code == 200, inbound.text
        assert [m["status"] for m in inbound.json()["data"]] == ["Completed"]
        alerts = client.get(
            f"/locus/v3/sites/{HUDSON}/alerts",
            params={"tz": "UTC", "status": "open"},
            headers=locus,
        )
        assert alerts.status_code == 200, alerts.text
        assert raised.json() in alerts.json()["alerts"]
    second.close()


def test_an_api_served_after_a_restart_starts_from_its_fixtures_beside_the_kept_ones(
    tmp_path: Path,
) -> None:
    first = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(first) as client:
        auth = {"Authorization": f"Bearer {atrius_token(client, first.credentials()['atrius'])}"}
        meter = client.post("/atrius/meters/", json=meter_body(), headers=auth).json()["uuid"]
    first.close()
    second = create_sandbox(["atrius", "locus"], data_dir=tmp_path)
    with client_of(second) as client:
        assert client.get(f"/atrius/meters/{meter}", headers=auth).status_code == 200
        password_token(client, second.credentials()["locus"])
    second.close()
    third = create_sandbox(["atrius", "locus"], data_dir=tmp_path)
    assert third.credentials() == second.credentials()
    third.close()


def test_an_unreadable_snapshot_starts_that_api_again_from_its_fixtures(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(first) as client:
        auth = {"Authorization": f"Bearer {atrius_token(client, first.credentials()['atrius'])}"}
        meter = client.post("/atrius/meters/", json=meter_body(), headers=auth).json()["uuid"]
    first.close()
    store = SqliteStore(tmp_path / DATABASE_NAME)
    store.put_states([("default", "atrius", b"not a pickle")])
    store.close()
    second = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(second) as client:
        assert client.get(f"/atrius/meters/{meter}", headers=auth).status_code == 404
        assert client.get(f"/atrius/buildings/{LIBRARY}", headers=auth).status_code == 200
    second.close()
    assert "atrius state of tenant default is unreadable" in caplog.text


def test_a_kept_token_still_expires_on_the_sandbox_clock(tmp_path: Path) -> None:
    first = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(first) as client:
        token = atrius_token(client, first.credentials()["atrius"])
    first.close()
    second = create_sandbox(["atrius"], data_dir=tmp_path)
    auth = {"Authorization": f"Bearer {token}"}
    with client_of(second) as client:
        assert client.get(f"/atrius/buildings/{LIBRARY}", headers=auth).status_code == 200
        second.clock.advance(36000)
        assert client.get(f"/atrius/buildings/{LIBRARY}", headers=auth).status_code == 401
    second.close()


def test_a_reset_is_kept(tmp_path: Path) -> None:
    first = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(first) as client:
        auth = {"Authorization": f"Bearer {atrius_token(client, first.credentials()['atrius'])}"}
        meter = client.post("/atrius/meters/", json=meter_body(), headers=auth).json()["uuid"]
        assert client.post("/_sandbox/reset").status_code == 200
    first.close()
    second = create_sandbox(["atrius"], data_dir=tmp_path)
    with client_of(second) as client:
        assert client.get(f"/atrius/meters/{meter}", headers=auth).status_code == 404
    second.close()


# --- SIGKILL mid-load, over real processes ----------------------------------------------------


def test_every_acknowledged_write_survives_sigkill_mid_load(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "data")
    with serving("--data-dir", data_dir, "--log-level", "warning") as (process, base):
        with httpx.Client(base_url=base, timeout=10) as setup:
            writes = AcknowledgedWrites.logged_in(setup)
        writes.start(meters_at=[base], commands_at=base)
        writes.wait_for(meters=20, commands=5, seconds=20)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        writes.stop(join_seconds=10)
    assert process.returncode == -signal.SIGKILL
    assert len(writes.meters) >= 20
    assert len(writes.commanded) >= 5

    with (
        serving("--data-dir", data_dir, "--log-level", "warning") as (_, base),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        assert writes.missing_meters(client) == []
        # The token issued before the kill still opens Metasys; the value is the last
        # acknowledged command, or one that was in flight when the server died.
        assert writes.present_value(client) >= writes.commanded[-1]


@pytest.mark.parametrize("variable", [True, False])
def test_serve_takes_the_data_dir_from_the_option_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: bool
) -> None:
    if variable:
        monkeypatch.setenv("STANDIN_DATA_DIR", str(tmp_path))
    options = () if variable else ("--data-dir", str(tmp_path))
    with serving(*options) as (_, base):
        assert httpx.get(f"{base}/_sandbox/health").json()["storage"] == "sqlite"
    assert (tmp_path / DATABASE_NAME).exists()


def test_a_write_the_store_refused_is_kept_whole_by_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changes a failed transaction carried are not lost to the writes after it."""
    sandbox = create_sandbox(["metasys"], data_dir=tmp_path)
    tenant = sandbox.tenants.default()
    state = sandbox.vendor(MetasysApi).state(tenant)
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    user = next(u for u in state.users.values() if u.can_write)
    persistence = sandbox.persistence
    assert isinstance(persistence, SqlitePersistence)

    def disk_full(states: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    state.command(point, "adjustCommand", {"parameters": [61.0]}, user)
    with monkeypatch.context() as patched:
        patched.setattr(persistence.store, "put_states", disk_full)
        with pytest.raises(sqlite3.OperationalError):
            persistence.save_state(tenant, "metasys")
    state.command(point, "adjustCommand", {"parameters": [62.0]}, user)
    persistence.save_state(tenant, "metasys")
    kept = [(e.id, e.post_data) for e in state.audits]
    sandbox.close()

    again = create_sandbox(["metasys"], data_dir=tmp_path)
    loaded = again.vendor(MetasysApi).state(again.tenants.default())
    assert [(e.id, e.post_data) for e in loaded.audits] == kept
    assert [e.post_data for e in loaded.audits][-2:] == [61.0, 62.0]
    again.close()


def test_records_changed_in_place_pushed_readings_and_samples_survive_sigkill_mid_load(
    tmp_path: Path,
) -> None:
    """What is kept one row per record: a BuildingMinds batch whose statuses moved on after it
    was written, an Atrius pushed reading, a Metasys point's commanded values (its samples)."""
    data_dir = tmp_path / "data"
    pushed: list[tuple[int, float]] = []
    completed: list[str] = []
    commanded: list[int] = []
    with serving("--data-dir", str(data_dir), "--log-level", "warning") as (process, base):
        creds = httpx.get(f"{base}/_sandbox/credentials").json()
        with httpx.Client(base_url=base, timeout=10) as setup:
            atrius = {"Authorization": f"Bearer {atrius_token(setup, creds['atrius'])}"}
            bm = {"Authorization": f"Bearer {buildingminds_token(setup, creds['buildingminds'])}"}
            metasys = {"Authorization": f"Bearer {metasys_token(setup, creds['metasys'])}"}
            point = metasys_id(setup, metasys, ZONE_SETPOINT)
        gateway = creds["atrius"]["gateway"]
        stop = threading.Event()

        def push_readings() -> None:
            with httpx.Client(base_url=base, timeout=5) as client:
                for n in range(10_000):
                    moment = EPOCH + 900 * n
                    stamp = datetime.fromtimestamp(moment, UTC).isoformat()
                    body = {"data": {LIB_ELECTRICITY: [[stamp, float(n)]]}}
                    if stop.is_set():
                        return
                    try:
                        response = client.post(
                            f"/atrius/gateways/{gateway}/data", json=body, headers=atrius
                        )
                    except httpx.TransportError:
                        return
                    if response.status_code == 200 and response.json()["accepted"] == 1:
                        pushed.append((moment, float(n)))

        def complete_batches() -> None:
            with httpx.Client(base_url=base, timeout=5) as client:
                for n in range(10_000):
                    if stop.is_set():
                        return
                    try:
                        posted = client.post(
                            "/buildingminds/api/digitaltwinintegration/address",
                            json=[record("address", f"K{n}")],
                            headers=bm,
                        )
                        if posted.status_code != 200:
                            continue
                        batch = posted.json()["batchId"]
                        done = client.post(f"/_sandbox/buildingminds/batches/{batch}/complete")
                    except httpx.TransportError:
                        return
                    if done.status_code == 200:
                        completed.append(batch)

        def command_point() -> None:
            with httpx.Client(base_url=base, timeout=5) as client:
                for value in range(60, 86):
                    if stop.is_set():
                        return
                    try:
                        response = client.put(
                            f"{METASYS}/objects/{point}/commands/adjustCommand",
                            json={"parameters": [value]},
                            headers=metasys,
                        )
                    except httpx.TransportError:
                        return
                    if response.is_success:
                        commanded.append(value)
                    time.sleep(0.02)

        writers = [
            threading.Thread(target=push_readings),
            threading.Thread(target=complete_batches),
            threading.Thread(target=command_point),
        ]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 30
        while (
            len(pushed) < 20 or len(completed) < 5 or len(commanded) < 5
        ) and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        for writer in writers:
            writer.join(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert (len(pushed) >= 20, len(completed) >= 5, len(commanded) >= 5) == (True, True, True)

    restarted = create_sandbox(["atrius", "buildingminds", "metasys"], data_dir=data_dir)
    try:
        tenant = restarted.tenants.default()
        readings = restarted.vendor(AtriusApi).state(tenant).readings.get(LIB_ELECTRICITY)
        assert readings is not None
        kept = dict(readings.between(EPOCH, EPOCH + 900 * 10_000))
        assert [(moment, kept.get(moment)) for moment, _ in pushed] == pushed
        ingestion = restarted.vendor(BuildingMindsApi).state(tenant)
        statuses = {
            batch: [m.status for m in ingestion.inbound(found, InboundQuery())[1]]
            for batch in completed
            if (found := ingestion.batch(batch)) is not None
        }
        assert statuses == {batch: ["Completed"] for batch in completed}
        site = restarted.vendor(MetasysApi).state(tenant)
        setpoint = site.tree.find(ZONE_SETPOINT)
        assert setpoint is not None
        values = [value for _, value in setpoint.history["presentValue"]]
        # Every acknowledged command, in order; one in flight at the kill may follow.
        assert values[: len(commanded)] == commanded
        moments = [moment for moment, _ in setpoint.history["presentValue"]]
        with client_of(restarted) as client:
            auth = {"Authorization": f"Bearer {metasys_token(client, creds['metasys'])}"}
            window = {
                "startTime": datetime.fromtimestamp(moments[0] - 1, UTC).isoformat(),
                "endTime": datetime.fromtimestamp(moments[-1] + 1, UTC).isoformat(),
                "pageSize": 1000,
            }
            samples = client.get(
                f"{METASYS}/objects/{point}/trendedAttributes/presentValue/samples",
                params=window,
                headers=auth,
            )
        assert samples.status_code == 200, samples.text
        sampled = [s["value"]["value"] for s in samples.json()["items"]]
        assert [value for value in sampled if value in commanded] == commanded
    finally:
        restarted.close()
