"""Microsoft's msal, unchanged, gets a BuildingMinds token from the Azure AD fake over HTTPS
(msal refuses an http:// authority), and the token verifies against the fake's JWKS."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import msal
import pytest

from standin import build_app, create_sandbox
from standin._core.liveserver import live_server
from standin._core.tls import TlsFiles, ensure_certificate
from tests.support import free_port


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return ensure_certificate(tmp_path / "tls", ["localhost", "127.0.0.1"])


@pytest.fixture
def served(tls: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    # As README says to: requests (under msal) lets this variable win over a session's verify.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca))
    sandbox = create_sandbox(["buildingminds"])
    credentials = sandbox.credentials()["buildingminds"]
    app = build_app(sandbox)
    with live_server(app, ssl_certfile=str(tls.certificate), ssl_keyfile=str(tls.key)) as base:
        yield base, credentials


def test_msal_confidential_client_gets_a_token_that_verifies_against_the_jwks(
    served: tuple[str, dict[str, str]], tls: TlsFiles
) -> None:
    base, credentials = served
    assert base.startswith("https://")
    authority = f"{base}/buildingminds/{credentials['tenant']}"
    app = msal.ConfidentialClientApplication(
        credentials["client_id"],
        client_credential=credentials["client_secret"],
        authority=authority,
        instance_discovery=False,
        verify=str(tls.ca),
    )
    result = app.acquire_token_for_client(scopes=[f"{credentials['scope']}/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    token = result["access_token"]

    trusted = ssl.create_default_context(cafile=str(tls.ca))
    discovery = httpx.get(
        f"{authority}/v2.0/.well-known/openid-configuration", verify=trusted
    ).json()
    keys = jwt.PyJWKSet.from_dict(httpx.get(discovery["jwks_uri"], verify=trusted).json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        options={"verify_aud": False, "require": ["exp", "iat", "aud", "iss"]},
    )
    assert claims["tid"] == credentials["directory_id"]
    assert claims["roles"]


def test_an_unknown_secret_is_refused_through_msal_too(
    served: tuple[str, dict[str, str]], tls: TlsFiles
) -> None:
    base, credentials = served
    app = msal.ConfidentialClientApplication(
        credentials["client_id"],
        client_credential="not-the-secret",
        authority=f"{base}/buildingminds/{credentials['tenant']}",
        instance_discovery=False,
        verify=str(tls.ca),
    )
    result = app.acquire_token_for_client(scopes=[f"{credentials['scope']}/.default"])
    assert result["error"] == "invalid_client"


def test_the_sandbox_certificate_is_kept_and_reused_until_the_names_change(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, ["localhost"])
    made = first.certificate.read_bytes()
    assert ensure_certificate(tmp_path, ["localhost"]).certificate.read_bytes() == made
    assert (
        ensure_certificate(tmp_path, ["localhost", "sandbox.example"]).certificate.read_bytes()
        != made
    )
    assert first.key.stat().st_mode & 0o077 == 0


def _serve_https(options: list[str], trusted: Path | None) -> tuple[subprocess.Popen[str], str]:
    """``standin serve`` with ``options`` until its health answers over HTTPS, trusting
    ``trusted`` (None: the ``ca.pem`` the server prints)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "standin.cli", "serve", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    if trusted is None:
        first = process.stderr.readline()
        assert first.startswith("standin: HTTPS with a sandbox certificate; trust "), first
        trusted = Path(first.split("trust ", 1)[1].split(" ", 1)[0])
    base = f"https://localhost:{port}"
    context = ssl.create_default_context(cafile=str(trusted))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_sandbox/health", verify=context, timeout=2)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    return process, base


def _stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.wait(timeout=10)
    assert process.stderr is not None
    process.stderr.close()


def test_standin_serve_tls_prints_the_ca_to_trust_and_msal_gets_a_token_through_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process, base = _serve_https(["--tls", "--tls-dir", str(tmp_path / "tls")], None)
    try:
        ca = tmp_path / "tls" / "ca.pem"
        # As README says to: requests (under msal) lets this variable win over verify.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
        health = httpx.get(
            f"{base}/_sandbox/health", verify=ssl.create_default_context(cafile=str(ca))
        )
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        credentials = httpx.get(
            f"{base}/_sandbox/credentials", verify=ssl.create_default_context(cafile=str(ca))
        ).json()["buildingminds"]
        app = msal.ConfidentialClientApplication(
            credentials["client_id"],
            client_credential=credentials["client_secret"],
            authority=f"{base}/buildingminds/{credentials['tenant']}",
            instance_discovery=False,
            verify=str(ca),
        )
        result = app.acquire_token_for_client(scopes=[f"{credentials['scope']}/.default"])
        assert result["token_type"] == "Bearer", result
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/_sandbox/health")  # the system's authorities do not know it
    finally:
        _stop(process)


def test_standin_serve_with_cert_and_key_serves_that_certificate(tmp_path: Path) -> None:
    own = ensure_certificate(tmp_path / "own", ["localhost"])
    process, base = _serve_https(["--cert", str(own.certificate), "--key", str(own.key)], own.ca)
    try:
        health = httpx.get(
            f"{base}/_sandbox/health", verify=ssl.create_default_context(cafile=str(own.ca))
        )
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
    finally:
        _stop(process)
