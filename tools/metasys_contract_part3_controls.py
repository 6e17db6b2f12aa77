"""Part 3, controls slice: controls (diagrams, their subscriptions, the LCT palette) and the
editing of custom enumerations, all INTERNAL in the reference.

Run inside tools/metasys_contract.py (it shares that module's names: paths, schemas, ok, q, STD,
NF, MEDIA, HOST, SANDBOX_SHAPE ...); not a module of its own.
"""

# ruff: noqa: E501, F821
# mypy: ignore-errors

from standin.metasys.state.controls import MAX_IO_BLOCKS, PRIORITIES_ALLOWED
from standin.metasys.state.enumerations import MAX_MEMBERS, MAX_TITLE, MIN_MEMBERS
from standin.metasys.state.palette import BLOCK_TYPES, LCT_PALETTE_ID

INTRO += """
**Controls** (part 3, INTERNAL). **Sandbox choice:** a control is a Program object
(`objectTypeEnumSet.programClass`) of the object tree, e.g. `ADS1:ADS1/Programming.SA-RESET`; its
diagram (blocks and connections) is read and replaced at `/controls/{controlId}/diagram`. Blocks
come from the one LCT palette (`/controls/palettes/01443cbc-d65e-4666-85d5-484a3b1f4f21`). The
sandbox computes each connection's value from the live objects the diagram's Input References
read (Output References are not commanded). A `METASYS-SUBSCRIBE` header on the diagram read
subscribes the stream to the `diagram.*` events (`Diagram*Event` schemas).

**Custom enumerations** (part 3, INTERNAL): `POST /enumerations` creates `customEnumSet30001`,
`customEnumSet30002`...; the built-in sets refuse edits, replacement and deletion (403).
"""

CONTROL_ID = "e4fd20d5-b103-589b-91cc-e0c6f7edc428"
PALETTE = f"{HOST}/controls/palettes/{LCT_PALETTE_ID}"


def path_param(name, description, example):
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
        "example": example,
    }


CONTROL_PARAM = path_param(
    "controlId",
    "The identifier of the control (a Program object's id).",
    CONTROL_ID,
)

# --- diagrams ---------------------------------------------------------------------------------

schemas["DiagramBlock"] = {
    "type": "object",
    "description": "A block: its `id`, the `schemaUrl` of its block definition on the palette, "
    "and the properties that definition allows (`GET /controls/palettes/{paletteId}/{blockDefinitionId}`)."
    "\n\n**Sandbox choice:** a block is checked against its definition on replace "
    "(`api.diagram:error.blockSchemaFailure`), not by this schema. The blocks are "
    + ", ".join(f"`{b}`" for b in BLOCK_TYPES)
    + "; an Input or Output Reference names its object by fully qualified reference.",
    "required": ["id", "schemaUrl"],
    "properties": {
        "id": {"type": "string"},
        "schemaUrl": {"type": "string"},
        "name": {"type": "string"},
        "position": {
            "type": "object",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
        },
        "reference": {"type": "string"},
        "value": {"type": "number"},
        "text": {"type": "string"},
        "seconds": {"type": "number"},
    },
}
ENDPOINT = {
    "type": "object",
    "required": ["block", "port"],
    "additionalProperties": False,
    "properties": {"block": {"type": "string"}, "port": {"type": "string"}},
}
schemas["DiagramConnection"] = {
    "type": "object",
    "description": "A connection from a block's output port (`source`) to another block's input "
    "port (`destination`). **Sandbox choice:** `priority` (only towards an Output Reference) is "
    "one of " + ", ".join(f"`{p}`" for p in PRIORITIES_ALLOWED) + " (the application priorities).",
    "required": ["id", "source", "destination"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "source": ENDPOINT,
        "destination": ENDPOINT,
        "priority": {"type": "string"},
    },
}
schemas["Diagram"] = {
    "type": "object",
    "description": "A set of blocks and connections which make up an instance of programmable "
    "control logic.",
    "additionalProperties": False,
    "properties": {
        "blocks": {"type": "array", "items": {"$ref": "#/components/schemas/DiagramBlock"}},
        "connections": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/DiagramConnection"},
        },
    },
}
schemas["DiagramResponse"] = {
    "type": "object",
    "description": "**Sandbox choice:** the reference collapses this body; the sandbox answers the "
    "diagram as `item` (each block's `schemaUrl` on the host the caller reached), `self`, and with "
    "`includeSchema` the diagram's JSON schema.",
    "required": ["item", "self"],
    "additionalProperties": False,
    "properties": {
        "item": {
            "type": "object",
            "required": ["blocks", "connections"],
            "additionalProperties": False,
            "properties": schemas["Diagram"]["properties"],
        },
        "self": {"type": "string", "format": "uri"},
        "schema": {"type": "object"},
    },
}
schemas["DiagramError"] = {
    "type": "object",
    "description": "A diagram error: hierarchical, the top-most general (`api.diagram:error.saveFailed`), "
    "the inner-most specific, each with a `statusName`, a `message` and maybe `details`, and its "
    "inner errors as `innerError` (one) or `innerErrors` (several).",
    "required": ["statusName", "message"],
    "additionalProperties": False,
    "properties": {
        "statusName": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
        "innerError": {"$ref": "#/components/schemas/DiagramError"},
        "innerErrors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/DiagramError"},
        },
    },
}

