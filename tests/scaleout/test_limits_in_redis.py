"""Rate limits counted in Redis (``standin._core.cluster.limits``): the same decisions and
headers as the in-memory limiters, exact across replicas, settings seen by every replica, each
tenant's counters its own and forgotten with it, and concurrency places that a killed replica
does not hold for ever."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import redis
from hypothesis import example, given
from hypothesis import strategies as st

from bench.servers import free_port
from standin import Sandbox, build_app, create_sandbox
from standin._core.clock import Clock
from standin._core.cluster.connection import connect
from standin._core.cluster.limits import RedisLimits, _RedisLimiter
from standin._core.cluster.signals import StorageUnavailable
from standin._core.ratelimit import (
    KeyUsage,
    LimiterKind,
    LimiterSpec,
    LimitRegistry,
    RateDecision,
    RateLimiter,
)
from tests.atmotube.conftest import OFFICE
from tests.conftest import bridged_client
from tests.redis_support import RedisServer
from tests.scaleout.replicas import replica
from tests.test_tenants_across_vendors import EVERY_VENDOR, Vendor, _read

T0 = 1_700_000_020.0
"""40 s into a clock minute."""
SPECS: dict[LimiterKind, LimiterSpec] = {
    "fixed_window": LimiterSpec("requests", "fixed_window", 3, "per key per minute"),
    "rolling_window": LimiterSpec("requests", "rolling_window", 3, "any 60 s", 60.0),
    "concurrency": LimiterSpec("concurrency", "concurrency", 2, "in flight"),
}
TENANTS = itertools.count(1)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def store(client: redis.Redis, redis_url: str) -> Iterator[RedisLimits]:
    limits = RedisLimits(client, redis_url)
    try:
        yield limits
    finally:
        limits.close()


@pytest.fixture
def replicas(redis_url: str) -> Iterator[tuple[RedisLimits, RedisLimits]]:
    """Two stores on two clients (two connection pools), as two replicas have."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    stores = [RedisLimits(c, redis_url) for c in clients]
    try:
        yield stores[0], stores[1]
    finally:
        for s, c in zip(stores, clients, strict=True):
            s.close()
            c.close()


# --- the same decisions as in memory ------------------------------------------------------------

seconds = st.floats(min_value=-90, max_value=150, allow_nan=False, allow_infinity=False)
settings_changes = st.one_of(
    st.fixed_dictionaries({"limit": st.integers(1, 5)}),
    st.fixed_dictionaries({"enabled": st.booleans()}),
    st.fixed_dictionaries({"window_seconds": st.sampled_from([0.5, 1, 7.25, 30, 60, 61.3])}),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.sampled_from(["a", "b"])),
        st.tuples(st.just("acquire"), st.sampled_from(["a", "b"])),
        st.tuples(st.just("release"), st.sampled_from(["a", "b"])),
        st.tuples(st.just("advance"), seconds),
        st.tuples(st.just("real"), st.none()),
        st.tuples(st.just("configure"), settings_changes),
        st.tuples(st.just("reset"), st.none()),
    ),
    max_size=40,
)


def _move(clock: Clock, step: tuple[str, Any]) -> bool:
    """Apply ``step`` to the clock if it is a clock step; whether it was."""
    action, argument = step
    if action == "advance":
        clock.advance(argument)
    elif action == "real":
        clock.real()
    else:
        return False
    return True


def _drive(limiter: RateLimiter, step: tuple[str, Any]) -> Any:
    action, argument = step
    if action == "acquire":
        return limiter.acquire(argument)
    if action == "release":
        return limiter.release(argument)
    if action == "reset":
        return limiter.reset()
    if limiter.kind == "concurrency":
        argument = {k: v for k, v in argument.items() if k != "window_seconds"}
    return limiter.configure(argument)


