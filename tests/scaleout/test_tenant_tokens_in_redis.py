"""Tenant tokens in Redis: only their digests are kept, and a plain token an older standin
kept becomes its digest when a replica starts, and still opens its tenant."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from standin import Sandbox, build_app
from standin._core.cluster import keys
from standin.registry import create_sandbox
from tests.conftest import bridged_client

ADMIN = "adm1n-t0ken"


@contextmanager
def replica(redis_url: str) -> Iterator[Sandbox]:
    sandbox = create_sandbox(
        ["atmotube"], redis_url=redis_url, advertise_url="http://127.0.0.1:9", admin_token=ADMIN
    )
    try:
        yield sandbox
    finally:
        sandbox.close()


def make_tenant(sandbox: Sandbox) -> dict[str, Any]:
    with bridged_client(build_app(sandbox)) as client:
        created = client.post("/_sandbox/tenants", headers={"X-Standin-Admin-Token": ADMIN})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def everything_kept(client: redis.Redis) -> bytes:
    """Every key, hash field and value in Redis, strings and hashes."""
    kept = []
    for key in client.scan_iter():
        kept.append(key)
        kind = client.type(key)
        if kind == b"string":
            kept.append(client.get(key) or b"")
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                kept += [field, value]
    return b"\n".join(kept)


def test_redis_keeps_a_tenant_tokens_digest_and_never_the_token(redis_url: str) -> None:
    with replica(redis_url) as sandbox:
        tenant = make_tenant(sandbox)
    digest = hashlib.sha256(tenant["tenant_token"].encode()).hexdigest()
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.hget(keys.tenant(tenant["tenant"]), "token_digest") == digest.encode()
        assert client.hget(keys.tenant(tenant["tenant"]), "token") is None
        assert client.hget(keys.CREDENTIALS, keys.credential("_tenant_token", digest)) == (
            tenant["tenant"].encode()
        )
        assert tenant["tenant_token"].encode() not in everything_kept(client)
    finally:
        client.close()


def test_a_plain_token_an_older_standin_kept_in_redis_becomes_its_digest_and_still_opens(
    redis_url: str,
) -> None:
    with replica(redis_url) as sandbox:
        tenant = make_tenant(sandbox)
    token = tenant["tenant_token"]
    hashed = keys.tenant(tenant["tenant"])
    client = redis.Redis.from_url(redis_url)
    try:
        client.hdel(hashed, "token_digest")
        client.hset(hashed, "token", token)  # as the previous version kept it
        with replica(redis_url) as sandbox:
            assert client.hget(hashed, "token") is None
            digest = hashlib.sha256(token.encode()).hexdigest()
            assert client.hget(hashed, "token_digest") == digest.encode()
            with bridged_client(build_app(sandbox)) as app:
                opened = app.get("/_sandbox/credentials", headers={"X-Standin-Tenant-Token": token})
                wrong = app.get("/_sandbox/credentials", headers={"X-Standin-Tenant-Token": digest})
        assert (opened.status_code, opened.json()) == (200, {"atmotube": tenant["atmotube"]})
        assert (wrong.status_code, wrong.json()) == (
            401,
            {"error": "the X-Standin-Tenant-Token header is no tenant's token"},
        )
        assert token.encode() not in everything_kept(client)
    finally:
        client.close()