DIAGRAM_ERRORS = """
**Sandbox choice:** status codes. Every error of a replace is wrapped in
`api.diagram:error.saveFailed`; the answer is 403 when the user may not write
(`enum.core:statusEnumSet.writeAccessDeniedSecurity`, a read-only API user), may not change the
control (`api.diagram:error.unauthorizedExistingDiagram`) or may not command an Output Reference's
object (`api.diagram:error.unauthorizedRequestDiagram`: an object without a priority array), and
400 otherwise. The sandbox reports:

- `schemaFailure`: the body is not `{"item": {...}}` JSON;
- `diagramSchemaFailure`: `item` has other properties than `blocks` and `connections`, or they are not arrays;
- in an `api.diagram:error.block` wrapper (`details.blockId`): `invalidSchemaUrl` (not a block of the
  LCT palette), `blockSchemaFailure` (the block breaks its definition; `details.violations`);
- in an `api.diagram:error.connection` wrapper (`details.connectionId`): `connectionSchemaFailure`,
  `portDoesNotExist`, `portsCannotBeFromSameBlock`, `portDirectionInvalidForConnectionEndpoint`
  (a source must be an output port, a destination an input port), `delayConnectedToOutputTypeBlock`,
  `priorityNotSupported` (a priority towards anything but an Output Reference), `invalidEnum`
  (a priority not among the allowed ones);
- `duplicateId` (an id shared by blocks or connections), `unboundReferences` (a reference that
  names no object), `ioThresholdExceeded` (more than MAX_IO Input and Output References),
  `circularLogic` (a loop that does not pass through a Delay block).

The palette has no Input/Output Attribute, System, Sequencer or Multiplexor blocks, so their
errors (`ioAttributes`, `duplicateIOBlockName`, `duplicateIOAttribute`, `duplicatePortInSubSystem`,
`portDoesNotExistInSubSystem`, `inPortIsNotWritableInSubSystem`, the Sequencer's limits and
`duplicateModeSelectionInMux`) never occur here.
""".replace("MAX_IO", str(MAX_IO_BLOCKS))


def diagram_error(description, example):
    return {
        "description": description,
        "content": {
            MEDIA: {"schema": {"$ref": "#/components/schemas/DiagramError"}, "example": example}
        },
    }