A = ("acquire", "a")
CLOCK_WENT_BACK = [("advance", 3000.0), A, A, A, A, ("real", None), A, A]
"""Arrivals made while the clock stood ahead have not happened once it is back."""
ACROSS_A_BOUNDARY = [A, A, A, A, ("advance", 19.9), A, ("advance", 0.1), A, ("advance", 59.999), A]
CHANGED_MID_WINDOW = [A, A, ("configure", {"limit": 1}), A, ("configure", {"enabled": False}), A]
CHANGED_WINDOW = [A, A, A, ("configure", {"window_seconds": 7.25}), A, ("advance", 7.25), A]
IN_FLIGHT = [A, A, A, ("release", "a"), A, ("reset", None), A, ("release", "a"), ("release", "b")]


@pytest.mark.parametrize("kind", list(SPECS))
@given(sequence=steps)
@example(sequence=CLOCK_WENT_BACK)
@example(sequence=ACROSS_A_BOUNDARY)
@example(sequence=CHANGED_MID_WINDOW)
@example(sequence=CHANGED_WINDOW)
@example(sequence=IN_FLIGHT)
def test_redis_limiters_decide_exactly_as_the_in_memory_ones_on_the_same_clock(
    redis_server: RedisServer, kind: LimiterKind, sequence: list[tuple[str, Any]]
) -> None:
    """Every decision (allowed, limit, remaining, retry_after, reset_at: the figures the vendors'
    headers are made of), every description, every count in flight and the usage the control
    plane shows are equal, float for float, while the tenant clock moves forward and back and
    the settings change."""
    spec = SPECS[kind]
    connection = redis.Redis.from_url(redis_server.url)
    store = RedisLimits(connection, redis_server.url)
    try:
        clock = Clock(lambda: T0)  # stands still but for the steps that move it
        in_memory = spec.build(clock)
        in_redis = store.limiter(f"t-{next(TENANTS)}", "echo", spec, clock)
        for step in sequence:
            if _move(clock, step):
                continue
            expected = _drive(in_memory, step)
            assert _drive(in_redis, step) == expected, step
            assert in_redis.describe() == in_memory.describe()
            assert _usage(in_redis, clock) == _usage(in_memory, clock)
            if kind == "concurrency":
                for key in ("a", "b"):
                    assert _in_flight(in_redis, key) == _in_flight(in_memory, key)
    finally:
        store.close()
        connection.close()


def _usage(limiter: RateLimiter, clock: Clock) -> list[KeyUsage]:
    return sorted(limiter.usage(clock.time()), key=lambda usage: usage.key)


def _in_flight(limiter: RateLimiter, key: str) -> int:
    count: int = getattr(limiter, "in_flight")(key)  # noqa: B009 - concurrency limiters only
    return count


@pytest.mark.parametrize(
    ("kind", "advance", "expected"),
    [
        ("fixed_window", 0.0, "20"),  # 40 s into the minute: the next one starts in 20 s
        ("fixed_window", 19.25, "1"),  # 0.75 s left: never "0"
        ("rolling_window", 0.0, "60"),
        ("rolling_window", 59.5, "1"),
    ],
)
def test_a_refusal_says_the_same_retry_after_as_in_memory(
    store: RedisLimits, kind: LimiterKind, advance: float, expected: str
) -> None:
    clock = Clock(lambda: T0)
    limiter = store.limiter("t-retry", "echo", SPECS[kind], clock)
    assert [limiter.acquire("k").allowed for _ in range(3)] == [True, True, True]
    clock.advance(advance)
    refused = limiter.acquire("k")
    assert refused.allowed is False
    assert refused.retry_after_header() == expected


# --- exact across replicas ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fixed_window", "rolling_window"])
def test_two_replicas_hammering_one_key_together_admit_exactly_the_limit(
    replicas: tuple[RedisLimits, RedisLimits], kind: LimiterKind
) -> None:
    clock = Clock(lambda: T0)
    spec = LimiterSpec("requests", kind, 60, "per key")
    limiters = [r.limiter("t-shared", "echo", spec, clock) for r in replicas]
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda n: limiters[n % 2].acquire("k"), range(200)))
    admitted = [d for d in decisions if d.allowed]
    assert len(admitted) == 60
    # Each admission counted once: the places left run 59 down to 0, each exactly once.
    assert sorted(d.remaining for d in admitted) == list(range(60))
    assert all(not d.allowed and d.remaining == 0 for d in decisions if d not in admitted)


