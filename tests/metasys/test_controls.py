"""Controls (INTERNAL): a Program object's diagram (read, replace with the reference's diagram
errors, subscribe), diagram subscriptions on a stream, the LCT palette and its blocks."""

from __future__ import annotations

import copy
import json
from typing import Any

import anyio
import httpx
import jsonschema
import pytest

from standin import Sandbox, contracts, fixtures
from standin._core.clock import isoformat
from standin.metasys.api import MetasysApi
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID
from tests.metasys import shared_sandbox
from tests.metasys.conftest import BASE, login, object_id, state_of

# One sandbox for the module, reset before each test.
module_sandbox = shared_sandbox.module_sandbox
sandbox = shared_sandbox.sandbox

HOST = "http://standin.test/metasys/api/v4"
CONTROL = "ADS1:ADS1/Programming.SA-RESET"
OAT_SP = "ADS1:ADS1/Programming.OAT-SP"
PALETTE = f"{HOST}/controls/palettes/{LCT_PALETTE_ID}"
SAVE_FAILED = "api.diagram:error.saveFailed"
SAVE_MESSAGE = "Diagram save failed. Please see innerError(s) for more information."


def fixture_diagram() -> dict[str, Any]:
    programming = fixtures.load("metasys")["devices"][0]["children"][0]["children"]
    [program] = [raw for raw in programming if raw["type"] == "programClass"]
    diagram: dict[str, Any] = copy.deepcopy(program["diagram"])
    return diagram


def block(block_id: str, kind: str, **properties: Any) -> dict[str, Any]:
    return {"id": block_id, "schemaUrl": f"{PALETTE}/{kind}", **properties}


def link(link_id: str, source: str, destination: str, **extra: Any) -> dict[str, Any]:
    (a, port_a), (b, port_b) = source.split("."), destination.split(".")
    return {
        "id": link_id,
        "source": {"block": a, "port": port_a},
        "destination": {"block": b, "port": port_b},
        **extra,
    }


def control_id(sandbox: Sandbox) -> str:
    return object_id(sandbox, CONTROL)


def adjust(api: Any, sandbox: Sandbox, reference: str, value: float) -> None:
    point = object_id(sandbox, reference)
    response = api.put(f"/objects/{point}/commands/adjustCommand", json={"parameters": [value]})
    assert response.status_code == 200, response.text


def inner_names(body: dict[str, Any]) -> list[str]:
    """Every statusName below the top-level saveFailed, depth first."""
    names = []
    for inner in [body.get("innerError"), *body.get("innerErrors", [])]:
        if inner is not None:
            names.append(inner["statusName"])
            names.extend(inner_names(inner))
    return names


# --- reading a diagram --------------------------------------------------------------------------


def test_the_diagram_is_the_fixtures_with_schema_urls_on_the_callers_host(
    api: Any, sandbox: Sandbox
) -> None:
    control = control_id(sandbox)
    response = api.get(f"/controls/{control}/diagram")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.metasysapi.v4+json"
    expected = fixture_diagram()
    for each in expected["blocks"]:
        each["schemaUrl"] = each["schemaUrl"].replace(
            "https://metasys.standin.example/api/v4", HOST
        )
    assert response.json() == {"item": expected, "self": f"{HOST}/controls/{control}/diagram"}
    assert "metasys-subscription-location" not in response.headers


def test_include_schema_adds_the_diagrams_schema_of_palette_blocks(
    api: Any, sandbox: Sandbox
) -> None:
    body = api.get(f"/controls/{control_id(sandbox)}/diagram?includeSchema=true").json()
    refs = [one["$ref"] for one in body["schema"]["properties"]["blocks"]["items"]["oneOf"]]
    assert refs == [f"{PALETTE}/{kind}" for kind in BLOCK_TYPES]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "The control 00000000-0000-0000-0000-000000000001 was not found."),
        (OAT_SP, "The control {id} was not found."),
    ],
)
def test_an_unknown_control_or_an_object_that_is_none_is_404(
    api: Any, sandbox: Sandbox, reference: str | None, message: str
) -> None:
    target = (
        "00000000-0000-0000-0000-000000000001"
        if reference is None
        else object_id(sandbox, reference)
    )
    response = api.get(f"/controls/{target}/diagram")
    assert response.status_code == 404
    assert response.json() == {"Message": message.format(id=target)}


