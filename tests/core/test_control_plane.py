"""The /_sandbox control plane, exactly as DESIGN.md lists it."""

import httpx
import pytest

from standin import Sandbox, build_app
from standin.inprocess import AsgiBridge

TOKEN = {"x-token": "default-token"}


def test_clock_reads_now_and_mode(echo: httpx.Client) -> None:
    response = echo.get("/_sandbox/clock")
    assert response.status_code == 200
    assert response.json() == {"now": "2026-11-20T12:00:30.000Z", "mode": "frozen"}


def test_clock_advance_set_freeze_and_real(echo: httpx.Client) -> None:
    assert echo.post("/_sandbox/clock", json={"advance": 90}).json() == {
        "now": "2026-11-20T12:02:00.000Z",
        "mode": "frozen",
    }
    assert echo.post("/_sandbox/clock", json={"set": "2022-06-13T00:00:00Z"}).json() == {
        "now": "2022-06-13T00:00:00.000Z",
        "mode": "frozen",
    }
    real = echo.post("/_sandbox/clock", json={"real": True}).json()
    assert real["mode"] == "real"
    assert echo.post("/_sandbox/clock", json={"freeze": True}).json()["mode"] == "frozen"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": "soon"},
        {"set": "yesterday"},
        {"freeze": False},
        {"advance": 1, "real": True},
    ],
)
def test_clock_rejects_bad_requests(echo: httpx.Client, body: dict[str, object]) -> None:
    response = echo.post("/_sandbox/clock", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    "body",
    [
        {"advance": 3e11},
        {"advance": -7e10},
        {"advance": 1e300},
        {"advance": -1.7976931348623157e308},
        {"advance": 2**63},
        {"set": "9999-12-31T23:59:59Z"},
        {"set": "2100-01-01T00:00:00Z"},
        {"set": "0001-01-01T00:00:00+14:00"},
        {"set": "1969-12-31T23:59:59Z"},
    ],
)
def test_a_clock_move_beyond_1970_to_2100_is_refused_with_400_and_the_clock_still_answers(
    echo: httpx.Client, body: dict[str, object]
) -> None:
    response = echo.post("/_sandbox/clock", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "the clock moves between 1970-01-01T00:00:00.000Z and "
        "2100-01-01T00:00:00.000Z only"
    }
    after = echo.get("/_sandbox/clock")
    assert after.status_code == 200
    assert after.json() == {"now": "2026-11-20T12:00:30.000Z", "mode": "frozen"}


def test_a_clock_moves_to_the_edges_of_its_range_and_a_time_without_offset_is_utc(
    echo: httpx.Client,
) -> None:
    assert echo.post("/_sandbox/clock", json={"set": "2099-12-31T23:59:59"}).json() == {
        "now": "2099-12-31T23:59:59.000Z",
        "mode": "frozen",
    }
    assert echo.post("/_sandbox/clock", json={"set": "1970-01-01T00:00:00Z"}).json() == {
        "now": "1970-01-01T00:00:00.000Z",
        "mode": "frozen",
    }


def test_credentials_are_the_default_tenants(echo: httpx.Client) -> None:
    assert echo.get("/_sandbox/credentials").json() == {"echo": {"token": "default-token"}}


def test_tenants_can_be_created_and_listed(echo: httpx.Client) -> None:
    created = echo.post("/_sandbox/tenants")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"tenant", "tenant_token", "echo"}
    assert body["tenant_token"].startswith("st_")
    listed = echo.get("/_sandbox/tenants").json()["tenants"]
    assert listed == [
        {"tenant": "default", "echo": {"token": "default-token"}},
        {"tenant": body["tenant"], "echo": body["echo"]},
    ]


def test_reset_restores_the_default_tenants_fixtures_or_the_named_tenants(
    echo: httpx.Client,
) -> None:
    echo.post("/echo/notes", content="x", headers=TOKEN)
    assert echo.post("/_sandbox/reset").json() == {"reset": ["default"]}
    assert echo.get("/echo/notes", headers=TOKEN).json() == {"notes": ["fixture note"]}
    assert echo.post("/_sandbox/reset?tenant=default").json() == {"reset": ["default"]}
    missing = echo.post("/_sandbox/reset?tenant=t-nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "unknown tenant 't-nope'"}


def test_request_journal_lists_newest_first_and_filters(echo: httpx.Client) -> None:
    echo.get("/echo/notes", headers=TOKEN)
    echo.get("/echo/notes")
    entries = echo.get("/_sandbox/requests", params={"api": "echo", "limit": 5}).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/notes", 401),
        ("GET", "/notes", 200),
    ]
    assert entries[0]["at"] == "2026-11-20T12:00:30.000Z"
    assert (
        echo.get("/_sandbox/requests", params={"limit": 1}).json()["requests"][0]["status"] == 401
    )
    assert echo.get("/_sandbox/requests", params={"api": "nope"}).status_code == 400
    assert echo.get("/_sandbox/requests", params={"limit": "0"}).status_code == 400


