"""docs/coverage.md is current, every contract operation is served, and the pieces the table is
built from find what they should."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from mocks.coverage import TABLE, ApiCoverage, coverage, render
from mocks.coverage.operations import key, load_reference, path_shape
from mocks.coverage.probes import PROBES, public_methods
from mocks.coverage.served import serves
from mocks.coverage.tests_index import index_tests
from mocks.registry import API_FACTORIES

JOIN_THE_TABLE = """\
{missing} served but not in the coverage table. To join it: list the vendor's documented
operations in contracts/reference/<api>.yaml, write mocks/coverage/probes/<api>.py (a call of
every public client method) and add it to PROBES in mocks/coverage/probes/__init__.py, then run
`make coverage-table`."""


@pytest.fixture(scope="module")
def table() -> list[ApiCoverage]:
    return coverage()


def test_the_committed_coverage_table_is_current(table: list[ApiCoverage]) -> None:
    committed = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
    assert committed == render(table), f"{TABLE} is stale: run `make coverage-table`"


def test_every_contract_operation_is_served_by_its_fake(table: list[ApiCoverage]) -> None:
    unserved = [
        f"{entry.api}: {op.method} {op.path} ({op.operation_id})"
        for entry in table
        for op in entry.unserved_contract_operations()
    ]
    assert unserved == [], "in the contract but not served by the fake:\n" + "\n".join(unserved)


def test_every_api_served_is_in_the_coverage_table() -> None:
    missing = sorted(set(API_FACTORIES) - set(PROBES))
    assert missing == [], JOIN_THE_TABLE.format(missing=", ".join(missing))


@pytest.mark.parametrize("api", sorted(PROBES))
def test_every_public_client_method_is_probed(api: str) -> None:
    probe = PROBES[api]
    assert set(probe.calls) == public_methods(probe.client_class)


@pytest.mark.parametrize("api", sorted(PROBES))
def test_every_operation_of_the_reference_is_unique(api: str) -> None:
    keys = [operation.key for operation in load_reference(api).operations]
    assert len(keys) == len(set(keys))


def test_the_atrius_client_leaves_only_the_unit_reference_uncalled(
    table: list[ApiCoverage],
) -> None:
    (atrius,) = [entry for entry in table if entry.api == "atrius"]
    assert [str(row.key) for row in atrius.rows if not row.client_methods] == ["GET /units"]
    (update,) = [row for row in atrius.rows if str(row.key) == "PUT /meters/{}"]
    assert update.client_methods == ["update_meter"]


# --- operations ------------------------------------------------------------------------------


def test_parameter_names_and_a_trailing_slash_do_not_make_another_operation() -> None:
    assert path_shape("/meters/{uuid}/data/") == "/meters/{}/data"
    assert key("get", "/meters/{id}") == key("GET", "/meters/{uuid}/")
    assert key("GET", "/meters/{uuid}").matches("GET", "/meters/3f2a/")
    assert not key("GET", "/meters/{uuid}").matches("GET", "/meters/3f2a/data")
    assert not key("GET", "/meters/{uuid}").matches("PUT", "/meters/3f2a")
    assert key("GET", "/").matches("GET", "/")


# --- served ----------------------------------------------------------------------------------


def _ok(request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


def test_served_follows_middleware_and_mounts_and_typed_parameters() -> None:
    app = Starlette(
        routes=[
            Route("/items/{id:int}", _ok, methods=["GET"]),
            Mount("/v3", routes=[Route("/sites/{site:uuid}", _ok, methods=["PUT"])]),
        ],
        middleware=[Middleware(GZipMiddleware)],
    )
    assert serves(app, "GET", "/items/{item}")
    assert serves(app, "HEAD", "/items/{item}")
    assert not serves(app, "POST", "/items/{item}")
    assert serves(app, "PUT", "/v3/sites/{id}")
    assert not serves(app, "PUT", "/v3/sites")
    assert not serves(app, "GET", "/sites/{id}")


# --- tests index -----------------------------------------------------------------------------


def test_the_index_reads_requests_client_calls_helpers_and_schemathesis(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            def token_for(client):
                return client.post("/demo/o/token/")
            """
        )
    )
    (tmp_path / "test_things.py").write_text(
        textwrap.dedent(
            """
            import schemathesis
            from clients.demo import DemoClient

            schema = schemathesis.openapi.from_asgi("/openapi.json", None)
            CONTRACT = {}

            def test_direct(client, uuid):
                client.get(f"/demo/meters/{uuid}/data/?start=1")
                client.request("PATCH", "https://api.example.com/meters/" + uuid)

            def test_loose_path_and_helper(client):
                token_for(client)
                for path in ("/gateways/1", "/gateways/2"):
                    client.get(path)

            def test_a_template_or_a_key_sends_nothing():
                assert CONTRACT["paths"]["/units/"] == "/meters/{uuid}"

            def test_client(demo):
                demo.meter("x")

            @schema.parametrize()
            def test_contract(case):
                case.call_and_validate()

            class Workflow(schema.as_state_machine()):
                pass
            """
        )
    )
    index = index_tests(tmp_path, "demo", frozenset({"meter"}))
    assert index.tests == [
        "test_things.py::test_direct",
        "test_things.py::test_loose_path_and_helper",
        "test_things.py::test_a_template_or_a_key_sends_nothing",
        "test_things.py::test_client",
        "test_things.py::test_contract",
        "test_things.py::Workflow",
    ]
    assert [(m.test.split("::")[1], m.method, m.path) for m in index.paths] == [
        ("test_direct", "GET", "/meters/1/data/"),
        ("test_direct", "PATCH", "/meters/1"),
        ("test_loose_path_and_helper", "POST", "/o/token/"),
        ("test_loose_path_and_helper", None, "/gateways/1"),
        ("test_loose_path_and_helper", None, "/gateways/2"),
    ]
    assert index.client_calls == [("test_things.py::test_client", "meter")]
    assert index.contract_wide == ["test_things.py::test_contract", "test_things.py::Workflow"]
