"""The Atrius reference client: against the fake in-process, and against answers generated
from response schemas (respx serves them, hypothesis writes them)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from standin import Sandbox, contracts
from standin._core.faults import Fault
from standin._core.tokens import TokenIssuer
from standin.atrius.api import AtriusApi
from standin.clients._http import ApiError
from standin.clients.atrius import (
    AtriusAuthError,
    AtriusClient,
    AtriusError,
    AtriusNotFound,
    AtriusPayloadTooLarge,
    AtriusRateLimited,
    AtriusValidationError,
    Building,
    DataPoint,
    Gateway,
    Meter,
    MeterPushReport,
    Organization,
    PushReport,
    SkippedPoint,
)
from standin.inprocess import standin
from tests.support import SandboxSleep
from tools.conformance.requests import request_problems
from tools.conformance.tables import TABLES

BASE_URL = "https://api.buildingos.com"
GATEWAY = "48213"
ORGANIZATION = "6732"
LIBRARY = "176498"
"""Main Library, America/New_York; holds three meters."""
SCIENCE = "176499"
LIB_DEMAND = "6d4c8b2a0e9f4c1d7a3b5e8f2c6d9a0b"
"""Instantaneous kW, source unit W."""
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
UTC = dt.UTC


class Recorder:
    """An httpx request hook that keeps every request the client sends."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def pushes(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path.endswith("/data")]

    def token_forms(self) -> list[dict[str, str]]:
        return [
            {name: values[0] for name, values in parse_qs(r.content.decode()).items()}
            for r in self.requests
            if r.url.path == "/o/token/"
        ]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def http(recorder: Recorder) -> Iterator[httpx.Client]:
    """A plain client, as a user would write it: standin intercepts the real host name."""
    with httpx.Client(event_hooks={"request": [recorder]}) as client:
        yield client


@pytest.fixture
def fake(sandbox: Sandbox) -> Iterator[Sandbox]:
    with standin(sandbox):
        yield sandbox


@pytest.fixture
def sleep(sandbox: Sandbox) -> SandboxSleep:
    return SandboxSleep(sandbox)


@pytest.fixture
def creds(sandbox: Sandbox) -> dict[str, str]:
    return {k: str(v) for k, v in sandbox.credentials()["atrius"].items()}


def make_client(sandbox: Sandbox, http: httpx.Client, sleep: Any, **options: Any) -> AtriusClient:
    values = {k: str(v) for k, v in sandbox.credentials()["atrius"].items()}
    options.setdefault("clock", sandbox.clock.now)
    return AtriusClient(
        values["client_id"], values["client_secret"], http=http, sleep=sleep, **options
    )


@pytest.fixture
def atrius(fake: Sandbox, http: httpx.Client, sleep: SandboxSleep) -> AtriusClient:
    return make_client(fake, http, sleep)


def calls(sandbox: Sandbox) -> list[tuple[str, str, int]]:
    """(method, path, status) of every request the fake saw, oldest first."""
    return [(e.method, e.path, e.status) for e in reversed(sandbox.journal.entries("atrius"))]


def statuses(sandbox: Sandbox) -> list[int]:
    return [status for _, _, status in calls(sandbox)]


def token_requests(sandbox: Sandbox) -> int:
    return sum(1 for _, path, _ in calls(sandbox) if path == "/o/token/")


def issuer(sandbox: Sandbox) -> TokenIssuer:
    return sandbox.vendor(AtriusApi).issuer


TOKEN = ("POST", "/o/token/", 200)


def gateway_call(status: int) -> tuple[str, str, int]:
    return ("GET", f"/gateways/{GATEWAY}", status)


def new_building(atrius: AtriusClient, name: str = "Annex", time_zone: str = "UTC") -> Building:
    return atrius.create_building(ORGANIZATION, name, "02139", time_zone=time_zone)


def new_meter(atrius: AtriusClient, building: str, name: str, **changes: Any) -> Meter:
    """An instantaneous temperature meter stored, shown and sent in degF: values read back
    exactly as pushed."""
    fields: dict[str, Any] = {
        "building": building,
        "gateway": int(GATEWAY),
        "display_name": name,
        "resource_type": "temperature",
        "reading_type": "instantaneous",
        "storage_unit": "degf",
        "display_unit": "degf",
        "source_unit": "degf",
        "scope": "submeter",
        "vendor_meter_id": name.upper(),
        **changes,
    }
    return atrius.create_meter(**fields)


# --- the token -------------------------------------------------------------------------------


def test_one_token_serves_many_calls(atrius: AtriusClient, fake: Sandbox) -> None:
    atrius.gateway(GATEWAY)
    atrius.organization(ORGANIZATION)
    list(atrius.buildings())
    list(atrius.meters())
    atrius.building(LIBRARY)
    atrius.meter(LIB_DEMAND)
    atrius.data(LIB_DEMAND, dt.date(2026, 11, 19), dt.date(2026, 11, 19))

    assert calls(fake)[0] == TOKEN
    assert token_requests(fake) == 1
    assert statuses(fake) == [200] * 8


def test_the_token_is_as_the_guide_shows_and_expires_on_the_injected_clock(
    atrius: AtriusClient, fake: Sandbox
) -> None:
    token = atrius.token()

    assert (token.token_type, token.expires_in, token.scope) == ("Bearer", 36000, "read write")
    assert token.refresh_token is None  # client credentials
    assert token.expires_at == fake.clock.now() + dt.timedelta(seconds=36000)
    assert atrius.token() is token
    assert token_requests(fake) == 1