fixture_diagram = {
    "blocks": [
        {
            "id": "1",
            "schemaUrl": f"{PALETTE}/inputReference",
            "name": "OAT-SP",
            "reference": "ADS1:ADS1/Programming.OAT-SP",
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "2",
            "schemaUrl": f"{PALETTE}/constant",
            "value": 120.0,
            "position": {"x": 0, "y": 100},
        },
        {"id": "3", "schemaUrl": f"{PALETTE}/subtract", "position": {"x": 200, "y": 50}},
    ],
    "connections": [
        {
            "id": "8",
            "source": {"block": "2", "port": "output"},
            "destination": {"block": "3", "port": "input1"},
        },
        {
            "id": "9",
            "source": {"block": "1", "port": "output"},
            "destination": {"block": "3", "port": "input2"},
        },
    ],
}
diagram_example = {"item": fixture_diagram, "self": f"{HOST}/controls/{CONTROL_ID}/diagram"}
save_failed_example = {
    "statusName": "api.diagram:error.saveFailed",
    "message": "Diagram save failed. Please see innerError(s) for more information.",
    "innerError": {
        "statusName": "api.diagram:error.schemaFailure",
        "message": "The payload did not validate against the schema.",
        "details": {"violations": ['the body must be {"item": {...}}']},
    },
}
write_denied_example = {
    "statusName": "api.diagram:error.saveFailed",
    "message": "Diagram save failed. Please see innerError(s) for more information.",
    "innerError": {
        "statusName": "enum.core:statusEnumSet.writeAccessDeniedSecurity",
        "message": "The user is not authorized to modify the diagram.",
    },
}
SUBSCRIBE_HEADER = {
    "name": "METASYS-SUBSCRIBE",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "If present, subscribes the client for streaming events associated with the "
    "resource. The value of this header is a stream id obtained by opening a stream with Get a "
    "stream. The response will have a METASYS-SUBSCRIPTION-LOCATION header which identifies the "
    "created subscription.\n\n**Sandbox choice:** the answer is still 200 with the diagram (its "
    "connection ids are what `diagram.values.update` names); a stream id that is not the user's "
    "open stream gets a subscription location and no events, as object subscriptions do.",
    "example": "40e47e37-0f24-4101-8e1d-de96af4b648b",
}
LOCATION_HEADER = {
    "METASYS-SUBSCRIPTION-LOCATION": {
        "description": "With `METASYS-SUBSCRIBE`: the location of the new subscription.",
        "schema": {"type": "string", "format": "uri"},
        "required": False,
        "example": f"{HOST}/controls/streams/40e47e37-0f24-4101-8e1d-de96af4b648b/subscriptions/c569a157-7315-4f32-bc8f-11607f075660",
    }
}
paths["/api/v4/controls/{controlId}/diagram"] = {
    "get": {
        "tags": ["controls"],
        "operationId": "getDiagram",
        "summary": "Get diagram (INTERNAL)",
        "x-visibility": "internal",
        "description": "Retrieves the diagram of the specified control instance. If the "
        "METASYS-SUBSCRIBE header is provided, then an event subscription will be created: "
        "`diagram.subscription.established`, then `diagram.values.update` with every "
        "connection's value (later only the values that changed, when an object an Input "
        "Reference reads changes), `diagram.heartbeat` every 30 seconds of sandbox time while "
        "the stream holds a diagram subscription, and `diagram.update` followed by "
        "`diagram.subscription.cancelled` when the diagram is replaced. **Sandbox choice:** "
        "`diagram.error` (an error while cancelling a subscription) is never sent: the "
        "sandbox's cancellations do not fail."
        "\n\n**Sandbox choice:** an object that is not a control is 404 (as an unknown id); a "
        "control on an offline device is 503.",
        "parameters": [
            CONTROL_PARAM,
            q(
                "includeSchema",
                {"type": "boolean", "default": False},
                "Indicates whether the schema of the diagram should also be returned.",
                False,
            ),
            SUBSCRIBE_HEADER,
        ],
        "responses": {
            "200": {
                **ok({"$ref": "#/components/schemas/DiagramResponse"}, diagram_example),
                "headers": LOCATION_HEADER,
            },
            **STD,
            **NF,
            "503": {"$ref": "#/components/responses/Offline"},
        },
    },
    "put": {
        "tags": ["controls"],
        "operationId": "replaceDiagram",
        "summary": "Replace diagram (INTERNAL)",
        "x-visibility": "internal",
        "description": "Replaces the diagram of the specified control instance. There are a "
        "variety of errors that are possible when attempting to update a diagram; every known "
        "error that can be determined is communicated in the response.\n"
        + DIAGRAM_ERRORS
        + "\n**Sandbox choice:** the answer is 200 with the saved diagram, as the read answers "
        "it; subscribers of the diagram get `diagram.update` and their subscriptions end.",
        "parameters": [CONTROL_PARAM],
        "requestBody": {
            "required": True,
            "description": "The desired blocks and connections of the diagram. This is the same "
            "structure as the item property from the GET /diagram response.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["item"],
                        "additionalProperties": False,
                        "properties": {"item": {"$ref": "#/components/schemas/Diagram"}},
                    },
                    "example": {"item": fixture_diagram},
                }
            },
        },
        "responses": {
            "200": ok({"$ref": "#/components/schemas/DiagramResponse"}, diagram_example),
            "400": diagram_error("The diagram (or the body) is not valid.", save_failed_example),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": {
                "description": "Not authorized to change the diagram (a diagram error), or too "
                "many requests (with Retry-After, a Metasys error).",
                "headers": {
                    "Retry-After": {
                        "schema": {"type": "string"},
                        "description": "Seconds until the next request is admitted (too many requests only).",
                    }
                },
                "content": {
                    MEDIA: {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/DiagramError"},
                                {"$ref": "#/components/schemas/Error"},
                            ]
                        },
                        "example": write_denied_example,
                    }
                },
            },
            **NF,
            "503": {"$ref": "#/components/responses/Offline"},
        },
    },
}
paths["/api/v4/controls/streams/{streamId}/subscriptions/{subscriptionId}"] = {
    "delete": {
        "tags": ["controls"],
        "operationId": "deleteControlSubscription",
        "summary": "Delete control subscription (INTERNAL)",
        "x-visibility": "internal",
        "description": "Deletes a subscription to a control resource (a diagram). The stream "
        "gets `diagram.subscription.cancelled`.\n\n**Sandbox choice:** as for object "
        "subscriptions, 200 with no body; a subscription that is not one of the user's diagram "
        "subscriptions on that open stream is 404.",
        "parameters": [
            path_param(
                "streamId",
                "The stream identifier that contains the subscription (`GET /stream`).",
                "32cfddc0-411f-5b9e-9a6d-442cb62fecbb",
            ),
            path_param(
                "subscriptionId",
                "The identifier of the subscription: the last segment of the "
                "METASYS-SUBSCRIPTION-LOCATION header of the subscribing request.",
                "626e5ac3-506d-4017-bb8f-973f1c54ddb5",
            ),
        ],
        "responses": {
            "200": {"description": "The subscription was deleted."},
            **STD,
            **NF,
        },
    }
}

