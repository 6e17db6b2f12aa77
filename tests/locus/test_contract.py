"""The Locus contract: valid OpenAPI, honoured by the fake, matched by the fixture."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from hypothesis import settings
from schemathesis.core.parameters import ParameterLocation

from standin import fixtures
from standin.locus import LocusApi, catalogue
from standin.locus.data import component_fields, site_fields
from tests.conftest import NOW, bearer
from tests.contract_support import (
    VendorContract,
    answer_of,
    in_process,
    mostly,
    pick,
    use_bearer_tokens,
)
from tests.support import all_checks

READER = VendorContract("locus")
CONTRACT = READER.contract
check, operations, resolved = READER.check, READER.operations, READER.resolved


def test_the_contract_is_valid_openapi_3_1() -> None:
    READER.assert_valid_openapi_3_1()


def test_every_operation_of_the_reference_is_described() -> None:
    described = {(method.upper(), path) for method, path, _ in operations()}
    assert described == {
        ("POST", "/oauth/token"),
        ("GET", "/v3/components/{componentId}"),
        ("GET", "/v3/sites/{siteId}/components"),
        ("GET", "/v3/clients/{clientId}/components"),
        ("GET", "/v3/partners/{partnerId}/components"),
        ("GET", "/v3/sites/{siteId}"),
        ("GET", "/v3/clients/{clientId}/sites"),
        ("GET", "/v3/partners/{partnerId}/sites"),
        ("GET", "/v3/sites/{siteId}/installinfo"),
        ("GET", "/v3/sites/{siteId}/modelsettings"),
        ("GET", "/v3/clients/{clientId}"),
        ("GET", "/v3/partners/{partnerId}/clients"),
        ("GET", "/v3/components/{componentId}/dataavailable"),
        ("GET", "/v3/sites/{siteId}/dataavailable"),
        ("GET", "/v3/partners/{partnerId}/sites/dataavailable"),
        ("GET", "/v3/components/{componentId}/data"),
        ("GET", "/v3/sites/{siteId}/data"),
        ("GET", "/v3/partners/{partnerId}/sites/data"),
        ("GET", "/v3/partners/{partnerId}/alerts"),
        ("GET", "/v3/sites/{siteId}/alerts"),
        ("GET", "/v3/components/{componentId}/alerts"),
    }


def test_every_api_operation_needs_a_token_and_documents_401_and_429() -> None:
    assert CONTRACT["security"] == [{"BearerAuth": []}]
    for method, path, operation in operations():
        if path == "/oauth/token":
            # No bearer token: the client authenticates in the body or by HTTP Basic.
            assert operation["security"] == [{}, {"ClientBasic": []}]
            continue
        assert "security" not in operation, f"{method} {path}"
        assert {"200", "401", "403", "404", "429"} <= set(operation["responses"])


def test_every_response_and_request_has_a_valid_example() -> None:
    assert READER.responses_without_a_body() == []
    seen = READER.assert_body_examples_valid()
    for _, _, parameter in READER.parameters():
        if "example" in parameter:
            check(parameter["example"], parameter["schema"])
    assert seen > 100


def test_the_rate_limit_body_is_the_references() -> None:
    example = CONTRACT["components"]["responses"]["TooManyRequests"]["content"]
    assert example["application/json"]["example"] == {
        "message": "Too many requests",
        "statusCode": 429,
    }


def test_the_sandbox_choices_are_marked() -> None:
    text = str(CONTRACT)
    assert text.count("Sandbox choice") >= 10


def test_the_enums_are_the_fakes() -> None:
    parameters = CONTRACT["components"]["parameters"]
    assert parameters["ModelType"]["schema"]["enum"] == list(catalogue.MODEL_TYPES)
    assert parameters["IrradianceSource"]["schema"]["enum"] == list(catalogue.IRRADIANCE_SOURCES)
    assert parameters["Gran"]["schema"]["enum"] == list(catalogue.ALL)


def test_the_fake_serves_this_contract(client: httpx.Client) -> None:
    READER.assert_served_by(client)


# --- schemathesis against the fake, in-process, with every check -----------------------------


SANDBOX, APP, schema = in_process("locus", rate_limited=True)
CREDENTIALS: dict[str, Any] = dict(SANDBOX.credentials()["locus"])
STATE = SANDBOX.vendor(LocusApi).state(SANDBOX.tenants.default())
PARTNER = int(CREDENTIALS["partner_id"])
PARTNERS = [int(p) for p in CREDENTIALS["partner_ids"]]
TOKEN_OPERATION = schema["/oauth/token"]["POST"]


def _token() -> str:
    token: str = answer_of(
        TOKEN_OPERATION,
        body={
            "grant_type": "client_credentials",
            "client_id": CREDENTIALS["client_id"],
            "client_secret": CREDENTIALS["client_secret"],
        },
        media_type="application/x-www-form-urlencoded",
    )["access_token"]
    return token


use_bearer_tokens(schema, _token, path="/oauth/token")


def _fix_path(case: Any) -> None:
    """Generated ids mostly become real ones, so that 200s are exercised, not only 404s."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    params = dict(case.path_parameters or {})
    for name, value in params.items():
        if not mostly(("path", value)):
            continue
        if name == "partnerId":
            params[name] = pick(value, PARTNERS)
        elif name == "siteId":
            params[name] = pick(value, sorted(STATE.sites.keys()))
        elif name == "clientId":
            params[name] = pick(value, sorted(STATE.clients.keys()))
        elif name == "componentId":
            params[name] = pick(value, sorted(STATE.components.keys()))
    case.path_parameters = params