def test_a_control_on_an_offline_server_is_503(api: Any, sandbox: Sandbox) -> None:
    state_of(sandbox).offline.add(object_id(sandbox, "ADS1:ADS1"))
    response = api.get(f"/controls/{control_id(sandbox)}/diagram")
    assert response.status_code == 503
    assert response.json() == {"Message": "The device is offline: ADS1:ADS1."}


def test_include_schema_must_be_a_boolean(api: Any, sandbox: Sandbox) -> None:
    response = api.get(f"/controls/{control_id(sandbox)}/diagram?includeSchema=maybe")
    assert response.status_code == 400
    assert response.json() == {"Message": "The parameter includeSchema must be true or false."}


# --- values ---------------------------------------------------------------------------------------


def test_the_logic_computes_each_connection_from_the_live_objects(
    api: Any, sandbox: Sandbox
) -> None:
    state = state_of(sandbox)
    control = state.tree.get(control_id(sandbox))
    assert control is not None
    # max(50, 120 - OAT-SP): OAT-SP relinquishes to 65.
    assert state.controls.values(control) == [
        ["8", 120.0],
        ["9", 65.0],
        ["10", 55.0],
        ["11", 50.0],
        ["12", 55.0],
    ]
    adjust(api, sandbox, OAT_SP, 80.0)
    assert state.controls.values(control)[1:] == [
        ["9", 80.0],
        ["10", 40.0],
        ["11", 50.0],
        ["12", 50.0],
    ]


# --- replacing a diagram --------------------------------------------------------------------------


def test_a_replaced_diagram_persists_and_is_answered(api: Any, sandbox: Sandbox) -> None:
    control = control_id(sandbox)
    diagram = {
        "blocks": [
            block("a", "constant", value=2.0),
            block("b", "constant", value=3.0),
            block("c", "multiply", position={"x": 1, "y": 2}),
        ],
        "connections": [link("d", "a.output", "c.input1"), link("e", "b.output", "c.input2")],
    }
    response = api.put(f"/controls/{control}/diagram", json={"item": diagram})
    assert response.status_code == 200
    expected = {"item": diagram, "self": f"{HOST}/controls/{control}/diagram"}
    assert response.json() == expected
    assert api.get(f"/controls/{control}/diagram").json() == expected
    assert api.put(f"/controls/{control}/diagram", json={"item": {}}).json()["item"] == {
        "blocks": [],
        "connections": [],
    }


def test_a_loop_through_a_delay_block_is_allowed(api: Any, sandbox: Sandbox) -> None:
    diagram = {
        "blocks": [
            block("one", "constant", value=1.0),
            block("sum", "add"),
            block("wait", "delay", seconds=60),
        ],
        "connections": [
            link("c1", "one.output", "sum.input1"),
            link("c2", "wait.output", "sum.input2"),
            link("c3", "sum.output", "wait.input"),
        ],
    }
    control = control_id(sandbox)
    assert api.put(f"/controls/{control}/diagram", json={"item": diagram}).status_code == 200
    obj = state_of(sandbox).tree.get(control)
    assert obj is not None
    controls = state_of(sandbox).controls
    # The delay hands on its input of the evaluation before; it starts null, and a sum with a
    # null input is null.
    assert controls.values(obj) == [["c1", 1.0], ["c2", None], ["c3", None]]


