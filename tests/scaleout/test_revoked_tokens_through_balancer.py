"""A token revoked by the replica serving its tenant, presented again through the balancer to
whichever replica: no vendor's documentation gives a revoked token an answer of its own, and no
fake gives one (every API answers a revoked token exactly as an unknown one), so a replica that
finds no record of it (it was deleted from Redis when revoked) answers as the one that revoked
it. The one revocation a client can cause over HTTP is Atrius' single-use refresh token."""

from __future__ import annotations

from typing import Any

import httpx

from bench.haproxy import SERVED_BY
from tests.scaleout.topology import Topology
from tests.vendor_calls import atrius_grant

ROUNDS = 4
"""Presentations of the used refresh token: round-robin over two replicas reaches each twice."""


def _refresh(client: httpx.Client, credentials: dict[str, Any], value: str) -> httpx.Response:
    return atrius_grant(client, credentials, "refresh_token", refresh_token=value)


def test_a_used_refresh_token_is_answered_as_an_unknown_one_by_every_replica(
    scaleout: Topology,
) -> None:
    with httpx.Client(base_url=scaleout.url, timeout=10, trust_env=False) as client:
        tenant = client.post("/_sandbox/tenants").json()
        credentials = tenant["atrius"]
        granted = atrius_grant(
            client,
            credentials,
            "password",
            username=credentials["username"],
            password=credentials["password"],
        )
        assert granted.status_code == 200, granted.text
        refresh = granted.json()["refresh_token"]
        assert _refresh(client, credentials, refresh).status_code == 200  # used: revoked now

        never_issued = _refresh(client, credentials, "never-issued-refresh-token")
        answers = [_refresh(client, credentials, refresh) for _ in range(ROUNDS)]

    assert never_issued.status_code == 400
    assert never_issued.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid credentials given.",
    }
    assert {answer.headers[SERVED_BY] for answer in answers} == {r.name for r in scaleout.replicas}
    for answer in answers:
        assert answer.status_code == 400
        assert answer.content == never_issued.content
        assert answer.headers["content-type"] == never_issued.headers["content-type"]
