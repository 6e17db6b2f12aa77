"""The Atmotube contract: valid OpenAPI, honoured by the fake, matched by the fixtures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import jsonschema
from hypothesis import settings

from standin import create_sandbox, fixtures
from standin.atmotube.api import AtmotubeApi
from standin.atmotube.query import DataQuery
from tests.contract_support import VendorContract, disabled_checks, in_process
from tests.support import all_checks

READER = VendorContract("atmotube")
schema_for = READER.schema_for


def test_the_contract_is_valid_openapi_3_1() -> None:
    READER.assert_valid_openapi_3_1()


def test_every_response_and_request_has_a_valid_example() -> None:
    assert READER.assert_body_examples_valid() > 0


def test_the_fixture_matches_the_contracts_fixture_schema() -> None:
    READER.assert_fixture_matches()


def test_the_fixture_has_three_devices_on_two_keys_one_with_gps() -> None:
    fixture = fixtures.load("atmotube")
    assert len(fixture["api_keys"]) >= 2
    assert len(fixture["devices"]) >= 3
    assert any("coords" in device for device in fixture["devices"])
    assert any("coords" not in device for device in fixture["devices"])


def test_every_fixture_devices_readings_match_the_contract() -> None:
    sandbox = create_sandbox(["atmotube"])
    state = sandbox.vendor(AtmotubeApi).state(sandbox.tenants.default())
    schema = schema_for("DataResponse")
    for entry in sandbox.credentials()["atmotube"]["keys"]:
        for mac in entry["macs"]:
            for day in (date(2023, 6, 1), date(2024, 1, 15)):
                query = DataQuery(mac=mac, first_day=day, last_day=day, limit=None)
                page = state.readings(entry["api_key"], query)
                body = {
                    "status": 0,
                    "data": {"total": page.total, "items": [r.as_json() for r in page.readings]},
                }
                jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


# --- schemathesis against the fake, in-process, with every check -----------------------------


SANDBOX, APP, schema = in_process("atmotube")
API_KEY: str = SANDBOX.credentials()["atmotube"]["api_key"]
MACS: list[str] = SANDBOX.credentials()["atmotube"]["macs"]


@schema.auth()
class ApiKeyInQuery:
    def get(self, case: Any, ctx: Any) -> str:
        return API_KEY

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.query = {**(case.query or {}), "api_key": data}


def obey_cross_parameter_rules(case: Any) -> None:
    """Make positive cases obey the rules a schema cannot say (they relate parameters).

    The date parameters are exclusive and paired, and a range spans at most 7 days; ``limit``
    is at most 1440 per day of the request; and a generated MAC is mostly one of the key's
    devices, so that 200s are exercised, not only 404s.
    Negative cases are left alone: they must be refused.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    query = dict(case.query or {})
    if "date" in query:
        query.pop("start_date", None)
        query.pop("end_date", None)
    elif "start_date" in query or "end_date" in query:
        start = date.fromisoformat(query.get("start_date") or query["end_date"])
        end = date.fromisoformat(query.get("end_date") or query["start_date"])
        start, end = min(start, end), max(start, end)
        end = min(end, start + timedelta(days=6))
        query["start_date"], query["end_date"] = start.isoformat(), end.isoformat()
    days = 1
    if "start_date" in query:
        span = date.fromisoformat(query["end_date"]) - date.fromisoformat(query["start_date"])
        days += span.days
    if "limit" in query:
        query["limit"] = min(int(query["limit"]), 1440 * days)
    mac = query.get("mac")
    if isinstance(mac, str) and int(mac[-2:], 16) % 4 != 0:
        query["mac"] = MACS[int(mac[-2:], 16) % len(MACS)]
    case.query = query


def test_every_check_is_enabled() -> None:
    assert disabled_checks() == set()


@schema.parametrize()
@settings(deadline=None)
def test_the_fake_conforms_to_its_contract(case: Any) -> None:
    obey_cross_parameter_rules(case)
    case.call_and_validate(checks=all_checks())


def test_the_contract_run_exercised_success_and_every_documented_error() -> None:
    """Runs after the schemathesis test (file order): it must have seen each outcome."""
    statuses = {entry.status for entry in SANDBOX.journal.entries("atmotube")}
    assert {200, 400, 401, 404} <= statuses
