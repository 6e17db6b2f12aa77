"""A bearer header is identified once and re-checked on every later request: what can change
between two requests (revocation, expiry on the tenant's clock, the tenant removed, the user
deleted, the state reset) is refused, or served, exactly as on the header's first request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standin import Sandbox
from standin._core.seam import Identity
from standin._core.tokens import IssuedToken
from standin.metasys.api import MetasysApi, credential_headers
from standin.metasys.sessions import Sessions
from tests.metasys.conftest import BASE, ZONE_TEMPERATURE, login, object_id, state_of

DENIED = {"Message": "Authorization has been denied for this request."}


def metasys(sandbox: Sandbox) -> MetasysApi:
    return sandbox.vendor(MetasysApi)


def header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_header_is_identified_once_and_its_identity_reused(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    sessions = metasys(sandbox).sessions
    assert len(sessions) == 0
    first = client.get(f"{BASE}/spaces", headers=header(token))
    remembered = sessions.get(f"Bearer {token}".encode())
    assert remembered is not None
    assert (remembered.tenant_id, remembered.principal, remembered.limit_key) == (
        "default",
        "api-admin",
        "default/api-admin",
    )
    again = client.get(f"{BASE}/spaces", headers=header(token))
    assert sessions.get(f"Bearer {token}".encode()) is remembered
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert first.status_code == 200


def test_a_refused_header_is_not_remembered(client: httpx.Client, sandbox: Sandbox) -> None:
    for value in ("Bearer not.a.jwt", "Basic abc", "Bearer "):
        refused = client.get(f"{BASE}/spaces", headers={"Authorization": value})
        assert (refused.status_code, refused.json()) == (401, DENIED), value
    assert len(metasys(sandbox).sessions) == 0


def test_only_a_tokens_own_spelling_is_remembered_so_one_token_cannot_fill_the_memory(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    spellings = [f"Bearer: {token}", f"bearer {token}"]
    spellings += [f"Bearer{' ' * spaces}{token}" for spaces in range(2, 50)]
    for value in [f"Bearer {token}", *spellings, *spellings]:
        assert client.get(f"{BASE}/spaces", headers={"Authorization": value}).status_code == 200
    sessions = metasys(sandbox).sessions
    assert len(sessions) == 1
    assert sessions.get(f"Bearer {token}".encode()) is not None


def test_a_revoked_token_is_refused_though_it_was_used_a_moment_ago(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    assert client.get(f"{BASE}/spaces", headers=header(token)).status_code == 200
    metasys(sandbox).issuer.revoke(token)
    refused = client.get(f"{BASE}/spaces", headers=header(token))
    assert (refused.status_code, refused.json()) == (401, DENIED)
    assert refused.headers["www-authenticate"] == "Bearer"
    assert metasys(sandbox).sessions.get(f"Bearer {token}".encode()) is None


def test_a_token_used_a_moment_ago_expires_on_its_tenants_clock(
    client: httpx.Client, token: str
) -> None:
    other = client.post("/_sandbox/tenants").json()
    creds = other["metasys"]
    theirs = login(client, creds["username"], creds["password"]).json()["accessToken"]
    for value in (theirs, token):
        assert client.get(f"{BASE}/spaces", headers=header(value)).status_code == 200
    moved = client.post(f"/_sandbox/clock?tenant={other['tenant']}", json={"advance": 1799})
    assert moved.status_code == 200
    assert client.get(f"{BASE}/spaces", headers=header(theirs)).status_code == 200
    client.post(f"/_sandbox/clock?tenant={other['tenant']}", json={"advance": 1})
    expired = client.get(f"{BASE}/spaces", headers=header(theirs))
    assert (expired.status_code, expired.json()) == (401, DENIED)
    # The default tenant's clock did not move: its token, used as long, is still good.
    assert client.get(f"{BASE}/spaces", headers=header(token)).status_code == 200


def test_a_removed_tenants_token_is_refused_and_its_headers_forgotten(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    other = client.post("/_sandbox/tenants").json()
    creds = other["metasys"]
    theirs = login(client, creds["username"], creds["password"]).json()["accessToken"]
    for value in (theirs, token):
        assert client.get(f"{BASE}/spaces", headers=header(value)).status_code == 200
    assert client.delete(f"/_sandbox/tenants/{other['tenant']}").status_code in (200, 204)
    sessions = metasys(sandbox).sessions
    assert sessions.get(f"Bearer {theirs}".encode()) is None
    assert sessions.get(f"Bearer {token}".encode()) is not None
    refused = client.get(f"{BASE}/spaces", headers=header(theirs))
    assert (refused.status_code, refused.json()) == (401, DENIED)


def test_a_deleted_users_token_is_refused_though_it_was_used_a_moment_ago(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_TEMPERATURE)
    path = f"{BASE}/objects/{point}/attributes/presentValue"
    assert client.get(path, headers=header(token)).status_code == 200
    assert state_of(sandbox).users.delete("api-admin")
    refused = client.get(path, headers=header(token))
    assert (refused.status_code, refused.json()) == (401, DENIED)
    assert metasys(sandbox).sessions.get(f"Bearer {token}".encode()) is None


def test_a_token_used_before_a_reset_still_names_its_user_after_it(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    point = object_id(sandbox, ZONE_TEMPERATURE)
    path = f"{BASE}/objects/{point}/attributes/presentValue"
    before = client.get(path, headers=header(token))
    assert client.post("/_sandbox/reset").status_code == 200
    after = client.get(path, headers=header(token))
    assert (after.status_code, after.json()) == (200, before.json())


def test_a_header_is_not_reused_where_a_token_directory_judges_tokens(
    client: httpx.Client, token: str, sandbox: Sandbox
) -> None:
    api = metasys(sandbox)
    assert client.get(f"{BASE}/spaces", headers=header(token)).status_code == 200
    judged: list[str] = []

    class Directory:
        def find(self, value: str) -> IssuedToken | None:
            return None

        def claim(self, tenant_id: str) -> None:
            judged.append(tenant_id)

        def serves(self, tenant_id: str) -> bool:
            return True

    api.issuer.directory = Directory()
    for _ in range(2):
        assert client.get(f"{BASE}/spaces", headers=header(token)).status_code == 200
    assert judged == ["default", "default"]  # validated (and claimed) each time, not remembered
    assert len(api.sessions) == 0


# --- the parts ---------------------------------------------------------------------------------


def identity(tenant_id: str, user: str) -> Identity:
    return Identity(tenant_id, principal=user, limit_key=f"{tenant_id}/{user}")


def test_sessions_forget_one_tenants_headers_only() -> None:
    sessions = Sessions(8)
    sessions.keep(b"Bearer a", identity("t1", "u"))
    sessions.keep(b"Bearer b", identity("t2", "u"))
    sessions.keep(b"Bearer c", identity("t1", "v"))
    sessions.forget_tenant("t1")
    assert (sessions.get(b"Bearer a"), sessions.get(b"Bearer c")) == (None, None)
    assert sessions.get(b"Bearer b") == identity("t2", "u")
    assert len(sessions) == 1


def test_sessions_hold_at_most_their_capacity_and_start_over_when_full() -> None:
    sessions = Sessions(2)
    sessions.keep(b"a", identity("t", "a"))
    sessions.keep(b"b", identity("t", "b"))
    sessions.keep(b"b", identity("t", "b2"))  # a header already kept is replaced in place
    assert len(sessions) == 2
    sessions.keep(b"c", identity("t", "c"))
    assert len(sessions) == 1
    assert (sessions.get(b"a"), sessions.get(b"c")) == (None, identity("t", "c"))


def test_sessions_need_room_for_one() -> None:
    with pytest.raises(ValueError, match="capacity must be positive"):
        Sessions(0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], (None, False)),
        ([(b"host", b"h"), (b"authorization", b"Bearer x")], (b"Bearer x", False)),
        ([(b"authorization", b"Bearer x"), (b"authorization", b"Bearer y")], (b"Bearer x", False)),
        ([(b"metasys-subscribe", b"s1"), (b"authorization", b"B")], (b"B", True)),
        ([(b"metasys-subscribe", b"")], (None, True)),
    ],
)
def test_credential_headers_take_the_first_authorization_and_see_a_subscription(
    headers: list[tuple[bytes, bytes]], expected: tuple[Any, bool]
) -> None:
    assert credential_headers(headers) == expected
