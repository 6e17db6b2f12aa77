"""A change reaches only the subscribers of what changed, on its own tenant: subscriptions are
indexed (object and attribute, tenant, diagram), so a publish never walks the other streams.

What a change looks at is counted (``Streams.reached``, ``DiagramStreams.reached``); what it
sends is read from the hub (each stream's last event id)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from standin import Sandbox
from standin._core.tenants import Tenant
from standin.metasys.activities import activity_query
from standin.metasys.api import MetasysApi
from standin.metasys.state.model import Command
from standin.metasys.state.site import MetasysState
from standin.metasys.streaming import Streams
from tests.metasys.conftest import ZONE_SETPOINT, ZONE_TEMPERATURE

CONTROL = "ADS1:ADS1/Programming.SA-RESET"
OAT_SP = "ADS1:ADS1/Programming.OAT-SP"
"""A point SA-RESET's diagram reads."""


def site(sandbox: Sandbox, tenant: Tenant) -> MetasysState:
    state: MetasysState = sandbox.vendor(MetasysApi).state(tenant)
    return state


def command(state: MetasysState, reference: str, value: float) -> None:
    """Command the point's presentValue, as ``POST /_sandbox/metasys/objects/{id}/value``."""
    obj = state.tree.find(reference)
    assert obj is not None
    previous = state.effective(obj)
    obj.priority_array[16] = Command(value)
    state.record_change(obj, state.clock.time(), previous)


def subscribe(streams: Streams, state: MetasysState, stream_id: str, owner: str, ref: str) -> str:
    obj = state.tree.find(ref)
    assert obj is not None
    current: dict[str, Any] = {
        "item": {"presentValue": 1.0, "id": obj.id, "itemReference": ref},
        "condition": {},
    }
    return streams.subscribe_object(state, stream_id, owner, [(obj.id, "presentValue", current)])


def last_event(streams: Streams, stream_id: str) -> str | None:
    info = streams.hub.info(stream_id)
    assert info is not None
    return info.last_event_id


def open_stream(streams: Streams, tenant: Tenant, owner: str) -> str:
    return streams.open(owner, tenant.id, None)


def test_a_change_reaches_only_the_subscribers_of_that_point(sandbox: Sandbox) -> None:
    tenant = sandbox.tenants.default()
    state = site(sandbox, tenant)
    streams = sandbox.vendor(MetasysApi).streams
    elsewhere = [open_stream(streams, tenant, "me") for _ in range(50)]
    for stream_id in elsewhere:
        subscribe(streams, state, stream_id, "me", ZONE_TEMPERATURE)
    mine = open_stream(streams, tenant, "me")
    subscribe(streams, state, mine, "me", ZONE_SETPOINT)
    before = {s: last_event(streams, s) for s in elsewhere}
    reached = streams.reached
    command(state, ZONE_SETPOINT, 66.0)
    assert streams.reached - reached == 1
    assert last_event(streams, mine) == f"{mine}:3"  # hello, current value, the change
    assert {s: last_event(streams, s) for s in elsewhere} == before


def test_a_change_on_one_tenant_never_reaches_another_tenants_subscribers_of_the_same_point(
    sandbox: Sandbox,
) -> None:
    default, other = sandbox.tenants.default(), sandbox.create_tenant()
    streams = sandbox.vendor(MetasysApi).streams
    mine = open_stream(streams, default, "me")
    theirs = open_stream(streams, other, "them")
    subscribe(streams, site(sandbox, default), mine, "me", ZONE_SETPOINT)
    subscribe(streams, site(sandbox, other), theirs, "them", ZONE_SETPOINT)
    reached = streams.reached
    command(site(sandbox, default), ZONE_SETPOINT, 66.0)
    assert streams.reached - reached == 1
    assert (last_event(streams, mine), last_event(streams, theirs)) == (
        f"{mine}:3",
        f"{theirs}:2",
    )


def test_an_activity_is_matched_against_its_own_tenants_subscriptions_only(
    sandbox: Sandbox,
) -> None:
    default, other = sandbox.tenants.default(), sandbox.create_tenant()
    streams = sandbox.vendor(MetasysApi).streams
    alarms = activity_query(QueryParams("activityType=alarm"))
    opened: dict[str, list[str]] = {}
    for tenant, owner, count in ((default, "me", 1), (other, "them", 20)):
        state = site(sandbox, tenant)
        user = state.user(str(sandbox.credentials(tenant.id)["metasys"]["username"]))
        assert user is not None
        opened[owner] = [open_stream(streams, tenant, owner) for _ in range(count)]
        for stream_id in opened[owner]:
            streams.subscribe_activities(state, stream_id, owner, alarms, "http://x/api/v4", user)
    theirs = {s: last_event(streams, s) for s in opened["them"]}
    reached = streams.reached
    state = site(sandbox, default)
    point = state.tree.find(ZONE_SETPOINT)
    assert point is not None
    state.raise_alarm(point, "alarmValueEnumSet.avHiAlarm", 50, True, 90.0)
    assert streams.reached - reached == 1
    [mine] = opened["me"]
    assert last_event(streams, mine) == f"{mine}:2"
    assert {s: last_event(streams, s) for s in opened["them"]} == theirs


def test_a_closed_streams_subscriptions_are_no_longer_looked_at(sandbox: Sandbox) -> None:
    tenant = sandbox.tenants.default()
    state = site(sandbox, tenant)
    streams = sandbox.vendor(MetasysApi).streams
    alarms = activity_query(QueryParams("activityType=alarm"))
    user = state.user(str(sandbox.credentials()["metasys"]["username"]))
    assert user is not None
    gone = open_stream(streams, tenant, "me")
    subscribe(streams, state, gone, "me", ZONE_SETPOINT)
    streams.subscribe_activities(state, gone, "me", alarms, "http://x/api/v4", user)
    assert streams.hub.close(gone)
    reached = streams.reached
    command(state, ZONE_SETPOINT, 95.0)  # past the setpoint's limit: a change and an alarm
    assert streams.reached == reached


def test_a_change_reaches_only_the_diagram_subscribers_of_controls_that_show_it(
    sandbox: Sandbox,
) -> None:
    default, other = sandbox.tenants.default(), sandbox.create_tenant()
    api = sandbox.vendor(MetasysApi)
    streams, diagrams = api.streams, api.diagram_streams
    opened: dict[str, list[str]] = {}
    for tenant, owner, count in ((default, "me", 1), (other, "them", 20)):
        state = site(sandbox, tenant)
        control = state.tree.find(CONTROL)
        assert control is not None
        opened[owner] = [open_stream(streams, tenant, owner) for _ in range(count)]
        for stream_id in opened[owner]:
            diagrams.subscribe(state, stream_id, owner, control.id)
    theirs = {s: last_event(streams, s) for s in opened["them"]}
    [mine] = opened["me"]
    sent = last_event(streams, mine)
    reached = diagrams.reached
    command(site(sandbox, default), ZONE_SETPOINT, 66.0)  # not on the diagram
    assert (diagrams.reached, last_event(streams, mine)) == (reached, sent)
    command(site(sandbox, default), OAT_SP, 81.0)
    assert diagrams.reached - reached == 1
    assert last_event(streams, mine) != sent
    assert {s: last_event(streams, s) for s in opened["them"]} == theirs
    streams.hub.close(mine)
    command(site(sandbox, default), OAT_SP, 82.0)
    assert diagrams.reached - reached == 1
