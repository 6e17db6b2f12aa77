"""Build contracts/metasys.yaml from the vendor's published OpenAPI 3.0.3 document for v4.

    python tools/metasys_contract.py path/to/metasys-rest-api-v4.openapi.json

The public operations part 1 serves keep the published parameters, request bodies and response
schemas (3.0 -> 3.1: ``nullable`` becomes a ``null`` type; ``examples`` become one ``example``);
error answers, the operations the published document lacks, and the sandbox's choices are added
here. A development tool: nothing at run or test time imports it.
"""

# ruff: noqa: E501

import copy
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from standin.metasys.enums import ENUM_SETS
from standin.metasys.types import OBJECT_TYPES

V = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
VC = V["components"]
OUTPUT = Path(__file__).resolve().parents[1] / "contracts" / "metasys.yaml"
INTRO = """The whole Metasys REST API v4 reference as the sandbox serves it: the public operations
(those of Johnson Controls' published OpenAPI document for v4) and the INTERNAL and PRIVATE ones
the reference documents beyond it, each of those marked `x-visibility: internal` or
`x-visibility: private`. Login and token refresh, the object model (tree, objects, views,
attributes, commands with a real priority array, supported child types, equipment points, batch
reads and writes), schemas and enumerations, network devices, spaces, equipment and their
relations, trended samples, and users; alarms, audits, activities and streaming; the well-known
object queries, object trees and user views, public views, bulk creation, system capabilities and
settings, historical time series, user accounts and audit counts (each part described at the
end). Response bodies of the public operations are those of the published document (transformed
to OpenAPI 3.1: `nullable` became a `null` type); operations the published document lacks follow
the reference's descriptions, and the shapes the sandbox had to choose are marked **Sandbox
choice:**.

Every path is under `/api/v4` on the Metasys host (the system operations also under
`/api/private-api/v4`, as the reference notes) (in-process the host is
`metasys.standin.example`; on `standin serve` under `/metasys`). `/api/v2` and `/api/v3` are not
served. Every response with a body is `application/vnd.metasysapi.v4+json`; every error body is
`{"Message": "..."}`.

**Sessions.** `POST /login` with `{username, password}` answers `{accessToken, expires}`: a
signed JWT that lives as long as the user's profile says (30 minutes by default). Only users whose
access type is API may log in (403 for the others); a wrong user name or password is 401.
`GET /refreshToken` answers a new token for the same user.

**Validation** (the reference's table): a malformed body, a missing required parameter, a
parameter of the wrong type, out of range, not in its set or not in its format, and a body with a
Content-Type other than JSON are 400; an unknown identifier is 404; an existing resource is 409; a
user not allowed to change an object is 403; a device that is offline is 503. Names and values are
case sensitive.

**Sandbox choice:** too many requests. The reference says 403 but gives no figure: the sandbox
admits 600 requests per user per clock minute and answers the next 403 `{"Message": "Too many
requests."}` with `Retry-After` (the limit is changeable through `/_sandbox/limits`).

**Sandbox choice:** paging. `page` is 1-based; `next` and `previous` are absolute URLs of the
same query, or `null` on the first or last page; a page past the end is an empty `items`.

**Sandbox choice:** commands and the priority array. Adjust writes at its `priority` (16,
`priorityDefault`, when absent or null); Operator Override and Temporary Override write at 8;
Release frees one priority, Release Operator Override frees 8, Release All frees every one. The
effective `presentValue` is the value at the highest priority (lowest number) still written, else
`relinquishDefault` (or, for an AI, its sensor reading). `currentCommandPriority` and
`condition.presentValue.priority` say where it comes from (`priorityNone` when nothing writes it).
An analog value above `maxPresValue` makes the value's reliability `unreliableHigh` (below
`minPresValue`, `unreliableLow`). A Temporary Override ends after its hours and minutes on the
sandbox clock. Editing `presentValue` with PATCH writes at priority 16.

**Sandbox choice:** samples. A trended attribute is sampled every 15 minutes (on the quarter
hour) from its series or commanded value, plus one sample at each commanded change.
"""

MEDIA = "application/vnd.metasysapi.v4+json"

