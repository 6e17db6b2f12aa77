"""Authlib's requests client through every OAuth grant of Atrius and Locus."""

from __future__ import annotations

import time
from typing import Any

import pytest
from authlib.integrations.requests_client import OAuth2Session

from tests.compat.conftest import OAuthProvider, Served, authenticated_by, token_requests

METHODS = {"body": "client_secret_post", "basic": "client_secret_basic"}
CLIENT_AUTH = list(METHODS)


def session_for(
    p: OAuthProvider,
    client_auth: str,
    saved: list[dict[str, Any]] | None = None,
    **metadata: str,
) -> OAuth2Session:
    def update_token(token: dict[str, Any], **kwargs: Any) -> None:
        if saved is not None:
            saved.append(dict(token))

    return OAuth2Session(
        p.client_id,
        p.client_secret,
        token_endpoint_auth_method=METHODS[client_auth],
        token_endpoint=p.token_url,
        update_token=update_token,
        **metadata,
    )


def expire_locally(session: OAuth2Session) -> None:
    """What an hour passing looks like to the library: the token's expires_at is behind."""
    session.token = {**session.token, "expires_at": int(time.time()) - 120}


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_the_password_grant_gives_a_token_that_opens_the_api(
    oauth: OAuthProvider, client_auth: str
) -> None:
    session = session_for(oauth, client_auth)
    sent = token_requests(session)
    token = session.fetch_token(
        oauth.token_url, grant_type="password", username=oauth.username, password=oauth.password
    )
    assert [authenticated_by(r) for r in sent] == [client_auth]
    assert token["refresh_token"]
    assert session.get(oauth.probe_url).status_code == 200


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_the_client_credentials_grant_gives_a_token_that_opens_the_api(
    oauth: OAuthProvider, client_auth: str
) -> None:
    session = session_for(oauth, client_auth)
    sent = token_requests(session)
    token = session.fetch_token(oauth.token_url, grant_type="client_credentials")
    assert [authenticated_by(r) for r in sent] == [client_auth]
    assert token["access_token"]
    assert session.get(oauth.probe_url).status_code == 200


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_a_login_refreshes_three_times_in_a_row(
    oauth: OAuthProvider, served: Served, client_auth: str
) -> None:
    session = session_for(oauth, client_auth)
    session.fetch_token(
        oauth.token_url, grant_type="password", username=oauth.username, password=oauth.password
    )
    sent = token_requests(session)
    access_tokens = {session.token["access_token"]}
    for _ in range(3):
        served.sandbox.clock.advance(oauth.token_lifetime)  # expired on the server
        token = session.refresh_token(oauth.token_url)
        access_tokens.add(token["access_token"])
        assert session.get(oauth.probe_url).status_code == 200
    assert len(access_tokens) == 4
    assert [authenticated_by(r) for r in sent] == [client_auth] * 3


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_an_expired_token_is_refreshed_automatically_again_and_again(
    oauth: OAuthProvider, served: Served, client_auth: str
) -> None:
    saved: list[dict[str, Any]] = []
    session = session_for(oauth, client_auth, saved)
    session.fetch_token(
        oauth.token_url, grant_type="password", username=oauth.username, password=oauth.password
    )
    sent = token_requests(session)
    for _ in range(3):
        served.sandbox.clock.advance(oauth.token_lifetime)
        expire_locally(session)
        assert session.get(oauth.probe_url).status_code == 200
    assert len(saved) == 3
    assert len({t["access_token"] for t in saved}) == 3
    assert [authenticated_by(r) for r in sent] == [client_auth] * 3
    refresh_tokens = {t["refresh_token"] for t in saved}
    assert len(refresh_tokens) == (3 if oauth.rotates_refresh_tokens else 1)


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_a_client_credentials_token_is_fetched_again_automatically_when_it_expires(
    oauth: OAuthProvider, served: Served, client_auth: str
) -> None:
    saved: list[dict[str, Any]] = []
    session = session_for(oauth, client_auth, saved, grant_type="client_credentials")
    session.fetch_token(oauth.token_url)
    first = session.token["access_token"]
    served.sandbox.clock.advance(oauth.token_lifetime)
    expire_locally(session)
    assert session.get(oauth.probe_url).status_code == 200
    assert [t["access_token"] for t in saved] == [session.token["access_token"]]
    assert session.token["access_token"] != first