def test_two_replicas_together_hold_no_more_places_in_flight_than_the_limit(
    replicas: tuple[RedisLimits, RedisLimits],
) -> None:
    spec = LimiterSpec("concurrency", "concurrency", 3, "in flight")
    limiters = [r.limiter("t-shared", "locus", spec, Clock()) for r in replicas]
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda n: (n % 2, limiters[n % 2].acquire("c")), range(40)))
    holders = [n for n, d in decisions if d.allowed]
    assert len(holders) == 3
    assert _in_flight(limiters[0], "c") == _in_flight(limiters[1], "c") == 3
    for n in holders:
        limiters[n].release("c")
    assert _in_flight(limiters[1], "c") == 0
    assert limiters[1].acquire("c").allowed


def test_a_limit_changed_on_one_replica_applies_on_the_other(
    replicas: tuple[RedisLimits, RedisLimits],
) -> None:
    clock = Clock(lambda: T0)
    specs = {"atmotube": (LimiterSpec("requests", "fixed_window", 60, "per key"),)}
    one, other = (
        LimitRegistry.from_specs(specs, clock, store=r, tenant_id="t-x") for r in replicas
    )
    one.configure({"atmotube": {"requests": {"limit": 2}}})
    assert other.describe() == one.describe()
    assert other.describe()["atmotube"]["requests"]["limit"] == 2
    limiter = other.get("atmotube", "requests")
    assert [limiter.acquire("k").allowed for _ in range(3)] == [True, True, False]
    one.configure({"atmotube": {"requests": {"enabled": False}}})
    assert limiter.acquire("k").allowed


def test_a_refused_change_changes_nothing_on_any_replica(
    replicas: tuple[RedisLimits, RedisLimits],
) -> None:
    clock = Clock(lambda: T0)
    specs = {"atmotube": (LimiterSpec("requests", "fixed_window", 60, "per key"),)}
    one, other = (
        LimitRegistry.from_specs(specs, clock, store=r, tenant_id="t-x") for r in replicas
    )
    before = other.describe()
    with pytest.raises(ValueError, match="unknown setting"):
        one.configure({"atmotube": {"requests": {"limit": 7, "colour": "red"}}})
    assert other.describe() == before


# --- per tenant, forgotten with the tenant ------------------------------------------------------


def _tenant_keys(client: redis.Redis, tenant_id: str) -> list[bytes]:
    return sorted(client.keys(f"standin:limits:{{{tenant_id}}}:*"))


def test_each_tenant_counts_apart_and_a_reset_forgets_counts_but_not_settings(
    client: redis.Redis, store: RedisLimits
) -> None:
    sandbox = create_sandbox(["atmotube", "locus"], limit_store=store)
    tenant = sandbox.create_tenant()
    key = tenant.credentials["atmotube"]["api_key"]
    sandbox.tenant(tenant.id).limits.configure({"atmotube": {"requests": {"limit": 1}}})
    assert sandbox.tenant(tenant.id).limits.get("atmotube", "requests").acquire(key).allowed
    assert not sandbox.tenant(tenant.id).limits.get("atmotube", "requests").acquire(key).allowed
    # The default tenant's counter for the same key name is another one.
    assert sandbox.limits.get("atmotube", "requests").acquire(key).allowed
    assert sandbox.reset(tenant.id) == [tenant.id]
    limiter = sandbox.tenant(tenant.id).limits.get("atmotube", "requests")
    assert limiter.describe()["limit"] == 1
    assert limiter.acquire(key).allowed
    assert not limiter.acquire(key).allowed