SERVED = [
    ("post", "/login"),
    ("get", "/refreshToken"),
    ("get", "/objects"),
    ("post", "/objects"),
    ("get", "/objects/{objectId}/objects"),
    ("get", "/objectIdentifiers"),
    ("get", "/objects/{objectId}"),
    ("patch", "/objects/{objectId}"),
    ("delete", "/objects/{objectId}"),
    ("get", "/objects/{objectId}/views"),
    ("get", "/objects/{objectId}/attributes"),
    ("get", "/objects/{objectId}/attributes/{attributeId}"),
    ("get", "/objects/{objectId}/commands"),
    ("put", "/objects/{objectId}/commands/{commandId}"),
    ("get", "/objects/{objectId}/supportedChildTypes"),
    ("get", "/objects/{objectId}/points"),
    ("post", "/objects/batch"),
    ("get", "/schemas/enums/{enumId}"),
    ("get", "/schemas/objectTypes/{objectType}"),
    ("get", "/objects/{objectId}/trendedAttributes"),
    ("get", "/objects/{objectId}/trendedAttributes/{attributeId}/samples"),
    ("get", "/networkDevices/{id}/trendedAttributes"),
    ("get", "/networkDevices/{id}/trendedAttributes/{attributeId}/samples"),
    ("get", "/networkDevices"),
    ("get", "/networkDevices/{networkDeviceId}"),
    ("delete", "/networkDevices/{networkDeviceId}"),
    ("get", "/networkDevices/{networkDeviceId}/networkDevices"),
    ("get", "/networkDevices/{networkDeviceId}/spaces"),
    ("get", "/networkDevices/{networkDeviceId}/equipment"),
    ("get", "/equipment"),
    ("get", "/equipment/{equipmentId}"),
    ("get", "/equipment/{equipmentId}/equipment"),
    ("get", "/equipment/{equipmentId}/upstreamEquipment"),
    ("get", "/equipment/{equipmentId}/spaces"),
    ("get", "/equipment/{equipmentId}/networkDevices"),
    ("get", "/equipment/{equipmentId}/points"),
    ("get", "/spaces"),
    ("get", "/spaces/{spaceId}"),
    ("get", "/spaces/{spaceId}/spaces"),
    ("get", "/spaces/{spaceId}/equipment"),
    ("get", "/spaces/{spaceId}/networkDevices"),
    # part 2
    ("get", "/stream"),
    ("delete", "/objects/streams/{streamId}/subscriptions/{subscriptionId}"),
    ("get", "/alarms"),
    ("get", "/alarms/{alarmId}"),
    ("patch", "/alarms/{alarmId}"),
    ("get", "/alarms/{alarmId}/annotations"),
    ("get", "/objects/{objectId}/alarms"),
    ("get", "/networkDevices/{networkDeviceId}/alarms"),
    ("get", "/audits"),
    ("get", "/audits/{auditId}"),
    ("patch", "/audits/{auditId}"),
    ("get", "/audits/{auditId}/annotations"),
    ("post", "/audits/{auditId}/annotations"),
    ("get", "/audits/users"),
    ("get", "/objects/{objectId}/audits"),
    ("get", "/activities"),
    ("post", "/activities/batch"),
    ("delete", "/activities/streams/{streamId}/subscriptions/{subscriptionId}"),
]
SUBSCRIBABLE = {
    ("get", "/objects/{objectId}/attributes/{attributeId}"),
    ("get", "/activities"),
    ("post", "/objects/batch"),
}
OFFLINE = {
    ("get", "/objects/{objectId}"),
    ("patch", "/objects/{objectId}"),
    ("delete", "/objects/{objectId}"),
    ("get", "/objects/{objectId}/attributes/{attributeId}"),
    ("put", "/objects/{objectId}/commands/{commandId}"),
    ("post", "/objects"),
}
CONFLICT = {("post", "/objects"), ("delete", "/networkDevices/{networkDeviceId}")}

used_schemas: set[str] = set()


def deref(node, kind):
    while (
        isinstance(node, dict)
        and "$ref" in node
        and node["$ref"].startswith(f"#/components/{kind}/")
    ):
        node = VC[kind][node["$ref"].split("/")[-1]]
    return node


