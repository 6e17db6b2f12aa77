import httpx
import pytest

from standin import Sandbox
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
