"""requests-oauthlib (over oauthlib) through every OAuth grant of Atrius and Locus."""

from __future__ import annotations

import time
from typing import Any

import pytest
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from tests.compat.conftest import OAuthProvider, Served, authenticated_by, token_requests

CLIENT_AUTH = ["body", "basic"]


def password_login(p: OAuthProvider, client_auth: str) -> OAuth2Session:
    session = OAuth2Session(client=LegacyApplicationClient(client_id=p.client_id))
    session.fetch_token(
        p.token_url,
        username=p.username,
        password=p.password,
        client_id=p.client_id,
        client_secret=p.client_secret,
        include_client_id=client_auth == "body",
    )
    return session


def refresh_credentials(p: OAuthProvider, client_auth: str) -> dict[str, Any]:
    """The client's credentials for a refresh request: a Basic ``auth`` or body fields."""
    if client_auth == "basic":
        return {"auth": HTTPBasicAuth(p.client_id, p.client_secret)}
    return {"client_id": p.client_id, "client_secret": p.client_secret}


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_the_password_grant_gives_a_token_that_opens_the_api(
    oauth: OAuthProvider, client_auth: str
) -> None:
    session = OAuth2Session(client=LegacyApplicationClient(client_id=oauth.client_id))
    sent = token_requests(session)
    token = session.fetch_token(
        oauth.token_url,
        username=oauth.username,
        password=oauth.password,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        include_client_id=client_auth == "body",
    )
    assert [authenticated_by(r) for r in sent] == [client_auth]
    assert token["refresh_token"]
    assert session.get(oauth.probe_url).status_code == 200


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_the_client_credentials_grant_gives_a_token_that_opens_the_api(
    oauth: OAuthProvider, client_auth: str
) -> None:
    session = OAuth2Session(client=BackendApplicationClient(client_id=oauth.client_id))
    sent = token_requests(session)
    token = session.fetch_token(
        oauth.token_url,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        include_client_id=client_auth == "body",
    )
    assert [authenticated_by(r) for r in sent] == [client_auth]
    assert token["access_token"]
    assert session.get(oauth.probe_url).status_code == 200


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_a_login_refreshes_three_times_in_a_row(
    oauth: OAuthProvider, served: Served, client_auth: str
) -> None:
    session = password_login(oauth, client_auth)
    sent = token_requests(session)
    access_tokens = {session.token["access_token"]}
    for _ in range(3):
        served.sandbox.clock.advance(oauth.token_lifetime)  # expired on the server
        assert session.get(oauth.probe_url).status_code == 401
        token = session.refresh_token(oauth.token_url, **refresh_credentials(oauth, client_auth))
        access_tokens.add(token["access_token"])
        assert session.get(oauth.probe_url).status_code == 200
    assert len(access_tokens) == 4
    assert [authenticated_by(r) for r in sent] == [client_auth] * 3


@pytest.mark.parametrize("client_auth", CLIENT_AUTH)
def test_an_expired_token_is_refreshed_automatically_again_and_again(
    oauth: OAuthProvider, served: Served, client_auth: str
) -> None:
    login = password_login(oauth, client_auth)
    saved: list[dict[str, Any]] = []
    if client_auth == "body":
        extra = {"client_id": oauth.client_id, "client_secret": oauth.client_secret}
        call: dict[str, Any] = {}
    else:
        extra = {}
        call = {"client_id": oauth.client_id, "client_secret": oauth.client_secret}
    session = OAuth2Session(
        client=LegacyApplicationClient(client_id=oauth.client_id),
        token=login.token,
        auto_refresh_url=oauth.token_url,
        auto_refresh_kwargs=extra,
        token_updater=saved.append,
    )
    sent = token_requests(session)
    for _ in range(3):
        served.sandbox.clock.advance(oauth.token_lifetime)
        session.token = {**session.token, "expires_at": time.time() - 1}  # an hour has passed
        assert session.get(oauth.probe_url, **call).status_code == 200
    assert len(saved) == 3
    assert len({t["access_token"] for t in saved}) == 3
    assert [authenticated_by(r) for r in sent] == [client_auth] * 3
    refresh_tokens = {t["refresh_token"] for t in saved}
    assert len(refresh_tokens) == (3 if oauth.rotates_refresh_tokens else 1)