def conv(node):
    """3.0 -> 3.1: nullable becomes a null type; refs to schemas are collected."""
    if isinstance(node, list):
        return [conv(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: conv(v) for k, v in node.items() if k != "nullable"}
    if "$ref" in out and out["$ref"].startswith("#/components/schemas/"):
        name = out["$ref"].split("/")[-1]
        if name not in used_schemas:
            used_schemas.add(name)
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        elif "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        elif "oneOf" in out:
            out["oneOf"] = [*out["oneOf"], {"type": "null"}]
        elif "allOf" in out:
            out = {"anyOf": [{"allOf": out.pop("allOf")}, {"type": "null"}], **out}
        else:
            print("nullable without type", json.dumps(node)[:200], file=sys.stderr)
    return out


def first_example(content):
    if "example" in content:
        return content["example"]
    for ex in content.get("examples", {}).values():
        ex = deref(ex, "examples")
        return ex["value"]
    schema = deref(content.get("schema", {}), "schemas")
    return schema.get("example")


def error_response(description, example_message):
    return {
        "description": description,
        "content": {
            MEDIA: {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"Message": example_message},
            }
        },
    }


def both(set_id, only=None):
    found = ENUM_SETS[set_id]
    members = [m for m, _ in found.members if only is None or m in only]
    return [f"{set_id}.{m}" for m in members] + members


TYPE_SHORTS = list(OBJECT_TYPES)
PARAM_ENUMS = {
    ("get", "/objects/{objectId}", "viewId"): both("viewNameEnumSet"),
    ("get", "/objects/{objectId}/attributes/{attributeId}", "attributeId"): [
        m for m, _ in ENUM_SETS["attributeEnumSet"].members
    ],
    ("get", "/objects/{objectId}/trendedAttributes/{attributeId}/samples", "attributeId"): both(
        "attributeEnumSet"
    ),
    ("get", "/networkDevices/{id}/trendedAttributes/{attributeId}/samples", "attributeId"): both(
        "attributeEnumSet"
    ),
    ("put", "/objects/{objectId}/commands/{commandId}", "commandId"): both("commandIdEnumSet"),
    ("get", "/spaces", "type"): both("spaceTypesEnumSet"),
    ("get", "/schemas/objectTypes/{objectType}", "extendedProperty"): both("attributeEnumSet"),
}
ENUM_NOTE = (
    "\n\n**Sandbox choice:** the published document types this parameter as a plain "
    "string; the sandbox lists the members it knows (a value outside them answers 400, "
    "as the validation table says for a parameter not in its set)."
)


def parameter(method, path, raw):
    prm = copy.deepcopy(deref(raw, "parameters"))
    prm.pop("examples", None)
    key = (method, path, prm["name"])
    if key in PARAM_ENUMS:
        prm["schema"] = {"type": "string", "enum": PARAM_ENUMS[key]}
        prm["description"] = prm.get("description", "") + ENUM_NOTE
    type_name = {"type": "string", "pattern": "^(objectTypeEnumSet\\.)?[A-Za-z0-9]+Class$"}
    type_note = (
        "\n\n**Sandbox choice:** the published document types this parameter as a plain "
        "string; the sandbox takes any value of the form of an objectTypeEnumSet "
        "member (full or short), 400 otherwise; a type it does not hold matches nothing."
    )
    if (method, path, prm["name"]) == ("get", "/objects/{objectId}/objects", "objectType"):
        prm["schema"] = {"type": "array", "items": type_name}
        prm["description"] = prm.get("description", "") + type_note
    if (method, path, prm["name"]) == ("get", "/networkDevices", "objectType"):
        prm["schema"] = dict(type_name)
        prm["description"] = prm.get("description", "") + type_note
    if prm["name"] == "fqr":
        prm["schema"] = {"type": "string", "pattern": ":", "format": "fully-qualified-reference"}
        prm["description"] = prm.get("description", "") + (
            "\n\n**Sandbox choice:** a value without a `:` is not a fully qualified reference "
            "(400)."
        )
    if prm["name"] in ("startTime", "endTime"):
        prm["description"] = prm.get("description", "") + (
            "\n\n**Sandbox choice:** without `endTime` the samples end now (later instants are "
            "never sampled); without `startTime` they start one day before `endTime`; a "
            "`startTime` after `endTime` is an empty collection."
        )
    prm["schema"] = conv(prm["schema"])
    if "example" in prm and prm["in"] == "path":
        pass
    if prm["in"] == "path" and "example" not in prm:
        prm["example"] = "32cfddc0-411f-5b9e-9a6d-442cb62fecbb"
    if "example" in prm and "enum" in prm["schema"] and prm["example"] not in prm["schema"]["enum"]:
        prm["example"] = prm["schema"]["enum"][0]
    return prm