def test_the_token_is_renewed_within_five_minutes_of_expiry(
    atrius: AtriusClient, fake: Sandbox
) -> None:
    first = atrius.token()
    atrius.gateway(GATEWAY)
    fake.clock.advance(36000 - 301)
    atrius.gateway(GATEWAY)
    assert atrius.token() is first  # 301 s left: not yet

    fake.clock.advance(101)  # 200 s left
    atrius.gateway(GATEWAY)

    second = atrius.token()
    assert second.access_token != first.access_token
    assert second.expires_at == fake.clock.now() + dt.timedelta(seconds=36000)
    assert calls(fake) == [TOKEN, gateway_call(200), gateway_call(200), TOKEN, gateway_call(200)]


def test_renew_before_is_configurable(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    atrius = make_client(fake, http, sleep, renew_before=dt.timedelta(hours=1))
    atrius.gateway(GATEWAY)
    fake.clock.advance(36000 - 3600)
    atrius.gateway(GATEWAY)
    assert calls(fake) == [TOKEN, gateway_call(200), TOKEN, gateway_call(200)]


def test_a_token_expired_unknown_to_the_client_costs_one_401(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    # The client's clock stands still (a laptop asleep, say) while the server's runs on past the
    # token's expiry: the client still trusts the token when the server has let it expire.
    started = fake.clock.now()
    atrius = make_client(fake, http, sleep, clock=lambda: started, renew_before=dt.timedelta(0))
    atrius.gateway(GATEWAY)
    stale = atrius.token()
    fake.clock.advance(36000 + 1)

    gateway = atrius.gateway(GATEWAY)

    assert gateway.id == GATEWAY
    assert calls(fake) == [TOKEN, gateway_call(200), gateway_call(401), TOKEN, gateway_call(200)]
    assert atrius.token().access_token != stale.access_token


def test_a_revoked_token_costs_one_401(atrius: AtriusClient, fake: Sandbox) -> None:
    atrius.gateway(GATEWAY)
    issuer(fake).revoke(atrius.token().access_token)

    assert [b.id for b in atrius.buildings()] == [LIBRARY, SCIENCE]
    assert statuses(fake) == [200, 200, 401, 200, 200]
    assert token_requests(fake) == 2


def test_a_401_after_a_fresh_token_raises_auth_error(atrius: AtriusClient, fake: Sandbox) -> None:
    fake.faults.add(Fault(api="atrius", path="/gateways/*", status=401, body=NOT_AUTHENTICATED))

    with pytest.raises(AtriusAuthError) as raised:
        atrius.gateway(GATEWAY)

    assert calls(fake) == [TOKEN, gateway_call(401), TOKEN, gateway_call(401)]
    error = raised.value
    assert (error.status, error.body, error.error) == (401, NOT_AUTHENTICATED, None)
    assert error.detail == NOT_AUTHENTICATED["detail"]
    assert isinstance(error, AtriusError)
    assert isinstance(error, ApiError)


def test_a_wrong_client_secret_raises_auth_error_with_the_oauth_code(
    fake: Sandbox, http: httpx.Client, creds: dict[str, str]
) -> None:
    atrius = AtriusClient(creds["client_id"], "wrong", http=http, clock=fake.clock.now)
    with pytest.raises(AtriusAuthError) as raised:
        atrius.gateway(GATEWAY)
    assert (raised.value.status, raised.value.error) == (401, "invalid_client")
    assert raised.value.body == {"error": "invalid_client"}
    assert calls(fake) == [("POST", "/o/token/", 401)]


def test_a_wrong_password_raises_auth_error_invalid_grant(
    fake: Sandbox, http: httpx.Client, creds: dict[str, str]
) -> None:
    atrius = AtriusClient(
        creds["client_id"],
        creds["client_secret"],
        username=creds["username"],
        password="nope",
        http=http,
        clock=fake.clock.now,
    )
    with pytest.raises(AtriusAuthError) as raised:
        atrius.token()
    assert (raised.value.status, raised.value.error) == (400, "invalid_grant")
    assert raised.value.description == "Invalid credentials given."


def test_username_without_password_is_refused(creds: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="both"):
        AtriusClient(creds["client_id"], creds["client_secret"], username="someone")


def password_client(
    sandbox: Sandbox, http: httpx.Client, creds: dict[str, str], **options: Any
) -> AtriusClient:
    return AtriusClient(
        creds["client_id"],
        creds["client_secret"],
        username=creds["username"],
        password=creds["password"],
        http=http,
        clock=sandbox.clock.now,
        **options,
    )


def test_the_password_grant_renews_through_its_refresh_token(
    fake: Sandbox, http: httpx.Client, creds: dict[str, str], recorder: Recorder
) -> None:
    atrius = password_client(fake, http, creds)
    first = atrius.token()
    assert first.refresh_token

    fake.clock.advance(36000 - 200)
    atrius.gateway(GATEWAY)

    forms = recorder.token_forms()
    assert [f["grant_type"] for f in forms] == ["password", "refresh_token"]
    assert forms[0]["username"] == creds["username"]
    assert forms[1]["refresh_token"] == first.refresh_token
    assert all(f["client_id"] == creds["client_id"] for f in forms)
    assert atrius.token().refresh_token not in (None, first.refresh_token)


def test_a_refresh_token_that_no_longer_works_falls_back_to_the_password_grant(
    fake: Sandbox, http: httpx.Client, creds: dict[str, str], recorder: Recorder
) -> None:
    atrius = password_client(fake, http, creds)
    atrius.token()
    fake.clock.advance(31 * 86400)  # refresh tokens live 30 days

    assert atrius.gateway(GATEWAY).id == GATEWAY

    assert [f["grant_type"] for f in recorder.token_forms()] == [
        "password",
        "refresh_token",
        "password",
    ]
    assert statuses(fake) == [200, 400, 200, 200]


# --- gateways, organizations, buildings, meters ----------------------------------------------


def test_gateway_and_organization_are_typed(atrius: AtriusClient) -> None:
    gateway = atrius.gateway(int(GATEWAY))
    assert gateway == Gateway(
        id=GATEWAY, organization=f"{BASE_URL}/organizations/{ORGANIZATION}", object="gateway"
    )
    assert gateway.organization_id == ORGANIZATION
    assert atrius.organization(gateway.organization_id) == Organization(
        id=ORGANIZATION,
        name="Standin Demo Campus",
        url=f"{BASE_URL}/organizations/{ORGANIZATION}",
        object="organization",
    )


def test_buildings_are_followed_across_pages(atrius: AtriusClient, fake: Sandbox) -> None:
    created = [new_building(atrius, f"B{n}") for n in range(3)]

    found = list(atrius.buildings(per_page=2))

    assert [b.id for b in found] == [LIBRARY, SCIENCE, *(b.id for b in created)]
    assert found[2:] == created
    queries = [parse_qs(e.query) for e in reversed(fake.journal.entries("atrius"))]
    listing = [q for q, (m, p, _) in zip(queries, calls(fake), strict=True) if m == "GET"]
    assert listing == [
        {"per_page": ["2"]},
        {"per_page": ["2"], "page": ["2"]},
        {"per_page": ["2"], "page": ["3"]},
    ]
    assert found[0] == Building(
        id=LIBRARY,
        name="Main Library",
        organization=f"{BASE_URL}/organizations/{ORGANIZATION}",
        uuid="5b0e6f0a9c3d4e2f8a1b7c6d5e4f3a2b",
        enabled=True,
        postal_code="02139",
        time_zone="America/New_York",
        url=f"{BASE_URL}/buildings/{LIBRARY}",
    )


def test_paging_is_lazy(atrius: AtriusClient, fake: Sandbox) -> None:
    pages = atrius.buildings(per_page=1)
    assert calls(fake) == []
    assert next(pages).id == LIBRARY
    assert [m for m, p, _ in calls(fake) if p == "/buildings/"] == ["GET"]


def test_meters_are_followed_across_pages_and_filtered_by_building(
    atrius: AtriusClient, fake: Sandbox
) -> None:
    everything = list(atrius.meters(per_page=4))
    library = list(atrius.meters(LIBRARY, per_page=2))

    assert len(everything) == 6
    assert [m.id for m in everything] == sorted(m.id for m in everything)
    assert [m.uuid for m in library] == [m.uuid for m in everything if m.building_id == LIBRARY]
    assert len(library) == 3
    assert {m.gateway_id for m in everything} == {GATEWAY}
    assert [p for _, p, _ in calls(fake)].count("/meters/") == 2 + 2


def test_the_last_page_alone_has_no_next(atrius: AtriusClient) -> None:
    assert len(list(atrius.buildings(per_page=1000))) == 2


def test_a_created_building_reads_back_the_same(atrius: AtriusClient) -> None:
    created = atrius.create_building(int(ORGANIZATION), "Your Building Name", "12345")

    assert created.name == "Your Building Name"
    assert created.organization_id == ORGANIZATION
    assert created.postal_code == "12345"
    assert created.time_zone == "UTC"
    assert created.id.isdigit()
    assert atrius.building(created.id) == created
    assert atrius.building(int(created.id)) == created


def test_a_created_meter_reads_back_the_same_and_can_be_updated(atrius: AtriusClient) -> None:
    created = atrius.create_meter(
        building=LIBRARY,
        gateway=int(GATEWAY),
        display_name="Chiller 2 Energy",
        resource_type="electricity",
        reading_type="cumulative",
        storage_unit="kwh",
        display_unit="kwh",
        source_unit="wh",
        scope="submeter",
        status="online",
        vendor_meter_id="CH2-KWH",
        default_timescale="month",
    )

    assert created == Meter(
        uuid=created.uuid,
        id=created.id,
        display_name="Chiller 2 Energy",
        resource_type="electricity",
        url=f"{BASE_URL}/meters/{created.uuid}",
        building=f"{BASE_URL}/buildings/{LIBRARY}",
        gateway=f"{BASE_URL}/gateways/{GATEWAY}",
        reading_type="cumulative",
        storage_unit="kwh",
        display_unit="kwh",
        source_unit="wh",
        scope="submeter",
        status="online",
        vendor_meter_id="CH2-KWH",
        default_timescale="month",
    )
    assert len(created.uuid) == 32
    assert atrius.meter(created.uuid) == created

    patched = atrius.update_meter(
        created.uuid, partial=True, display_name="Chiller 2", status="offline"
    )
    assert (patched.display_name, patched.status, patched.source_unit) == (
        "Chiller 2",
        "offline",
        "wh",
    )
    put = atrius.update_meter(
        created.uuid,
        partial=False,
        building=LIBRARY,
        gateway=int(GATEWAY),
        displayName="Chiller 2 (kWh)",
        resource_type="electricity",
        reading_type="cumulative",
        storage_unit="kwh",
        display_unit="mwh",
        source_unit="kwh",
        scope="submeter",
    )
    assert (put.display_name, put.display_unit, put.source_unit) == (
        "Chiller 2 (kWh)",
        "mwh",
        "kwh",
    )
    assert atrius.meter(created.uuid) == put


def test_optional_meter_fields_left_out_take_the_apis_defaults(
    atrius: AtriusClient, recorder: Recorder
) -> None:
    meter = new_meter(atrius, LIBRARY, "Lobby", vendor_meter_id=None)
    sent = json.loads(recorder.requests[-1].content)
    assert "status" not in sent
    assert "vendorMeterId" not in sent
    assert (meter.status, meter.vendor_meter_id, meter.default_timescale) == ("online", "", "month")


# --- errors ----------------------------------------------------------------------------------


def test_building_validation_raises_with_every_field(atrius: AtriusClient) -> None:
    with pytest.raises(AtriusValidationError) as raised:
        atrius.create_building(999, "", "12345", time_zone="Mars/Olympus")
    assert raised.value.status == 400
    assert raised.value.fields == {
        "organization": ['Invalid pk "999" - object does not exist.'],
        "name": ["This field may not be blank."],
        "timeZone": ['"Mars/Olympus" is not a valid choice.'],
    }
    assert raised.value.body == raised.value.fields


def test_meter_validation_raises_with_every_field(atrius: AtriusClient) -> None:
    with pytest.raises(AtriusValidationError) as raised:
        new_meter(atrius, "1", "Bad", reading_type="average", display_unit="xyz")
    assert raised.value.fields == {
        "building": ['Invalid pk "1" - object does not exist.'],
        "readingType": ['"average" is not a valid choice.'],
        "displayUnit": ['"xyz" is not a valid unit for temperature.'],
    }


def test_a_bad_data_range_raises_validation_error(atrius: AtriusClient) -> None:
    with pytest.raises(AtriusValidationError) as raised:
        atrius.data(LIB_DEMAND, dt.date(2024, 1, 15), dt.date(2024, 1, 14))
    assert raised.value.fields == {"end": ["end must not be before start."]}
    assert str(raised.value) == "Atrius 400: end: end must not be before start."


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda a: a.gateway(11111), "/gateways/11111"),
        (lambda a: a.organization(1), "/organizations/1"),
        (lambda a: a.building(1), "/buildings/1"),
        (
            lambda a: a.meter("0123456789abcdef0123456789abcdef"),
            "/meters/0123456789abcdef0123456789abcdef",
        ),
        (
            lambda a: a.update_meter(
                "0123456789abcdef0123456789abcdef", partial=True, status="online"
            ),
            "/meters/0123456789abcdef0123456789abcdef",
        ),
        (
            lambda a: a.data(
                "0123456789abcdef0123456789abcdef", dt.date(2024, 1, 1), dt.date(2024, 1, 1)
            ),
            "/meters/0123456789abcdef0123456789abcdef/data/",
        ),
        (
            lambda a: a.push(11111, {LIB_DEMAND: [("2024-01-15T10:00:00Z", 1.0)]}),
            "/gateways/11111/data",
        ),
    ],
)
def test_unknown_objects_raise_not_found(
    atrius: AtriusClient, fake: Sandbox, call: Any, path: str
) -> None:
    with pytest.raises(AtriusNotFound) as raised:
        call(atrius)
    assert raised.value.status == 404
    assert raised.value.body == {"detail": "Not found."}
    assert raised.value.detail == "Not found."
    assert calls(fake)[-1][1:] == (path, 404)