def test_journal_drops_the_oldest_entries_past_its_capacity(echo: httpx.Client) -> None:
    for i in range(7):
        echo.get(f"/echo/notes?i={i}", headers=TOKEN)
    entries = echo.get("/_sandbox/requests").json()["requests"]
    assert [e["query"] for e in entries] == [f"i={i}" for i in (6, 5, 4, 3, 2)]


def test_fault_answers_matching_requests_then_wears_out(echo: httpx.Client) -> None:
    fault = echo.post(
        "/_sandbox/faults",
        json={
            "api": "echo",
            "method": "GET",
            "path": "/notes",
            "status": 503,
            "body": {"oops": 1},
            "headers": {"Retry-After": "7"},
            "count": 2,
        },
    )
    assert fault.status_code == 201
    fault_id = fault.json()["id"]
    for _ in range(2):
        injected = echo.get("/echo/notes", headers=TOKEN)
        assert injected.status_code == 503
        assert injected.json() == {"oops": 1}
        assert injected.headers["retry-after"] == "7"
    assert echo.get("/echo/notes", headers=TOKEN).status_code == 200
    assert echo.get("/_sandbox/faults").json() == {"faults": []}
    journal = echo.get("/_sandbox/requests").json()["requests"]
    assert [e["fault_id"] for e in journal] == [None, fault_id, fault_id]


def test_fault_matches_only_its_method_and_path(echo: httpx.Client) -> None:
    echo.post(
        "/_sandbox/faults", json={"api": "echo", "method": "POST", "path": "/no*", "status": 500}
    )
    assert echo.get("/echo/notes", headers=TOKEN).status_code == 200
    injected = echo.post("/echo/notes", content="x", headers=TOKEN)
    assert injected.status_code == 500
    assert injected.json() == {"message": "Injected fault"}


def test_latency_fault_slows_a_request_but_lets_it_through(echo: httpx.Client) -> None:
    echo.post("/_sandbox/faults", json={"api": "echo", "latency_ms": 30, "count": 1})
    response = echo.get("/echo/notes", headers=TOKEN)
    assert response.status_code == 200
    duration = echo.get("/_sandbox/requests?limit=1").json()["requests"][0]["duration_ms"]
    assert duration >= 30


def test_faults_can_be_listed_and_deleted(echo: httpx.Client) -> None:
    first = echo.post("/_sandbox/faults", json={"api": "echo", "status": 500}).json()["id"]
    echo.post("/_sandbox/faults", json={"api": "echo", "status": 502})
    listed = echo.get("/_sandbox/faults").json()["faults"]
    assert [f["status"] for f in listed] == [500, 502]
    assert echo.delete(f"/_sandbox/faults/{first}").status_code == 204
    assert echo.delete(f"/_sandbox/faults/{first}").status_code == 404
    assert [f["status"] for f in echo.get("/_sandbox/faults").json()["faults"]] == [502]
    assert echo.delete("/_sandbox/faults").status_code == 204
    assert echo.get("/_sandbox/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "spec",
    [
        {"api": "nope", "status": 500},
        {"api": "echo"},
        {"api": "echo", "status": 99},
        {"api": "echo", "status": 500, "count": 0},
        {"api": "echo", "status": 500, "probability": 0},
        {"api": "echo", "status": 500, "colour": "red"},
        {"api": "echo", "latency_ms": -5},
        {"api": "echo", "status": 500, "headers": {"a": 1}},
        [1, 2],
    ],
)
def test_bad_fault_specs_are_refused(echo: httpx.Client, spec: object) -> None:
    response = echo.post("/_sandbox/faults", json=spec)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"api": [], "status": 500}, "api must be one of ['echo']"),
        ({"api": {"echo": 1}, "status": 500}, "api must be one of ['echo']"),
        ({"api": "echo", "status": 100}, "status must be a final HTTP status code, 200 to 599"),
        ({"api": "echo", "status": 101}, "status must be a final HTTP status code, 200 to 599"),
        ({"api": "echo", "latency_ms": 1e300}, "latency_ms must be a number from 0 to 600000"),
        (
            {"api": "echo", "status": 503, "headers": {"X-Snow": "\u2603"}},
            "header X-Snow must be printable ASCII",
        ),
        (
            {"api": "echo", "status": 503, "headers": {"X-Split": "a\r\nSet-Cookie: x=1"}},
            "header X-Split must be printable ASCII",
        ),
        (
            {"api": "echo", "status": 503, "headers": {"X-Tail": "a\n"}},
            "header X-Tail must be printable ASCII",
        ),
        (
            {"api": "echo", "status": 503, "headers": {"X Bad": "v"}},
            "header name 'X Bad' is not one a fault can send (a token, not Content-Length or "
            "Transfer-Encoding)",
        ),
        (
            {"api": "echo", "status": 503, "headers": {"Content-Length": "99999"}},
            "header name 'Content-Length' is not one a fault can send (a token, not "
            "Content-Length or Transfer-Encoding)",
        ),
    ],
)
def test_a_fault_that_could_not_be_answered_is_refused_400_and_requests_still_answer(
    echo: httpx.Client, spec: object, error: str
) -> None:
    response = echo.post("/_sandbox/faults", json=spec)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert echo.get("/_sandbox/faults").json() == {"faults": []}
    assert echo.get("/echo/notes", headers=TOKEN).status_code == 200