paths: dict = {}
for method, path in SERVED:
    op = copy.deepcopy(V["paths"][path][method])
    new = {k: op[k] for k in ("tags", "summary", "description", "operationId") if k in op}
    params = [parameter(method, path, p) for p in op.get("parameters", [])]
    if (method, path) not in SUBSCRIBABLE:
        params = [p for p in params if p["name"] != "METASYS-SUBSCRIBE"]
    if params:
        new["parameters"] = params
    if "requestBody" in op:
        body = op["requestBody"]
        content = body["content"]["application/json"]
        new["requestBody"] = {k: v for k, v in body.items() if k != "content"} | {
            "content": {
                "application/json": {
                    "schema": conv(content["schema"]),
                    "example": first_example(content),
                }
            }
        }
    responses = {}
    for status, resp in op["responses"].items():
        if status == "202" and (method, path) not in SUBSCRIBABLE:
            continue
        resp = copy.deepcopy(deref(resp, "responses"))
        if status.startswith("2"):
            if "content" in resp:
                media, content = next(iter(resp["content"].items()))
                entry = {"schema": conv(content["schema"]), "example": first_example(content)}
                resp = {
                    "description": resp["description"],
                    **({"headers": conv(resp["headers"])} if "headers" in resp else {}),
                    "content": {MEDIA: entry},
                }
            else:
                resp = {k: conv(v) for k, v in resp.items()}
            responses[status] = resp
        else:
            responses[status] = error_response(resp["description"], "The request failed.")
    responses.setdefault("400", {"$ref": "#/components/responses/BadRequest"})
    if path != "/login":
        responses.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
        responses.setdefault("403", {"$ref": "#/components/responses/Forbidden"})
    if "{" in path or path in ("/objects", "/objectIdentifiers"):
        responses.setdefault("404", {"$ref": "#/components/responses/NotFound"})
    if (method, path) in CONFLICT:
        responses.setdefault("409", {"$ref": "#/components/responses/Conflict"})
    if (method, path) in OFFLINE:
        responses.setdefault("503", {"$ref": "#/components/responses/Offline"})
    new["responses"] = dict(sorted(responses.items()))
    if path == "/login":
        new["security"] = []
    if path == "/stream":
        new["security"] = op["security"]
    paths.setdefault("/api/v4" + path, {})[method] = new

# collect schemas transitively
schemas = {}
pending = list(used_schemas)
while pending:
    name = pending.pop()
    if name in schemas:
        continue
    before = set(used_schemas)
    schemas[name] = conv(copy.deepcopy(VC["schemas"][name]))
    pending.extend(used_schemas - before)


# --- assembling the document ---


def ok(schema, example, description="Success"):
    return {"description": description, "content": {MEDIA: {"schema": schema, "example": example}}}


def q(name, schema, description, example=None):
    p = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    if example is not None:
        p["example"] = example
    return p


STD = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
NF = {"404": {"$ref": "#/components/responses/NotFound"}}
SANDBOX_SHAPE = (
    "\n\n**Sandbox choice:** the reference collapses this response body; the sandbox "
    "answers the shape below."
)
HOST = "https://metasys.standin.example/api/v4"

