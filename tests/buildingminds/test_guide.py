"""The guide's Steps 1 and 2, as written (curl and sed), against `standin serve` over a socket;
only the base URLs change."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.support import serving

STEP_1 = """
TOKEN=$(curl -s -X POST \\
"$LOGIN/buildingminds.onmicrosoft.com/oauth2/v2.0/token" \\
-H "Content-Type: application/x-www-form-urlencoded" \\
--data-urlencode "client_id=$CLIENT_ID" \\
--data-urlencode "client_secret=$CLIENT_SECRET" \\
--data-urlencode "scope=$SCOPE/.default" \\
--data-urlencode "grant_type=client_credentials" \\
| sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')
"""
STEP_2 = """
curl -s -o /dev/null -w "%{http_code}" "$API/api/digitaltwinintegration/batch" \\
-H "Authorization: Bearer $TOKEN"
"""


@pytest.fixture
def served() -> Iterator[str]:
    with serving("--log-level", "warning") as (_, base):
        yield base


def run(script: str, **env: str) -> str:
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
        timeout=30,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="the guide's steps are curl commands")
def test_steps_1_and_2_work_with_curl_as_written(served: str) -> None:
    creds = httpx.get(f"{served}/_sandbox/credentials").json()["buildingminds"]
    env = {
        "LOGIN": f"{served}/buildingminds",
        "API": f"{served}/buildingminds",
        "CLIENT_ID": creds["client_id"],
        "CLIENT_SECRET": creds["client_secret"],
        "SCOPE": creds["scope"],
    }
    assert run(STEP_1 + STEP_2, **env) == "200"
    wrong = {**env, "CLIENT_SECRET": "wrong"}
    # A failed Step 1 leaves TOKEN empty: Step 2 is then refused.
    assert run(STEP_1 + STEP_2, **wrong) == "401"
