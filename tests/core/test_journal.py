"""The request journal to verify against (as WireMock's): tenant, headers, bodies, filters,
count and find; credentials never kept; bounded per tenant. And the health endpoint."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import fields

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.clock import Clock
from standin._core.journal import BODY_LIMIT, ENTRY_OVERHEAD, JournalEntry, RequestJournal
from standin.inprocess import AsgiBridge
from tests.conftest import NOW, bridged_client
from tests.core.echo_api import EchoApi
from tests.journal_support import kept_bytes

TOKEN = {"x-token": "default-token"}


def test_an_entry_keeps_tenant_headers_bodies_status_and_no_credential(
    echo: httpx.Client,
) -> None:
    echo.post("/echo/notes?api_key=k3y&page=2", headers=TOKEN, content="hello")
    [entry] = echo.get("/_sandbox/requests").json()["requests"]
    assert entry["tenant"] == "default"
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/notes", 201)
    assert entry["query"] == "api_key=%2A%2A%2A&page=2"
    assert entry["request_headers"]["x-token"] == "default-token"
    assert entry["request_body"] == "hello"
    assert entry["response_body"] == '{"notes":["fixture note","hello"]}'
    assert entry["truncated"] is False
    assert "k3y" not in str(entry)


def test_authorization_headers_and_secret_form_and_json_fields_are_masked(
    echo: httpx.Client,
) -> None:
    echo.post(
        "/echo/notes",
        headers={
            **TOKEN,
            "Authorization": "Bearer s3cret-token",
            "X-Standin-Admin-Token": "s3cret-admin",
            "X-Standin-Tenant-Token": "st_s3cret",
        },
        data={"client_id": "me", "client_secret": "s3cret", "password": "pw"},
    )
    echo.post("/echo/notes", headers=TOKEN, json={"username": "u", "password": "pw"})
    json_entry, form_entry = echo.get("/_sandbox/requests").json()["requests"]
    assert form_entry["request_headers"]["authorization"] == "Bearer ***"
    assert form_entry["request_headers"]["x-standin-admin-token"] == "***"
    assert form_entry["request_headers"]["x-standin-tenant-token"] == "***"
    assert form_entry["request_body"] == "client_id=me&client_secret=%2A%2A%2A&password=%2A%2A%2A"
    assert json_entry["request_body"] == '{"username":"u","password":"***"}'
    assert "s3cret" not in str(form_entry["request_headers"]) + form_entry["request_body"]


@pytest.mark.parametrize(
    "name", ["X-Api-Key", "Api-Key", "ApiKey", "X-Auth-Token", "Ocp-Apim-Subscription-Key"]
)
def test_api_keys_in_the_headers_clients_habitually_use_are_masked(
    echo: httpx.Client, name: str
) -> None:
    echo.get("/echo/notes", headers={**TOKEN, name: "s3cret-key"})
    [entry] = echo.get("/_sandbox/requests").json()["requests"]
    assert entry["request_headers"][name.lower()] == "***"
    assert "s3cret" not in str(entry)


def test_bodies_are_kept_up_to_the_documented_size_and_flagged_when_cut(
    echo: httpx.Client,
) -> None:
    echo.post("/echo/notes", headers=TOKEN, content="x" * (BODY_LIMIT + 10))
    [entry] = echo.get("/_sandbox/requests").json()["requests"]
    assert len(entry["request_body"]) == BODY_LIMIT
    assert entry["truncated"] is True


def test_the_journal_filters_by_tenant_api_method_path_glob_and_status(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    other = echo_sandbox.create_tenant()
    theirs = {"x-token": other.credentials["echo"]["token"]}
    echo.get("/echo/notes", headers=TOKEN)
    echo.post("/echo/notes", headers=theirs, content="n")
    echo.get("/echo/nowhere", headers=TOKEN)

    def listed(**params: str) -> list[tuple[str, str, int]]:
        entries = echo.get("/_sandbox/requests", params=params).json()["requests"]
        return [(e["method"], e["path"], e["status"]) for e in entries]

    assert listed(tenant=other.id) == [("POST", "/notes", 201)]
    assert listed(method="get") == [("GET", "/nowhere", 404), ("GET", "/notes", 200)]
    assert listed(path="/no*") == [
        ("GET", "/nowhere", 404),
        ("POST", "/notes", 201),
        ("GET", "/notes", 200),
    ]
    assert listed(status="404") == [("GET", "/nowhere", 404)]
    assert listed(tenant="default", status="200") == [("GET", "/notes", 200)]


def test_count_and_find_take_a_pattern_as_wiremock_does(echo: httpx.Client) -> None:
    for _ in range(3):
        echo.get("/echo/notes", headers=TOKEN)
    echo.get("/echo/notes")
    assert echo.get("/_sandbox/requests/count", params={"status": "200"}).json() == {"count": 3}
    assert echo.post("/_sandbox/requests/count", json={"status": 401}).json() == {"count": 1}
    found = echo.post("/_sandbox/requests/find", json={"method": "GET", "limit": 2}).json()
    assert [e["status"] for e in found["requests"]] == [401, 200]
    refused = echo.post("/_sandbox/requests/find", json={"colour": "red"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "unknown fields: colour"}


def test_delete_clears_the_journal_or_one_tenants_part(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    other = echo_sandbox.create_tenant()
    echo.get("/echo/notes", headers=TOKEN)
    echo.get("/echo/notes", headers={"x-token": other.credentials["echo"]["token"]})
    assert echo.delete("/_sandbox/requests", params={"tenant": other.id}).status_code == 204
    assert [e["tenant"] for e in echo.get("/_sandbox/requests").json()["requests"]] == ["default"]
    assert echo.delete("/_sandbox/requests").status_code == 204
    assert echo.get("/_sandbox/requests").json() == {"requests": []}


def test_the_journal_is_bounded_per_tenant_so_a_busy_tenant_keeps_no_one_else_out(
    echo_sandbox: Sandbox, echo: httpx.Client
) -> None:
    other = echo_sandbox.create_tenant()
    echo.get("/echo/notes", headers={"x-token": other.credentials["echo"]["token"]})
    for _ in range(20):  # the journal keeps 5 per tenant here
        echo.get("/echo/notes", headers=TOKEN)
    assert echo.get("/_sandbox/requests/count", params={"tenant": other.id}).json() == {"count": 1}
    assert echo.get("/_sandbox/requests/count", params={"tenant": "default"}).json() == {"count": 5}


@pytest.mark.parametrize("limit", ["%C2%B2", "0", "-1", "ten", "1.5"])
def test_a_journal_limit_that_is_not_a_positive_integer_is_a_400_not_a_500(
    echo: httpx.Client, limit: str
) -> None:
    response = echo.get(f"/_sandbox/requests?limit={limit}")
    assert response.status_code == 400
    assert response.json() == {"error": "limit must be a positive integer"}


THOUSANDS_OF_DIGITS = "9" * 5000
"""Past the 4,300 digits ``int()`` reads from a string."""


def test_a_journal_limit_of_thousands_of_digits_lists_every_entry(echo: httpx.Client) -> None:
    echo.get("/echo/notes", headers=TOKEN)
    everything = echo.get("/_sandbox/requests").json()
    for limit in (THOUSANDS_OF_DIGITS, "0" * 5000 + "1000"):
        response = echo.get(f"/_sandbox/requests?path=/notes&limit={limit}")
        assert response.status_code == 200
        assert response.json() == {
            "requests": [e for e in everything["requests"] if e["path"] == "/notes"]
        }
    found = echo.post("/_sandbox/requests/find", json={"path": "/notes", "limit": 2**63})
    assert found.status_code == 200
    assert len(found.json()["requests"]) == 1


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (THOUSANDS_OF_DIGITS, (400, {"error": "status must be an HTTP status code"})),
        ("0" * 5000 + "200", (200, {"count": 1})),
    ],
)
def test_a_status_filter_of_thousands_of_digits_is_read_by_its_value_not_a_500(
    echo: httpx.Client, status: str, answer: tuple[int, dict[str, object]]
) -> None:
    echo.get("/echo/notes", headers=TOKEN)
    response = echo.get(f"/_sandbox/requests/count?status={status}")
    assert (response.status_code, response.json()) == answer


def test_a_limits_keys_count_of_thousands_of_digits_is_over_the_bound_not_a_500(
    echo: httpx.Client,
) -> None:
    response = echo.get(f"/_sandbox/limits?keys={THOUSANDS_OF_DIGITS}")
    assert response.status_code == 400
    assert response.json() == {"error": "keys must be at most 100"}


def test_health_answers_without_a_token_and_shows_no_secret() -> None:
    sandbox = Sandbox([], admin_token="adm1n")
    bridge = AsgiBridge(build_app(sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://s.test") as client:
        health = client.get("/_sandbox/health")
        guarded = client.get("/_sandbox/clock")
    bridge.close()
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert (body["apis"], body["tenants"], body["storage"]) == ([], 1, "memory")
    assert body["version"] != ""
    assert body["uptime_seconds"] >= 0
    assert set(body) == {"status", "version", "uptime_seconds", "apis", "tenants", "storage"}
    assert "adm1n" not in health.text
    assert guarded.status_code == 401


def test_a_control_plane_body_over_its_bound_is_refused_413_before_it_is_read(
    echo: httpx.Client,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b"x" * 1024

    response = echo.post("/_sandbox/faults", content=chunks())
    assert response.status_code == 413
    assert response.json() == {"error": "body larger than 65536 bytes"}


def test_credentials_nested_in_json_bodies_are_masked_and_unparsable_ones_are_withheld(
    echo: httpx.Client,
) -> None:
    echo.post(
        "/echo/notes",
        headers={**TOKEN, "Content-Type": "application/json"},
        content=b'{"users": [{"name": "u", "password": "hunter2"}]}',
    )
    echo.post(
        "/echo/notes",
        headers={**TOKEN, "Content-Type": "application/json"},
        content=b'{"username": "u", "password": "hunter2", ',
    )
    broken, nested = echo.get("/_sandbox/requests").json()["requests"]
    assert nested["request_body"] == '{"users":[{"name":"u","password":"***"}]}'
    assert broken["request_body"] == (
        "<a JSON body that may carry credentials and could not be masked: not kept>"
    )


def test_an_entry_bears_its_tenants_time_when_answered_not_when_read(
    echo: httpx.Client,
) -> None:
    echo.post("/echo/notes", headers=TOKEN, content="first")
    before = echo.get("/_sandbox/clock").json()["now"]
    echo.post("/_sandbox/clock", json={"advance": 3600})
    entries = echo.get("/_sandbox/requests", params={"path": "/notes"}).json()["requests"]
    assert [entry["at"] for entry in entries] == [before]
    again = echo.get("/_sandbox/requests", params={"path": "/notes"}).json()["requests"]
    assert again == entries


def test_a_tenants_journal_keeps_its_newest_within_its_byte_budget_and_others_untouched() -> None:
    clock = Clock()
    clock.freeze(NOW)
    sandbox = Sandbox([EchoApi], clock=clock, journal_capacity=100, journal_bytes=6_000)
    other = sandbox.create_tenant()
    with bridged_client(build_app(sandbox)) as echo:
        echo.get("/echo/now", headers={"x-token": other.credentials["echo"]["token"]})
        for n in range(10):  # each about 2.5 KB: a 2,000-byte query, headers, a small answer
            echo.get("/echo/now", headers=TOKEN, params={"pad": f"{n}" * 1995})
        kept = echo.get("/_sandbox/requests", params={"tenant": "default"}).json()["requests"]
        others = echo.get("/_sandbox/requests/count", params={"tenant": other.id}).json()
    assert [entry["query"][4] for entry in kept] == ["9", "8"]
    assert 4_000 < kept_bytes(sandbox.journal, "default") <= 6_000
    assert others == {"count": 1}


def test_the_newest_entry_is_kept_even_when_it_alone_is_over_the_byte_budget() -> None:
    journal = RequestJournal(capacity=10, byte_budget=100)
    journal.record(entry_of("/first", "a" * 50))
    journal.record(entry_of("/second", "b" * 500))
    assert [e.path for e in journal.entries()] == ["/second"]
    assert kept_bytes(journal, None) == ENTRY_OVERHEAD + len("/second") + 500


def test_a_journal_keeps_the_newest_entries_that_fit_its_byte_budget() -> None:
    journal = RequestJournal(capacity=10, byte_budget=2500)
    for n in range(4):
        journal.record(entry_of(f"/{n}", "x" * (1000 - ENTRY_OVERHEAD - 2)))  # 1,000 bytes each
    assert [e.path for e in journal.entries()] == ["/3", "/2"]
    assert kept_bytes(journal, None) == 2000
    with pytest.raises(ValueError, match="positive"):
        RequestJournal(capacity=10, byte_budget=0)


def entry_of(path: str, body: str) -> JournalEntry:
    return JournalEntry(
        "2026-01-01T00:00:00.000Z", "a", "POST", path, "", 200, 1.0, request_body=body
    )


def test_an_entry_lists_every_field_but_its_sequence_in_field_order() -> None:
    headers = {"content-type": "application/json", "authorization": "***"}
    entry = JournalEntry(
        at="2026-03-02T12:00:00Z",
        api="atrius",
        method="POST",
        path="/meters/",
        query="per_page=1",
        status=201,
        duration_ms=1.5,
        fault_id="f1",
        tenant="t1",
        request_headers=headers,
        request_body='{"a": 1}',
        response_body='{"b": 2}',
        truncated=True,
        sequence=7,
    )
    listed = entry.as_dict()
    every_field = {f.name: getattr(entry, f.name) for f in fields(entry) if f.name != "sequence"}
    assert list(listed.items()) == list(every_field.items())
    assert type(listed["request_headers"]) is dict
    assert listed["request_headers"] is not headers


def test_listing_entries_copies_no_field_deeply(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listing of a thousand entries spent most of its time in ``copy.deepcopy`` (through
    ``dataclasses.asdict``), on the event loop."""
    entry = JournalEntry(
        at="2026-03-02T12:00:00Z", api="atrius", method="GET", path="/units/", query="", status=200,
        duration_ms=0.1, request_headers={"accept": "*/*"},
    )  # fmt: skip

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("deep copy")

    monkeypatch.setattr(copy, "deepcopy", refused)
    assert entry.as_dict()["request_headers"] == {"accept": "*/*"}