def _short_names(case: Any) -> list[str]:
    path = case.operation.path
    identifier = next(iter((case.path_parameters or {}).values()), None)
    if path.endswith("/sites/data"):
        return list(catalogue.BULK_SHORT_NAMES)
    if path.startswith("/v3/components/"):
        component = STATE.components.get(identifier)
        fields = () if component is None else component_fields(STATE, component)
    else:
        site = STATE.sites.get(identifier)
        fields = () if site is None else site_fields(STATE, site)
    gran = (case.query or {}).get("gran")
    return [name for field in fields if gran in field.granularities for name in field.short_names()]


SPANS = {
    "latest": timedelta(0),
    "1min": timedelta(hours=3),
    "5min": timedelta(days=2),
    "15min": timedelta(days=3),
    "hourly": timedelta(days=5),
    "daily": timedelta(days=40),
    "monthly": timedelta(days=200),
    "yearly": timedelta(days=800),
}


def _fix_data_query(case: Any) -> None:
    """A valid data request: fields the entity has, a span the granularity allows, and the
    model parameters. The zone and dates stay generated where they are valid."""
    query = dict(case.query or {})
    names = _short_names(case)
    if not names:
        # An entity without data refuses every field: ask one that has data instead.
        name = next(iter(case.path_parameters))
        case.path_parameters = {name: {"componentId": 456, "siteId": 123}.get(name, PARTNER)}
        names = _short_names(case)
    wanted = query["fields"].split(",")
    query["fields"] = ",".join(pick(w, names) for w in wanted[:3])
    try:
        start = datetime.fromisoformat(query.get("start", ""))
    except ValueError:
        start = datetime(2024, 6, 1)
    start = start.replace(year=max(2015, min(start.year, 2026)))
    span = SPANS[query["gran"]]
    query["start"] = start.isoformat(timespec="seconds")
    query["end"] = (start + (span or timedelta(hours=1))).isoformat(timespec="seconds")
    query.setdefault("modelType", "simple")
    query["irradianceSource"] = "TMY3"
    query.setdefault("inverterClipping", "false")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(query["tz"])
    except Exception:
        query["tz"] = "US/Pacific"
    case.query = query


def _fix_alert_query(case: Any) -> None:
    query = dict(case.query or {})
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(query["tz"])
    except Exception:
        query["tz"] = "UTC"
    for name in ("updatedSince", "openDuringMin", "openDuringMax"):
        if name in query:
            try:
                datetime.fromisoformat(query[name])
            except ValueError:
                query.pop(name)
            else:
                if not 1970 <= int(query[name][:4]) <= 2100:
                    query.pop(name)
    if ("openDuringMin" in query) != ("openDuringMax" in query) or (
        "openDuringMin" in query and query["openDuringMax"] <= query["openDuringMin"]
    ):
        query.pop("openDuringMin", None)
        query.pop("openDuringMax", None)
    if case.operation.path.startswith("/v3/partners/"):
        now = NOW.replace(tzinfo=None)
        query["updatedSince"] = (now - timedelta(days=2)).isoformat(timespec="seconds")
        query.pop("openDuringMin", None)
        query.pop("openDuringMax", None)
    case.query = query


