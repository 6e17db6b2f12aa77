"""The Metasys reference client: against the fake in-process (the vendor host routed to the
sandbox), and against answers generated from the contract's response schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from standin import Sandbox
from standin.clients.metasys import (
    Command,
    MetasysAuthError,
    MetasysClient,
    MetasysConflict,
    MetasysDeviceOffline,
    MetasysError,
    MetasysForbidden,
    MetasysNotFound,
    MetasysObject,
    MetasysTooManyRequests,
    MetasysValidationError,
    NetworkDevice,
    ObjectSummary,
    Sample,
    Space,
    TrendedAttribute,
    UserInfo,
    Value,
)
from standin.inprocess import standin
from standin.metasys.api import MetasysApi
from tests.conftest import NOW
from tests.metasys.conftest import FAN, PROGRAMMING, ZONE_SETPOINT, ZONE_TEMPERATURE, object_id
from tests.support import SandboxSleep

BASE_URL = "https://metasys.standin.example/api/v4"


@pytest.fixture
def fake(sandbox: Sandbox) -> Iterator[Sandbox]:
    with standin(sandbox):
        yield sandbox


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def make_client(sandbox: Sandbox, http: httpx.Client, **options: Any) -> MetasysClient:
    creds = sandbox.credentials()["metasys"]
    options.setdefault("clock", sandbox.clock.now)
    options.setdefault("sleep", SandboxSleep(sandbox))
    return MetasysClient(str(creds["username"]), str(creds["password"]), http=http, **options)


@pytest.fixture
def metasys(fake: Sandbox, http: httpx.Client) -> MetasysClient:
    return make_client(fake, http)


def paths(sandbox: Sandbox) -> list[tuple[str, str, int]]:
    return [(e.method, e.path, e.status) for e in reversed(sandbox.journal.entries("metasys"))]


# --- against the fake --------------------------------------------------------------------------


def test_one_login_serves_many_calls_and_refresh_comes_before_expiry(
    metasys: MetasysClient, fake: Sandbox
) -> None:
    point = metasys.object_id(ZONE_SETPOINT)
    metasys.read(point)
    assert metasys.session.logins == 1
    fake.clock.advance(25 * 60 + 1)
    metasys.read(point)
    assert (metasys.session.logins, metasys.session.refreshes) == (1, 1)
    assert metasys.session.token is not None
    assert metasys.session.token.expires == dt.datetime(2026, 11, 20, 12, 55, 31, tzinfo=dt.UTC)
    login_paths = [p for _, p, _ in paths(fake) if p in ("/api/v4/login", "/api/v4/refreshToken")]
    assert login_paths == ["/api/v4/login", "/api/v4/refreshToken"]


def test_an_expired_session_logs_in_again(metasys: MetasysClient, fake: Sandbox) -> None:
    metasys.spaces()
    list(metasys.spaces())
    fake.clock.advance(3600)
    assert len(list(metasys.spaces())) == 7
    assert metasys.session.logins == 2


def test_a_token_the_server_forgot_costs_one_401(metasys: MetasysClient, fake: Sandbox) -> None:
    list(metasys.spaces())
    assert metasys.session.token is not None
    fake.vendor(MetasysApi).issuer.revoke(metasys.session.token.access_token)
    assert len(list(metasys.spaces())) == 7
    assert [s for _, _, s in paths(fake)][-3:] == [401, 200, 200]


def test_wrong_credentials_and_non_api_users_raise(fake: Sandbox, http: httpx.Client) -> None:
    wrong = MetasysClient("api-admin", "nope", http=http)
    with pytest.raises(MetasysAuthError) as raised:
        wrong.login()
    assert raised.value.message == "Authorization has been denied for this request."
    operator = MetasysClient("operator", "Metasys-Operator-1", http=http)
    with pytest.raises(MetasysForbidden):
        operator.login()


def test_reading_and_commanding_with_priorities(metasys: MetasysClient) -> None:
    point = metasys.object_id(ZONE_SETPOINT)
    assert metasys.read(point) == Value(
        72.0, "writePriorityEnumSet.priorityNone", "reliabilityEnumSet.reliable"
    )
    metasys.adjust(point, 74.5, priority=12)
    metasys.override(point, 70)
    value = metasys.read(point)
    assert (value.value, value.level, value.is_reliable) == (70.0, 8, True)
    metasys.release(point, "priorityOperatorOverride")
    assert metasys.read(point).level == 12
    metasys.adjust(point, 99.0, priority=5)
    high = metasys.read(point)
    assert (high.value, high.is_reliable) == (99.0, False)
    metasys.release_all(point)
    assert metasys.read(point).value == 72.0


def test_commands_are_typed_with_their_schemas(metasys: MetasysClient) -> None:
    fan = metasys.object_id(FAN)
    commands = metasys.commands(fan)
    adjust = commands[0]
    assert isinstance(adjust, Command)
    assert adjust.invoke_url is None
    assert [c.id for c in adjust.command_set] == [
        "commandIdEnumSet.state0Command",
        "commandIdEnumSet.state1Command",
    ]
    metasys.command(fan, "state0Command", priority=10)
    assert metasys.read(fan).value == "binarypvEnumSet.bacbinInactive"


def test_objects_are_created_read_written_and_deleted(metasys: MetasysClient) -> None:
    folder = metasys.object_id(PROGRAMMING)
    new = metasys.create_object(folder, "ZN-3-SETPT", "avClass", name="Zone 3", maxPresValue=95)
    assert new is not None
    found = metasys.get_object(new)
    assert isinstance(found, MetasysObject)
    assert (found.item["itemReference"], found.can_delete) == (
        "ADS1:ADS1/Programming.ZN-3-SETPT",
        True,
    )
    with pytest.raises(MetasysConflict):
        metasys.create_object(folder, "ZN-3-SETPT", "avClass", name="Again")
    metasys.write(new, description="made by the client")
    assert metasys.get_object(new).item["description"] == "made by the client"
    metasys.delete_object(new)
    with pytest.raises(MetasysNotFound):
        metasys.get_object(new)


def test_validation_and_offline_errors_are_typed(
    metasys: MetasysClient, fake: Sandbox, client: httpx.Client
) -> None:
    point = metasys.object_id(ZONE_SETPOINT)
    with pytest.raises(MetasysValidationError) as raised:
        metasys.write(point, reliability="x")
    assert raised.value.message == "The attribute reliability is read only."
    engine = metasys.object_id("ADS1:NAE-1")
    fake.vendor(MetasysApi).state(fake.tenants.default()).offline.add(engine)
    with pytest.raises(MetasysDeviceOffline):
        metasys.read(point)


def test_too_many_requests_are_waited_out(fake: Sandbox, http: httpx.Client) -> None:
    sleep = SandboxSleep(fake)
    metasys = make_client(fake, http, sleep=sleep)
    fake.limits.configure({"metasys": {"requests": {"limit": 2}}})
    point = metasys.object_id(ZONE_SETPOINT)
    metasys.read(point)
    metasys.read(point)
    assert sleep.waits == [30.0]


def test_too_many_requests_raise_after_the_retries(fake: Sandbox, http: httpx.Client) -> None:
    metasys = make_client(fake, http, sleep=SandboxSleep(fake, moves_clock=False), max_retries=2)
    fake.limits.configure({"metasys": {"requests": {"limit": 1}}})
    metasys.object_id(ZONE_SETPOINT)
    with pytest.raises(MetasysTooManyRequests) as raised:
        metasys.object_id(ZONE_SETPOINT)
    assert raised.value.retry_after == 30.0


def test_samples_page_through_any_range(metasys: MetasysClient, fake: Sandbox) -> None:
    point = metasys.object_id(ZONE_TEMPERATURE)
    start = NOW - dt.timedelta(days=2)
    samples = list(metasys.samples(point, start=start, end=NOW, page_size=50))
    assert len(samples) == 192
    assert all(isinstance(s, Sample) and s.units == "unitEnumSet.degF" for s in samples)
    assert samples[0].timestamp == dt.datetime(2026, 11, 18, 12, 15, tzinfo=dt.UTC)
    assert [s.timestamp for s in samples] == sorted(s.timestamp for s in samples)
    sample_pages = [p for _, p, _ in paths(fake) if p.endswith("/samples")]
    assert len(sample_pages) == 4


def test_network_devices_spaces_equipment_and_points(metasys: MetasysClient) -> None:
    devices = list(metasys.network_devices())
    assert all(isinstance(d, NetworkDevice) for d in devices)
    assert len(devices) == 11
    engine = metasys.object_id("ADS1:NAE-1")
    assert [d.name for d in metasys.network_devices(engine)] == ["FC-1"]
    spaces = list(metasys.spaces())
    assert isinstance(spaces[0], Space)
    room = next(s for s in spaces if s.name == "Room 101")
    vav = next(iter(metasys.equipment(serving_space=room.id)))
    assert vav.name == "VAV-101"
    points = list(metasys.equipment_points(vav.id))
    assert [p.short_name for p in points] == ["DA-F", "ZN-SP", "ZN-T"]
    assert points[1].object_id == metasys.object_id(ZONE_SETPOINT)


def test_single_devices_spaces_equipment_views_child_types_enums_and_the_user(
    metasys: MetasysClient,
) -> None:
    engine = metasys.object_id("ADS1:NAE-1")
    device = metasys.network_device(engine)
    assert (device.name, device.item_reference, device.ip_address) == (
        "NAE-1",
        "ADS1:NAE-1",
        "10.0.1.11",
    )
    room = next(s for s in metasys.spaces() if s.name == "Room 101")
    assert metasys.space(room.id) == room
    ahu = next(e for e in metasys.equipment() if e.name == "AHU-1")
    assert metasys.equipment_instance(ahu.id) == ahu
    assert metasys.views(engine) == ["viewNameEnumSet.focusView"]
    site_director = metasys.object_id("ADS1:ADS1")
    assert {"containerClass", "avClass", "bvClass"} <= set(
        metasys.supported_child_types(site_director)
    )
    priorities = metasys.enumeration("writePriorityEnumSet")
    assert len(priorities) == 17
    assert priorities["writePriorityEnumSet.priorityNone"] == "0 (No Priority)"
    assert metasys.user_info() == UserInfo(
        "6a6034e3-891f-5097-b0b9-469e07c12249",
        "api-admin",
        "Sandbox API Administrator",
        "api-admin@standin.example",
        "API",
    )
    trended = metasys.trended_attributes(engine, network_device=True)
    assert [t.attribute for t in trended] == [
        "attributeEnumSet.memoryUsage",
        "attributeEnumSet.cpuUsage",
    ]
    assert all(isinstance(t, TrendedAttribute) for t in trended)


def test_batch_reads_answer_values_and_errors(metasys: MetasysClient) -> None:
    point = metasys.object_id(ZONE_SETPOINT)
    answers = metasys.read_many([(point, "presentValue"), ("nope", "presentValue")])
    assert answers[0] == Value(
        72.0, "writePriorityEnumSet.priorityNone", "reliabilityEnumSet.reliable"
    )
    assert isinstance(answers[1], MetasysNotFound)


def test_a_batch_read_left_unanswered_or_answered_with_no_item_is_an_error_in_its_place() -> None:
    body = {"responses": [{"id": "1", "status": 200, "body": 7}]}
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{BASE_URL}/login").respond(
            200, json={"accessToken": "t", "expires": "2099-01-01T00:00:00Z"}
        )
        router.post(f"{BASE_URL}/objects/batch").respond(200, json=body)
        client = MetasysClient(
            "u", "p", http=httpx.Client(), clock=lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        )
        unanswered, odd = client.read_many([("a", "presentValue"), ("b", "presentValue")])
    assert type(unanswered) is MetasysError
    assert (unanswered.status, unanswered.message) == (200, "Read 0 was not answered.")
    assert type(odd) is MetasysError
    assert (odd.status, odd.body) == (200, 7)


def test_the_tree_is_typed(metasys: MetasysClient, sandbox: Sandbox) -> None:
    site = metasys.tree()[0]
    assert isinstance(site, ObjectSummary)
    assert [c.name for c in site.children] == ["ADS1", "NAE-1", "NAE-2"]
    assert metasys.tree(object_id(sandbox, "ADS1:NAE-1"), depth=0)[0].children == ()


# --- any answer the contract allows, for every call: tests/conformance ------------------------


def test_any_metasys_host_can_be_routed_to_the_sandbox(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    with standin(sandbox, hosts={"metasys": ["bas.example.com"]}):
        metasys = make_client(sandbox, http, base_url="https://bas.example.com/api/v4")
        point = metasys.object_id(ZONE_SETPOINT)
        samples = metasys.trended_attributes(point)
    assert samples[0].samples_url.startswith(
        f"https://bas.example.com/api/v4/objects/{point}/trendedAttributes/presentValue/samples?"
    )


def test_every_relation_is_an_iterator(metasys: MetasysClient, fake: Sandbox) -> None:
    ahu = next(e for e in metasys.equipment() if e.name == "AHU-1")
    vav = next(e for e in metasys.equipment() if e.name == "VAV-101")
    engine = metasys.object_id("ADS1:NAE-1")
    assert [e.name for e in metasys.upstream_equipment(vav.id)] == ["AHU-1"]
    assert [s.name for s in metasys.equipment_spaces(ahu.id)] == ["Floor 1"]
    assert [d.name for d in metasys.equipment_devices(vav.id)] == ["FC-1", "NAE-1", "VAV-101"]
    floor = next(s for s in metasys.spaces() if s.name == "Floor 1")
    assert [d.name for d in metasys.space_devices(floor.id)] == ["AHU-1", "FC-1", "NAE-1"]
    assert [e.name for e in metasys.device_equipment(engine)] == ["AHU-1", "VAV-101", "VAV-102"]
    assert [s.name for s in metasys.device_spaces(engine)] == ["Floor 1", "Room 101", "Room 102"]
    point = metasys.object_id(ZONE_SETPOINT)
    assert [p.short_name for p in metasys.object_points(point)] == ["ZN-SP"]
    users = list(metasys.pages("/users", {"pageSize": 1}))
    assert [u["userName"] for u in users] == ["api-admin", "api-viewer", "operator"]
    with pytest.raises(MetasysConflict):
        metasys.delete_network_device(engine)
