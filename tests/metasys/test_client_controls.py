"""The Metasys client's controls and enumerations against the fake in-process and over a socket
(answers generated from the contract, documented errors included: tests/conformance)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from standin import Sandbox, build_app
from standin._core.liveserver import live_server
from standin.clients.metasys import MetasysClient, MetasysForbidden, MetasysNotFound
from standin.clients.metasys import MetasysValidationError as Invalid
from standin.clients.metasys_controls import (
    Connection,
    Diagram,
    Endpoint,
    MetasysDiagramRejected,
)
from standin.inprocess import standin
from standin.metasys.api import MetasysApi
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID
from tests.metasys import shared_sandbox
from tests.metasys.conftest import object_id
from tests.metasys.test_client import BASE_URL, make_client

# One sandbox for the module, reset before each test.
module_sandbox = shared_sandbox.module_sandbox
sandbox = shared_sandbox.sandbox

CONTROL = "ADS1:ADS1/Programming.SA-RESET"
PALETTE = f"{BASE_URL}/controls/palettes/{LCT_PALETTE_ID}"


@pytest.fixture
def metasys(sandbox: Sandbox) -> Iterator[MetasysClient]:
    with standin(sandbox), httpx.Client() as http:
        yield make_client(sandbox, http)


# --- against the fake --------------------------------------------------------------------------


def test_a_custom_enumeration_is_created_edited_replaced_and_deleted(
    metasys: MetasysClient,
) -> None:
    created = metasys.create_enumeration("Fan Modes", ["Off", "Low", "High"])
    assert (created.id, created.set_id, created.enum_type) == (
        "customEnumSet30001",
        30001,
        "custom",
    )
    assert created.is_custom
    assert [(m.id, m.member_id, m.title) for m in created.members] == [
        ("customEnumSet30001.state0", 0, "Off"),
        ("customEnumSet30001.state1", 1, "Low"),
        ("customEnumSet30001.state2", 2, "High"),
    ]
    edited = metasys.edit_enumeration(created.id, title="Fan Speeds", members={1: "Slow"})
    assert (edited.title, [m.title for m in edited.members]) == (
        "Fan Speeds",
        ["Off", "Slow", "High"],
    )
    assert metasys.get_enumeration(created.id) == edited
    assert metasys.enumeration(created.id) == {
        "customEnumSet30001.state0": "Off",
        "customEnumSet30001.state1": "Slow",
        "customEnumSet30001.state2": "High",
    }
    replaced = metasys.replace_enumeration(created.id, "Fan Speeds", ["A", "B", "C", "D"])
    assert replaced.members[3].title == "D"
    [listed] = metasys.enumerations("custom")
    assert (listed.id, listed.number_of_states) == (created.id, 4)
    metasys.delete_enumeration(created.id)
    assert metasys.enumerations("custom") == []
    with pytest.raises(MetasysNotFound):
        metasys.get_enumeration(created.id)


def test_enumeration_rules_raise_typed_errors(metasys: MetasysClient) -> None:
    two_state = metasys.create_enumeration("Valve", ["Closed", "Open"])
    with pytest.raises(Invalid) as crossed:
        metasys.replace_enumeration(two_state.id, "Valve", ["Closed", "Half", "Open"])
    assert crossed.value.message == (
        "You can not replace a two-state enumeration with a multiple-state one."
    )
    with pytest.raises(Invalid):
        metasys.edit_enumeration(two_state.id, members={5: "Stuck"})
    with pytest.raises(MetasysForbidden) as built_in:
        metasys.delete_enumeration("writePriorityEnumSet")
    assert built_in.value.status == 403
    assert len(metasys.enumerations("twoState")) >= 1


def test_a_diagram_is_read_replaced_and_refused_with_its_problems(
    metasys: MetasysClient, sandbox: Sandbox
) -> None:
    control = object_id(sandbox, CONTROL)
    diagram = metasys.diagram(control)
    assert len(diagram.blocks) == 7
    assert diagram.connections[0] == Connection(
        "8", Endpoint("2", "output"), Endpoint("3", "input1")
    )
    assert diagram.block_type("6") == "outputReference"
    smaller = Diagram(diagram.blocks[:3], diagram.connections[:2])
    assert metasys.replace_diagram(control, smaller) == smaller
    assert metasys.diagram(control) == smaller
    loop = {
        "blocks": [
            {"id": "1", "schemaUrl": f"{PALETTE}/add"},
            {"id": "2", "schemaUrl": f"{PALETTE}/add"},
        ],
        "connections": [
            Connection("3", Endpoint("1", "output"), Endpoint("2", "input1")).json(),
            Connection("4", Endpoint("2", "output"), Endpoint("1", "input1")).json(),
        ],
    }
    with pytest.raises(MetasysDiagramRejected) as refused:
        metasys.replace_diagram(control, loop)
    assert refused.value.status == 400
    assert refused.value.problem.status_name == "api.diagram:error.saveFailed"
    assert refused.value.problem.status_names() == ["api.diagram:error.circularLogic"]
    assert refused.value.message.startswith("Diagram save failed.")


def test_the_palette_and_its_blocks_are_typed(metasys: MetasysClient) -> None:
    palette = metasys.palette(LCT_PALETTE_ID)
    assert (palette.id, palette.title) == (LCT_PALETTE_ID, "LCT")
    assert [b.id for b in palette.blocks] == list(BLOCK_TYPES)
    text = metasys.palette_block(LCT_PALETTE_ID, "text")
    assert (text.id, text.title, text.url) == ("text", "Text", f"{PALETTE}/text")
    with pytest.raises(MetasysNotFound):
        metasys.palette("unknown")


def test_a_diagram_subscription_is_made_and_ended(metasys: MetasysClient, sandbox: Sandbox) -> None:
    streams = sandbox.vendor(MetasysApi).streams
    username = sandbox.credentials()["metasys"]["username"]
    stream_id = streams.open(f"{sandbox.tenants.default().id}/{username}", "default", None)
    subscription = metasys.subscribe_diagram(object_id(sandbox, CONTROL), stream_id)
    assert len(subscription.diagram.connections) == 5
    assert subscription.location.startswith(f"{BASE_URL}/controls/streams/{stream_id}/")
    metasys.unsubscribe_diagram(subscription.location)
    with pytest.raises(MetasysNotFound):
        metasys.unsubscribe_diagram(subscription.location)


# --- over a real socket: the stream consumer ------------------------------------------------


def test_the_stream_consumer_follows_a_diagram_over_a_socket(sandbox: Sandbox) -> None:
    control = object_id(sandbox, CONTROL)
    with live_server(build_app(sandbox), timeout_graceful_shutdown=0.2) as url:
        creds = sandbox.credentials()["metasys"]
        base = f"{url}/metasys/api/v4"
        client = MetasysClient(
            str(creds["username"]), str(creds["password"]), base_url=base, clock=sandbox.clock.now
        )
        with client, client.stream() as stream:
            location = stream.subscribe_diagram(control)
            assert location.startswith(f"{base}/controls/streams/{stream.stream_id}/")
            events = stream.events()
            assert next(events).name == "diagram.subscription.established"
            first = next(events)
            assert first.diagram_values == {
                "8": 120.0,
                "9": 65.0,
                "10": 55.0,
                "11": 50.0,
                "12": 55.0,
            }
            client.adjust(object_id(sandbox, "ADS1:ADS1/Programming.OAT-SP"), 75.0)
            assert next(events).diagram_values == {"9": 75.0, "10": 45.0, "12": 50.0}
            stream.unsubscribe(location)
            assert next(events).name == "diagram.subscription.cancelled"
        sandbox.vendor(MetasysApi).streams.hub.close_all()
