"""Failures: a replica killed, a tenant taken over, Redis away and back."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
import redis

from standin._core.cluster import keys
from standin._core.cluster.persistence import RedisPersistence
from standin._core.cluster.signals import StorageUnavailable
from standin._core.tenants import DEFAULT_TENANT, Tenant
from tests.atrius.conftest import meter_body
from tests.kill_support import AcknowledgedWrites
from tests.redis_support import RedisServer
from tests.scaleout.replicas import replica, replica_process
from tests.test_tenants_across_vendors import _atmotube_read
from tests.vendor_calls import atrius_token


def test_a_killed_replica_loses_no_acknowledged_write_and_the_other_answers_next(
    redis_url: str,
) -> None:
    with (
        replica_process(redis_url) as (first, first_base),
        replica_process(redis_url) as (_, second_base),
    ):
        with httpx.Client(base_url=first_base, timeout=10, trust_env=False) as setup:
            writes = AcknowledgedWrites.logged_in(setup)
            # Reading every meter back must not meet Atrius' rate limit.
            off = setup.patch("/_sandbox/limits", json={"atrius": {"requests": {"enabled": False}}})
            assert off.status_code == 200
        writes.start(meters_at=[first_base, second_base], commands_at=first_base)
        writes.wait_for(meters=30, commands=5, seconds=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        time.sleep(0.2)
        writes.stop(join_seconds=20)
        assert first.returncode == -signal.SIGKILL
        assert len(writes.meters) >= 30
        assert len(writes.commanded) >= 5

        # The next request on the remaining replica succeeds: the killed one's tenants move.
        with httpx.Client(base_url=second_base, timeout=10, trust_env=False) as client:
            assert writes.present_value(client) >= writes.commanded[-1]
            assert writes.missing_meters(client) == []


def test_a_write_from_a_replica_that_lost_its_tenant_is_refused_with_503(
    redis_url: str,
) -> None:
    with replica(redis_url, ["atrius"]) as first, first.client() as client:
        creds = client.get("/_sandbox/credentials").json()
        auth = {"Authorization": f"Bearer {atrius_token(client, creds['atrius'])}"}
        # Another replica took the default tenant over (as after a long pause of this one).
        store = redis.Redis.from_url(redis_url)
        store.set(keys.lease("default"), "someone-else|http://127.0.0.1:9|999", px=60_000)
        store.close()
        refused = client.post("/atrius/meters/", json=meter_body(), headers=auth)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {
            "error": "sandbox storage unavailable",
            "detail": "tenant default is now served by another replica; this write was not kept",
        }


def test_a_request_for_a_tenant_whose_replica_is_gone_is_served_here(redis_url: str) -> None:
    with replica(redis_url, ["atrius"]) as first, first.client() as client:
        tenant = client.post("/_sandbox/tenants").json()["tenant"]
        store = redis.Redis.from_url(redis_url)
        # Its holder answers nowhere any more (port 9 refuses), yet its lease has not run out.
        store.set(keys.lease(tenant), "gone|http://127.0.0.1:9|999", px=60_000)
        first.sandbox.tenants.drop(tenant)
        first.sandbox.persistence.leases.forget(tenant)  # type: ignore[attr-defined]
        clock = client.get("/_sandbox/clock", params={"tenant": tenant})
        assert clock.status_code == 200
        holder = store.get(keys.lease(tenant))
        store.close()
        assert holder is not None
        assert holder.decode().startswith(first.sandbox.persistence.leases.identity + "|")  # type: ignore[attr-defined]


def test_a_counted_fault_used_before_a_take_over_is_not_answered_again_after_it(
    redis_url: str,
) -> None:
    with replica(redis_url, ["atmotube"]) as first, first.client() as client:
        tenant = client.post("/_sandbox/tenants").json()
        added = client.post(
            "/_sandbox/faults",
            params={"tenant": tenant["tenant"]},
            json={"api": "atmotube", "status": 503, "body": {"error": "down"}, "count": 2},
        )
        assert added.status_code == 201
        read = _atmotube_read(tenant["atmotube"])
        assert client.get(read).status_code == 503
        # The replica serving it goes; this one takes the tenant over from what Redis kept.
        store = redis.Redis.from_url(redis_url)
        store.set(keys.lease(tenant["tenant"]), "gone|http://127.0.0.1:9|999", px=60_000)
        store.close()
        first.sandbox.tenants.drop(tenant["tenant"])
        first.sandbox.persistence.leases.forget(tenant["tenant"])  # type: ignore[attr-defined]
        assert [client.get(read).status_code for _ in "ab"] == [503, 200]


@pytest.fixture
def own_redis(tmp_path: Path) -> RedisServer:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


def test_with_redis_away_a_replica_answers_503_and_recovers_when_it_is_back(
    own_redis: RedisServer,
) -> None:
    with replica(own_redis.url, ["atrius"]) as first, first.client() as client:
        creds = client.get("/_sandbox/credentials").json()
        auth = {"Authorization": f"Bearer {atrius_token(client, creds['atrius'])}"}
        assert (
            client.post(
                "/atrius/meters/", json=meter_body(vendorMeterId="R-1"), headers=auth
            ).status_code
            == 201
        )
        own_redis.stop()
        down = client.post("/atrius/meters/", json=meter_body(vendorMeterId="R-2"), headers=auth)
        assert down.status_code == 503
        assert down.headers["retry-after"] == "1"
        body = down.json()
        assert body["error"] == "sandbox storage unavailable"
        assert body["detail"].startswith(f"Redis at {own_redis.url} is unreachable (")
        assert body["detail"].endswith("); retrying")
        health = client.get("/_sandbox/health")
        assert health.status_code == 503
        assert (health.json()["status"], health.json()["redis"]) == ("unavailable", "unreachable")
        own_redis.start()
        again = client.post("/atrius/meters/", json=meter_body(vendorMeterId="R-3"), headers=auth)
        assert again.status_code == 201, again.text
        assert client.get("/_sandbox/health").status_code == 200
        listed = client.get("/atrius/meters/", params={"per_page": 100}, headers=auth)
        assert listed.status_code == 200
        # The write answered 503 was not kept; the acknowledged ones were.
        kept = [meter["vendorMeterId"] for meter in listed.json()["results"]]
        assert "R-1" in kept
        assert "R-3" in kept
        assert "R-2" not in kept


def test_a_stream_handed_to_a_replica_that_is_killed_ends_and_the_next_request_succeeds(
    redis_url: str,
) -> None:
    with (
        replica_process(redis_url, "--api", "metasys") as (holder, _),
        replica_process(redis_url, "--api", "metasys") as (_, other_base),
        httpx.Client(base_url=other_base, timeout=httpx.Timeout(10.0), trust_env=False) as b,
    ):
        creds = b.get("/_sandbox/credentials").json()["metasys"]
        login = b.post("/api/v4/login", json=creds_login(creds))
        assert login.status_code == 200
        auth = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        with b.stream("GET", "/api/v4/stream", headers=auth) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            assert next(lines).startswith("id: ")
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            # The stream ends (its holder is gone); it does not hang.
            with pytest.raises(httpx.HTTPError) as ended:
                for _ in lines:
                    pass
            assert not isinstance(ended.value, httpx.TimeoutException)
        again = b.get("/api/v4/spaces", headers=auth)
        assert again.status_code == 200


def creds_login(creds: dict[str, str]) -> dict[str, str]:
    return {"username": creds["username"], "password": creds["password"]}


def test_a_tenant_whose_take_up_fails_is_let_go_and_taken_up_whole_by_the_next_request(
    redis_url: str,
) -> None:
    """What runs as a replica takes a tenant up (its streams re-created) failing with Redis:
    that request answers 503 and the tenant is not kept half taken up."""
    with replica(redis_url) as first, replica(redis_url) as second:
        # The first replica made the default tenant and serves it; it lets go of it.
        persistence = first.sandbox.persistence
        assert isinstance(persistence, RedisPersistence)
        persistence.leases.release(DEFAULT_TENANT)
        first.sandbox.tenants.drop(DEFAULT_TENANT)
        taken_up: list[str] = []

        def flaky(tenant: Tenant) -> None:
            taken_up.append(tenant.id)
            if len(taken_up) == 1:
                raise StorageUnavailable("Redis went away")

        second.sandbox.tenant_loaded.append(flaky)
        with second.client() as http:
            refused = http.get("/_sandbox/clock")
            assert (refused.status_code, refused.json()) == (
                503,
                {"error": "sandbox storage unavailable", "detail": "Redis went away"},
            )
            assert second.sandbox.tenants.local(DEFAULT_TENANT) is None
            assert http.get("/_sandbox/clock").status_code == 200
        assert taken_up == [DEFAULT_TENANT, DEFAULT_TENANT]
        assert second.sandbox.tenants.local(DEFAULT_TENANT) is not None
