"""Full logs in a data directory and in Redis: a Metasys write at the audit trail's cap is kept
(the record it added and the one it dropped), survives SIGKILL, and the trail read back after a
restart is the newest 10,000, oldest dropped first."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import httpx
import redis

from standin import Sandbox
from standin._core.cluster import keys
from standin.buildingminds.api import BuildingMindsApi
from standin.metasys.api import MetasysApi
from standin.metasys.state import MetasysState
from standin.metasys.state.audits import AUDIT_LIMIT
from standin.registry import create_sandbox
from tests.buildingminds.conftest import record
from tests.support import serving
from tests.vendor_calls import METASYS, ZONE_SETPOINT, metasys_adjust, metasys_id, metasys_token


def fill_the_trail(sandbox: Sandbox) -> MetasysState:
    """The default tenant's audit trail at its cap (and past it), kept."""
    tenant = sandbox.tenants.default()
    state = sandbox.vendor(MetasysApi).state(tenant)
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    user = next(u for u in state.users.values() if u.can_write)
    for k in range(AUDIT_LIMIT + 5):
        state.command(point, "adjustCommand", {"parameters": [60.0 + k % 20]}, user)
        if k % 1000 == 999:  # kept along the way, as a server keeps every write
            sandbox.persistence.save_state(tenant, "metasys")
    sandbox.persistence.save_state(tenant, "metasys")
    assert len(state.audits) == AUDIT_LIMIT
    return state