schemas["Error"] = {
    "type": "object",
    "required": ["Message"],
    "additionalProperties": False,
    "description": "The body of every error (ASP.NET Web API style). **Sandbox choice:** the "
    "service documents the 401 body only; the sandbox answers every error this way.",
    "properties": {"Message": {"type": "string"}},
}
schemas["EnumerationSummary"] = {
    "type": "object",
    "required": ["id", "title", "setId", "enumType", "numberOfStates", "self"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "setId": {"type": "integer"},
        "enumType": {"type": "string", "enum": ["twoState", "multiState", "custom"]},
        "numberOfStates": {"type": "integer", "minimum": 0},
        "self": {"type": "string", "format": "uri"},
    },
}
enum_summary_example = {
    "id": "writePriorityEnumSet",
    "title": "Write Priority",
    "setId": 1,
    "enumType": "multiState",
    "numberOfStates": 17,
    "self": f"{HOST}/enumerations/writePriorityEnumSet",
}
schemas["EnumerationList"] = {
    "type": "object",
    "required": ["total", "items", "self"],
    "additionalProperties": False,
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/EnumerationSummary"}},
        "self": {"type": "string", "format": "uri"},
        "effectivePermissions": {
            "type": "object",
            "properties": {"canCreate": {"type": "boolean"}},
        },
    },
}
schemas["Enumeration"] = {
    "type": "object",
    "required": ["item"],
    "additionalProperties": False,
    "properties": {
        "item": {
            "type": "object",
            "additionalProperties": False,
            "required": [*schemas["EnumerationSummary"]["required"], "members"],
            "properties": {
                **schemas["EnumerationSummary"]["properties"],
                "members": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "memberId", "title"],
                        "additionalProperties": False,
                        "properties": {
                            "id": {"type": "string"},
                            "memberId": {"type": "integer"},
                            "title": {"type": "string"},
                        },
                    },
                },
            },
        },
        "schema": {
            "type": "object",
            "description": "The enumeration as a JSON schema (as `GET /schemas/enums/{enumId}`).",
        },
        "effectivePermissions": {
            "type": "object",
            "properties": {"canModify": {"type": "boolean"}, "canDelete": {"type": "boolean"}},
        },
    },
}
schemas["Identification"] = {
    "type": "object",
    "required": ["schema"],
    "properties": {
        "schema": {
            "type": "object",
            "required": ["type", "properties"],
            "properties": {
                "type": {"const": "object"},
                "properties": {"type": "object", "required": ["name", "localUniqueIdentifier"]},
            },
        }
    },
}
schemas["User"] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "userName",
        "fullName",
        "primaryEmail",
        "accessType",
        "isAdministrator",
        "self",
    ],
    "properties": {
        "id": {"type": "string"},
        "userName": {"type": "string"},
        "fullName": {"type": "string"},
        "primaryEmail": {"type": "string"},
        "accessType": {"type": "string", "enum": ["API", "Standard"]},
        "isAdministrator": {"type": "boolean"},
        "self": {"type": "string", "format": "uri"},
    },
}
user_example = {
    "id": "6a6034e3-891f-5097-b0b9-469e07c12249",
    "userName": "api-admin",
    "fullName": "Sandbox API Administrator",
    "primaryEmail": "api-admin@standin.example",
    "accessType": "API",
    "isAdministrator": True,
    "self": f"{HOST}/users/6a6034e3-891f-5097-b0b9-469e07c12249",
}
schemas["Users"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["total", "items", "next", "previous", "self"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
        "next": {"type": ["string", "null"], "format": "uri"},
        "previous": {"type": ["string", "null"], "format": "uri"},
        "self": {"type": "string", "format": "uri"},
    },
}
NODE = {
    "type": "object",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[^\\x00-\\x1F\\x7F\\x22#'*,./:<>?@\\[\\\\\\]|]+$"},
        "type": {"type": "string", "enum": list(OBJECT_TYPES)},
        "label": {"type": "string"},
        "description": {"type": "string"},
        "ipAddress": {"type": "string"},
        "firmwareVersion": {"type": "string"},
        "units": {"type": "string"},
        "displayPrecision": {"type": "string"},
        "relinquishDefault": {"type": ["number", "string"]},
        "minPresValue": {"type": "number"},
        "maxPresValue": {"type": "number"},
        "deletable": {"type": "boolean"},
        "trend": {
            "oneOf": [
                {"type": "boolean"},
                {"type": "array", "items": {"enum": ["memoryUsage", "cpuUsage"]}},
            ]
        },
        "series": {
            "type": "object",
            "required": ["mean"],
            "additionalProperties": False,
            "properties": {
                "mean": {"type": "number"},
                "amplitude": {"type": "number"},
                "noise": {"type": "number"},
                "peakHour": {"type": "number"},
            },
        },
        "children": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/SandboxFixtureObject"},
        },
    },
}
SPACE = {
    "type": "object",
    "required": ["name", "ref", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "ref": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"},
        "type": {"enum": ["generic", "building", "floor", "room"]},
        "children": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/SandboxFixtureSpace"},
        },
    },
}
schemas["SandboxFixtureObject"] = NODE
schemas["SandboxFixtureSpace"] = SPACE
schemas["SandboxFixture"] = {
    "description": "The sandbox's default dataset (`fixtures/metasys.yaml`): not an API body.",
    "type": "object",
    "additionalProperties": False,
    "required": ["site", "users", "devices", "spaces", "equipment"],
    "properties": {
        "site": {"type": "string"},
        "timeZone": {"type": "string"},
        "utcOffsetHours": {"type": "number"},
        "trendIntervalSeconds": {"type": "integer", "minimum": 60},
        "users": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "username", "password", "accessType"],
                "properties": {
                    "role": {"enum": ["admin", "viewer", "standard"]},
                    "username": {"type": "string"},
                    "password": {"type": "string"},
                    "accessType": {"enum": ["api", "standard"]},
                    "tokenMinutes": {"type": "integer", "minimum": 1},
                    "fullName": {"type": "string"},
                    "email": {"type": "string"},
                    "canWrite": {"type": "boolean"},
                },
            },
        },
        "devices": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/components/schemas/SandboxFixtureObject"},
        },
        "spaces": {"type": "array", "items": {"$ref": "#/components/schemas/SandboxFixtureSpace"}},
        "equipment": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "device", "type", "points"],
                "properties": {
                    "name": {"type": "string"},
                    "device": {"type": "string"},
                    "type": {"type": "string"},
                    "serves": {"type": "array", "items": {"type": "string"}},
                    "servesEquipment": {"type": "array", "items": {"type": "string"}},
                    "points": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["shortName", "label", "object"],
                            "properties": {
                                "shortName": {"type": "string"},
                                "label": {"type": "string"},
                                "object": {"type": "string"},
                                "isDisplayData": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
    },
}
PAGE = q(
    "page",
    {"type": "integer", "minimum": 1, "default": 1},
    "The page number of items to return.",
    1,
)