def test_a_removed_tenant_leaves_no_counter_or_setting_in_redis(
    client: redis.Redis, store: RedisLimits
) -> None:
    sandbox = create_sandbox(["atmotube", "atrius", "locus"], limit_store=store)
    tenant = sandbox.create_tenant()
    limits = sandbox.tenant(tenant.id).limits
    limits.configure({"atrius": {"requests": {"limit": 5}}})
    limits.get("atmotube", "requests").acquire("k")
    limits.get("atrius", "requests").acquire("k")
    limits.get("locus", "concurrency").acquire("k")
    assert len(_tenant_keys(client, tenant.id)) == 7  # see the module docstring's key list
    sandbox.limits.get("atmotube", "requests").acquire("k")
    assert sandbox.remove_tenant(tenant.id)
    assert _tenant_keys(client, tenant.id) == []
    assert _tenant_keys(client, "default") != []
    assert not [key for key in store.places.held() if tenant.id in key]


# --- through the vendors, on two replicas -------------------------------------------------------


def _replica(
    clock: Clock, redis_url: str, apis: list[str] | None = None
) -> tuple[Sandbox, RedisLimits]:
    store = RedisLimits(redis.Redis.from_url(redis_url), redis_url)
    sandbox = create_sandbox(apis or ["atmotube", "metasys"], clock=clock, limit_store=store)
    return sandbox, store


