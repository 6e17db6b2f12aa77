"""The conformance machinery itself: request checks, the check of public methods, the runner's
verdicts and the answers it draws."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standin.clients.atrius import AtriusClient, Gateway
from standin.clients.metasys_certificates import archive_of
from tools.conformance import ClientTable, Row, check_run, run_row
from tools.conformance.requests import request_problems
from tools.conformance.runner import answers
from tools.conformance.tables import TABLES

ATRIUS = TABLES["atrius"]
METASYS = TABLES["metasys"]
BASE = "https://api.buildingos.com"
BEARER = {"Authorization": "Bearer t"}


def problems(table: ClientTable[Any], request: httpx.Request) -> list[str]:
    matched = table.reader.match(request.method, request.url.raw_path.decode().split("?")[0])
    assert matched is not None
    operation, path = matched
    return request_problems(table.reader, operation, request, path)


def test_a_request_as_the_contract_describes_it_has_no_problems() -> None:
    request = httpx.Request(
        "GET",
        f"{BASE}/meters/3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c/data/",
        params={"start": "2024-01-15", "end": "2024-01-16", "resolution": "hour"},
        headers=BEARER,
    )
    assert problems(ATRIUS, request) == []


def test_unknown_missing_and_invalid_query_parameters_are_problems() -> None:
    request = httpx.Request(
        "GET",
        f"{BASE}/meters/3f2a9e4b7c1d4a6e8b0f5c2d9e7a1b3c/data/",
        params={"start": "yesterday", "colour": "red"},
        headers=BEARER,
    )
    found = problems(ATRIUS, request)
    assert any("query parameter colour is not in the contract" in p for p in found), found
    assert any("required query parameter end missing" in p for p in found), found
    assert any("query parameter start 'yesterday' is not valid" in p for p in found), found


def test_a_path_parameter_outside_its_schema_is_a_problem() -> None:
    request = httpx.Request("GET", f"{BASE}/meters/not-a-uuid", headers=BEARER)
    assert any("path parameter uuid 'not-a-uuid'" in p for p in problems(ATRIUS, request))


def test_a_request_without_the_operations_credentials_is_a_problem() -> None:
    request = httpx.Request("GET", f"{BASE}/gateways/48213")
    assert problems(ATRIUS, request) == ["no credentials of the operation's security (BearerAuth)"]


def test_a_body_outside_the_request_schema_is_a_problem() -> None:
    request = httpx.Request("POST", f"{BASE}/buildings/", json={"name": "Annex"}, headers=BEARER)
    found = problems(ATRIUS, request)
    assert len(found) == 1
    assert found[0].startswith("request body {'name': 'Annex'} is not valid:"), found


def test_a_body_the_operation_does_not_take_is_a_problem() -> None:
    request = httpx.Request("GET", f"{BASE}/gateways/48213", json={"x": 1}, headers=BEARER)
    assert problems(ATRIUS, request) == ["a body of 7 bytes, but the operation takes none"]


def test_the_most_literal_template_is_the_operation() -> None:
    matched = METASYS.reader.match("GET", "/api/v4/objects/abc/objects/wellKnownQuery/alarm")
    assert matched is not None
    assert matched[0].path == "/api/v4/objects/{objectId}/objects/wellKnownQuery/alarm"
    assert matched[1] == {"objectId": "abc"}


class ClientWithMore(AtriusClient):
    def new_call(self) -> None:
        """A method no row covers yet."""


def test_a_public_method_without_a_row_is_listed_until_it_has_one() -> None:
    table = dataclasses.replace(ATRIUS, client_class=ClientWithMore)
    assert table.uncovered() == ["new_call"]
    row: Row[Any] = Row("new_call", "GET /gateways/{number}", lambda c, a: c.new_call())
    assert dataclasses.replace(table, rows=(*table.rows, row)).uncovered() == []


def test_a_row_for_a_method_the_client_lacks_is_listed() -> None:
    row: Row[Any] = Row("gone", "GET /gateways/{number}", lambda c, a: None)
    assert dataclasses.replace(ATRIUS, rows=(*ATRIUS.rows, row)).stale() == ["gone"]


def test_every_row_names_operations_of_its_contract_with_documented_statuses() -> None:
    for table in TABLES.values():
        for row in table.rows:
            operation = table.reader.operation(row.operation)
            assert operation.statuses, row.id
            for label in (*row.also, *table.tokens):
                table.reader.operation(label)
            if row.statuses is not None:
                assert set(row.statuses) < set(operation.statuses), row.id
                assert row.note, f"{row.id} leaves statuses out without saying why"


GATEWAY_ROW = next(row for row in ATRIUS.rows if row.method == "gateway")


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_result_of_the_wrong_type_fails_the_run(data: st.DataObject) -> None:
    row = dataclasses.replace(GATEWAY_ROW, returns=int, check=None)
    run = run_row(ATRIUS, row, 200, data.draw)
    assert isinstance(run.result, Gateway)
    with pytest.raises(AssertionError, match="not <class 'int'>"):
        check_run(ATRIUS, row, 200, run)


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_error_of_the_wrong_type_fails_the_run(data: st.DataObject) -> None:
    row = dataclasses.replace(GATEWAY_ROW, errors={404: KeyError})
    run = run_row(ATRIUS, row, 404, data.draw)
    with pytest.raises(AssertionError, match=r"raised AtriusNotFound .* not KeyError"):
        check_run(ATRIUS, row, 404, run)


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_client_that_sends_outside_the_contract_fails_the_run(data: st.DataObject) -> None:
    row = dataclasses.replace(GATEWAY_ROW, call=lambda client, a: client.gateway("not a number"))
    run = run_row(ATRIUS, row, 200, data.draw)
    with pytest.raises(AssertionError, match="requests outside the contract"):
        check_run(ATRIUS, row, 200, run)


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers(METASYS, METASYS.reader.operation("GET /api/v4/spaces/{spaceId}"), 403))
def test_a_metasys_403_answer_has_its_error_body_and_no_header_but_retry_after(
    answer: Any,
) -> None:
    assert answer.status == 403
    assert answer.headers["Content-Type"] == "application/vnd.metasysapi.v4+json"
    METASYS.reader.check(answer.body, {"$ref": "#/components/schemas/Error"})
    assert set(answer.headers) <= {"Content-Type", "Retry-After"}


METASYS_BASE = "https://metasys.standin.example/api/v4"
IMPORT = f"{METASYS_BASE}/networkDevices/certificates/bacnet"


def zip_request(content: bytes) -> httpx.Request:
    headers = {**BEARER, "Content-Type": "application/zip"}
    return httpx.Request("POST", IMPORT, content=content, headers=headers)


def test_a_zip_body_that_is_not_a_zip_file_is_a_problem() -> None:
    assert problems(METASYS, zip_request(b"-----BEGIN CERTIFICATE-----")) == [
        "the body is not a ZIP file"
    ]


def test_a_zip_body_that_is_a_zip_file_has_no_problems() -> None:
    assert problems(METASYS, zip_request(archive_of({"NAE-1.pem": "-----BEGIN"}))) == []


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    etag=METASYS.parameter(
        "GET /api/v4/networkDevices/{networkDeviceId}/signingRequests/bacnet", "If-None-Match"
    )
)
def test_header_parameter_values_are_text_a_header_can_carry(etag: str) -> None:
    assert etag.isascii(), etag
    assert etag.isprintable(), etag
    assert etag == etag.strip(), etag


SIGNING = METASYS.reader.operation(
    "GET /api/v4/networkDevices/{networkDeviceId}/signingRequests/bacnet"
)


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers(METASYS, SIGNING, 200))
def test_a_pkcs10_answer_is_its_text_with_its_media_type(answer: Any) -> None:
    assert answer.headers["Content-Type"] == "application/pkcs10"
    assert isinstance(answer.body, str)
    assert answer.response().text == answer.body
