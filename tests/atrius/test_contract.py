"""The Atrius contract: valid OpenAPI, honoured by the fake, matched by the fixture."""

from __future__ import annotations

import base64
import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
from hypothesis import settings
from schemathesis.core.parameters import ParameterLocation

from standin import create_sandbox, fixtures
from standin.atrius.api import AtriusApi
from standin.atrius.models import READING_TYPES, SCOPES, STATUSES, TIMESCALES
from standin.atrius.routes import meter_json
from standin.atrius.state import MAX_BUILDINGS, MAX_METERS, AtriusState
from standin.atrius.units import (
    INTERVAL_DIMENSIONS,
    RESOURCE_TYPES,
    UNITS,
    reference,
    unit,
    units_for,
)
from tests.conftest import bearer
from tests.contract_support import (
    EveryCheckOnEachStep,
    VendorContract,
    answer_of,
    crc,
    disabled_checks,
    in_process,
    mostly,
    pick,
    stateful_settings,
    use_bearer_tokens,
    validated,
)
from tests.support import all_checks

READER = VendorContract("atrius")
CONTRACT = READER.contract
check, operations, resolved = READER.check, READER.operations, READER.resolved
schema_for = READER.schema_for
UNIT_FIELDS = ("storageUnit", "displayUnit", "sourceUnit")


# --- the contract itself -----------------------------------------------------------------------


def test_the_contract_is_valid_openapi_3_1() -> None:
    READER.assert_valid_openapi_3_1()


def test_every_operation_of_the_brief_is_described() -> None:
    described = {(method.upper(), path) for method, path, _ in operations()}
    assert described == {
        ("POST", "/o/token/"),
        ("GET", "/gateways/{number}"),
        ("GET", "/gateways/{number}/"),
        ("POST", "/gateways/{number}/data"),
        ("POST", "/gateways/{number}/data/"),
        ("GET", "/organizations/{id}"),
        ("GET", "/organizations/{id}/"),
        ("GET", "/buildings/"),
        ("POST", "/buildings/"),
        ("GET", "/buildings/{id}"),
        ("GET", "/buildings/{id}/"),
        ("GET", "/meters/"),
        ("POST", "/meters/"),
        ("GET", "/meters/{uuid}"),
        ("PATCH", "/meters/{uuid}"),
        ("PUT", "/meters/{uuid}"),
        ("GET", "/meters/{uuid}/"),
        ("PATCH", "/meters/{uuid}/"),
        ("PUT", "/meters/{uuid}/"),
        ("GET", "/meters/{uuid}/data/"),
        ("GET", "/meters/{uuid}/data"),
        ("GET", "/units/"),
    }


def test_every_operation_but_the_token_needs_a_bearer_token() -> None:
    assert CONTRACT["security"] == [{"BearerAuth": []}]
    for method, path, operation in operations():
        if path == "/o/token/":
            assert operation["security"] == [{}, {"ClientBasic": []}]
        else:
            assert "security" not in operation, f"{method} {path}"
            assert {"401", "429"} <= set(operation["responses"]), f"{method} {path}"


def test_every_response_and_request_has_a_valid_example() -> None:
    assert READER.responses_without_a_body() == []
    seen = READER.assert_body_examples_valid()
    for response in CONTRACT["components"]["responses"].values():
        for content in response["content"].values():
            check(content["example"], content["schema"])
    assert seen > 100


def test_every_parameter_example_is_valid() -> None:
    for method, path, parameter in READER.parameters():
        if "example" in parameter:
            check(parameter["example"], parameter["schema"])
        else:
            assert parameter["in"] == "query", f"{method} {path} {parameter['name']}"


def test_the_fake_serves_this_contract(client: httpx.Client) -> None:
    READER.assert_served_by(client)