def test_an_oversized_push_raises_payload_too_large(atrius: AtriusClient) -> None:
    with pytest.raises(AtriusPayloadTooLarge) as raised:
        atrius.push(GATEWAY, {LIB_DEMAND: [("2024-01-15T10:00:00Z" + " " * 1_100_000, 1.0)]})
    assert raised.value.status == 413
    assert raised.value.detail == "Request body exceeds 1048576 bytes."


# --- pushing and reading back ----------------------------------------------------------------


def test_2500_points_for_3_meters_go_in_3_requests_and_read_back_exactly(
    atrius: AtriusClient, fake: Sandbox, recorder: Recorder
) -> None:
    building = new_building(atrius, "Plant")
    meters = [new_meter(atrius, building.id, f"Zone {n}").uuid for n in range(3)]
    start = dt.datetime(2026, 10, 1, tzinfo=UTC)
    sizes = [900, 900, 700]
    readings = {
        meter: [
            (start + dt.timedelta(minutes=15 * i), round(60 + n * 5 + (i % 97) * 0.125, 3))
            for i in range(size)
        ]
        for n, (meter, size) in enumerate(zip(meters, sizes, strict=True))
    }

    reports = atrius.push(int(GATEWAY), readings)

    sent = recorder.pushes()
    per_request = [{m: len(points) for m, points in p["data"].items()} for p in sent]
    assert per_request == [
        {meters[0]: 900, meters[1]: 100},
        {meters[1]: 800, meters[2]: 200},
        {meters[2]: 500},
    ]
    assert all(sum(counts.values()) <= 1000 for counts in per_request)
    assert all(p["meta"] == {"naive_timestamp_utc": False} for p in sent)
    assert [p for _, p, _ in calls(fake)].count(f"/gateways/{GATEWAY}/data") == 3
    assert [r.accepted for r in reports] == [1000, 1000, 500]
    assert all(r.skipped == 0 and r.rejected_meters == () for r in reports)
    assert reports[1].meters == {
        meters[1]: MeterPushReport(accepted=800),
        meters[2]: MeterPushReport(accepted=200),
    }
    # Sent in order: a meter's series is cut where the request is full, not reordered.
    joined = [point for p in sent for m in p["data"] for point in p["data"][m] if m == meters[1]]
    assert joined == [[t.isoformat(), v] for t, v in readings[meters[1]]]

    last_day = (start + dt.timedelta(minutes=15 * 899)).date()
    for meter in meters:
        got = atrius.data(meter, start.date(), last_day, resolution="live")
        assert [(p.localtime, p.value) for p in got] == readings[meter]
        assert all(p.localtime.utcoffset() == dt.timedelta(0) for p in got)