def newest_first(client: httpx.Client, auth: dict[str, str], size: int) -> dict[str, Any]:
    response = client.get(
        f"{METASYS}/audits", params={"sort": "-creationTime", "pageSize": size}, headers=auth
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_write_at_the_audit_cap_survives_sigkill_with_the_oldest_dropped(
    tmp_path: Path,
) -> None:
    data_dir = str(tmp_path / "data")
    filled = create_sandbox(data_dir=data_dir)
    state = fill_the_trail(filled)
    oldest = [entry.id for entry in state.audits[:4]]
    filled.close()

    with serving("--data-dir", data_dir, "--log-level", "warning") as (process, base):
        creds = httpx.get(f"{base}/_sandbox/credentials").json()
        with httpx.Client(base_url=base, timeout=10) as client:
            auth = {"Authorization": f"Bearer {metasys_token(client, creds['metasys'])}"}
            point = metasys_id(client, auth, ZONE_SETPOINT)
            for value in (91, 92, 93):
                metasys_adjust(client, auth, point, value)
            before = newest_first(client, auth, 4)
        first_base = base
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    with (
        serving("--data-dir", data_dir, "--log-level", "warning") as (_, base),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        after = newest_first(client, auth, 4)
        assert after["total"] == AUDIT_LIMIT
        # The same entries (but for the links, that name the new server's port).
        assert json.dumps(after["items"]).replace(base, "") == json.dumps(before["items"]).replace(
            first_base, ""
        )
        assert [item["postData"]["item"] for item in after["items"][:3]] == [93, 92, 91]
        # Three writes at the cap dropped the three oldest entries, and only those.
        found = [client.get(f"{METASYS}/audits/{i}", headers=auth).status_code for i in oldest]
        assert found == [404, 404, 404, 200]


def rows_in_redis(redis_url: str, tenant_id: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.hlen(keys.rows(tenant_id)))
    finally:
        client.close()


def kept_trail(state: MetasysState) -> list[tuple[float, int, str, Any]]:
    return [(moment, arrival, e.id, e.post_data) for moment, arrival, e in state.audits.entries()]


def test_a_write_at_the_audit_cap_in_redis_keeps_one_row_per_record_and_loads_back(
    redis_url: str,
) -> None:
    replica = "http://127.0.0.1:9"
    first = create_sandbox(["metasys"], redis_url=redis_url, advertise_url=replica)
    state = fill_the_trail(first)
    tenant = first.tenants.default()
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    user = next(u for u in state.users.values() if u.can_write)
    oldest = state.audits[0].id
    state.command(point, "adjustCommand", {"parameters": [91.0]}, user)
    first.persistence.save_state(tenant, "metasys")
    # A row per kept audit, value change and commanded value; the oldest audit's row went
    # with it.
    changes = sum(len(kept) for obj in state.tree.all() for kept in obj.history.values())
    records = len(state.audits) + len(state.events) + len(state.alarms.history) + changes
    assert rows_in_redis(redis_url, tenant.id) == records
    # Written whole (its full logs at once, through the client that waits longer): as many.
    first.persistence.save_tenant(tenant)
    assert rows_in_redis(redis_url, tenant.id) == records
    expected = (kept_trail(state), state.audits.appended, state.audits.dropped)
    events = [(e.sequence, e.value) for e in state.events]
    first.close()

    second = create_sandbox(["metasys"], redis_url=redis_url, advertise_url=replica)
    try:
        loaded = second.vendor(MetasysApi).state(second.tenants.default())
        assert (kept_trail(loaded), loaded.audits.appended, loaded.audits.dropped) == expected
        assert [(e.sequence, e.value) for e in loaded.events] == events
        assert oldest not in loaded.audit_book.by_id
        assert all(loaded.audit_book.by_id[e.id] is e for e in loaded.audits)
    finally:
        second.close()


def test_a_whole_write_in_redis_replaces_every_row_of_the_tenant(redis_url: str) -> None:
    """A tenant saved whole (made, reset) has exactly its kept records as rows after it."""
    replica = "http://127.0.0.1:9"
    first = create_sandbox(["metasys"], redis_url=redis_url, advertise_url=replica)
    tenant = first.tenants.default()
    state = first.vendor(MetasysApi).state(tenant)
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    user = next(u for u in state.users.values() if u.can_write)
    for k in range(30):
        state.command(point, "adjustCommand", {"parameters": [60.0 + k % 2]}, user)
    first.persistence.save_state(tenant, "metasys")
    changes = sum(len(kept) for obj in state.tree.all() for kept in obj.history.values())
    records = len(state.audits) + len(state.events) + len(state.alarms.history) + changes
    assert records >= 90
    state.audits.clear()  # a whole write must not leave the rows of what is gone
    state.audit_book.by_id.clear()
    first.persistence.save_tenant(tenant)
    assert rows_in_redis(redis_url, tenant.id) == records - 30
    events = [(e.sequence, e.value) for e in state.events]
    first.close()

    second = create_sandbox(["metasys"], redis_url=redis_url, advertise_url=replica)
    try:
        loaded = second.vendor(MetasysApi).state(second.tenants.default())
        assert (len(loaded.audits), loaded.audits.appended) == (0, 30)
        assert [(e.sequence, e.value) for e in loaded.events] == events
    finally:
        second.close()


def test_an_alarm_acknowledged_after_it_was_kept_comes_back_acknowledged(tmp_path: Path) -> None:
    """An alarm changes in place after its row was written: the acknowledgement and its
    annotation are written again with the write that made them."""
    first = create_sandbox(["metasys"], data_dir=tmp_path)
    tenant = first.tenants.default()
    state = first.vendor(MetasysApi).state(tenant)
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    alarm = state.alarms.raise_alarm(
        object_id=point.id,
        item_reference=point.item_reference,
        name=point.name,
        description="",
        alarm_type="avHiAlarm",
        priority=70,
        is_ack_required=True,
        category="HVAC",
        trigger_value=90.0,
        units="unitEnumSet.degF",
    )
    first.persistence.save_state(tenant, "metasys")
    state.alarms.change(alarm, "acknowledged", "api-admin", "seen to")
    first.persistence.save_state(tenant, "metasys")
    first.close()

    second = create_sandbox(["metasys"], data_dir=tmp_path)
    try:
        loaded = second.vendor(MetasysApi).state(second.tenants.default())
        kept = loaded.alarms.get(alarm.id)
        assert (kept.status, kept.acknowledged_time) == ("acknowledged", alarm.acknowledged_time)
        assert [(a.text, a.user, a.action) for a in kept.annotations] == [
            ("seen to", "api-admin", "acknowledged")
        ]
        assert list(loaded.alarms.history) == [kept]
    finally:
        second.close()


def test_a_buildingminds_batch_completed_after_it_was_kept_in_redis_loads_back_completed(
    redis_url: str,
) -> None:
    replica = "http://127.0.0.1:9"
    first = create_sandbox(["buildingminds"], redis_url=redis_url, advertise_url=replica)
    tenant = first.tenants.default()
    state = first.vendor(BuildingMindsApi).state(tenant)
    batches = []
    for n in range(50):
        submitted = state.submit("address", [record("address", f"R{n}")])
        assert submitted.batch_id is not None
        batches.append(submitted.batch_id)
        first.persistence.save_state(tenant, "buildingminds")
    before = rows_in_redis(redis_url, tenant.id)
    state.complete_batch(batches[0])
    first.persistence.save_state(tenant, "buildingminds")
    # The batch's message moved on in place and its address was onboarded: one row more.
    assert rows_in_redis(redis_url, tenant.id) == before + 1
    expected = [(m.id, m.status, m.updated_at) for m in state.messages.values()]
    first.close()

    second = create_sandbox(["buildingminds"], redis_url=redis_url, advertise_url=replica)
    try:
        loaded = second.vendor(BuildingMindsApi).state(second.tenants.default())
        assert [(m.id, m.status, m.updated_at) for m in loaded.messages.values()] == expected
        assert ("address", "R0") in loaded.entities
        assert list(loaded.batches)[-50:] == batches
    finally:
        second.close()
