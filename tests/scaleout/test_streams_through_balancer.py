"""Metasys event streams through the balancer: the stream and the commands reach different
replicas, and a stream the balancer drops resumes on another replica (``Last-Event-Id``) with
no event lost and none repeated, through the reference client's own reconnection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scaleout.metasys_support import (
    ServedBy,
    another_value,
    ids_after,
    watched_setpoint,
)
from tests.scaleout.topology import Topology


@pytest.fixture
def topology(scaleout: Topology) -> Iterator[Topology]:
    """The session's topology, every replica back in the balancer afterwards."""
    yield scaleout
    for replica in scaleout.replicas:
        scaleout.balancer.admin(f"enable server replicas/{replica.name}")
    scaleout.wait_all_up()


def test_a_stream_on_one_replica_gets_the_updates_of_commands_sent_to_the_others(
    topology: Topology,
) -> None:
    served_by = ServedBy()
    with watched_setpoint(topology, served_by) as watched:
        current = next(watched.events).value
        wanted = []
        for _ in range(len(topology.replicas)):  # round-robin: one command per replica
            current = another_value(current)
            wanted.append(current)
            watched.commander.adjust(watched.point, current)
        assert [next(watched.events).value for _ in wanted] == wanted
        assert watched.stream.reconnects == 0
    [holder] = served_by.of("GET", "/stream")
    assert holder in {r.name for r in topology.replicas}


def test_a_stream_the_balancer_drops_resumes_on_another_replica_losing_and_repeating_nothing(
    topology: Topology,
) -> None:
    served_by = ServedBy()
    with watched_setpoint(topology, served_by) as watched:
        stream = watched.stream
        first = next(watched.events)
        [holder] = served_by.of("GET", "/stream")
        # The holder leaves the balancer (maintenance) and its sessions are cut: the
        # client's connection drops as on a replica's restart.
        topology.balancer.admin(f"disable server replicas/{holder}")
        topology.balancer.admin(f"shutdown sessions server replicas/{holder}")
        values, received = watched.two_commands(first)
        assert [e.value for e in received if e.name == "object.values.update"] == values
        assert stream.stream_id is not None
        assert [e.id for e in received] == ids_after(stream.stream_id, first, len(received))
        assert (stream.reconnects, stream.restarts) == (1, 0)
    resumed = served_by.of("GET", "/stream")[1:]
    assert resumed
    assert holder not in resumed