def test_a_fault_sends_its_printable_header_and_a_latency_up_to_the_bound_is_kept(
    echo: httpx.Client,
) -> None:
    echo.post(
        "/_sandbox/faults",
        json={"api": "echo", "status": 503, "headers": {"X-Why": "a\tb ~!"}, "count": 1},
    )
    kept = echo.post(
        "/_sandbox/faults", json={"api": "echo", "path": "/none", "latency_ms": 600000}
    )
    assert kept.status_code == 201
    answered = echo.get("/echo/notes", headers=TOKEN)
    assert answered.status_code == 503
    assert answered.headers["x-why"] == "a\tb ~!"


def test_a_probabilistic_fault_hits_some_requests_and_spares_others(echo: httpx.Client) -> None:
    echo.post("/_sandbox/faults", json={"api": "echo", "status": 500, "probability": 0.5})
    statuses = [echo.get("/echo/notes", headers=TOKEN).status_code for _ in range(40)]
    assert 0 < statuses.count(500) < 40
    assert set(statuses) == {200, 500}


def test_limits_can_be_read_and_changed(client: httpx.Client) -> None:
    limits = client.get("/_sandbox/limits").json()
    assert limits["atmotube"]["requests"]["limit"] == 60
    changed = client.patch("/_sandbox/limits", json={"atmotube": {"requests": {"limit": 100}}})
    assert changed.status_code == 200
    assert changed.json()["atmotube"]["requests"]["limit"] == 100
    refused = client.patch("/_sandbox/limits", json={"atmotube": {"requests": {"limit": -1}}})
    assert refused.status_code == 400
    assert refused.json() == {"error": "limit must be a positive integer"}