def test_the_guides_own_examples_are_the_contracts() -> None:
    token = CONTRACT["paths"]["/o/token/"]["post"]["responses"]["200"]["content"]
    assert token["application/json"]["example"] == {
        "access_token": "<YOUR_ACCESS_TOKEN>",
        "expires_in": 36000,
        "token_type": "Bearer",
        "scope": "read write",
    }
    push = CONTRACT["paths"]["/gateways/{number}/data"]["post"]["requestBody"]["content"]
    example = push["application/json"]["example"]
    assert example["meta"] == {"naive_timestamp_utc": False}
    assert list(example["data"].values()) == [
        [
            ["2024-01-15T10:00:00Z", 72.5],
            ["2024-01-15T10:15:00Z", 73.2],
            ["2024-01-15T10:30:00Z", 72.8],
        ]
    ]


def test_the_sandbox_choices_are_marked() -> None:
    assert READER.source().count("**Sandbox choice") >= 20


def test_the_enums_are_the_fakes() -> None:
    schemas = CONTRACT["components"]["schemas"]
    assert schemas["ResourceType"]["enum"] == list(RESOURCE_TYPES)
    assert set(schemas["ReadingType"]["enum"]) == set(READING_TYPES)
    assert set(schemas["Scope"]["enum"]) == set(SCOPES)
    assert set(schemas["MeterStatus"]["enum"]) == set(STATUSES)
    assert set(schemas["Timescale"]["enum"]) == set(TIMESCALES)
    assert set(schemas["UnitCode"]["enum"]) == {u.code for u in UNITS}
    assert set(schemas["Dimension"]["enum"]) == {u.dimension for u in UNITS}
    for item in reference():
        check(item, schema_for("Unit"))


# --- the fixture -------------------------------------------------------------------------------


def test_the_fixture_matches_the_contracts_fixture_schema() -> None:
    READER.assert_fixture_matches()


def test_every_fixture_meter_is_a_valid_meter_of_a_fixture_building() -> None:
    fixture = fixtures.load("atrius")
    buildings = {b["id"] for b in fixture["buildings"]}
    for raw in fixture["meters"]:
        assert raw["building"] in buildings
        units = [unit(raw["resourceType"], raw[name]) for name in UNIT_FIELDS]
        assert all(u is not None for u in units), raw["uuid"]
        assert len({u.dimension for u in units if u is not None}) == 1, raw["uuid"]
    sandbox = create_sandbox(["atrius"])
    state = sandbox.vendor(AtriusApi).state(sandbox.tenants.default())
    for meter in state.meters.values():
        check(meter_json(meter, "https://api.buildingos.com"), schema_for("Meter"))


# --- schemathesis against the fake, in-process, with every check -----------------------------

TIME_ZONES = ("UTC", "America/New_York", "America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo")


# The journal must keep the whole run for the last test of this file.
SANDBOX, APP, schema = in_process("atrius", journal_capacity=1_000_000)
CREDENTIALS: dict[str, str] = SANDBOX.credentials()["atrius"]


def _state() -> AtriusState:
    """The default tenant's state now (a reset replaces it)."""
    return SANDBOX.vendor(AtriusApi).state(SANDBOX.tenants.default())


FIXTURE = fixtures.load("atrius")
GATEWAY = CREDENTIALS["gateway"]
ORGANIZATION = CREDENTIALS["organization"]
BUILDINGS = [b["id"] for b in FIXTURE["buildings"]]
METERS = [m["uuid"] for m in FIXTURE["meters"]]
PUSHED_METERS = METERS[1:3]
"""Meters the run pushes readings to; the others keep their generated data."""
VENDOR_IDS = itertools.count(1)
TOKEN_OPERATION = schema["/o/token/"]["POST"]


def _token_answer(**form: str) -> dict[str, Any]:
    return answer_of(
        TOKEN_OPERATION,
        body={"client_id": CREDENTIALS["client_id"], "client_secret": CREDENTIALS["client_secret"]}
        | form,
        media_type="application/x-www-form-urlencoded",
    )


def _client_token() -> str:
    """A real token, from the token endpoint, with the default tenant's client credentials."""
    token: str = _token_answer(grant_type="client_credentials")["access_token"]
    return token


use_bearer_tokens(schema, _client_token, path="/o/token/")


def _refers_to(value: Any, segment: str, exists: Any) -> bool:
    """Whether ``value`` names an existing object as the fake reads references (id or URL)."""
    key = str(value).strip().rstrip("/")
    prefix, slash, last = key.rpartition("/")
    if slash and not prefix.endswith(f"/{segment}"):
        return False
    return bool(last.isascii() and last.isdigit() and exists(last))


