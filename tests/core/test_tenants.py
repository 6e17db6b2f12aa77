from typing import Any

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.clock import Clock
from standin._core.faults import Fault
from standin._core.journal import JournalQuery
from standin.inprocess import AsgiBridge
from tests.conftest import bridged_client
from tests.core.echo_api import EchoState


def test_default_tenant_is_seeded_with_the_fixture_credentials(echo_sandbox: Sandbox) -> None:
    assert echo_sandbox.credentials() == {"echo": {"token": "default-token"}}
    tenant = echo_sandbox.tenants.resolve("echo", "default-token")
    assert tenant is not None
    assert tenant.is_default


def test_a_new_tenant_gets_fresh_credentials_and_its_own_state(echo_sandbox: Sandbox) -> None:
    tenant = echo_sandbox.create_tenant()
    assert tenant.id.startswith("t-")
    token = tenant.credentials["echo"]["token"]
    assert token != "default-token"
    assert echo_sandbox.tenants.resolve("echo", token) is tenant
    default_state = echo_sandbox.tenants.default().states["echo"]
    assert isinstance(default_state, EchoState)
    assert tenant.states["echo"] is not default_state


def test_unknown_credentials_resolve_to_no_tenant(echo_sandbox: Sandbox) -> None:
    assert echo_sandbox.tenants.resolve("echo", "nope") is None
    assert echo_sandbox.tenants.resolve("other-api", "default-token") is None