CASES: list[tuple[str, Any, list[str]]] = [
    ("no item", {"blocks": []}, ["api.diagram:error.schemaFailure"]),
    ("not json", "not json", ["api.diagram:error.schemaFailure"]),
    (
        "extra diagram property",
        {"item": {"blocks": [], "wires": []}},
        ["api.diagram:error.diagramSchemaFailure"],
    ),
    (
        "unknown block type",
        {"item": {"blocks": [block("1", "teleport")]}},
        ["api.diagram:error.block", "api.diagram:error.invalidSchemaUrl"],
    ),
    (
        "another palette",
        {"item": {"blocks": [{"id": "1", "schemaUrl": "/controls/palettes/other/text"}]}},
        ["api.diagram:error.block", "api.diagram:error.invalidSchemaUrl"],
    ),
    (
        "block breaks its schema",
        {"item": {"blocks": [block("1", "constant", value="hot")]}},
        ["api.diagram:error.block", "api.diagram:error.blockSchemaFailure"],
    ),
    (
        "connection breaks its schema",
        {"item": {"blocks": [], "connections": [{"id": "1"}]}},
        ["api.diagram:error.connection", "api.diagram:error.connectionSchemaFailure"],
    ),
    (
        "unknown port",
        {
            "item": {
                "blocks": [block("1", "constant", value=1.0), block("2", "add")],
                "connections": [link("3", "1.output", "2.input9")],
            }
        },
        ["api.diagram:error.connection", "api.diagram:error.portDoesNotExist"],
    ),
    (
        "same block",
        {
            "item": {
                "blocks": [block("1", "delay")],
                "connections": [link("3", "1.output", "1.input")],
            }
        },
        ["api.diagram:error.connection", "api.diagram:error.portsCannotBeFromSameBlock"],
    ),
    (
        "wrong direction",
        {
            "item": {
                "blocks": [block("1", "add"), block("2", "add")],
                "connections": [link("3", "1.input1", "2.input1")],
            }
        },
        [
            "api.diagram:error.connection",
            "api.diagram:error.portDirectionInvalidForConnectionEndpoint",
        ],
    ),
    (
        "delay to output",
        {
            "item": {
                "blocks": [block("1", "delay"), block("2", "outputReference", reference=OAT_SP)],
                "connections": [link("3", "1.output", "2.input")],
            }
        },
        ["api.diagram:error.connection", "api.diagram:error.delayConnectedToOutputTypeBlock"],
    ),
    (
        "priority not to an output",
        {
            "item": {
                "blocks": [block("1", "constant", value=1.0), block("2", "add")],
                "connections": [
                    link("3", "1.output", "2.input1", priority="writePriorityEnumSet.priority9")
                ],
            }
        },
        ["api.diagram:error.connection", "api.diagram:error.priorityNotSupported"],
    ),
    (
        "priority not allowed",
        {
            "item": {
                "blocks": [
                    block("1", "constant", value=1.0),
                    block("2", "outputReference", reference=OAT_SP),
                ],
                "connections": [link("3", "1.output", "2.input", priority="priority9")],
            }
        },
        ["api.diagram:error.connection", "api.diagram:error.invalidEnum"],
    ),
    (
        "duplicate id",
        {
            "item": {
                "blocks": [block("1", "constant", value=1.0), block("1", "constant", value=2.0)]
            }
        },
        ["api.diagram:error.duplicateId"],
    ),
    (
        "unbound reference",
        {"item": {"blocks": [block("1", "inputReference", reference="ADS1:NOWHERE")]}},
        ["api.diagram:error.unboundReferences"],
    ),
    (
        "too many references",
        {
            "item": {
                "blocks": [block(str(n), "inputReference", reference=OAT_SP) for n in range(65)]
            }
        },
        ["api.diagram:error.ioThresholdExceeded"],
    ),
    (
        "loop without a delay",
        {
            "item": {
                "blocks": [block("1", "add"), block("2", "add")],
                "connections": [
                    link("3", "1.output", "2.input1"),
                    link("4", "2.output", "1.input1"),
                ],
            }
        },
        ["api.diagram:error.circularLogic"],
    ),
]