def _reference(original: Any, key: str, segment: str) -> Any:
    """``key`` in the form ``original`` had: a number, a string, or a URL."""
    if isinstance(original, int) and not isinstance(original, bool):
        return int(key)
    if isinstance(original, str) and "/" in original:
        return f"https://api.buildingos.com/{segment}/{key}"
    return key


def _fix_path(case: Any) -> None:
    """Generated ids mostly become real ones, so that 200s are exercised, not only 404s."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    params = dict(case.path_parameters or {})
    path, state = case.operation.path, _state()
    for name, value in params.items():
        if not isinstance(value, str) or not mostly(("path", value)):
            continue
        if name == "number":
            params[name] = GATEWAY
        elif path.startswith("/organizations/"):
            params[name] = ORGANIZATION
        elif path.startswith("/buildings/") and value not in state.buildings:
            params[name] = pick(value, BUILDINGS)
        elif name == "uuid" and state.meters.get(value.lower()) is None:
            params[name] = pick(value, METERS)
    case.path_parameters = params


def _fix_text(body: dict[str, Any], name: str, max_length: int, fallback: str) -> None:
    """A number is taken as its text, whose length the schema cannot bound."""
    value = body.get(name)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and len(str(value)) > max_length:
        body[name] = fallback


def _fix_token_request(case: Any) -> None:
    """The real client (one time in four by HTTP Basic), user and a fresh refresh token."""
    body = dict(case.body)
    client_id, secret = CREDENTIALS["client_id"], CREDENTIALS["client_secret"]
    if mostly(("basic", repr(body))):
        body["client_id"], body["client_secret"] = client_id, secret
    else:
        body.pop("client_id", None)
        body.pop("client_secret", None)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        case.headers = {**(case.headers or {}), "Authorization": f"Basic {basic}"}
    if body.get("grant_type") == "password":
        body["username"], body["password"] = CREDENTIALS["username"], CREDENTIALS["password"]
    elif body.get("grant_type") == "refresh_token":
        body["refresh_token"] = _token_answer(
            grant_type="password",
            username=CREDENTIALS["username"],
            password=CREDENTIALS["password"],
        )["refresh_token"]
    case.body = body


def _fix_building(case: Any) -> None:
    body = dict(case.body)
    if "organization" in body:
        body["organization"] = _reference(body["organization"], ORGANIZATION, "organizations")
    if "timeZone" in body:
        body["timeZone"] = pick(body["timeZone"], TIME_ZONES)
    _fix_text(body, "name", 255, "Generated Hall")
    _fix_text(body, "postalCode", 20, "02139")
    case.body = body


def _fix_meter(case: Any, existing: dict[str, Any] | None) -> None:
    """Make a meter body coherent: real building and gateway, units of one dimension that the
    resource type and reading type allow, and a vendorMeterId unused on the gateway."""
    body = dict(case.body)
    if "building" in body and not _refers_to(body["building"], "buildings", _state().buildings.get):
        key = pick(body["building"], BUILDINGS)
        body["building"] = _reference(body["building"], key, "buildings")
    if "gateway" in body:
        # A number, never a URL: the PushToMeter link takes the gateway from this body.
        body["gateway"] = int(GATEWAY) if isinstance(body["gateway"], int) else GATEWAY
    _fix_text(body, "displayName", 255, "Generated Meter")
    vendor_id = body.get("vendorMeterId")
    if vendor_id is not None and str(vendor_id).strip():
        body["vendorMeterId"] = f"GEN-{next(VENDOR_IDS)}"
    kinds = ("resourceType", "readingType", *UNIT_FIELDS)
    merged = {**(existing or {}), **body}
    if any(name in body for name in kinds) and {"resourceType", "readingType"} <= set(merged):
        resource_type, reading_type = merged["resourceType"], merged["readingType"]
        if not any(u.dimension in INTERVAL_DIMENSIONS for u in units_for(resource_type)):
            reading_type = "instantaneous"  # nothing accumulates in degrees
        body["resourceType"], body["readingType"] = resource_type, reading_type
        candidates = units_for(resource_type)
        dimensions = sorted(
            {
                u.dimension
                for u in candidates
                if reading_type != "cumulative" or u.dimension in INTERVAL_DIMENSIONS
            }
        )
        storage = unit(resource_type, str(merged.get("storageUnit", "")))
        dimension = (
            storage.dimension
            if storage is not None and storage.dimension in dimensions
            else pick(merged.get("storageUnit"), dimensions)
        )
        codes = [u.code for u in candidates if u.dimension == dimension]
        for name in UNIT_FIELDS:
            found = unit(resource_type, str(merged.get(name, "")))
            body[name] = (
                found.code
                if found is not None and found.dimension == dimension
                else pick((name, merged.get(name)), codes)
            )
    case.body = body


def _fix_push(case: Any) -> None:
    """At most 1000 points, and some good readings for a meter of the gateway."""
    body = dict(case.body)
    data = dict(body["data"])
    budget = 990
    for key, series in data.items():
        if isinstance(series, list):
            data[key] = series[: max(0, budget)]
            budget -= len(data[key])
    seed = crc(repr(data))
    _add_good_readings(data, pick(seed, PUSHED_METERS), seed)
    body["data"] = data
    case.body = body


def _add_good_readings(data: dict[str, Any], meter: str, seed: int) -> None:
    """Three readings ``meter`` accepts, after any it has in ``data``."""
    first = datetime(2026, 11, 1, 0, 15, tzinfo=UTC) + timedelta(hours=seed % 400)
    readings = data.get(meter) if isinstance(data.get(meter), list) else []
    data[meter] = [
        *readings,
        *(
            [(first + timedelta(hours=i)).isoformat(), round(20.0 + (seed % 97) / 10 + i, 1)]
            for i in range(3)
        ),
    ]


def _fix_data_query(case: Any) -> None:
    query = dict(case.query or {})
    start, end = sorted((date.fromisoformat(query["start"]), date.fromisoformat(query["end"])))
    if (end - start).days > 365:  # at most 366 days, counting both ends
        end = start + timedelta(days=365)
    query["start"], query["end"] = start.isoformat(), end.isoformat()
    case.query = query


def _make_room(held: int, quota: int) -> None:
    """A long run (the deep profile) creates buildings by the hundred: before the tenant's quota
    refuses a valid creation (rightly, but the positive-data check would count it against the
    fake), the tenant starts again from the fixture."""
    if held >= quota:
        SANDBOX.reset(SANDBOX.tenants.default().id)


def obey_cross_field_rules(case: Any) -> None:
    """Make positive cases obey the rules a schema cannot say (they relate fields, or depend on
    what exists); and point most generated ids at real objects. Negative cases keep their
    invalid part: they must be refused."""
    _fix_path(case)
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    path, method = case.operation.path, case.method.upper()
    body_is_object = isinstance(case.body, dict)
    if path == "/o/token/" and body_is_object:
        _fix_token_request(case)
    elif path == "/buildings/" and method == "POST" and body_is_object:
        _make_room(len(_state().buildings), MAX_BUILDINGS)
        _fix_building(case)
    elif path == "/meters/" and method == "POST" and body_is_object:
        _make_room(len(_state().meters), MAX_METERS)
        _fix_meter(case, existing=None)
    elif path.startswith("/meters/{uuid}") and method in ("PATCH", "PUT") and body_is_object:
        found = _state().meters.get(str(case.path_parameters["uuid"]).lower())
        existing = None if found is None else found.api_fields()
        _fix_meter(case, existing=existing)
    elif path.startswith("/gateways/{number}/data") and body_is_object:
        _fix_push(case)
    elif path.startswith("/meters/{uuid}/data"):
        _fix_data_query(case)
    elif path == "/meters/" and method == "GET":
        query = dict(case.query or {})
        if "building" in query and mostly(("building", query["building"])):
            query["building"] = pick(query["building"], BUILDINGS)
        case.query = query


def test_every_check_is_enabled() -> None:
    assert disabled_checks() == set()


@schema.parametrize()
@settings(deadline=None)
def test_the_fake_conforms_to_its_contract(case: Any) -> None:
    obey_cross_field_rules(case)
    case.call_and_validate(checks=all_checks())


# --- stateful: the operations the contract links, driven by hypothesis ------------------------


class AtriusWorkflow(EveryCheckOnEachStep, schema.as_state_machine()):  # type: ignore[misc]
    """Create buildings and meters, push to the new meters and read them back, by the links.

    Every scenario starts from the fixture, so that a replayed scenario meets the same state.
    """

    chains: ClassVar[Counter[str]] = Counter()
    """Link chains completed, over every scenario."""

    def setup(self) -> None:
        SANDBOX.reset(SANDBOX.tenants.default().id)
        self.new_buildings: list[str] = []
        self.new_meters: list[str] = []
        """What this scenario made, oldest first."""

    def before_call(self, case: Any) -> None:
        obey_cross_field_rules(case)
        self._mostly_towards_new_objects(case)

    def _mostly_towards_new_objects(self, case: Any) -> None:
        """Positive cases mostly name what this scenario made: a new meter goes in the newest
        new building, a push carries readings for the newest new meter, and data is read from
        it. The links say the same, but whether a step takes a link's value is schemathesis'
        weighted choice, tuned by what earlier steps answered, so which chains a fixed set of
        examples walks moves with any change to the contract, the fixtures or the answers: a
        full-suite run once walked no "meter in a new building" in 60 scenarios. The chains
        the test asserts are not left to that choice."""
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return
        path, method = case.operation.path, case.method.upper()
        steps = len(self.new_buildings) + len(self.new_meters)
        if not mostly((path, method, steps)):
            return
        newest_meter = self.new_meters[-1] if self.new_meters else None
        if path == "/meters/" and method == "POST" and isinstance(case.body, dict):
            if self.new_buildings and "building" in case.body:
                building = _reference(case.body["building"], self.new_buildings[-1], "buildings")
                case.body = {**case.body, "building": building}
        elif path.startswith("/gateways/{number}/data") and isinstance(case.body, dict):
            data = case.body.get("data")
            if newest_meter is not None and isinstance(data, dict):
                data = dict(data)
                _add_good_readings(data, newest_meter, crc((newest_meter, steps)))
                case.body = {**case.body, "data": data}
        elif path.startswith("/meters/{uuid}/data") and newest_meter is not None:
            case.path_parameters = {**(case.path_parameters or {}), "uuid": newest_meter}

    def after_call(self, response: Any, case: Any) -> None:
        super().after_call(response, case)
        label, status = case.operation.label, response.status_code
        if label == "POST /buildings/" and status == 201:
            self.new_buildings.append(response.json()["id"])
        elif label == "POST /meters/" and status == 201:
            meter = response.json()
            self.new_meters.append(meter["uuid"])
            if meter["building"].rsplit("/", 1)[1] in self.new_buildings:
                self.chains["meter in a new building"] += 1
        elif label.startswith("POST /gateways/") and status == 200:
            stored = response.json()["meters"]
            if any(k.lower() in self.new_meters and stored[k]["accepted"] for k in stored):
                self.chains["push to a new meter"] += 1
        elif label.startswith("GET /meters/{uuid}/data") and status == 200:
            uuid = str(case.path_parameters["uuid"]).lower()
            self.chains["data of a new meter"] += int(uuid in self.new_meters)


def test_the_linked_operations_work_together() -> None:
    """A meter in a building just created (CreateMeterInBuilding), readings pushed to a meter
    just created (PushToMeter) and read back (GetMeterData), among the other links."""
    AtriusWorkflow.chains.clear()
    # From the fixtures: the fuzzing above may have pushed the tenant to its reading quota, and
    # a refused push would take these derandomized steps down another path.
    SANDBOX.reset(SANDBOX.tenants.default().id)
    try:
        AtriusWorkflow.run(
            # A floor, so that even a quick profile walks every link chain.
            settings=stateful_settings(
                max_examples=max(60, settings.default.max_examples), steps=10
            )
        )
    finally:
        SANDBOX.reset(SANDBOX.tenants.default().id)
    assert set(+AtriusWorkflow.chains) == {
        "meter in a new building",
        "push to a new meter",
        "data of a new meter",
    }


# --- the documented answers generated requests rarely reach -----------------------------------


def _bearer() -> dict[str, str]:
    return bearer(_client_token())


def test_the_workflow_of_the_guide_round_trips_exact_values() -> None:
    """Guide steps 6 to 9 and the pull: gateway, organization, building, meter, push, read back."""
    auth = _bearer()
    gateway = validated(
        schema["/gateways/{number}"]["GET"].Case(path_parameters={"number": GATEWAY}, headers=auth)
    ).json()["data"]
    organization = gateway["organization"].rsplit("/", 1)[1]
    assert organization == ORGANIZATION
    building = validated(
        schema["/buildings/"]["POST"].Case(
            body={"organization": int(organization), "name": "Annex", "postalCode": "02139"},
            media_type="application/json",
            headers=auth,
        )
    )
    assert building.status_code == 201
    building_id = building.json()["id"]
    meter = validated(
        schema["/meters/"]["POST"].Case(
            body={
                "building": building_id,
                "gateway": int(GATEWAY),
                "displayName": "Annex Electricity",
                "resourceType": "electricity",
                "readingType": "cumulative",
                "storageUnit": "kwh",
                "displayUnit": "kwh",
                "sourceUnit": "wh",
                "scope": "building",
                "vendorMeterId": "ANNEX-KWH",
            },
            media_type="application/json",
            headers=auth,
        )
    )
    assert meter.status_code == 201
    uuid = meter.json()["uuid"]
    readings = [
        ["2024-01-15T10:00:00Z", 1000],
        ["2024-01-15T10:15:00Z", 1500],
        ["2024-01-15T10:30:00Z", 2500],
        ["2024-01-15T11:00:00Z", 4000],
        ["2024-01-15T11:15:00Z", "4500"],
    ]
    report = validated(
        schema["/gateways/{number}/data"]["POST"].Case(
            path_parameters={"number": GATEWAY},
            body={"meta": {"naive_timestamp_utc": False}, "data": {uuid: readings}},
            media_type="application/json",
            headers=auth,
        )
    ).json()
    assert report["accepted"] == 4
    assert report["meters"][uuid]["skipped"] == [
        {
            "index": 4,
            "point": ["2024-01-15T11:15:00Z", "4500"],
            "reason": "value is a string, not a number",
        }
    ]
    data = schema["/meters/{uuid}/data/"]["GET"]
    day = {"start": "2024-01-15", "end": "2024-01-15"}
    live = validated(
        data.Case(path_parameters={"uuid": uuid}, query={**day, "resolution": "live"}, headers=auth)
    ).json()
    assert live["data"] == [
        {"localtime": "2024-01-15T10:00:00+00:00", "value": 1.0},
        {"localtime": "2024-01-15T10:15:00+00:00", "value": 1.5},
        {"localtime": "2024-01-15T10:30:00+00:00", "value": 2.5},
        {"localtime": "2024-01-15T11:00:00+00:00", "value": 4.0},
    ]
    assert (live["meta"]["unit"], live["meta"]["timeZone"]) == ("kwh", "UTC")
    hourly = validated(
        data.Case(
            path_parameters={"uuid": uuid},
            query={**day, "resolution": "hour", "order": "desc"},
            headers=auth,
        )
    ).json()["data"]
    assert len(hourly) == 24
    values = {row["localtime"][11:13]: row["value"] for row in hourly}
    assert (values["10"], values["11"]) == (1.5, 1.5)
    assert [v for hour, v in values.items() if hour not in ("10", "11")] == [None] * 22
    assert hourly[0]["localtime"] == "2024-01-15T23:00:00+00:00"
    listed = validated(
        schema["/meters/"]["GET"].Case(query={"building": building_id}, headers=auth)
    ).json()
    assert [m["uuid"] for m in listed["results"]] == [uuid]


def test_large_pushes_are_accepted_and_too_large_bodies_are_413() -> None:
    auth = _bearer()
    push = schema["/gateways/{number}/data"]["POST"]
    points = [[f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00Z", i] for i in range(1200)]
    response = validated(
        push.Case(
            path_parameters={"number": GATEWAY},
            body={"data": {METERS[1]: points}},
            media_type="application/json",
            headers=auth,
        )
    )
    assert response.status_code == 200
    big = validated(
        schema["/meters/"]["POST"].Case(
            body={"displayName": "x" * (1024 * 1024)}, media_type="application/json", headers=auth
        )
    )
    assert big.status_code == 413


def test_the_rate_limit_answers_429_with_retry_after() -> None:
    auth = _bearer()
    limiter = SANDBOX.limits.get("atrius", "requests")
    SANDBOX.limits.configure({"atrius": {"requests": {"enabled": True, "limit": 2}}})
    try:
        limiter.reset()
        units = schema["/units/"]["GET"]
        statuses = [validated(units.Case(headers=auth)).status_code for _ in range(3)]
        throttled = validated(units.Case(headers=auth))
    finally:
        SANDBOX.limits.configure({"atrius": {"requests": {"enabled": False, "limit": 100}}})
        limiter.reset()
    assert statuses == [200, 200, 429]
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == ["60"]


def test_the_ends_of_the_calendar_are_empty_days() -> None:
    """No room for a time zone's offset before 0001-01-02 or after 9999-12-31: no data, no 500."""
    auth = _bearer()
    building = validated(
        schema["/buildings/"]["POST"].Case(
            body={
                "organization": ORGANIZATION,
                "name": "Far East",
                "postalCode": "100-0001",
                "timeZone": "Asia/Tokyo",
            },
            media_type="application/json",
            headers=auth,
        )
    ).json()["id"]
    meter = validated(
        schema["/meters/"]["POST"].Case(
            body={
                "building": building,
                "gateway": GATEWAY,
                "displayName": "Lobby",
                "resourceType": "temperature",
                "readingType": "instantaneous",
                "storageUnit": "degc",
                "displayUnit": "degc",
                "sourceUnit": "degc",
                "scope": "submeter",
            },
            media_type="application/json",
            headers=auth,
        )
    ).json()["uuid"]
    data = schema["/meters/{uuid}/data/"]["GET"]
    for uuid in (METERS[0], meter):
        for day in ("0001-01-01", "9999-12-31"):
            for resolution in ("live", "hour", "month"):
                query = {"start": day, "end": day, "resolution": resolution}
                case = data.Case(path_parameters={"uuid": uuid}, query=query, headers=auth)
                answer = validated(case).json()
                assert answer["data"] == []
                assert (answer["meta"]["start"], answer["meta"]["end"]) == (day, day)