def test_skipped_points_are_reported_by_their_index_in_the_given_series(
    atrius: AtriusClient,
) -> None:
    start = dt.datetime(2026, 10, 1, tzinfo=UTC)
    series: list[tuple[dt.datetime | str, float]] = [
        (start + dt.timedelta(minutes=i), float(i)) for i in range(1002)
    ]
    series[3] = ("not a time", 3.0)
    series[1001] = ("2026-10-01T16:41:00", 1001.0)  # naive, and naive is not UTC here

    reports = atrius.push(GATEWAY, {LIB_DEMAND: series})

    assert [r.accepted for r in reports] == [999, 1]
    assert reports[0].meters[LIB_DEMAND].skipped == (
        SkippedPoint(index=3, point=["not a time", 3.0], reason="timestamp is not ISO 8601"),
    )
    assert reports[1].meters[LIB_DEMAND].skipped == (
        SkippedPoint(
            index=1001,
            point=["2026-10-01T16:41:00", 1001.0],
            reason="timestamp has no UTC offset and meta.naive_timestamp_utc is false",
        ),
    )


def test_naive_timestamps_are_utc_when_asked(atrius: AtriusClient, recorder: Recorder) -> None:
    building = new_building(atrius, "Depot")
    meter = new_meter(atrius, building.id, "Depot Air").uuid

    [report] = atrius.push(
        GATEWAY, {meter: [(dt.datetime(2024, 1, 15, 10, 0), 71.5)]}, naive_timestamp_utc=True
    )

    assert report == PushReport(1, 0, (), {meter: MeterPushReport(accepted=1)})
    assert recorder.pushes()[0]["meta"] == {"naive_timestamp_utc": True}
    assert atrius.data(meter, dt.date(2024, 1, 15), dt.date(2024, 1, 15), "live") == [
        DataPoint(dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC), 71.5)
    ]


