"""The Atmotube contract: valid OpenAPI, honoured by the fake, matched by the fixtures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import jsonschema
import schemathesis
from hypothesis import settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi import checks as _openapi_checks  # noqa: F401 - registers them

from standin import contracts, create_sandbox, fixtures
from standin._core.clock import Clock
from standin.atmotube.api import AtmotubeApi
from standin.atmotube.query import DataQuery
from standin.server import build_app
from tests.conftest import NOW
from tests.support import all_checks

CONTRACT = contracts.load("atmotube")


def schema_for(name: str) -> dict[str, Any]:
    """A self-contained JSON Schema for ``components.schemas.<name>``."""
    return {"$ref": f"#/components/schemas/{name}", "components": CONTRACT["components"]}


def test_the_contract_is_valid_openapi_3_1() -> None:
    validate(contracts.load("atmotube"))
    assert CONTRACT["openapi"] == "3.1.0"


def test_every_response_and_request_has_a_valid_example() -> None:
    operation = CONTRACT["paths"]["/api/v1/data"]["get"]
    for status, response in operation["responses"].items():
        for media_type, content in response["content"].items():
            assert "example" in content, f"{status} {media_type}"
            schema = {**content["schema"], "components": CONTRACT["components"]}
            jsonschema.validate(content["example"], schema)


def test_the_fixture_matches_the_contracts_fixture_schema() -> None:
    jsonschema.validate(
        fixtures.load("atmotube"),
        schema_for("SandboxFixture"),
        format_checker=jsonschema.FormatChecker(),
    )


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


def _app() -> Any:
    clock = Clock()
    clock.freeze(NOW)
    sandbox = create_sandbox(["atmotube"], clock=clock)
    # Generated traffic is far above 60 requests a minute; the limit has its own tests.
    sandbox.limits.configure({"atmotube": {"requests": {"enabled": False}}})
    return sandbox, build_app(sandbox, "atmotube")


SANDBOX, APP = _app()
API_KEY: str = SANDBOX.credentials()["atmotube"]["api_key"]
MACS: list[str] = SANDBOX.credentials()["atmotube"]["macs"]

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


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
    names = {check.__name__ for check in all_checks()}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "ignored_auth",
    } <= names


@schema.parametrize()
@settings(deadline=None)
def test_the_fake_conforms_to_its_contract(case: Any) -> None:
    obey_cross_parameter_rules(case)
    case.call_and_validate(checks=all_checks())


def test_the_contract_run_exercised_success_and_every_documented_error() -> None:
    """Runs after the schemathesis test (file order): it must have seen each outcome."""
    statuses = {entry.status for entry in SANDBOX.journal.entries("atmotube")}
    assert {200, 400, 401, 404} <= statuses
