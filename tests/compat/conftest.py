"""Independent client software against the fakes, over a real socket, as a new user runs it.

These libraries speak ``requests``, so the fakes are served by uvicorn on a loopback port. The
sandbox clock runs in real time: the libraries decide expiry by the machine's clock, so a test
that needs an expired token moves the sandbox clock (the server's view) and marks the token the
library holds as expired (the client's view), as an hour passing would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from standin import Sandbox, build_app, create_sandbox
from standin._core.liveserver import live_server


@dataclass(frozen=True)
class Served:
    sandbox: Sandbox
    base_url: str


@dataclass(frozen=True)
class OAuthProvider:
    """One fake's OAuth 2 token endpoint, its credentials and a call that needs a token."""

    api: str
    token_url: str
    client_id: str
    client_secret: str
    username: str
    password: str
    probe_url: str
    """A GET that answers 200 with a good bearer token and 401 without one."""
    rotates_refresh_tokens: bool
    token_lifetime: int
    """Seconds an access token lasts, as the vendor's guide says."""


@pytest.fixture(autouse=True)
def plain_http_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both libraries refuse http:// unless told the transport is a test's loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def served() -> Iterator[Served]:
    sandbox = create_sandbox()
    with live_server(build_app(sandbox)) as base_url:
        yield Served(sandbox, base_url)


def provider(served: Served, api: str) -> OAuthProvider:
    creds: dict[str, Any] = dict(served.sandbox.credentials()[api])
    base = f"{served.base_url}/{api}"
    if api == "atrius":
        token_url, probe, rotates, lifetime = f"{base}/o/token/", f"{base}/buildings/", True, 36000
    else:
        token_url, probe, rotates, lifetime = (
            f"{base}/oauth/token",
            f"{base}/v3/sites/123",
            False,
            3600,
        )
    return OAuthProvider(
        api,
        token_url,
        creds["client_id"],
        creds["client_secret"],
        creds["username"],
        creds["password"],
        probe,
        rotates,
        lifetime,
    )


@pytest.fixture(params=["atrius", "locus"])
def oauth(request: pytest.FixtureRequest, served: Served) -> OAuthProvider:
    return provider(served, request.param)


def token_requests(session: requests.Session) -> list[requests.PreparedRequest]:
    """Every token request ``session`` sends from now on (its response hook records them)."""
    sent: list[requests.PreparedRequest] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.request.method == "POST":
            sent.append(response.request)

    session.hooks["response"].append(record)
    return sent


def authenticated_by(request: requests.PreparedRequest) -> str:
    """How a token request authenticated its client: ``basic`` or ``body``."""
    header = request.headers.get("Authorization", "")
    body = request.body if isinstance(request.body, str) else (request.body or b"").decode()
    if header.startswith("Basic "):
        assert "client_secret=" not in body  # RFC 6749 2.3: one method per request
        return "basic"
    assert "client_secret=" in body
    return "body"