def test_unknown_meters_are_reported_not_raised(atrius: AtriusClient) -> None:
    unknown = "0123456789abcdef0123456789abcdef"
    [report] = atrius.push(GATEWAY, {unknown: [("2024-01-15T10:00:00Z", 1.0)], LIB_DEMAND: []})
    assert report == PushReport(
        accepted=0,
        skipped=0,
        rejected_meters=(unknown,),
        meters={
            unknown: MeterPushReport(accepted=0, error="unknown meter"),
            LIB_DEMAND: MeterPushReport(accepted=0),
        },
    )


def test_nothing_to_push_sends_nothing(atrius: AtriusClient, fake: Sandbox) -> None:
    assert atrius.push(GATEWAY, {}) == []
    assert calls(fake) == []


def test_values_json_cannot_carry_are_refused_before_sending(
    atrius: AtriusClient, fake: Sandbox
) -> None:
    with pytest.raises(ValueError, match="nan"):
        atrius.push(
            GATEWAY,
            {LIB_DEMAND: [("2024-01-15T10:00:00Z", 1.0), ("2024-01-15T10:15:00Z", float("nan"))]},
        )
    assert calls(fake) == []


def test_data_at_coarser_resolutions_and_newest_first(atrius: AtriusClient) -> None:
    building = new_building(atrius, "Gym", time_zone="America/New_York")
    meter = new_meter(atrius, building.id, "Gym Air").uuid
    atrius.push(
        GATEWAY,
        {
            meter: [
                ("2024-01-15T15:00:00Z", 70.0),
                ("2024-01-15T15:30:00Z", 72.0),
                ("2024-01-15T16:00:00-00:00", 75.0),
            ]
        },
    )
    day = dt.date(2024, 1, 15)
    eastern = dt.timezone(dt.timedelta(hours=-5))

    hourly = atrius.data(meter, day, day)
    newest_first = atrius.data(meter, day, day, resolution="live", order="desc")

    assert len(hourly) == 24
    assert hourly[10] == DataPoint(dt.datetime(2024, 1, 15, 10, tzinfo=eastern), 71.0)
    assert hourly[11] == DataPoint(dt.datetime(2024, 1, 15, 11, tzinfo=eastern), 75.0)
    assert hourly[9].value is None
    assert [p.value for p in newest_first] == [75.0, 72.0, 70.0]


# --- rate limit ------------------------------------------------------------------------------


def test_a_429_is_waited_out_per_retry_after(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep
) -> None:
    fake.limits.configure({"atrius": {"requests": {"limit": 2}}})
    atrius = make_client(fake, http, sleep)

    atrius.gateway(GATEWAY)
    fake.clock.advance(20)
    atrius.gateway(GATEWAY)
    gateway = atrius.gateway(GATEWAY)

    assert gateway.id == GATEWAY
    assert sleep.waits == [40.0]  # the first request leaves the window 60 s after it came
    assert statuses(fake) == [200, 200, 200, 429, 200]


def test_a_429_on_every_try_raises_rate_limited_after_max_retries(
    fake: Sandbox, http: httpx.Client
) -> None:
    fake.limits.configure({"atrius": {"requests": {"limit": 1}}})
    stuck = SandboxSleep(fake, moves_clock=False)
    atrius = make_client(fake, http, stuck)
    atrius.gateway(GATEWAY)

    with pytest.raises(AtriusRateLimited) as raised:
        atrius.gateway(GATEWAY)

    assert stuck.waits == [60.0, 60.0, 60.0]
    assert statuses(fake) == [200, 200, 429, 429, 429, 429]
    error = raised.value
    assert (error.status, error.retry_after) == (429, 60.0)
    assert error.headers["retry-after"] == "60"
    assert error.body == {"detail": "Request was throttled. Expected available in 60 seconds."}


def test_max_retries_zero_raises_at_the_first_429(fake: Sandbox, http: httpx.Client) -> None:
    fake.limits.configure({"atrius": {"requests": {"limit": 1}}})
    stuck = SandboxSleep(fake, moves_clock=False)
    atrius = make_client(fake, http, stuck, max_retries=0)
    atrius.gateway(GATEWAY)
    with pytest.raises(AtriusRateLimited):
        atrius.gateway(GATEWAY)
    assert stuck.waits == []


def test_a_long_push_waits_between_requests_when_throttled(
    fake: Sandbox, http: httpx.Client, sleep: SandboxSleep, recorder: Recorder
) -> None:
    fake.limits.configure({"atrius": {"requests": {"limit": 2}}})
    atrius = make_client(fake, http, sleep)
    start = dt.datetime(2026, 10, 1, tzinfo=UTC)
    series = [(start + dt.timedelta(minutes=i), 1000.0) for i in range(2500)]

    reports = atrius.push(GATEWAY, {LIB_DEMAND: series})

    assert [r.accepted for r in reports] == [1000, 1000, 500]
    assert sleep.waits == [60.0]
    assert len(recorder.pushes()) == 4  # one refused, then repeated


