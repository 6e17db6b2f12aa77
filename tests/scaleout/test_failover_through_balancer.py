"""Failures of a deployment, for real: a replica SIGKILLed under a mixed write load, a stream
held on a killed replica, Redis killed and restarted, Redis stopped and started again. Each
test runs a topology of its own (Redis, replicas, HAProxy) that it can break."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from tests.scaleout.load import WriteLoad, missing_writes
from tests.scaleout.metasys_support import (
    ZONE_SETPOINT,
    ServedBy,
    another_value,
    metasys_client,
    updates_after,
)
from tests.scaleout.topology import Topology

Make = Callable[[int], AbstractContextManager[Topology]]
WRITES = 45
"""Writes per writer (three writers): bounded, so the test stays a few seconds long."""
LOAD_SECONDS = 45.0


def test_a_replica_killed_under_write_load_loses_no_acknowledged_write(
    fresh_topology: Make,
) -> None:
    """What a client sees when the replica serving its tenant is SIGKILLed (docs/deploy.md,
    Failures): a write in flight on it while it died may fail, as a lost answer (502, or the
    connection closed without one), and may or may not have been applied, once; every write
    sent once it is gone is acknowledged, and every acknowledged write is kept."""
    with fresh_topology(3) as topology:
        load = WriteLoad(topology)
        try:
            threads = load.start(WRITES, LOAD_SECONDS)
            load.wait_for(WRITES // 4)
            # The replica serving the tenant the load writes to.
            holder = topology.holder("default")
            killed_at = time.monotonic()
            # Returns once the process is gone: its sockets were closed as it died.
            topology.replica(holder).kill()
            gone_at = time.monotonic()
            topology.balancer.wait_for({holder: "DOWN"})
            for thread in threads:
                thread.join(timeout=LOAD_SECONDS + 15)
            assert all(len(w.attempts) == WRITES for w in load.writers)
            # The kill came mid-load: every writer went on writing after it.
            assert all(w.attempts[-1].started > gone_at for w in load.writers)
            assert topology.holder("default") != holder
            failures = [
                f"{w.name} #{n} +{(a.started - killed_at) * 1000:.0f}..+"
                f"{(a.ended - killed_at) * 1000:.0f} ms (gone at +"
                f"{(gone_at - killed_at) * 1000:.0f} ms): {a.failure}"
                for w in load.writers
                for n, a in w.failures()
            ]
            # Only a write in flight while the holder was dying may have failed (with its
            # listening socket still open, a dying process takes connections it never answers),
            assert [f for w in load.writers for f in w.failed_outside(killed_at, gone_at)] == []
            # each as a lost answer, never a vendor's refusal (a write served again after it was
            # applied answered 400).
            assert all(a.lost for w in load.writers for _, a in w.failures()), failures
            assert missing_writes(load, reads_each=1) == []
            # A replica started again joins and answers the same.
            topology.start(holder)
            assert missing_writes(load, reads_each=1) == []
        finally:
            load.close()


def test_a_stream_held_on_a_killed_replica_resumes_elsewhere_losing_and_repeating_nothing(
    fresh_topology: Make,
) -> None:
    with fresh_topology(3) as topology:
        served_by = ServedBy()
        with metasys_client(topology, served_by) as client, metasys_client(topology) as other:
            point = client.object_id(ZONE_SETPOINT)
            with client.stream(backoff=0.2) as stream:
                stream.subscribe_value(point)
                events = stream.events()
                first = next(events)
                # The stream is held where its tenant is served, whichever replica HAProxy
                # handed the GET to (that one may only relay it).
                holder = topology.holder("default")
                topology.kill(holder)
                # Commanded before the stream's client comes back (it reconnects when read):
                # the replica that takes the tenant over must take its streams along.
                values = [another_value(first.value)]
                values.append(another_value(values[0]))
                for value in values:
                    other.adjust(point, value)
                received = updates_after(events, 2)
                number = int(first.id.rsplit(":", 1)[1])
                updates = [e.value for e in received if e.name == "object.values.update"]
                assert updates == values
                # Every event after the first, each once: numbered on without a gap.
                assert [e.id for e in received] == [
                    f"{stream.stream_id}:{number + n}" for n in range(1, len(received) + 1)
                ]
                assert (stream.reconnects, stream.restarts) == (1, 0)
        resumed = served_by.of("GET", "/stream")[1:]
        assert resumed
        assert holder not in resumed
        assert topology.holder("default") != holder


def test_redis_killed_and_restarted_with_every_replica_loses_nothing_acknowledged(
    fresh_topology: Make,
) -> None:
    """appendfsync always: what Redis acknowledged is on disk; the replicas are killed too, so
    what is read afterwards can only come from Redis."""
    with fresh_topology(2) as topology:
        load = WriteLoad(topology)
        try:
            for thread in load.start(10, LOAD_SECONDS):  # 30 writes
                thread.join(timeout=LOAD_SECONDS + 15)
            assert all(len(w.acknowledged) == 10 for w in load.writers)
            topology.redis.stop(kill=True)
            for replica in topology.replicas:
                replica.kill()
            topology.redis.start()
            for replica in topology.replicas:
                replica.start()
            topology.wait_all_up()
            assert missing_writes(load, reads_each=2) == []
        finally:
            load.close()


def test_with_redis_stopped_replicas_answer_503_and_recover_by_themselves(
    fresh_topology: Make,
) -> None:
    with fresh_topology(2) as topology:
        url = topology.url
        assert httpx.post(f"{url}/_sandbox/tenants", timeout=10).status_code == 201
        topology.redis.stop()
        unreachable = {
            "error": "sandbox storage unavailable",
            "detail": f"Redis at {topology.redis.url} is unreachable (ConnectionError); retrying",
        }
        for replica in topology.replicas:
            # A write needs Redis: it is kept there before it is acknowledged.
            answer = httpx.post(f"{replica.url}/_sandbox/tenants", timeout=10)
            assert (answer.status_code, answer.json()) == (503, unreachable)
            assert answer.headers["retry-after"] == "1"
            health = httpx.get(f"{replica.url}/_sandbox/health", timeout=10)
            assert (health.status_code, health.json()["redis"]) == (503, "unreachable")
        # The health checks fail, so the balancer takes every replica out.
        topology.balancer.wait_for({r.name: "DOWN" for r in topology.replicas})
        assert httpx.post(f"{url}/_sandbox/tenants", timeout=10).status_code == 503
        topology.redis.start()
        # No replica restarted: they answer again once Redis does.
        topology.wait_all_up()
        for replica in topology.replicas:
            assert httpx.post(f"{replica.url}/_sandbox/tenants", timeout=10).status_code == 201
        assert httpx.post(f"{url}/_sandbox/tenants", timeout=10).status_code == 201