paths["/api/v4/schemas/objectTypes/{objectType}/identification"] = {
    "get": {
        "tags": ["schemas"],
        "operationId": "getObjectTypeIdentification",
        "summary": "Get object type identification information (PRIVATE)",
        "description": "Suggests a `name` and `localUniqueIdentifier` for the next object of this type "
        "under `parentObjectId` (unused there when asked)." + SANDBOX_SHAPE,
        "parameters": [
            {
                "name": "objectType",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "example": "objectTypeEnumSet.avClass",
                "description": "The type of object (full or short name).",
            },
            {
                "name": "parentObjectId",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "example": "b3ca663c-36c1-584f-9462-83d7b3d0349d",
                "description": "Where the object would be created.",
            },
            {
                "name": "extendedProperty",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Accepted and ignored (no extension types are created here).",
                "example": "attributeEnumSet.presentValue",
            },
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/Identification"},
                {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "default": "AV1"},
                            "localUniqueIdentifier": {"type": "string", "default": "AV1"},
                        },
                    }
                },
            ),
            **STD,
            **NF,
        },
    }
}
paths["/api/v4/enumerations"] = {
    "get": {
        "tags": ["enumerations"],
        "operationId": "listEnumerations",
        "summary": "List enumerations (INTERNAL)",
        "description": "Every enumeration set the sandbox uses."
        + SANDBOX_SHAPE
        + " There are no custom enumerations in part 1.",
        "parameters": [
            q(
                "enumType",
                {
                    "type": "string",
                    "enum": ["all", "twoState", "multiState", "custom"],
                    "default": "all",
                },
                "The type of enumerations to return.",
                "all",
            ),
            q(
                "minNumberOfStates",
                {"type": "integer", "minimum": 0},
                "Only multi-state (and custom) enumerations with at least this many states; ignored for all and twoState.",
                4,
            ),
            q(
                "includePermissions",
                {"type": "boolean", "default": False},
                "Include effective permissions.",
                False,
            ),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/EnumerationList"},
                {"total": 1, "items": [enum_summary_example], "self": f"{HOST}/enumerations"},
            ),
            **STD,
        },
    }
}
paths["/api/v4/enumerations/{id}"] = {
    "get": {
        "tags": ["enumerations"],
        "operationId": "getEnumeration",
        "summary": "Get an enumeration (INTERNAL)",
        "description": "One enumeration with its members." + SANDBOX_SHAPE,
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "example": "writePriorityEnumSet",
                "description": "The enumeration (short, or as a member of enumerationSetNamesEnumSet).",
            },
            q(
                "includeSchema",
                {"type": "boolean"},
                "Include the enumeration as a JSON schema.",
                False,
            ),
            q("includePermissions", {"type": "boolean"}, "Include effective permissions.", False),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/Enumeration"},
                {
                    "item": {
                        **enum_summary_example,
                        "enumType": "twoState",
                        "id": "binarypvEnumSet",
                        "title": "Binary Present Value",
                        "setId": 2,
                        "numberOfStates": 2,
                        "self": f"{HOST}/enumerations/binarypvEnumSet",
                        "members": [
                            {
                                "id": "binarypvEnumSet.bacbinInactive",
                                "memberId": 0,
                                "title": "Inactive",
                            },
                            {
                                "id": "binarypvEnumSet.bacbinActive",
                                "memberId": 1,
                                "title": "Active",
                            },
                        ],
                    }
                },
            ),
            **STD,
            **NF,
        },
    }
}
paths["/api/v4/userinfo"] = {
    "get": {
        "tags": ["users"],
        "operationId": "getUserInfo",
        "summary": "Get current user (PRIVATE)",
        "description": "The account of the current session." + SANDBOX_SHAPE,
        "responses": {"200": ok({"$ref": "#/components/schemas/User"}, user_example), **STD},
    }
}
paths["/api/v4/users"] = {
    "get": {
        "tags": ["users"],
        "operationId": "listUsers",
        "summary": "List users (PRIVATE)",
        "description": "The site's user accounts, paged."
        + SANDBOX_SHAPE
        + " `q` matches user names and full names; no login history is kept, so `lastLogin` sorts like `userName`.",
        "parameters": [
            q("q", {"type": "string"}, "Text to look for in user names and full names.", "api"),
            PAGE,
            q(
                "pageSize",
                {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                "**Sandbox choice:** the reference gives no bound; the sandbox allows 1 to 1000.",
                100,
            ),
            q(
                "sort",
                {
                    "type": "string",
                    "default": "userName",
                    "enum": [
                        "fullName",
                        "-fullName",
                        "lastLogin",
                        "-lastLogin",
                        "primaryEmail",
                        "-primaryEmail",
                        "userName",
                        "-userName",
                    ],
                },
                "The criteria to use when sorting results.",
                "userName",
            ),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/Users"},
                {
                    "total": 1,
                    "items": [user_example],
                    "next": None,
                    "previous": None,
                    "self": f"{HOST}/users",
                },
            ),
            **STD,
        },
    }
}