# --- other ways to reach the fake ------------------------------------------------------------


def test_a_client_without_an_http_client_makes_its_own(
    fake: Sandbox, creds: dict[str, str]
) -> None:
    with AtriusClient(
        creds["client_id"], creds["client_secret"], clock=fake.clock.now, sleep=SandboxSleep(fake)
    ) as atrius:
        assert atrius.gateway(GATEWAY).organization_id == ORGANIZATION


def test_the_same_client_pages_through_the_combined_server_under_its_prefix(
    sandbox: Sandbox, client: httpx.Client, creds: dict[str, str]
) -> None:
    atrius = AtriusClient(
        creds["client_id"],
        creds["client_secret"],
        base_url="http://standin.test/atrius/",
        http=client,
        clock=sandbox.clock.now,
    )
    found = list(atrius.buildings(per_page=1))
    assert [b.id for b in found] == [LIBRARY, SCIENCE]
    assert found[0].url == f"http://standin.test/atrius/buildings/{LIBRARY}"
    assert atrius.gateway(GATEWAY).organization == (
        f"http://standin.test/atrius/organizations/{ORGANIZATION}"
    )


# --- against answers generated from the contract --------------------------------------------

CONTRACT = contracts.load("atrius")
CLIENT_NOW = dt.datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)
METER_UUID = "3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c"
GOOD_TOKEN = {
    "access_token": "generated-token",
    "expires_in": 36000,
    "token_type": "Bearer",
    "scope": "read write",
}


# What the client should make of each body, written independently of it.


@dataclass(frozen=True)
class Operation:
    method: str
    url_path: str
    """As the client sends it here."""
    call: Callable[[AtriusClient], Any]


OPERATIONS: dict[str, Operation] = {
    "gateway": Operation(
        "GET",
        f"/gateways/{GATEWAY}",
        lambda a: a.gateway(GATEWAY),
    ),
    "organization": Operation(
        "GET",
        f"/organizations/{ORGANIZATION}",
        lambda a: a.organization(ORGANIZATION),
    ),
    "buildings": Operation(
        "GET",
        "/buildings/",
        lambda a: list(a.buildings(per_page=5)),
    ),
    "building": Operation(
        "GET",
        f"/buildings/{LIBRARY}",
        lambda a: a.building(LIBRARY),
    ),
    "create_building": Operation(
        "POST",
        "/buildings/",
        lambda a: a.create_building(ORGANIZATION, "Annex", "02139", time_zone="UTC"),
    ),
    "meters": Operation(
        "GET",
        "/meters/",
        lambda a: list(a.meters(LIBRARY)),
    ),
    "meter": Operation(
        "GET",
        f"/meters/{METER_UUID}",
        lambda a: a.meter(METER_UUID),
    ),
    "create_meter": Operation(
        "POST",
        "/meters/",
        lambda a: new_meter(a, LIBRARY, "Lobby", status="online", default_timescale="day"),
    ),
    "patch_meter": Operation(
        "PATCH",
        f"/meters/{METER_UUID}",
        lambda a: a.update_meter(METER_UUID, partial=True, display_name="Lobby", status="offline"),
    ),
    "put_meter": Operation(
        "PUT",
        f"/meters/{METER_UUID}",
        lambda a: a.update_meter(
            METER_UUID,
            partial=False,
            building=LIBRARY,
            gateway=GATEWAY,
            display_name="Lobby",
            resource_type="temperature",
            reading_type="instantaneous",
            storage_unit="degf",
            display_unit="degf",
            source_unit="degc",
            scope="submeter",
        ),
    ),
    "push": Operation(
        "POST",
        f"/gateways/{GATEWAY}/data",
        lambda a: a.push(GATEWAY, {METER_UUID: [("2024-01-15T10:00:00Z", 72.5)]}),
    ),
    "data": Operation(
        "GET",
        f"/meters/{METER_UUID}/data/",
        lambda a: a.data(METER_UUID, dt.date(2024, 1, 15), dt.date(2024, 1, 15), "live"),
    ),
}
TOKEN_PATH = "/o/token/"
ERROR_TYPES: dict[int, type[AtriusError]] = {
    400: AtriusValidationError,
    401: AtriusAuthError,
    404: AtriusNotFound,
    413: AtriusPayloadTooLarge,
    415: AtriusError,  # the client always sends JSON: no type of its own
    429: AtriusRateLimited,
}


CONFORMANCE = TABLES["atrius"]


def assert_follows_contract(request: httpx.Request) -> None:
    """The request as the contract describes its operation (the conformance suite's check)."""
    matched = CONFORMANCE.reader.match(request.method, request.url.raw_path.decode().split("?")[0])
    assert matched is not None, request
    operation, path = matched
    assert request_problems(CONFORMANCE.reader, operation, request, path) == []


def generated_run(
    operation: Operation, answer: httpx.Response, token: httpx.Response | None = None
) -> tuple[Any, Any, Any, list[float]]:
    """The operation with every request answered by ``answer`` (and the token request by
    ``token``): result or error, the operation's calls, the token calls, and the waits. Every
    request sent is checked against the contract."""
    waits: list[float] = []
    mocked = respx.mock(base_url=BASE_URL, assert_all_called=False)
    with mocked as router, httpx.Client() as http:
        token_route = router.post(TOKEN_PATH).mock(
            return_value=token or httpx.Response(200, json=GOOD_TOKEN)
        )
        route = router.route(method=operation.method, path=operation.url_path).mock(
            return_value=answer
        )
        atrius = AtriusClient(
            "any-id", "any-secret", http=http, clock=lambda: CLIENT_NOW, sleep=waits.append
        )
        outcome: Any
        try:
            outcome = operation.call(atrius)
        except AtriusError as error:
            outcome = error
        for call in [*token_route.calls, *route.calls]:
            assert_follows_contract(call.request)
        return outcome, route.calls, token_route.calls, waits