def test_limits_show_each_keys_current_count_on_the_tenants_clock(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    api_key = sandbox.credentials()["atmotube"]["api_key"]
    for _ in range(2):
        client.get("/atmotube/api/v1/data", params={"api_key": api_key, "mac": "nope"})
    limits = client.get("/_sandbox/limits").json()
    assert limits["atmotube"]["requests"] == {
        "kind": "fixed_window",
        "limit": 60,
        "window_seconds": 60.0,
        "enabled": True,
        "description": limits["atmotube"]["requests"]["description"],
        "keys": [
            {
                "key": api_key,
                "used": 2,
                "limit": 60,
                "remaining": 58,
                "frees_at": "2026-11-20T12:01:00.000Z",
            }
        ],
        "keys_counted": 1,
        "keys_shown_at_most": 10,
    }
    assert limits["metasys"]["requests"]["keys"] == []
    client.post("/_sandbox/clock", json={"advance": 30})
    assert client.get("/_sandbox/limits").json()["atmotube"]["requests"]["keys"] == []


def test_limits_list_at_most_the_asked_number_of_busiest_keys(client: httpx.Client) -> None:
    narrow = client.get("/_sandbox/limits", params={"keys": 1})
    assert narrow.status_code == 200
    assert narrow.json()["atrius"]["requests"]["keys_shown_at_most"] == 1
    for bad in ("0", "101", "many"):
        refused = client.get("/_sandbox/limits", params={"keys": bad})
        assert refused.status_code == 400
        assert refused.json()["error"].startswith("keys must be")


def test_bad_json_is_refused(echo: httpx.Client) -> None:
    response = echo.post("/_sandbox/faults", content=b"{nope")
    assert response.status_code == 400
    assert response.json() == {"error": "body must be JSON"}


def test_vendor_triggers_are_served_under_the_api_key(echo: httpx.Client) -> None:
    assert echo.post("/_sandbox/echo/poke").json() == {"poked": True}
    index = echo.get("/_sandbox/").json()
    assert index["triggers"] == {"echo": ["POST /_sandbox/echo/poke"]}
    assert "POST /_sandbox/reset" in index["endpoints"]


def test_unknown_control_paths_answer_json_404(echo: httpx.Client) -> None:
    response = echo.get("/_sandbox/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_admin_token_guards_the_control_plane_when_set(echo_sandbox: Sandbox) -> None:
    echo_sandbox.admin_token = "s3cret"
    bridge = AsgiBridge(build_app(echo_sandbox))
    with httpx.Client(transport=httpx.MockTransport(bridge), base_url="http://h") as client:
        refused = client.get("/_sandbox/clock")
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "control plane requires the X-Standin-Admin-Token or "
            "X-Standin-Tenant-Token header"
        }
        wrong = client.get("/_sandbox/clock", headers={"X-Standin-Admin-Token": "nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {
            "error": "the X-Standin-Admin-Token header is not this server's admin token"
        }
        vendor_credential = client.get("/_sandbox/clock", headers=TOKEN)
        assert vendor_credential.status_code == 401
        allowed = client.get("/_sandbox/clock", headers={"X-Standin-Admin-Token": "s3cret"})
        assert allowed.status_code == 200
        assert client.get("/echo/notes", headers=TOKEN).status_code == 200
    bridge.close()


# --- per tenant ------------------------------------------------------------------------------


def _tenant(echo: httpx.Client) -> tuple[str, dict[str, str]]:
    body = echo.post("/_sandbox/tenants").json()
    return body["tenant"], {"x-token": body["echo"]["token"]}


def test_moving_a_tenants_clock_leaves_the_default_tenants_where_it_was(
    echo: httpx.Client,
) -> None:
    tenant, _ = _tenant(echo)
    moved = echo.post(f"/_sandbox/clock?tenant={tenant}", json={"set": "2031-05-01T08:00:00Z"})
    assert moved.status_code == 200
    assert moved.json()["mode"] == "offset"  # a running clock runs on from the time set
    assert moved.json()["now"].startswith("2031-05-01T08:00:0")
    assert (
        echo.post(f"/_sandbox/clock?tenant={tenant}", json={"freeze": True}).json()["mode"]
        == "frozen"
    )
    assert echo.post(
        f"/_sandbox/clock?tenant={tenant}", json={"set": "2031-05-01T08:00:00Z"}
    ).json() == {"now": "2031-05-01T08:00:00.000Z", "mode": "frozen"}
    assert echo.get(f"/_sandbox/clock?tenant={tenant}").json() == {
        "now": "2031-05-01T08:00:00.000Z",
        "mode": "frozen",
    }
    assert echo.get("/_sandbox/clock").json() == {
        "now": "2026-11-20T12:00:30.000Z",
        "mode": "frozen",
    }


def test_a_new_tenants_clock_runs_in_real_time_whatever_the_default_tenants_says(
    echo: httpx.Client,
) -> None:
    echo.post("/_sandbox/clock", json={"advance": 45_000})
    tenant, _ = _tenant(echo)
    assert echo.get(f"/_sandbox/clock?tenant={tenant}").json()["mode"] == "real"


def test_a_fault_added_for_a_tenant_is_listed_and_answers_for_that_tenant_alone(
    echo: httpx.Client,
) -> None:
    tenant, theirs = _tenant(echo)
    added = echo.post(f"/_sandbox/faults?tenant={tenant}", json={"api": "echo", "status": 503})
    assert added.status_code == 201
    fault_id = added.json()["id"]
    listed = echo.get(f"/_sandbox/faults?tenant={tenant}").json()["faults"]
    assert [f["id"] for f in listed] == [fault_id]
    assert echo.get("/_sandbox/faults").json() == {"faults": []}
    assert echo.get("/echo/notes", headers=theirs).status_code == 503
    assert echo.get("/echo/notes", headers=TOKEN).status_code == 200
    missing = echo.delete(f"/_sandbox/faults/{fault_id}")
    assert (missing.status_code, missing.json()) == (404, {"error": "unknown fault"})
    assert echo.delete(f"/_sandbox/faults/{fault_id}?tenant={tenant}").status_code == 204
    assert echo.get("/echo/notes", headers=theirs).status_code == 200


def test_clearing_a_tenants_faults_leaves_the_default_tenants(echo: httpx.Client) -> None:
    tenant, _ = _tenant(echo)
    echo.post(f"/_sandbox/faults?tenant={tenant}", json={"api": "echo", "status": 503})
    echo.post("/_sandbox/faults", json={"api": "echo", "status": 502})
    assert echo.delete(f"/_sandbox/faults?tenant={tenant}").status_code == 204
    assert echo.get(f"/_sandbox/faults?tenant={tenant}").json() == {"faults": []}
    assert [f["status"] for f in echo.get("/_sandbox/faults").json()["faults"]] == [502]


def test_a_tenants_limits_are_read_and_changed_apart_from_the_default_tenants(
    echo: httpx.Client,
) -> None:
    tenant, _ = _tenant(echo)
    changed = echo.patch(
        f"/_sandbox/limits?tenant={tenant}", json={"echo": {"concurrency": {"limit": 4}}}
    )
    assert changed.status_code == 200
    assert changed.json() == {
        "echo": {
            "concurrency": {
                "kind": "concurrency",
                "limit": 4,
                "enabled": True,
                "description": "one request per token at a time",
                "keys": [],
                "keys_counted": 0,
                "keys_shown_at_most": 10,
            }
        }
    }
    assert echo.get(f"/_sandbox/limits?tenant={tenant}").json() == changed.json()
    assert echo.get("/_sandbox/limits").json()["echo"]["concurrency"]["limit"] == 1


def test_reset_of_a_tenant_leaves_the_default_tenants_state(echo: httpx.Client) -> None:
    tenant, theirs = _tenant(echo)
    echo.post("/echo/notes", content="mine", headers=TOKEN)
    echo.post("/echo/notes", content="theirs", headers=theirs)
    assert echo.post(f"/_sandbox/reset?tenant={tenant}").json() == {"reset": [tenant]}
    assert echo.get("/echo/notes", headers=theirs).json() == {"notes": ["fixture note"]}
    assert echo.get("/echo/notes", headers=TOKEN).json() == {"notes": ["fixture note", "mine"]}
    assert echo.post("/_sandbox/reset").json() == {"reset": ["default"]}
    assert echo.get("/echo/notes", headers=TOKEN).json() == {"notes": ["fixture note"]}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sandbox/clock"),
        ("POST", "/_sandbox/clock"),
        ("GET", "/_sandbox/faults"),
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults/abc"),
        ("GET", "/_sandbox/limits"),
        ("PATCH", "/_sandbox/limits"),
        ("POST", "/_sandbox/reset"),
    ],
)
def test_an_unknown_tenant_is_answered_404(echo: httpx.Client, method: str, path: str) -> None:
    response = echo.request(method, path, params={"tenant": "t-nope"}, json={"advance": 1})
    assert response.status_code == 404
    assert response.json() == {"error": "unknown tenant 't-nope'"}


