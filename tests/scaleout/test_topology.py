"""The topology itself, with or without one shared sandbox: HAProxy round-robins over the
replicas, its health checks on ``/_sandbox/health`` take a SIGKILLed replica out (its clients'
requests go to the others meanwhile) and let one started again back in."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from bench.haproxy import SERVED_BY
from tests.scaleout.topology import Topology

Make = Callable[[int], AbstractContextManager[Topology]]


def test_the_balancer_hands_requests_to_every_replica_in_turn(scaleout: Topology) -> None:
    names = [r.name for r in scaleout.replicas]
    with httpx.Client(base_url=scaleout.url) as client:
        served = [client.get("/_sandbox/health").headers[SERVED_BY] for _ in range(3 * len(names))]
    assert Counter(served) == dict.fromkeys(names, 3)
    assert all(served[n] != served[n + 1] for n in range(len(served) - 1))


def test_a_killed_replica_is_taken_out_and_one_started_again_comes_back(
    fresh_topology: Make,
) -> None:
    with fresh_topology(2) as topology:
        failures: list[str] = []
        served: Counter[str] = Counter()
        stop = threading.Event()

        def poll() -> None:
            with httpx.Client(base_url=topology.url, timeout=10) as client:
                while not stop.is_set():
                    try:
                        answer = client.get("/_sandbox/health")
                    except httpx.HTTPError as problem:
                        failures.append(repr(problem))
                        continue
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
                    served[answer.headers.get(SERVED_BY, "")] += 1

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            topology.kill("r1")
            assert topology.balancer.server_states() == {"r1": "DOWN", "r2": "UP"}
            before = served["r2"]
            served.clear()
            topology.start("r1")
            assert topology.balancer.server_states() == {"r1": "UP", "r2": "UP"}
            while served["r1"] < 3:
                threading.Event().wait(0.01)
        finally:
            stop.set()
            poller.join(timeout=10)
        # Connections refused by the dead replica were retried on the live one.
        assert failures == []
        assert before > 0