def test_a_path_with_a_newline_is_a_drf_404(client: httpx.Client, auth: dict[str, str]) -> None:
    for path in ("/atrius/gateways/482%0A13", "/atrius/meters/%0A/data/"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404
        check(response.json(), {"$ref": "#/components/schemas/Detail"})


def test_a_blank_scope_is_the_default_scope() -> None:
    answer = _token_answer(grant_type="client_credentials", scope=" \t")
    assert answer["scope"] == "read write"


def test_a_reading_beyond_a_double_refuses_the_push_as_unparsable() -> None:
    case = schema["/gateways/{number}/data"]["POST"].Case(
        path_parameters={"number": GATEWAY},
        body={"data": {METERS[1]: [["2024-01-15T10:00:00Z", 10**400]]}},
        media_type="application/json",
        headers=_bearer(),
    )
    response = validated(case)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(
        "JSON parse error - number is infinity when parsed as double"
    )


# --- last: what the whole run exercised --------------------------------------------------------


def test_the_contract_run_exercised_success_and_every_documented_error() -> None:
    """Runs after the tests above (file order): each operation succeeded at least once, and
    every documented status was answered."""
    entries = SANDBOX.journal.entries("atrius")
    statuses = {entry.status for entry in entries}
    documented = READER.documented_statuses()
    assert documented == {200, 201, 400, 401, 404, 413, 415, 429}
    assert documented | {405} <= statuses
    missing = READER.never_succeeded(entries)
    assert not missing, f"operations never answered 2xx: {sorted(missing)}"