@pytest.fixture
def two_replicas(clock: Clock, redis_url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two sandboxes sharing their limits in Redis, on one tenant clock (the default tenant's:
    several replicas keep it in Redis), each with its own app and client."""
    (a, store_a), (b, store_b) = _replica(clock, redis_url), _replica(clock, redis_url)
    with bridged_client(build_app(a)) as client_a, bridged_client(build_app(b)) as client_b:
        yield client_a, client_b
    for store in (store_a, store_b):
        store.close()
        store.client.close()


def test_atmotubes_60_a_minute_are_60_across_two_replicas_with_the_same_refusal(
    two_replicas: tuple[httpx.Client, httpx.Client], sandbox: Sandbox, clock: Clock
) -> None:
    api_key = sandbox.credentials()["atmotube"]["api_key"]
    params = {"api_key": api_key, "mac": OFFICE, "limit": 1}
    answers = [two_replicas[n % 2].get("/atmotube/api/v1/data", params=params) for n in range(61)]
    assert [r.status_code for r in answers] == [200] * 60 + [429]
    for refused in (answers[-1], two_replicas[1].get("/atmotube/api/v1/data", params=params)):
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "30"  # the clock is at hh:mm:30
        assert refused.json() == {
            "status": 429,
            "message": "Rate limit exceeded: 60 requests per minute. Retry after 30 s.",
        }
    clock.advance(30)
    assert two_replicas[1].get("/atmotube/api/v1/data", params=params).status_code == 200


def test_a_limit_patched_through_one_replica_is_what_the_other_shows_and_applies(
    two_replicas: tuple[httpx.Client, httpx.Client], sandbox: Sandbox
) -> None:
    a, b = two_replicas
    patched = a.patch("/_sandbox/limits", json={"atmotube": {"requests": {"limit": 2}}})
    assert patched.status_code == 200
    assert b.get("/_sandbox/limits").json() == patched.json()
    params = {"api_key": sandbox.credentials()["atmotube"]["api_key"], "mac": OFFICE}
    statuses = [c.get("/atmotube/api/v1/data", params=params).status_code for c in (a, b, a)]
    assert statuses == [200, 200, 429]
    off = b.patch("/_sandbox/limits", json={"atmotube": {"requests": {"enabled": False}}})
    assert off.json()["atmotube"]["requests"]["enabled"] is False
    assert a.get("/atmotube/api/v1/data", params=params).status_code == 200


@pytest.mark.parametrize("vendor", EVERY_VENDOR, ids=[v.api for v in EVERY_VENDOR])
def test_every_vendors_limit_is_one_limit_across_two_sandboxes_sharing_redis(
    clock: Clock, redis_url: str, vendor: Vendor
) -> None:
    """Atmotube per key, Metasys per user (fixed windows), Atrius and BuildingMinds per client
    (rolling windows), Locus one request in flight per client: each caller's limit is counted
    once for both sandboxes, whichever answers."""
    (a, store_a), (b, store_b) = (
        _replica(clock, redis_url, [vendor.api]),
        _replica(clock, redis_url, [vendor.api]),
    )
    try:
        with bridged_client(build_app(a)) as client_a, bridged_client(build_app(b)) as client_b:
            read_a = _read(client_a, vendor, a, None)
            read_b = _read(client_b, vendor, b, None)
            limiter = a.limits.get(vendor.api, next(iter(a.limits.describe()[vendor.api])))
            if limiter.kind == "concurrency":
                # A request in flight on A (its place taken as the seam takes it) ...
                caller = a.credentials()[vendor.api]["client_id"]
                assert limiter.acquire(caller).allowed
                assert read_b().status_code == 429
                limiter.release(caller)  # ... and done.
                assert read_b().status_code == 200
            else:
                change = {vendor.api: {limiter_name(a, vendor.api): {"limit": 2}}}
                assert client_a.patch("/_sandbox/limits", json=change).status_code == 200
                assert [read_a().status_code, read_b().status_code] == [200, 200]
                refusals = [read_a(), read_b()]
                assert {r.status_code for r in refusals} <= {403, 429}
                assert refusals[0].status_code == refusals[1].status_code
                assert refusals[0].text == refusals[1].text
                assert refusals[0].headers.get("retry-after") == refusals[1].headers.get(
                    "retry-after"
                )
    finally:
        for store in (store_a, store_b):
            store.close()
            store.client.close()


def limiter_name(sandbox: Sandbox, api: str) -> str:
    return next(iter(sandbox.limits.describe()[api]))


# --- a killed replica's places ------------------------------------------------------------------

HOLDER = """
import sys, time, redis
from standin._core.clock import Clock
from standin._core.cluster.connection import connect
from standin._core.cluster.limits import RedisLimits, _RedisLimiter
from standin._core.cluster.signals import StorageUnavailable
from standin._core.ratelimit import LimiterSpec
url, lease = sys.argv[1], float(sys.argv[2])
store = RedisLimits(redis.Redis.from_url(url), url, lease_seconds=lease)
spec = LimiterSpec("concurrency", "concurrency", 1, "one in flight")
decision = store.limiter("t-kill", "locus", spec, Clock()).acquire("client")
print("held" if decision.allowed else "refused", flush=True)
time.sleep(600)
"""


def test_a_place_held_by_a_killed_replica_is_free_once_its_lease_runs_out(
    client: redis.Redis, store: RedisLimits, redis_url: str
) -> None:
    lease = 1.5
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url, str(lease)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        spec = LimiterSpec("concurrency", "concurrency", 1, "one in flight")
        limiter = store.limiter("t-kill", "locus", spec, Clock())
        # Alive, the holder renews its lease: its place outlasts several leases.
        renewed_until = time.monotonic() + 2.5 * lease
        while time.monotonic() < renewed_until:
            refused = limiter.acquire("client")
            assert refused.allowed is False
            assert refused.retry_after_header() == "1"
            time.sleep(0.25)
        holder.kill()
        holder.wait(timeout=10)
        # Killed, it renews nothing: the place is free when the lease runs out.
        freed_by = time.monotonic() + lease + 5
        while not limiter.acquire("client").allowed:
            assert time.monotonic() < freed_by, "the killed replica's place was never freed"
            time.sleep(0.1)
        assert _in_flight(limiter, "client") == 1
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


# --- served by `standin serve --redis` replicas --------------------------------------------------


def test_replicas_count_atmotubes_limit_in_redis_under_the_tenants_id(
    redis_url: str, client: redis.Redis
) -> None:
    with (
        replica(redis_url, ["atmotube"]) as first,
        replica(redis_url, ["atmotube"]) as second,
        first.client() as a,
        second.client() as b,
    ):
        assert isinstance(first.sandbox.limit_store, RedisLimits)
        api_key = a.get("/_sandbox/credentials").json()["atmotube"]["api_key"]
        patched = b.patch("/_sandbox/limits", json={"atmotube": {"requests": {"limit": 3}}})
        assert patched.status_code == 200
        params = {"api_key": api_key, "mac": OFFICE}
        statuses = [(a, b)[n % 2].get("/atmotube/api/v1/data", params=params) for n in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        assert statuses[-1].headers["retry-after"].isdigit()
        assert client.hgetall("standin:limits:{default}:atmotube:requests:settings") == {
            b"limit": b"3"
        }
        counts = client.hgetall("standin:limits:{default}:atmotube:requests:fixed")
        assert list(counts) == [api_key.encode()]
        assert counts[api_key.encode()].endswith(b":3")


def test_a_limiter_whose_redis_is_unreachable_answers_503_and_gives_back_quietly() -> None:
    gone = f"redis://127.0.0.1:{free_port()}/0"
    store = RedisLimits(connect(gone), gone)
    try:
        for spec in SPECS.values():
            limiter = store.limiter("t-gone", "echo", spec, Clock(lambda: T0))
            with pytest.raises(StorageUnavailable, match=r"Redis at redis://127\.0\.0\.1:\d+/0"):
                limiter.acquire("k")
            with pytest.raises(StorageUnavailable):
                limiter.describe()
            limiter.release("k")  # nothing held: nothing to give back, nothing raised
    finally:
        store.close()


async def _awaited(limiter: RateLimiter, key: str) -> RateDecision:
    """The decision the seam awaits from a Redis limiter."""
    assert isinstance(limiter, _RedisLimiter)
    return await limiter.acquire_async(key)


@pytest.mark.parametrize("kind", list(SPECS))
@pytest.mark.parametrize(
    "sequence", [CLOCK_WENT_BACK, ACROSS_A_BOUNDARY, CHANGED_MID_WINDOW, CHANGED_WINDOW, IN_FLIGHT]
)
def test_awaited_redis_decisions_are_the_in_memory_ones_too(
    store: RedisLimits, kind: LimiterKind, sequence: list[tuple[str, Any]]
) -> None:
    """The seam awaits a Redis limiter's decision (``acquire_async``: made in a worker thread,
    the event loop serves other requests meanwhile); it decides as the in-memory limiter does."""
    spec = SPECS[kind]
    clock = Clock(lambda: T0)
    in_memory = spec.build(clock)
    in_redis = store.limiter(f"t-{next(TENANTS)}", "echo", spec, clock)

    async def drive() -> None:
        for step in sequence:
            if _move(clock, step):
                continue
            expected = _drive(in_memory, step)
            if step[0] == "acquire":
                assert await _awaited(in_redis, step[1]) == expected, step
            else:
                assert _drive(in_redis, step) == expected, step
            assert _usage(in_redis, clock) == _usage(in_memory, clock)

    asyncio.run(drive())


def test_concurrent_requests_through_the_seam_admit_exactly_a_redis_limit(
    clock: Clock, redis_url: str
) -> None:
    """Many requests in flight on one event loop at once, each awaiting its Redis decision in
    the seam, admit exactly the limit, whatever order Redis runs them in."""
    sandbox, store = _replica(clock, redis_url, ["atmotube"])
    api_key = sandbox.credentials()["atmotube"]["api_key"]
    params = {"api_key": api_key, "mac": OFFICE, "limit": 1}

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=build_app(sandbox))
        async with httpx.AsyncClient(transport=transport, base_url="http://standin.test") as http:
            change = {"atmotube": {"requests": {"limit": 3}}}
            assert (await http.patch("/_sandbox/limits", json=change)).status_code == 200
            answers = await asyncio.gather(
                *(http.get("/atmotube/api/v1/data", params=params) for _ in range(12))
            )
        return [answer.status_code for answer in answers]

    try:
        statuses = asyncio.run(burst())
        assert sorted(statuses) == [200] * 3 + [429] * 9
        limiter = sandbox.limits.get("atmotube", "requests")
        assert limiter.usage(clock.time()) == [KeyUsage(api_key, 3, clock.time() + 30)]
    finally:
        store.close()
        store.client.close()