PUSH_POINTS = st.lists(
    st.tuples(
        st.datetimes(timezones=st.just(UTC)).map(lambda t: t.isoformat()),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    max_size=1200,
)


@given(
    readings=st.dictionaries(
        CONFORMANCE.parameter("GET /meters/{uuid}", "uuid"),
        PUSH_POINTS,
        max_size=4,
    ),
    naive=st.booleans(),
)
def test_any_readings_are_pushed_in_order_in_contract_valid_requests_of_at_most_1000_points(
    readings: dict[str, list[tuple[str, float]]], naive: bool
) -> None:
    def report(request: httpx.Request) -> httpx.Response:
        data = json.loads(request.content)["data"]
        meters = {key: {"accepted": len(series), "skipped": []} for key, series in data.items()}
        total = sum(m["accepted"] for m in meters.values())
        body = {"accepted": total, "skipped": 0, "rejected_meters": [], "meters": meters}
        return httpx.Response(200, json=body)

    mocked = respx.mock(base_url=BASE_URL, assert_all_called=False)
    with mocked as router, httpx.Client() as http:
        router.post(TOKEN_PATH).mock(return_value=httpx.Response(200, json=GOOD_TOKEN))
        route = router.post(OPERATIONS["push"].url_path).mock(side_effect=report)
        atrius = AtriusClient("any-id", "any-secret", http=http, clock=lambda: CLIENT_NOW)
        reports = atrius.push(GATEWAY, readings, naive_timestamp_utc=naive)

    sent = [json.loads(call.request.content) for call in route.calls]
    for call in route.calls:
        assert_follows_contract(call.request)
    assert all(body["meta"] == {"naive_timestamp_utc": naive} for body in sent)
    sizes = [sum(len(series) for series in body["data"].values()) for body in sent]
    total = sum(len(series) for series in readings.values())
    assert sum(sizes) == total
    assert all(size <= 1000 for size in sizes)
    assert all(size == 1000 for size in sizes[:-1])  # as few requests as can be
    assert len(sent) == (-(-total // 1000) if total else (1 if readings else 0))
    for key, series in readings.items():
        joined = [tuple(p) for body in sent for p in body["data"].get(key, [])]
        assert joined == series
    assert [r.accepted for r in reports] == sizes


def page_answers(*pages: dict[str, Any]) -> list[httpx.Response]:
    return [httpx.Response(200, json={"count": 3, "previous": None, **p}) for p in pages]


BUILDING_BODY = {"id": "1", "name": "One", "organization": f"{BASE_URL}/organizations/1"}


def test_next_is_followed_absolute_or_relative_and_without_repeating_the_query() -> None:
    with respx.mock(base_url=BASE_URL) as router, httpx.Client() as http:
        router.post("/o/token/").mock(return_value=httpx.Response(200, json=GOOD_TOKEN))
        route = router.get("/buildings/").mock(
            side_effect=page_answers(
                {"next": f"{BASE_URL}/buildings/?per_page=1&page=2", "results": [BUILDING_BODY]},
                {
                    "next": "/buildings/?per_page=1&page=3",
                    "results": [{**BUILDING_BODY, "id": "2"}],
                },
                {"next": None, "results": [{**BUILDING_BODY, "id": "3"}]},
            )
        )
        atrius = AtriusClient("any-id", "any-secret", http=http, clock=lambda: CLIENT_NOW)
        assert [b.id for b in atrius.buildings(per_page=1)] == ["1", "2", "3"]
    assert [str(c.request.url) for c in route.calls] == [
        f"{BASE_URL}/buildings/?per_page=1",
        f"{BASE_URL}/buildings/?per_page=1&page=2",
        f"{BASE_URL}/buildings/?per_page=1&page=3",
    ]
    assert all(c.request.headers["authorization"] == "Bearer generated-token" for c in route.calls)


@pytest.mark.parametrize(
    ("next_url", "why"),
    [
        ("https://elsewhere.example/buildings/?page=2", "leaves"),
        ("http://api.buildingos.com/buildings/?page=2", "leaves"),
        (f"{BASE_URL}/buildings/", "already fetched"),
    ],
)
def test_a_next_that_leaves_the_api_or_loops_raises_before_it_is_fetched(
    next_url: str, why: str
) -> None:
    with respx.mock(base_url=BASE_URL) as router, httpx.Client() as http:
        router.post("/o/token/").mock(return_value=httpx.Response(200, json=GOOD_TOKEN))
        route = router.get("/buildings/").mock(
            side_effect=page_answers({"next": next_url, "results": [BUILDING_BODY]})
        )
        atrius = AtriusClient("any-id", "any-secret", http=http, clock=lambda: CLIENT_NOW)
        found: list[Building] = []
        with pytest.raises(AtriusError, match=why):
            found.extend(atrius.buildings())
    assert [b.id for b in found] == ["1"]
    assert len(route.calls) == 1


@pytest.mark.parametrize(
    ("headers", "body", "wait"),
    [
        ({"Retry-After": "7"}, {"detail": "Request was throttled."}, 7.0),
        ({"Retry-After": "2.5"}, {"detail": "Request was throttled."}, 2.5),
        (
            {"Retry-After": "Fri, 20 Nov 2026 12:01:00 GMT"},
            {"detail": "Request was throttled."},
            30.0,
        ),
        ({}, {"detail": "Request was throttled. Expected available in 12 seconds."}, 12.0),
        ({"Retry-After": "soon"}, {"detail": "Request was throttled."}, 60.0),
        ({}, "Too Many Requests", 60.0),
    ],
)
def test_the_wait_after_a_429_comes_from_retry_after_else_the_detail_else_a_minute(
    headers: dict[str, str], body: Any, wait: float
) -> None:
    answer = (
        httpx.Response(429, json=body, headers=headers)
        if isinstance(body, dict)
        else httpx.Response(429, text=body, headers=headers)
    )
    error, calls_made, _, waits = generated_run(OPERATIONS["gateway"], answer)
    assert isinstance(error, AtriusRateLimited)
    assert error.retry_after == wait
    assert waits == [wait] * 3
    assert len(calls_made) == 4


def test_a_429_then_success_returns_the_result() -> None:
    with respx.mock(base_url=BASE_URL) as router, httpx.Client() as http:
        router.post("/o/token/").mock(return_value=httpx.Response(200, json=GOOD_TOKEN))
        router.get(f"/gateways/{GATEWAY}").mock(
            side_effect=[
                httpx.Response(429, json={"detail": "x"}, headers={"Retry-After": "3"}),
                httpx.Response(429, json={"detail": "x"}, headers={"Retry-After": "1"}),
                httpx.Response(200, json={"data": {"id": GATEWAY, "organization": "/o/1"}}),
            ]
        )
        waits: list[float] = []
        atrius = AtriusClient(
            "any-id", "any-secret", http=http, clock=lambda: CLIENT_NOW, sleep=waits.append
        )
        assert atrius.gateway(GATEWAY) == Gateway(id=GATEWAY, organization="/o/1")
    assert waits == [3.0, 1.0]


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("gateway", httpx.Response(500, text="Internal Server Error")),
        ("gateway", httpx.Response(405, json={"detail": 'Method "GET" not allowed.'})),
        ("gateway", httpx.Response(200, text="<html>not json</html>")),
        ("gateway", httpx.Response(200, json={"id": GATEWAY, "organization": "/o/1"})),
        ("gateway", httpx.Response(200, json={"data": {"id": True, "organization": "/o/1"}})),
        ("building", httpx.Response(200, json={"data": {"id": "1", "name": "x"}})),
        ("building", httpx.Response(200, json={"data": {**BUILDING_BODY, "enabled": "yes"}})),
        ("create_building", httpx.Response(200, json=BUILDING_BODY)),
        ("buildings", httpx.Response(200, json={"count": 1, "next": None, "results": {}})),
        ("meter", httpx.Response(200, json={"data": {"uuid": "u", "id": "1"}})),
        ("push", httpx.Response(200, json={"accepted": -1, "skipped": 0})),
        ("push", httpx.Response(200, json={"accepted": 1, "skipped": 0, "meters": {}})),
        ("data", httpx.Response(200, json={"data": [{"localtime": "today", "value": 1}]})),
        (
            "data",
            httpx.Response(
                200, json={"data": [{"localtime": "2024-01-15T10:00:00Z", "value": "1"}]}
            ),
        ),
    ],
)
def test_an_undocumented_status_or_a_body_outside_the_schema_raises_atrius_error(
    name: str, answer: httpx.Response
) -> None:
    error, _, _, _ = generated_run(OPERATIONS[name], answer)
    assert type(error) is AtriusError
    assert error.status == answer.status_code


@pytest.mark.parametrize(
    "token",
    [
        {"access_token": "", "token_type": "Bearer", "expires_in": 1},
        {"access_token": "two words", "token_type": "Bearer", "expires_in": 1},
        {"access_token": "t\n", "token_type": "Bearer", "expires_in": 1},
        {"access_token": "caf\u00e9", "token_type": "Bearer", "expires_in": 1},
        {"access_token": "t", "token_type": "mac", "expires_in": 1},
        {"access_token": "t", "token_type": "Bearer", "expires_in": -1},
        {"token_type": "Bearer", "expires_in": 36000},
    ],
)
def test_a_token_answer_outside_the_schema_raises_atrius_error(token: dict[str, Any]) -> None:
    error, calls_made, _, _ = generated_run(
        OPERATIONS["gateway"], httpx.Response(200, json={}), token=httpx.Response(200, json=token)
    )
    assert type(error) is AtriusError
    assert len(calls_made) == 0


def test_a_token_without_expires_in_is_kept_until_a_401() -> None:
    with respx.mock(base_url=BASE_URL) as router, httpx.Client() as http:
        tokens = router.post("/o/token/").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        )
        router.get(f"/gateways/{GATEWAY}").mock(
            return_value=httpx.Response(200, json={"data": {"id": GATEWAY, "organization": "/o/1"}})
        )
        now = [CLIENT_NOW]
        atrius = AtriusClient("any-id", "any-secret", http=http, clock=lambda: now[0])
        atrius.gateway(GATEWAY)
        now[0] += dt.timedelta(days=365)
        atrius.gateway(GATEWAY)
        assert atrius.token().expires_at is None
    assert len(tokens.calls) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": ["This field is required."]}, {"name": ["This field is required."]}),
        (
            {"meta": {"naive_timestamp_utc": ["Must be a valid boolean."]}},
            {"meta.naive_timestamp_utc": ["Must be a valid boolean."]},
        ),
        (["Invalid data."], {"non_field_errors": ["Invalid data."]}),
        ({"detail": "JSON parse error - Expecting value"}, {}),
        (
            {"items": [{}, {"value": ["A number is required."]}]},
            {"items.1.value": ["A number is required."]},
        ),
    ],
)
def test_validation_errors_are_flattened_to_fields(body: Any, fields: dict[str, list[str]]) -> None:
    error, _, _, _ = generated_run(OPERATIONS["create_building"], httpx.Response(400, json=body))
    assert isinstance(error, AtriusValidationError)
    assert error.fields == fields