def _fix_token_request(case: Any) -> None:
    body = dict(case.body)
    if mostly(("client", body.get("client_id"))):
        body["client_id"] = CREDENTIALS["client_id"]
        body["client_secret"] = CREDENTIALS["client_secret"]
    if body.get("grant_type") == "password" and mostly(("user", body.get("username"))):
        body["username"] = CREDENTIALS["username"]
        body["password"] = CREDENTIALS["password"]
    if (
        body.get("grant_type") in ("password", "refresh_token")
        and body["client_id"] == CREDENTIALS["client_id"]
    ):
        # A schema-valid refresh token the service never issued is refused 400 by design.
        if body.get("grant_type") == "refresh_token":
            body["grant_type"] = "client_credentials"
        elif body.get("username") != CREDENTIALS["username"]:
            body["username"] = CREDENTIALS["username"]
            body["password"] = CREDENTIALS["password"]
    if body.get("grant_type") == "password" and body.get("password") != CREDENTIALS["password"]:
        body["username"] = CREDENTIALS["username"]
        body["password"] = CREDENTIALS["password"]
    case.body = body


def obey_cross_parameter_rules(case: Any) -> None:
    """Positive cases obey what a schema cannot say (rules between parameters, what exists)."""
    _fix_path(case)
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    path = case.operation.path
    if path == "/oauth/token" and isinstance(case.body, dict):
        _fix_token_request(case)
    elif path.endswith("/data"):
        _fix_data_query(case)
    elif path.endswith("/alerts"):
        _fix_alert_query(case)


@schema.parametrize()
@settings(deadline=None, max_examples=12, derandomize=True)
def test_the_fake_conforms_to_its_contract(case: Any) -> None:
    obey_cross_parameter_rules(case)
    case.call_and_validate(checks=all_checks())


def test_the_contract_run_exercised_success_and_every_documented_error() -> None:
    """Runs after the schemathesis test (file order): it must have seen each outcome."""
    statuses = {entry.status for entry in SANDBOX.journal.entries("locus", 10_000)}
    assert {200, 400, 401, 403, 404} <= statuses


# --- the fixture -------------------------------------------------------------------------------


def test_the_fixture_matches_the_contracts_fixture_schema() -> None:
    READER.assert_fixture_matches()


def test_the_fixture_has_what_the_sandbox_promises() -> None:
    """The reference's three partners, and another one; the first with clients, sites in
    several zones (one without a startup date, one without components), inverters, meters and a
    weather station, and open and closed alerts of every type."""
    fixture = fixtures.load("locus")
    assert fixture["partner_ids"] == [123, 456, 111]
    partners = {p["id"]: p for p in fixture["partners"]}
    assert set(partners) - set(fixture["partner_ids"]) == {5050}
    for other in (456, 111):
        their_sites = [site for client in partners[other]["clients"] for site in client["sites"]]
        assert their_sites
        assert all(site["components"] for site in their_sites)
    mine = partners[123]
    sites = [site for client in mine["clients"] for site in client["sites"]]
    assert len(mine["clients"]) >= 2
    assert len({site["locationTimezone"] for site in sites}) >= 4
    assert any("startupDate" not in site["installinfo"] for site in sites if site["components"])
    assert any(not site["components"] for site in sites)
    types = {c["nodeType"] for site in sites for c in site["components"]}
    assert types == {"INVERTER", "METER", "WEATHER_STATION"}
    alerts = fixture["alerts"]
    assert {a["alertType"] for a in alerts} == set(
        CONTRACT["components"]["schemas"]["Alert"]["properties"]["alertType"]["enum"]
    )
    assert any("endHours" in a for a in alerts)
    assert any("endHours" not in a for a in alerts)


def test_every_fixture_site_answers_in_its_schema() -> None:
    """Every site of the fixture through the site operations."""
    auth = bearer(_token())
    for site_id in STATE.sites:
        site = STATE.sites.get(site_id)
        assert site is not None
        if site.partner_id not in PARTNERS:
            continue
        for path, name in [
            (f"/v3/sites/{site_id}", "SiteResponse"),
            (f"/v3/sites/{site_id}/installinfo", "InstallInfoResponse"),
            (f"/v3/sites/{site_id}/modelsettings", "ModelSettingsResponse"),
            (f"/v3/sites/{site_id}/dataavailable", "DataAvailableResponse"),
            (f"/v3/sites/{site_id}/components", "ComponentsResponse"),
        ]:
            response = (
                schema[path_template(path)]["GET"]
                .Case(
                    path_parameters={"siteId": site_id},
                    headers=auth,
                )
                .call()
            )
            assert response.status_code == 200, path
            check(response.json(), {"$ref": f"#/components/schemas/{name}"})


def path_template(path: str) -> str:
    parts = path.split("/")
    parts[3] = "{siteId}"
    return "/".join(parts)
