"""The BuildingMinds contract: valid OpenAPI, honoured by the fake, matched by the fixture and
by the field tables."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from hypothesis import settings
from schemathesis.core.parameters import ParameterLocation

from standin import create_sandbox
from standin.buildingminds import BuildingMindsApi
from standin.buildingminds.entities import ENTITIES
from standin.buildingminds.routes import batch_json, inbound_json
from standin.buildingminds.state import STATUSES, BatchQuery, InboundQuery
from tests.buildingminds.conftest import budget, token_for, token_form
from tests.conftest import bearer
from tests.contract_support import (
    EveryCheckOnEachStep,
    VendorContract,
    answer_of,
    crc,
    in_process,
    stateful_settings,
    use_bearer_tokens,
)
from tests.support import all_checks

READER = VendorContract("buildingminds")
CONTRACT = READER.contract
check, operations, resolved = READER.check, READER.operations, READER.resolved
schema_for = READER.schema_for
TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"


# --- the contract itself -----------------------------------------------------------------------


def test_the_contract_is_valid_openapi_3_1() -> None:
    READER.assert_valid_openapi_3_1()


def test_every_operation_of_the_issue_is_described() -> None:
    described = {(method.upper(), path) for method, path, _ in operations()}
    entities = {("POST", f"/api/digitaltwinintegration/{path}") for path in ENTITIES}
    assert described == {
        ("POST", TOKEN_PATH),
        ("GET", "/{tenant}/v2.0/.well-known/openid-configuration"),
        ("GET", "/{tenant}/discovery/v2.0/keys"),
        ("GET", "/{tenant}/.well-known/openid-configuration"),
        ("GET", "/{tenant}/discovery/keys"),
        ("GET", "/api/digitaltwinintegration/batch"),
        ("GET", "/api/digitaltwinintegration/batch/{batchId}/inbound"),
        *entities,
    }
    assert set(ENTITIES) == {
        "address",
        "site",
        "building",
        "floor",
        "space",
        "rentalUnit",
        "meter",
    }


def test_every_api_operation_needs_a_bearer_token_and_documents_its_errors() -> None:
    assert CONTRACT["security"] == [{"BearerAuth": []}]
    for method, path, operation in operations():
        if path.startswith("/api/"):
            assert "security" not in operation, f"{method} {path}"
            assert {"401", "403", "429", "503"} <= set(operation["responses"]), path
        else:
            assert operation["security"][0] == {}, path


def test_every_response_and_request_has_a_valid_example() -> None:
    assert READER.responses_without_a_body() == []
    assert READER.assert_body_examples_valid() > 70


def test_every_parameter_example_is_valid() -> None:
    for _, _, parameter in READER.parameters():
        check(parameter["example"], parameter["schema"])


def test_the_fake_serves_this_contract(client: httpx.Client) -> None:
    READER.assert_served_by(client)


def test_the_sandbox_choices_are_marked() -> None:
    assert READER.source().count("**Sandbox choice") >= 15


def test_the_record_schemas_are_the_field_tables() -> None:
    schemas = CONTRACT["components"]["schemas"]
    for spec in ENTITIES.values():
        record = schemas[f"{spec.name}Record"]
        assert set(record["required"]) == {f.name for f in spec.fields if f.mandatory}
        assert set(record["properties"]) == {f.name for f in spec.fields} | {"eventType"}
        for field in spec.fields:
            prop = record["properties"][field.name]
            if field.max_length is not None and field.kind == "string" and not field.choices:
                assert prop["maxLength"] == field.max_length, (spec.name, field.name)
        assert (f"{spec.name}Deletion" in schemas) == spec.deletable
    assert schemas["InboundStatus"]["enum"] == list(STATUSES)


def test_each_entity_example_is_accepted_and_onboarded_in_order(client: httpx.Client) -> None:
    """The examples chain (address, site, building, ...): sent in the contract's order, every
    record reaches its final status."""
    credentials = client.get("/_sandbox/credentials").json()["buildingminds"]
    auth = bearer(token_for(client, credentials))
    batches = []
    for path, spec in ENTITIES.items():
        operation = CONTRACT["paths"][f"/api/digitaltwinintegration/{path}"]["post"]
        example = operation["requestBody"]["content"]["application/json"]["example"]
        url = f"/buildingminds/api/digitaltwinintegration/{path}"
        answer = client.post(url, json=example, headers=auth)
        assert answer.status_code == 200, answer.text
        batches.append((spec, answer.json()["batchId"]))
    client.post("/_sandbox/clock", json={"advance": 600})
    for spec, batch_id in batches:
        inbound = client.get(
            f"/buildingminds/api/digitaltwinintegration/batch/{batch_id}/inbound", headers=auth
        ).json()
        assert {m["status"] for m in inbound["data"]} == {spec.terminal}, spec.name


# --- the fixture -------------------------------------------------------------------------------


def test_the_fixture_matches_the_contracts_fixture_schema() -> None:
    READER.assert_fixture_matches()


def test_every_fixture_batch_and_message_matches_the_contract() -> None:
    sandbox = create_sandbox(["buildingminds"])
    state = sandbox.vendor(BuildingMindsApi).state(sandbox.tenants.default())
    total, summaries = state.list_batches(BatchQuery())
    assert total == len(ENTITIES)
    for summary in summaries:
        check(batch_json(summary), schema_for("Batch"))
        _, messages = state.inbound(summary.batch, InboundQuery())
        for message in messages:
            check(inbound_json(message), schema_for("InboundMessage"))


# --- schemathesis against the fake, in-process, with every check -----------------------------


SANDBOX, APP, schema = in_process("buildingminds", journal_capacity=1_000_000)
CREDENTIALS: dict[str, str] = SANDBOX.credentials()["buildingminds"]
GOOD_FORM = token_form(CREDENTIALS)


def _token() -> str:
    token: str = answer_of(
        schema[TOKEN_PATH]["POST"],
        path_parameters={"tenant": CREDENTIALS["tenant"]},
        body=GOOD_FORM,
        media_type="application/x-www-form-urlencoded",
    )["access_token"]
    return token


use_bearer_tokens(schema, _token, path_regex="^/{tenant}/")


def _valid_instant(seed: object) -> str:
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=crc(seed) % 3_000_000_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fix_record(record: Any, path: str) -> Any:
    """Generated date-times match the pattern but may not be dates (Feb 30): make them real."""
    if not isinstance(record, dict):
        return record
    spec = ENTITIES[path]
    fixed = dict(record)
    for field in spec.fields:
        value = fixed.get(field.name)
        if field.kind == "datetime" and isinstance(value, str):
            fixed[field.name] = _valid_instant(value)
    return fixed


def obey_cross_field_rules(case: Any) -> None:
    """Positive cases: the real tenant and, at the token endpoint, the real client (a schema
    cannot say which credentials exist); real calendar dates in records. Negative cases keep
    their invalid part."""
    path = case.operation.path
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if path.startswith("/{tenant}/") and not negative_path:
        case.path_parameters = {**(case.path_parameters or {}), "tenant": CREDENTIALS["tenant"]}
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if path == TOKEN_PATH and isinstance(case.body, dict):
        case.body = {**case.body, **GOOD_FORM}
    elif path.startswith("/api/digitaltwinintegration/") and isinstance(case.body, list):
        entity = path.rsplit("/", 1)[1]
        if entity in ENTITIES:
            case.body = [_fix_record(record, entity) for record in case.body]


@schema.parametrize()
@settings(deadline=None, max_examples=budget(25))
def test_the_fake_conforms_to_its_contract(case: Any) -> None:
    obey_cross_field_rules(case)
    case.call_and_validate(checks=all_checks())


# --- stateful: submit, then follow the batch by the contract's links --------------------------


class IngestionWorkflow(EveryCheckOnEachStep, schema.as_state_machine()):  # type: ignore[misc]
    """Submit records, then read the batch and its messages by the links of the answer."""

    followed: ClassVar[Counter[str]] = Counter()

    def before_call(self, case: Any) -> None:
        obey_cross_field_rules(case)

    def after_call(self, response: Any, case: Any) -> None:
        super().after_call(response, case)
        label, status = case.operation.label, response.status_code
        if label.startswith("GET /api/digitaltwinintegration/batch/") and status == 200:
            self.followed["inbound of a new batch"] += int(response.json()["totalCount"] > 0)
        elif label == "GET /api/digitaltwinintegration/batch" and status == 200:
            self.followed["a new batch"] += int(case.query.get("batchId") is not None)


def test_the_linked_operations_work_together() -> None:
    IngestionWorkflow.followed.clear()
    IngestionWorkflow.run(settings=stateful_settings(max_examples=budget(10), steps=5))
    assert set(+IngestionWorkflow.followed) == {"inbound of a new batch", "a new batch"}


# --- last: what the whole run exercised --------------------------------------------------------


def test_the_contract_run_answered_success_for_every_operation() -> None:
    entries = SANDBOX.journal.entries("buildingminds")
    missing = READER.never_succeeded(entries)
    assert not missing, f"operations never answered 2xx: {sorted(missing)}"
    assert {400, 401, 405} <= {entry.status for entry in entries}