# --- palettes ---------------------------------------------------------------------------------

schemas["BlockDefinition"] = {
    "type": "object",
    "description": "A block type: a JSON schema for one block instance, with the reference's "
    "custom keywords (**Sandbox choice:** `ports` gives each port's `direction`, `input` or "
    "`output`, and value type; `category` groups the palette; `views` lists the properties to show).",
    "required": [
        "$id",
        "title",
        "description",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "views",
    ],
    "properties": {
        "$id": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "type": {"const": "object"},
        "category": {"type": "string"},
        "properties": {"type": "object"},
        "required": {"type": "array", "items": {"type": "string"}},
        "additionalProperties": {"type": "boolean"},
        "ports": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["direction"],
                "properties": {"direction": {"enum": ["input", "output"]}, "type": {}},
            },
        },
        "views": {"type": "array", "items": {"type": "object"}},
    },
}
schemas["Palette"] = {
    "type": "object",
    "description": '**Sandbox choice:** the reference collapses this body ("an LCT palette, '
    'partial"); the sandbox answers its id, title, `self` and every block definition as `items`.',
    "required": ["id", "title", "self", "items"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "self": {"type": "string", "format": "uri"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/BlockDefinition"}},
    },
}
text_block = BLOCK_TYPES["text"].schema(HOST)
PALETTE_PARAM = path_param(
    "paletteId",
    "The identifier of the palette. **Sandbox choice:** the one palette is the LCT palette, "
    f"`{LCT_PALETTE_ID}`; another id is 404.",
    LCT_PALETTE_ID,
)
paths["/api/v4/controls/palettes/{paletteId}"] = {
    "get": {
        "tags": ["controls"],
        "operationId": "getPalette",
        "summary": "Get palette (INTERNAL)",
        "x-visibility": "internal",
        "description": "Retrieves a palette, which defines the available types of blocks "
        "available to diagramming.",
        "parameters": [PALETTE_PARAM],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/Palette"},
                {"id": LCT_PALETTE_ID, "title": "LCT", "self": PALETTE, "items": [text_block]},
            ),
            **STD,
            **NF,
        },
    }
}
paths["/api/v4/controls/palettes/{paletteId}/{blockDefinitionId}"] = {
    "get": {
        "tags": ["controls"],
        "operationId": "getPaletteBlock",
        "summary": "Get palette block (INTERNAL)",
        "x-visibility": "internal",
        "description": "Retrieves the schema for a specific block type. The id is the last "
        "portion of the `schemaUrl` and `$id` of a block definition: `text` is the Text block "
        "(the reference's example; the sandbox serves no other text form of a block), and the "
        "sandbox's palette holds "
        + ", ".join(f"`{b}`" for b in BLOCK_TYPES)
        + ". Another id is 404.",
        "parameters": [
            PALETTE_PARAM,
            path_param(
                "blockDefinitionId",
                "The ID of the block definition to get the schema for.",
                "text",
            ),
        ],
        "responses": {
            "200": ok({"$ref": "#/components/schemas/BlockDefinition"}, text_block),
            **STD,
            **NF,
        },
    }
}