paths["/api/v4/objects/{objectId}/commands/{commandId}"]["put"]["responses"]["200"]["content"][
    MEDIA
]["example"] = "Success"
schemas["put-command-request"]["properties"]["priority"] = {
    "anyOf": [{"$ref": "#/components/schemas/write-priority-enum-set"}, {"type": "null"}],
    "description": "**Sandbox choice:** null writes at priority 16, as an absent priority does.",
}
create = paths["/api/v4/objects"]["post"]["requestBody"]["content"]["application/json"]["schema"]
create_ref = create["$ref"].split("/")[-1] if "$ref" in create else None
target = schemas[create_ref] if create_ref else create
target["properties"]["objectType"]["enum"] = [
    f"objectTypeEnumSet.{t}" for t, kind in OBJECT_TYPES.items() if kind.createable
]
target["properties"]["objectType"]["description"] += (
    "\n\n**Sandbox choice:** the sandbox creates folders, AVs, BVs and MVs (other types are "
    "discovered, not created); the type must also be a supported child type of the parent "
    "(`GET /objects/{objectId}/supportedChildTypes`), else 400, and the item must hold the "
    "type's required properties (`name` for points), else 400."
)
# batch writes
batch = paths["/api/v4/objects/batch"]["post"]
bschema = batch["requestBody"]["content"]["application/json"]["schema"]
bschema["properties"]["method"]["enum"] = ["GET", "PATCH"]
bschema["properties"]["method"]["description"] += (
    "\n\n**Sandbox choice:** besides `GET` (attribute reads, as published), `PATCH` writes: each "
    "request's `relativeUrl` is an object id and its `body` is an _Edit an object_ body "
    '(`{"item": {...}}`); each answer carries the written attributes and their condition.'
)
bschema["properties"]["requests"]["items"]["properties"]["body"] = {
    "type": "object",
    "description": 'For `PATCH`: the attributes to write, as `{"item": {...}}`.',
    "required": ["item"],
    "properties": {"item": {"type": "object", "minProperties": 1}},
}
bschema["properties"]["requests"]["description"] += " Request ids must be unique (400 otherwise)."
bschema["additionalProperties"] = False
bschema["properties"]["requests"]["items"]["additionalProperties"] = False
bschema["description"] = (
    "**Sandbox choice:** properties other than these are refused (400), in the "
    "body and in each request."
)