def test_deleting_a_tenant_frees_it_and_its_credential_no_longer_opens_anything(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    tenant, theirs = _tenant(echo)
    assert echo.get("/echo/notes", headers=theirs).status_code == 200
    deleted = echo.delete(f"/_sandbox/tenants/{tenant}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert [t["tenant"] for t in echo.get("/_sandbox/tenants").json()["tenants"]] == ["default"]
    assert echo.get(f"/_sandbox/credentials?tenant={tenant}").status_code == 404
    assert echo.get("/_sandbox/requests", params={"tenant": tenant}).json() == {"requests": []}
    refused = echo.get("/echo/notes", headers=theirs)
    assert (refused.status_code, refused.json()) == (401, {"problem": "who are you"})
    assert echo_sandbox.tenants.get(tenant) is None


def test_deleting_an_unknown_tenant_is_answered_404(echo: httpx.Client) -> None:
    response = echo.delete("/_sandbox/tenants/t-nope")
    assert (response.status_code, response.json()) == (404, {"error": "unknown tenant 't-nope'"})


def test_the_default_tenant_cannot_be_deleted_409(echo: httpx.Client) -> None:
    response = echo.delete("/_sandbox/tenants/default")
    assert response.status_code == 409
    assert response.json() == {"error": "the default tenant cannot be removed"}
    assert echo.get("/echo/notes", headers=TOKEN).status_code == 200


def test_the_index_lists_tenant_deletion(echo: httpx.Client) -> None:
    assert "DELETE /_sandbox/tenants/{tenant_id}" in echo.get("/_sandbox/").json()["endpoints"]
