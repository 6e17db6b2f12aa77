"""Tenant leases in Redis: one holder at a time, renewed while held, taken over only from the
holder a replica found silent, and writes fenced on the lease."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from standin._core.cluster import keys
from standin._core.cluster.lease import Leases
from standin._core.cluster.scripts import WRITE


@pytest.fixture
def store(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_a_free_lease_is_taken_by_the_first_replica_and_named_to_the_second(
    store: redis.Redis,
) -> None:
    first = Leases(store, "a", "http://a:1")
    second = Leases(store, "b", "http://b:1")
    taken = first.acquire("t-1")
    refused = second.acquire("t-1")
    assert (taken.replica, taken.url) == ("a", "http://a:1")
    assert refused == taken
    assert first.holds("t-1")
    assert not second.holds("t-1")
    assert store.get(keys.lease("t-1")) == taken.value.encode()
    assert 0 < store.pttl(keys.lease("t-1")) <= 5000


def test_each_lease_taken_gets_a_greater_fence(store: redis.Redis) -> None:
    leases = Leases(store, "a", "http://a:1")
    fences = [leases.acquire(f"t-{n}").fence for n in range(3)]
    assert fences == sorted(fences)
    assert len(set(fences)) == 3


def test_a_lease_is_taken_over_only_from_the_holder_found_silent(store: redis.Redis) -> None:
    first = Leases(store, "a", "http://a:1")
    second = Leases(store, "b", "http://b:1")
    held = first.acquire("t-1")
    assert second.acquire("t-1", stale="a|http://a:1|0").replica == "a"  # not that holder
    taken = second.acquire("t-1", stale=held.value)
    assert taken.replica == "b"
    assert taken.fence > held.fence
    # The first finds out at its next renewal.
    assert first.renew_all() == ["t-1"]
    assert not first.holds("t-1")
    assert second.renew_all() == []


def test_a_released_lease_is_free_and_a_stranger_cannot_release_it(store: redis.Redis) -> None:
    first = Leases(store, "a", "http://a:1")
    second = Leases(store, "b", "http://b:1")
    first.acquire("t-1")
    second.release("t-1")  # holds nothing: nothing happens
    assert store.exists(keys.lease("t-1"))
    first.release("t-1")
    assert not store.exists(keys.lease("t-1"))
    assert second.acquire("t-1").replica == "b"


def test_a_write_lands_only_under_the_writers_lease(store: redis.Redis) -> None:
    write = store.register_script(WRITE)
    first = Leases(store, "a", "http://a:1")
    held = first.acquire("t-1")
    lease, tenant = keys.lease("t-1"), keys.tenant("t-1")
    assert write(keys=[lease, tenant], args=[held.value, 5000, held.fence, "state:x", b"1"]) == 1
    # Another replica took the tenant over: the old holder's write is refused.
    Leases(store, "b", "http://b:1").acquire("t-1", stale=held.value)
    assert write(keys=[lease, tenant], args=[held.value, 5000, held.fence, "state:x", b"2"]) == 0
    assert store.hget(tenant, "state:x") == b"1"


def test_a_lease_run_out_is_taken_again_by_a_write_only_if_its_fence_wrote_last(
    store: redis.Redis,
) -> None:
    write = store.register_script(WRITE)
    lease, tenant = keys.lease("t-1"), keys.tenant("t-1")
    held = Leases(store, "a", "http://a:1").acquire("t-1")
    assert write(keys=[lease, tenant], args=[held.value, 5000, held.fence, "state:x", b"1"]) == 1
    store.delete(lease)  # ran out, nobody took it
    assert write(keys=[lease, tenant], args=[held.value, 5000, held.fence, "state:x", b"2"]) == 1
    assert store.get(lease) == held.value.encode()
    # Someone held it and wrote meanwhile, then let it run out: the old writer is refused.
    store.delete(lease)
    other = Leases(store, "b", "http://b:1").acquire("t-1")
    assert write(keys=[lease, tenant], args=[other.value, 5000, other.fence, "state:x", b"3"]) == 1
    store.delete(lease)
    assert write(keys=[lease, tenant], args=[held.value, 5000, held.fence, "state:x", b"4"]) == 0
    assert store.hget(tenant, "state:x") == b"3"