# --- diagram events ---------------------------------------------------------------------------

SUBSCRIPTION_IDS = {"type": "array", "items": {"type": "string"}}
schemas["DiagramSubscriptionEvent"] = {
    "type": "object",
    "description": "`diagram.subscription.established`, `diagram.subscription.cancelled` and "
    "`diagram.update` (a replaced diagram: the subscription is cancelled).",
    "required": ["id", "subscriptionIds", "message"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "subscriptionIds": SUBSCRIPTION_IDS,
        "message": {"type": "string"},
    },
    "example": {
        "id": CONTROL_ID,
        "subscriptionIds": ["c569a157-7315-4f32-bc8f-11607f075660"],
        "message": "Live value subscription successful",
    },
}
schemas["DiagramValuesUpdateEvent"] = {
    "type": "object",
    "description": "`diagram.values.update`: each item `[connectionId, value]` or "
    "`[connectionId, value, condition]`; the first event of a subscription holds every "
    "connection, later ones only those that changed. **Sandbox choice:** a value read from an "
    'unreliable object carries `{"reliability": ...}`, from an offline one '
    "`reliabilityEnumSet.communicationFailure` (and null).",
    "required": ["id", "subscriptionIds", "items"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "subscriptionIds": SUBSCRIPTION_IDS,
        "items": {
            "type": "array",
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 3,
                "prefixItems": [
                    {"type": "string"},
                    {"type": ["number", "string", "null"]},
                    {"type": "object"},
                ],
            },
        },
    },
    "example": {
        "id": CONTROL_ID,
        "subscriptionIds": ["c569a157-7315-4f32-bc8f-11607f075660"],
        "items": [
            ["8", 120.0],
            ["9", None, {"reliability": "reliabilityEnumSet.communicationFailure"}],
        ],
    },
}
schemas["DiagramHeartbeatEvent"] = {
    "type": "string",
    "description": "`diagram.heartbeat`: the logic service is alive (the sandbox's UTC time).",
    "example": "ping from logic service @2021-08-04T16:03:23.377Z",
}