def test_a_tenant_never_sees_another_tenants_data(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    other = echo_sandbox.create_tenant().credentials["echo"]["token"]
    assert (
        echo.post("/echo/notes", content="mine", headers={"x-token": "default-token"}).status_code
        == 201
    )
    theirs = echo.get("/echo/notes", headers={"x-token": other})
    assert theirs.json() == {"notes": ["fixture note"]}


def test_reset_one_tenant_leaves_the_others_alone(echo_sandbox: Sandbox) -> None:
    other = echo_sandbox.create_tenant()
    default_state = echo_sandbox.tenants.default().states["echo"]
    assert isinstance(default_state, EchoState)
    default_state.notes.append("kept")
    other_state = other.states["echo"]
    assert isinstance(other_state, EchoState)
    other_state.notes.append("dropped")
    assert echo_sandbox.reset(other.id) == [other.id]
    reset_state = other.states["echo"]
    assert isinstance(reset_state, EchoState)
    assert reset_state.notes == ["fixture note"]
    assert default_state.notes == ["fixture note", "kept"]


def test_two_sandboxes_share_nothing() -> None:
    from tests.core.echo_api import EchoApi

    first, second = Sandbox([EchoApi]), Sandbox([EchoApi])
    first.create_tenant()
    assert len(first.tenants.all()) == 2
    assert len(second.tenants.all()) == 1
    first.clock.advance(100)
    assert second.clock.mode == "real"


def test_credentials_of_an_unknown_tenant_raise(echo_sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        echo_sandbox.credentials("t-nope")


# --- each tenant's own clock, faults and limits --------------------------------------------


def test_a_new_tenant_has_its_own_clock_running_in_real_time(echo_sandbox: Sandbox) -> None:
    tenant = echo_sandbox.create_tenant()
    assert echo_sandbox.clock.mode == "frozen"
    assert tenant.clock is not echo_sandbox.clock
    assert tenant.clock.mode == "real"
    tenant.clock.freeze()
    before = echo_sandbox.clock.time()
    tenant.clock.advance(45_000)
    assert echo_sandbox.clock.time() == before


def test_a_tenants_state_reads_the_tenants_clock_also_after_a_reset(
    echo_sandbox: Sandbox,
) -> None:
    tenant = echo_sandbox.create_tenant()
    state = tenant.states["echo"]
    assert isinstance(state, EchoState)
    assert state.clock is tenant.clock
    echo_sandbox.reset(tenant.id)
    reset_state = tenant.states["echo"]
    assert isinstance(reset_state, EchoState)
    assert reset_state.clock is tenant.clock


def test_a_tenants_fault_answers_its_requests_and_no_one_elses(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    tenant = echo_sandbox.create_tenant()
    fault = tenant.faults.add(Fault(api="echo", path="/notes", status=503, body={"down": True}))
    theirs = {"x-token": tenant.credentials["echo"]["token"]}
    answered = echo.get("/echo/notes", headers=theirs)
    assert (answered.status_code, answered.json()) == (503, {"down": True})
    default = echo.get("/echo/notes", headers={"x-token": "default-token"})
    assert (default.status_code, default.json()) == (200, {"notes": ["fixture note"]})
    entries = echo.get("/_sandbox/requests").json()["requests"]
    assert [(e["tenant"], e["status"], e["fault_id"]) for e in entries] == [
        ("default", 200, None),
        (tenant.id, 503, fault.id),
    ]


def test_requests_that_reach_no_tenant_meet_the_default_tenants_faults(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    echo_sandbox.create_tenant().faults.add(Fault(api="echo", status=502))
    echo_sandbox.faults.add(Fault(api="echo", status=503, body={"default": True}))
    unknown_token = echo.get("/echo/notes", headers={"x-token": "nobody"})
    unknown_path = echo.get("/echo/elsewhere")
    assert (unknown_token.status_code, unknown_token.json()) == (503, {"default": True})
    assert (unknown_path.status_code, unknown_path.json()) == (503, {"default": True})


def test_without_a_fault_a_request_with_no_tenant_gets_the_vendors_401(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    echo_sandbox.create_tenant().faults.add(Fault(api="echo", status=502))
    response = echo.get("/echo/notes", headers={"x-token": "nobody"})
    assert (response.status_code, response.json()) == (401, {"problem": "who are you"})


def test_a_tenants_rate_limit_and_its_counters_are_its_own(echo_sandbox: Sandbox) -> None:
    tenant = echo_sandbox.create_tenant()
    tenant.limits.configure({"echo": {"concurrency": {"limit": 3}}})
    assert echo_sandbox.limits.describe()["echo"]["concurrency"]["limit"] == 1
    mine = tenant.limits.get("echo", "concurrency")
    assert mine is not echo_sandbox.limits.get("echo", "concurrency")
    assert mine.acquire("k").allowed
    assert echo_sandbox.limits.get("echo", "concurrency").acquire("k").allowed


def test_resetting_a_tenant_forgets_its_rate_limit_counters_only(echo_sandbox: Sandbox) -> None:
    tenant = echo_sandbox.create_tenant()
    mine = tenant.limits.get("echo", "concurrency")
    default = echo_sandbox.limits.get("echo", "concurrency")
    assert mine.acquire("k").allowed
    assert default.acquire("k").allowed
    echo_sandbox.reset(tenant.id)
    assert mine.acquire("k").allowed
    assert not default.acquire("k").allowed


# --- ids and credentials from secrets --------------------------------------------------------


def test_two_sandboxes_with_the_same_seed_give_new_tenants_different_ids_and_credentials() -> None:
    from tests.core.echo_api import EchoApi

    first = Sandbox([EchoApi], seed=7).create_tenant()
    second = Sandbox([EchoApi], seed=7).create_tenant()
    assert first.id != second.id
    assert first.credentials["echo"] != second.credentials["echo"]


# --- removal ---------------------------------------------------------------------------------


def test_a_removed_tenant_is_forgotten_with_its_credentials_state_and_journal(
    echo: httpx.Client, echo_sandbox: Sandbox
) -> None:
    tenant = echo_sandbox.create_tenant()
    token = tenant.credentials["echo"]["token"]
    assert echo.get("/echo/notes", headers={"x-token": token}).status_code == 200
    assert echo_sandbox.journal.count(JournalQuery(tenant=tenant.id)) == 1
    assert echo_sandbox.remove_tenant(tenant.id) is True
    assert echo_sandbox.tenants.get(tenant.id) is None
    assert echo_sandbox.tenants.resolve("echo", token) is None
    assert echo_sandbox.journal.count(JournalQuery(tenant=tenant.id)) == 0
    response = echo.get("/echo/notes", headers={"x-token": token})
    assert (response.status_code, response.json()) == (401, {"problem": "who are you"})
    assert echo_sandbox.remove_tenant(tenant.id) is False


def test_the_default_tenant_cannot_be_removed(echo_sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="default tenant"):
        echo_sandbox.remove_tenant("default")
    assert echo_sandbox.tenants.default().id == "default"


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_tenants_idle_longer_than_the_ttl_go_at_the_next_request_and_the_default_stays() -> None:
    from tests.core.echo_api import EchoApi

    idle = FakeMonotonic()
    sandbox = Sandbox([EchoApi], tenant_ttl=60, idle_source=idle)
    busy, quiet = sandbox.create_tenant(), sandbox.create_tenant()
    bridge = AsgiBridge(build_app(sandbox))
    transport = httpx.MockTransport(bridge)
    with httpx.Client(transport=transport, base_url="http://standin.test") as client:
        idle.now += 50
        busy_token = {"x-token": busy.credentials["echo"]["token"]}
        assert client.get("/echo/notes", headers=busy_token).status_code == 200
        idle.now += 30  # quiet: 80 s idle; busy: 30 s
        assert client.get("/echo/notes", headers={"x-token": "default-token"}).status_code == 200
        assert [t.id for t in sandbox.tenants.all()] == ["default", busy.id]
        assert sandbox.tenants.get(quiet.id) is None
        idle.now += 61
        assert client.get("/_sandbox/tenants").status_code == 200
        assert [t.id for t in sandbox.tenants.all()] == ["default"]
    bridge.close()


def test_the_ttl_reads_real_time_so_moving_a_tenants_clock_neither_ends_nor_keeps_it() -> None:
    from tests.core.echo_api import EchoApi

    idle = FakeMonotonic()
    sandbox = Sandbox([EchoApi], tenant_ttl=60, idle_source=idle)
    tenant = sandbox.create_tenant()
    tenant.clock.advance(86_400)
    assert sandbox.remove_idle_tenants() == []
    idle.now += 61
    assert sandbox.remove_idle_tenants() == [tenant.id]


def test_without_a_ttl_idle_tenants_stay() -> None:
    from tests.core.echo_api import EchoApi

    idle = FakeMonotonic()
    sandbox = Sandbox([EchoApi], idle_source=idle)
    tenant = sandbox.create_tenant()
    idle.now += 10**9
    sandbox.note_use(None)
    assert sandbox.remove_idle_tenants() == []
    assert sandbox.tenants.get(tenant.id) is tenant


def test_a_tenant_whose_making_outlasts_the_ttl_is_not_idle_once_made() -> None:
    from tests.core.echo_api import EchoApi

    idle = FakeMonotonic()

    class SlowToSeed(EchoApi):
        def new_state(self, tenant_id: str, credentials: dict[str, Any], clock: Clock) -> EchoState:
            idle.now += 90  # its fixtures take longer to copy than the TTL
            return super().new_state(tenant_id, credentials, clock)

    sandbox = Sandbox([SlowToSeed], tenant_ttl=60, idle_source=idle)
    tenant = sandbox.create_tenant()
    assert sandbox.remove_idle_tenants() == []
    assert sandbox.tenants.get(tenant.id) is tenant


def test_a_refused_token_request_naming_a_tenant_does_not_keep_it_from_going_idle() -> None:
    from standin.atrius.api import AtriusApi

    idle = FakeMonotonic()
    sandbox = Sandbox([AtriusApi], tenant_ttl=60, idle_source=idle)
    kept, dropped = sandbox.create_tenant(), sandbox.create_tenant()
    transport = httpx.MockTransport(AsgiBridge(build_app(sandbox)))
    with httpx.Client(transport=transport, base_url="http://standin.test") as client:
        idle.now += 50

        def token(tenant_id: str, secret: str | None) -> httpx.Response:
            creds = sandbox.tenants.get(tenant_id).credentials["atrius"]
            form = {
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": secret or creds["client_secret"],
            }
            return client.post("/atrius/o/token/", data=form)

        assert token(kept.id, None).status_code == 200
        assert token(dropped.id, "not-the-secret").status_code == 401
        entries = client.get("/_sandbox/requests", params={"tenant": dropped.id}).json()
        assert [(e["path"], e["status"]) for e in entries["requests"]] == [("/o/token/", 401)]
        idle.now += 30  # kept: 30 s since its token; dropped: 80 s since it was made
        assert client.get("/_sandbox/health").status_code == 200
    assert [t.id for t in sandbox.tenants.all()] == ["default", kept.id]


def test_a_refused_metasys_login_naming_a_tenants_user_does_not_keep_it_from_going_idle() -> None:
    from standin.metasys.api import MetasysApi

    idle = FakeMonotonic()
    sandbox = Sandbox([MetasysApi], tenant_ttl=60, idle_source=idle)
    kept, dropped = sandbox.create_tenant(), sandbox.create_tenant()
    with bridged_client(build_app(sandbox)) as client:
        idle.now += 50

        def login(tenant_id: str, password: str | None) -> httpx.Response:
            creds = sandbox.tenants.get(tenant_id).credentials["metasys"]
            body = {"username": creds["username"], "password": password or creds["password"]}
            return client.post("/metasys/api/v4/login", json=body)

        assert login(kept.id, None).status_code == 200
        assert login(dropped.id, "not-the-password").status_code == 401
        entries = client.get("/_sandbox/requests", params={"tenant": dropped.id}).json()
        assert [(e["path"], e["status"]) for e in entries["requests"]] == [("/api/v4/login", 401)]
        idle.now += 30  # kept: 30 s since its login; dropped: 80 s since it was made
        assert client.get("/_sandbox/health").status_code == 200
    assert [t.id for t in sandbox.tenants.all()] == ["default", kept.id]