# Part 2's additions, kept apart from part 1's, run with this module's names.
exec(
    compile(
        (Path(__file__).parent / "metasys_contract_part2.py").read_text(encoding="utf-8"),
        "metasys_contract_part2.py",
        "exec",
    )
)
# Part 3's: the reference's INTERNAL and PRIVATE operations.
exec(
    compile(
        (Path(__file__).parent / "metasys_contract_part3.py").read_text(encoding="utf-8"),
        "metasys_contract_part3.py",
        "exec",
    )
)
# Part 3's certificate operations (BACnet/SC signing requests and certificates).
exec(
    compile(
        (Path(__file__).parent / "metasys_contract_part3_certificates.py").read_text(
            encoding="utf-8"
        ),
        "metasys_contract_part3_certificates.py",
        "exec",
    )
)
exec(
    compile(
        (Path(__file__).parent / "metasys_contract_part3_misc.py").read_text(encoding="utf-8"),
        "metasys_contract_part3_misc.py",
        "exec",
    )
)
# Parts 1 and 2 served some of the reference's INTERNAL and PRIVATE operations already.
for (method, path), visibility in {
    ("get", "/api/v4/enumerations"): "internal",
    ("get", "/api/v4/enumerations/{id}"): "internal",
    ("get", "/api/v4/schemas/objectTypes/{objectType}/identification"): "private",
    ("get", "/api/v4/stream/keepalive"): "private",
    ("get", "/api/v4/userinfo"): "private",
    ("get", "/api/v4/users"): "private",
}.items():
    paths[path][method]["x-visibility"] = visibility
# Part 3, controls slice: controls (diagrams, palettes) and custom enumerations.
exec(
    compile(
        (Path(__file__).parent / "metasys_contract_part3_controls.py").read_text(encoding="utf-8"),
        "metasys_contract_part3_controls.py",
        "exec",
    )
)

document = {
    "openapi": "3.1.0",
    "info": {
        "title": "Johnson Controls Metasys REST API v4",
        "version": "4.0",
        "description": INTRO,
    },
    "servers": [
        {
            "url": "https://metasys.standin.example",
            "description": "The sandbox's default in-process host (any Metasys host: `https://{hostname}`)",
        }
    ],
    "security": [{"Bearer-Authentication": []}],
    "tags": [
        {"name": t}
        for t in [
            "authentication",
            "objects",
            "schemas",
            "enumerations",
            "networkDevices",
            "equipment",
            "spaces",
            "samples",
            "users",
            "system",
        ]
    ],
    "paths": dict(sorted(paths.items())),
    "components": {
        "securitySchemes": {
            "API-Key-Authentication": {
                "type": "apiKey",
                "in": "query",
                "name": "access_token",
                "description": "The access token as a query parameter: `GET /stream` only (EventSource clients cannot set headers).",
            },
            "Bearer-Authentication": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <accessToken>` from `POST /login`. Missing, "
                'malformed or expired tokens: 401 `{"Message": "Authorization has been denied for this request."}`.',
            },
        },
        "responses": {
            "BadRequest": {
                "description": "Invalid body, missing or malformed parameter, value out of range or not in its set, unsupported Content-Type.",
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {"Message": "The parameter pageSize is out of range."},
                    }
                },
            },
            "Unauthorized": {
                "description": "The token is missing, invalid or expired.",
                "headers": {
                    "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
                },
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {"Message": "Authorization has been denied for this request."},
                    }
                },
            },
            "Forbidden": {
                "description": "Not authorized for this object, or too many requests (with Retry-After).",
                "headers": {
                    "Retry-After": {
                        "schema": {"type": "string"},
                        "description": "Seconds until the next request is admitted (too many requests only).",
                    }
                },
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {"Message": "Too many requests."},
                    }
                },
            },
            "NotFound": {
                "description": "An identifier does not match any known data.",
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {
                            "Message": "Object 32cfddc0-411f-5b9e-9a6d-442cb62fecbb was not found."
                        },
                    }
                },
            },
            "Conflict": {
                "description": "The resource already exists (or, for a device, is not offline).",
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {
                            "Message": "An object with the reference ADS1:ADS1/Programming.ZN-3-SETPT already exists."
                        },
                    }
                },
            },
            "Offline": {
                "description": "The device holding the object is offline.",
                "content": {
                    MEDIA: {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "example": {"Message": "The device is offline: ADS1:NAE-1."},
                    }
                },
            },
        },
        "schemas": dict(sorted(schemas.items())),
    },
}


class Dumper(yaml.SafeDumper):
    pass


def str_presenter(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


Dumper.add_representer(str, str_presenter)
Dumper.ignore_aliases = lambda self, data: True
text = yaml.dump(document, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)
OUTPUT.write_text(text, encoding="utf-8")
print(len(text.splitlines()), "lines")