# --- the fixture's diagrams ---------------------------------------------------------------------

schemas["SandboxFixtureObject"]["properties"]["diagram"] = {
    "$ref": "#/components/schemas/Diagram",
    "description": "A Program object's diagram (its control logic).",
}

# --- custom enumerations ----------------------------------------------------------------------

TITLE = {"type": "string", "minLength": 1, "maxLength": MAX_TITLE, "pattern": "\\S"}
NEW_ENUMERATION = {
    "type": "object",
    "required": ["item"],
    "additionalProperties": False,
    "properties": {
        "item": {
            "type": "object",
            "required": ["title", "members"],
            "additionalProperties": False,
            "properties": {
                "title": TITLE,
                "members": {
                    "type": "array",
                    "minItems": MIN_MEMBERS,
                    "maxItems": MAX_MEMBERS,
                    "items": {
                        "type": "object",
                        "required": ["title"],
                        "additionalProperties": False,
                        "properties": {"title": TITLE},
                    },
                },
            },
        }
    },
}
schemas["NewEnumeration"] = {
    **NEW_ENUMERATION,
    "description": "**Sandbox choice:** the reference collapses this body; an enumeration is its "
    f"`title` and its members' titles in order ({MIN_MEMBERS} to {MAX_MEMBERS}; each title 1 to "
    f"{MAX_TITLE} characters, not only spaces). The members are named `state0`, `state1`... "
    "(`customEnumSet30001.state0`); an enumeration title already taken (ignoring case) is 409.",
}
schemas["EnumerationEdit"] = {
    "type": "object",
    "description": "**Sandbox choice:** the reference collapses this body; a new `title`, and new "
    "titles for members named by `memberId` (members not named keep theirs). A `memberId` the "
    "enumeration does not have is 400: members cannot be added or removed.",
    "required": ["item"],
    "additionalProperties": False,
    "properties": {
        "item": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "title": TITLE,
                "members": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["memberId", "title"],
                        "additionalProperties": False,
                        "properties": {
                            "memberId": {"type": "integer", "minimum": 0},
                            "title": TITLE,
                        },
                    },
                },
            },
        }
    },
}
custom_example = {
    "item": {
        "id": "customEnumSet30001",
        "title": "Fan Modes",
        "setId": 30001,
        "enumType": "custom",
        "numberOfStates": 3,
        "self": f"{HOST}/enumerations/customEnumSet30001",
        "members": [
            {"id": "customEnumSet30001.state0", "memberId": 0, "title": "Off"},
            {"id": "customEnumSet30001.state1", "memberId": 1, "title": "Low"},
            {"id": "customEnumSet30001.state2", "memberId": 2, "title": "High"},
        ],
    }
}
new_example = {
    "item": {
        "title": "Fan Modes",
        "members": [{"title": "Off"}, {"title": "Low"}, {"title": "High"}],
    }
}
WRITER = (
    "\n\n**Sandbox choice:** a read-only API user is 403; a built-in enumeration is 403 "
    "(only custom ones change, and `includePermissions` on the read says so)."
)
CUSTOM_ID = path_param("id", "The custom enumeration.", "customEnumSet30001")


def json_body(schema, example, description):
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema, "example": example}},
    }


