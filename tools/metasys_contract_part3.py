"""Part 3's additions to contracts/metasys.yaml: the reference's INTERNAL and PRIVATE operations,
which the vendor's published document leaves out. Their schemas are written here from the
reference; each operation carries ``x-visibility`` (internal or private).

Run inside tools/metasys_contract.py (it shares that module's names: paths, schemas, ok, q, STD,
NF, MEDIA, HOST, SANDBOX_SHAPE ...); not a module of its own.
"""

# ruff: noqa: E501, F821
# mypy: ignore-errors

INTRO += """
**INTERNAL and PRIVATE operations** (part 3). The reference documents operations beyond the
published document, marked INTERNAL or PRIVATE; the sandbox serves them, and each carries
`x-visibility: internal` or `x-visibility: private` here (public operations carry none). Their
response bodies are collapsed in the reference: where the sandbox chose a shape, the operation
says "Sandbox choice".
"""

# --- the well-known object queries ---

summary = copy.deepcopy(schemas["objectEntityInTree"])
summary["title"] = "Object (minimal)"
summary["description"] = "A minimal representation of an object, as `GET /objects` lists it."
del summary["properties"]["items"]
summary["required"] = [name for name in summary["required"] if name != "items"]
schemas["wellKnownQueryObject"] = summary
schemas["wellKnownQueryResponse"] = {
    "type": "object",
    "description": "A page of a well-known query. **Sandbox choice:** the reference collapses "
    "this body to `items`; the sandbox lists each object as `GET /objects` does (with "
    "`hasChildrenMatchingQuery` false), and adds `self` and `next` (the URL of the next page, "
    "with its `cursor`; null on the last page).",
    "required": ["self", "items", "next"],
    "additionalProperties": False,
    "properties": {
        "self": {"type": "string", "format": "uri"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/wellKnownQueryObject"}},
        "next": {"type": ["string", "null"], "format": "uri"},
    },
}

WELL_KNOWN = {
    "alarm": (
        "getObjectsInAlarm",
        "Get objects in alarm (INTERNAL)",
        "Get all of the objects that are in alarm for the device.",
        "objects with an alarm that is not discarded (pending or acknowledged).",
    ),
    "disabled": (
        "getDisabledObjects",
        "Get disabled objects (INTERNAL)",
        "Retrieves a list of objects for the well known disabled query.",
        "objects whose alarm reporting is disabled (`alarmsEnabled` false, after "
        "`disableAlarmsCommand`).",
    ),
    "offline": (
        "getOfflineObjects",
        "Get offline objects (INTERNAL)",
        "Retrieves a list of objects for the well known offline query.",
        "the field devices taken offline (`POST /_sandbox/metasys/devices/{id}/offline`) and "
        "every object they hold.",
    ),
    "operatorOverride": (
        "getOperatorOverrideObjects",
        "Get overridden objects (INTERNAL)",
        "Retrieves a list of objects for the well known operator override query.",
        "points whose present value comes from priority 8 (operator or temporary override).",
    ),
    "outOfService": (
        "getOutOfServiceObjects",
        "Get out of service objects (INTERNAL)",
        "Get all of the objects that are out of service.",
        "objects whose `outOfService` is true (after `outOfServiceCommand`).",
    ),
    "supervisoryOverride": (
        "getSupervisoryOverrideObjects",
        "Get overridden N2 device objects (INTERNAL)",
        "Retrieves a list of N2 device objects for the well known supervisory override query.",
        "none: supervisory override belongs to N2 devices, which the sandbox does not model.",
    ),
    "trouble": (
        "getTroubleObjects",
        "Get objects with a trouble status (INTERNAL)",
        "Retrieves a list of objects for the well known trouble query.",
        "points whose reliability is not `reliable` (an analog value outside its minimum and "
        "maximum).",
    ),
}
well_known_example = {
    "self": f"{HOST}/objects/5a22812f-ec51-4c11-ab4a-fc986f94f008/objects/wellKnownQuery/operatorOverride",
    "items": [
        {
            "self": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0",
            "parentUrl": f"{HOST}/objects/6c6d6a29-5fc3-5c3b-a1c0-2c41b4a4a6a1",
            "networkDeviceUrl": f"{HOST}/networkDevices/6c6d6a29-5fc3-5c3b-a1c0-2c41b4a4a6a1",
            "pointsUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0/points",
            "objectsUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0/objects",
            "alarmsUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0/alarms",
            "auditsUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0/audits",
            "trendedAttributesUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0/trendedAttributes",
            "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-SP",
            "hasChildrenMatchingQuery": False,
            "name": "ZN-SP",
            "label": "Zone Setpoint",
            "id": "09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0",
            "objectType": "objectTypeEnumSet.avClass",
            "classification": "point",
        }
    ],
    "next": None,
}
for name, (operation_id, title, words, rule) in WELL_KNOWN.items():
    paths[f"/api/v4/objects/{{objectId}}/objects/wellKnownQuery/{name}"] = {
        "get": {
            "tags": ["objects"],
            "operationId": operation_id,
            "summary": title,
            "x-visibility": "internal",
            "description": f"{words} The object id needs to be a supervisory device.\n\n"
            f"**Sandbox choice:** the query selects {rule} Objects are listed in tree order "
            "below the device, extensions left out. A supervisory device is an engine or a "
            "server (classification `device` or `server`); another object is 400, an unknown "
            "one 404, an offline engine 503. `cursor` is the position of the first object of "
            "the page (0 first); `METASYS-SUBSCRIBE` is not served on these queries.",
            "parameters": [
                {
                    "name": "objectId",
                    "in": "path",
                    "required": True,
                    "description": "The identifier of the object. This must be a supervisory "
                    "device object id for a well known query.",
                    "example": "5a22812f-ec51-4c11-ab4a-fc986f94f008",
                    "schema": {"type": "string"},
                },
                q(
                    "cursor",
                    {"type": "integer", "minimum": 0},
                    "A handle to next page of data.",
                    243,
                ),
                q(
                    "pageSize",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                    "The maximum number of items to return in the response.",
                    100,
                ),
            ],
            "responses": {
                "200": ok(
                    {"$ref": "#/components/schemas/wellKnownQueryResponse"}, well_known_example
                ),
                **STD,
                **NF,
                "503": {"$ref": "#/components/responses/Offline"},
            },
        }
    }