@pytest.mark.parametrize(("name", "body", "names"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_diagram_is_400_with_the_references_error_codes(
    api: Any, sandbox: Sandbox, name: str, body: Any, names: list[str]
) -> None:
    control = control_id(sandbox)
    sent = {"content": body} if isinstance(body, str) else {"json": body}
    response = api.put(f"/controls/{control}/diagram", **sent)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert (answer["statusName"], answer["message"]) == (SAVE_FAILED, SAVE_MESSAGE)
    assert inner_names(answer) == names
    unchanged = api.get(f"/controls/{control}/diagram").json()["item"]
    assert unchanged["connections"] == fixture_diagram()["connections"]


def test_every_problem_is_reported_at_once_in_inner_errors(api: Any, sandbox: Sandbox) -> None:
    body = {
        "item": {
            "blocks": [block("1", "teleport"), block("2", "constant")],
            "connections": [link("2", "9.output", "1.input")],
        }
    }
    response = api.put(f"/controls/{control_id(sandbox)}/diagram", json=body)
    answer = response.json()
    assert [inner["statusName"] for inner in answer["innerErrors"]] == [
        "api.diagram:error.block",
        "api.diagram:error.block",
        "api.diagram:error.connection",
        "api.diagram:error.duplicateId",
    ]
    assert answer["innerErrors"][1] == {
        "statusName": "api.diagram:error.block",
        "message": "The block is not valid.",
        "details": {"blockId": "2"},
        "innerError": {
            "statusName": "api.diagram:error.blockSchemaFailure",
            "message": "A block did not validate against its schema.",
            "details": {"violations": ["value is required"]},
        },
    }


def test_a_read_only_user_is_403_write_access_denied(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials()["metasys"]
    token = login(client, str(creds["viewer_username"]), str(creds["viewer_password"]))
    response = client.put(
        f"{BASE}/controls/{control_id(sandbox)}/diagram",
        json={"item": {}},
        headers={"Authorization": f"Bearer {token.json()['accessToken']}"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "statusName": SAVE_FAILED,
        "message": SAVE_MESSAGE,
        "innerError": {
            "statusName": "enum.core:statusEnumSet.writeAccessDeniedSecurity",
            "message": "The user is not authorized to modify the diagram.",
        },
    }


def test_an_output_reference_to_an_object_without_priorities_is_403(
    api: Any, sandbox: Sandbox
) -> None:
    sensor = "ADS1:NAE-1/FC-1.AHU-1.SA-T"
    body = {"item": {"blocks": [block("1", "outputReference", reference=sensor)]}}
    response = api.put(f"/controls/{control_id(sandbox)}/diagram", json=body)
    assert response.status_code == 403
    assert response.json()["innerError"] == {
        "statusName": "api.diagram:error.unauthorizedRequestDiagram",
        "message": "The user is not authorized to control some references in the new diagram.",
        "details": {"references": [sensor]},
    }


# --- palettes -------------------------------------------------------------------------------------


def test_the_lct_palette_lists_every_block_definition(api: Any) -> None:
    response = api.get(f"/controls/palettes/{LCT_PALETTE_ID}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"], body["self"]) == (LCT_PALETTE_ID, "LCT", PALETTE)
    assert [item["$id"] for item in body["items"]] == [f"{PALETTE}/{b}" for b in BLOCK_TYPES]


def test_the_text_block_definition_is_the_references(api: Any) -> None:
    response = api.get(f"/controls/palettes/{LCT_PALETTE_ID}/text")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Text"
    assert body["description"] == "The schema for a text block instance"
    assert body["type"] == "object"
    assert body["required"] == ["id", "schemaUrl", "text"]
    assert body["additionalProperties"] is False
    assert body["views"] == [{"title": "Text", "properties": ["name", "text"]}]
    assert body["$id"] == f"{PALETTE}/text"


def test_a_blocks_ports_say_their_direction(api: Any) -> None:
    body = api.get(f"/controls/palettes/{LCT_PALETTE_ID}/subtract").json()
    assert {name: port["direction"] for name, port in body["ports"].items()} == {
        "input1": "input",
        "input2": "input",
        "output": "output",
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/controls/palettes/unknown", "The palette unknown was not found."),
        (
            f"/controls/palettes/{LCT_PALETTE_ID}/teleport",
            "The block definition teleport was not found.",
        ),
    ],
)
def test_an_unknown_palette_or_block_is_404(api: Any, path: str, message: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"Message": message}


# --- diagram subscriptions ----------------------------------------------------------------------


def open_stream(sandbox: Sandbox) -> str:
    username = sandbox.credentials()["metasys"]["username"]
    streams = sandbox.vendor(MetasysApi).streams
    stream_id: str = streams.open(f"{sandbox.tenants.default().id}/{username}", "default", None)
    return stream_id


def events(sandbox: Sandbox, stream_id: str) -> list[tuple[str, Any]]:
    """Every event the stream buffered after its hello, as (name, data)."""
    hub = sandbox.vendor(MetasysApi).streams.hub

    info = hub.info(stream_id)
    assert info is not None
    assert info.last_event_id is not None
    last = int(info.last_event_id.rsplit(":", 1)[1])
    start = max(2, last - info.buffered + 1)

    async def drain() -> list[tuple[str, Any]]:
        listener = hub.attach(stream_id, start)
        try:
            with anyio.move_on_after(0.05):
                batch = await listener.next_batch(limit=1000)
                return [(e.event, json.loads(e.data)) for e in batch or []]
            return []
        finally:
            hub.detach(listener)

    return anyio.run(drain)


def subscribe(api: Any, sandbox: Sandbox, stream_id: str) -> str:
    response = api.get(
        f"/controls/{control_id(sandbox)}/diagram", headers={"METASYS-SUBSCRIBE": stream_id}
    )
    assert response.status_code == 200
    location: str = response.headers["metasys-subscription-location"]
    prefix = f"{HOST}/controls/streams/{stream_id}/subscriptions/"
    assert location.startswith(prefix)
    return location.removeprefix(prefix)


def test_a_subscription_is_established_then_sends_every_value(api: Any, sandbox: Sandbox) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    control = control_id(sandbox)
    assert events(sandbox, stream_id) == [
        (
            "diagram.subscription.established",
            {
                "id": control,
                "subscriptionIds": [subscription],
                "message": "Live value subscription successful",
            },
        ),
        (
            "diagram.values.update",
            {
                "id": control,
                "subscriptionIds": [subscription],
                "items": [["8", 120.0], ["9", 65.0], ["10", 55.0], ["11", 50.0], ["12", 55.0]],
            },
        ),
    ]


def test_a_change_of_a_read_object_sends_only_the_changed_values(
    api: Any, sandbox: Sandbox
) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    adjust(api, sandbox, OAT_SP, 80.0)
    adjust(api, sandbox, "ADS1:NAE-1/FC-1.VAV-101.ZN-SP", 70.0)  # not read by the diagram
    assert events(sandbox, stream_id)[2:] == [
        (
            "diagram.values.update",
            {
                "id": control_id(sandbox),
                "subscriptionIds": [subscription],
                "items": [["9", 80.0], ["10", 40.0], ["12", 50.0]],
            },
        )
    ]


def test_a_replaced_diagram_sends_diagram_update_and_ends_the_subscription(
    api: Any, sandbox: Sandbox
) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    control = control_id(sandbox)
    assert api.put(f"/controls/{control}/diagram", json={"item": {}}).status_code == 200
    assert events(sandbox, stream_id)[2:] == [
        (
            "diagram.update",
            {
                "id": control,
                "subscriptionIds": [subscription],
                "message": "The diagram has been updated.. Please refresh. Current subscription "
                "will be cancelled automatically.",
            },
        ),
        (
            "diagram.subscription.cancelled",
            {
                "id": control,
                "subscriptionIds": [subscription],
                "message": "Live value subscription cancelled",
            },
        ),
    ]
    response = api.delete(f"/controls/streams/{stream_id}/subscriptions/{subscription}")
    assert response.status_code == 404


def test_deleting_a_subscription_cancels_it_and_stops_its_values(
    api: Any, sandbox: Sandbox
) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    response = api.delete(f"/controls/streams/{stream_id}/subscriptions/{subscription}")
    assert response.status_code == 200
    assert response.content == b""
    adjust(api, sandbox, OAT_SP, 80.0)
    assert [name for name, _ in events(sandbox, stream_id)] == [
        "diagram.subscription.established",
        "diagram.values.update",
        "diagram.subscription.cancelled",
    ]
    again = api.delete(f"/controls/streams/{stream_id}/subscriptions/{subscription}")
    assert again.status_code == 404
    assert again.json() == {"Message": "The subscription was not found."}


def test_an_object_subscription_id_is_not_a_control_subscription(
    api: Any, sandbox: Sandbox
) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    assert (
        api.delete(f"/objects/streams/{stream_id}/subscriptions/{subscription}").status_code == 404
    )
    assert api.delete(f"/controls/streams/other/subscriptions/{subscription}").status_code == 404


def test_a_stream_with_a_diagram_subscription_gets_diagram_heartbeats(
    api: Any, sandbox: Sandbox
) -> None:
    stream_id = open_stream(sandbox)
    subscription = subscribe(api, sandbox, stream_id)
    sandbox.clock.advance(30)
    # The events of 30 seconds before are no longer buffered: only the beat is read.
    beats = [data for name, data in events(sandbox, stream_id) if name == "diagram.heartbeat"]
    assert beats == [f"ping from logic service @{isoformat(sandbox.clock.now())}"]
    api.delete(f"/controls/streams/{stream_id}/subscriptions/{subscription}")
    sandbox.clock.advance(60)
    # Without a diagram subscription only the stream's own heartbeat goes on.
    assert [name for name, _ in events(sandbox, stream_id)] == [
        "diagram.subscription.cancelled",
        "heartbeat",
    ]


def test_an_unknown_stream_gets_a_location_and_no_events(api: Any, sandbox: Sandbox) -> None:
    subscription = subscribe(api, sandbox, "not-a-stream")
    assert subscription
    assert (
        api.delete(f"/controls/streams/not-a-stream/subscriptions/{subscription}").status_code
        == 404
    )


def test_every_diagram_event_conforms_to_its_contract_schema(api: Any, sandbox: Sandbox) -> None:
    components = contracts.load("metasys")["components"]
    schema_of = {
        "diagram.subscription.established": "DiagramSubscriptionEvent",
        "diagram.subscription.cancelled": "DiagramSubscriptionEvent",
        "diagram.update": "DiagramSubscriptionEvent",
        "diagram.values.update": "DiagramValuesUpdateEvent",
        "diagram.heartbeat": "DiagramHeartbeatEvent",
    }
    stream_id = open_stream(sandbox)
    subscribe(api, sandbox, stream_id)
    adjust(api, sandbox, OAT_SP, 90.0)
    sandbox.clock.advance(29)
    api.put(f"/controls/{control_id(sandbox)}/diagram", json={"item": {}})
    seen = events(sandbox, stream_id)
    sandbox.clock.advance(1)
    subscribe(api, sandbox, stream_id)
    sandbox.clock.advance(30)
    seen += events(sandbox, stream_id)
    seen = [(name, data) for name, data in seen if name.startswith("diagram.")]
    assert {name for name, _ in seen} == set(schema_of)
    validators = {
        name: jsonschema.Draft202012Validator(
            {"$ref": f"#/components/schemas/{schema}", "components": components}
        )
        for name, schema in schema_of.items()
    }
    for name, data in seen:
        validators[name].validate(data)