paths["/api/v4/enumerations"]["post"] = {
    "tags": ["enumerations"],
    "operationId": "createEnumeration",
    "summary": "Create an enumeration (INTERNAL)",
    "x-visibility": "internal",
    "description": "Create a custom enumeration with members of your choice. It is listed with "
    "`enumType` `custom` and read like any other.\n\n**Sandbox choice:** 201 with the new "
    "enumeration and its URL in `Location`; ids are `customEnumSet30001`, `customEnumSet30002`... "
    "(never reused). A read-only API user is 403.",
    "requestBody": json_body(
        {"$ref": "#/components/schemas/NewEnumeration"}, new_example, "New enumeration"
    ),
    "responses": {
        "201": {
            **ok({"$ref": "#/components/schemas/Enumeration"}, custom_example, "Created"),
            "headers": {
                "Location": {
                    "description": "The new enumeration.",
                    "schema": {"type": "string", "format": "uri"},
                }
            },
        },
        **STD,
        "409": {"$ref": "#/components/responses/Conflict"},
    },
}
paths["/api/v4/enumerations/{id}"]["patch"] = {
    "tags": ["enumerations"],
    "operationId": "editEnumeration",
    "summary": "Edit an enumeration (INTERNAL)",
    "x-visibility": "internal",
    "description": "Can be used to modify the name of the enumeration and the values of any of "
    "the member strings. Cannot be used to add/remove members." + WRITER,
    "parameters": [path_param("id", "The enumeration to edit.", "customEnumSet30001")],
    "requestBody": json_body(
        {"$ref": "#/components/schemas/EnumerationEdit"},
        {"item": {"title": "Fan Speeds", "members": [{"memberId": 1, "title": "Slow"}]}},
        "The new title and member strings.",
    ),
    "responses": {
        "200": ok({"$ref": "#/components/schemas/Enumeration"}, custom_example),
        **STD,
        **NF,
        "409": {"$ref": "#/components/responses/Conflict"},
    },
}
paths["/api/v4/enumerations/{id}"]["put"] = {
    "tags": ["enumerations"],
    "operationId": "replaceEnumeration",
    "summary": "Replace an enumeration (INTERNAL)",
    "x-visibility": "internal",
    "description": "Replace an enumeration with a new definition. You can not replace a two-state "
    "enumeration with a multiple-state enumeration. Nor can you replace a multiple-state "
    "enumeration with a two-state enumeration (400)." + WRITER,
    "parameters": [path_param("id", "The enumeration to replace.", "customEnumSet30001")],
    "requestBody": json_body(
        {"$ref": "#/components/schemas/NewEnumeration"}, new_example, "An enumeration"
    ),
    "responses": {
        "200": ok({"$ref": "#/components/schemas/Enumeration"}, custom_example),
        **STD,
        **NF,
        "409": {"$ref": "#/components/responses/Conflict"},
    },
}
paths["/api/v4/enumerations/{id}"]["delete"] = {
    "tags": ["enumerations"],
    "operationId": "deleteEnumeration",
    "summary": "Delete an enumeration (INTERNAL)",
    "x-visibility": "internal",
    "description": "Delete an enumeration. Only custom enumerations may be deleted." + WRITER,
    "parameters": [path_param("id", "The enumeration to delete.", "customEnumSet30001")],
    "responses": {"204": {"description": "Deleted."}, **STD, **NF},
}
for method in ("get",):
    for enum_path in ("/api/v4/enumerations", "/api/v4/enumerations/{id}"):
        paths[enum_path][method]["x-visibility"] = "internal"
listing = paths["/api/v4/enumerations"]["get"]
listing["description"] = listing["description"].replace(
    " There are no custom enumerations in part 1.",
    " Custom enumerations (`POST /enumerations`) are listed with `enumType` `custom` (and "
    "not under `twoState` or `multiState`); `effectivePermissions.canCreate` is true for a user "
    "who may write.",
)
one = paths["/api/v4/enumerations/{id}"]["get"]
one["description"] += (
    " With `includeSchema`, each member of the schema is `readOnly` unless the enumeration is "
    "custom; `effectivePermissions` says whether the user may edit and delete it."
)
