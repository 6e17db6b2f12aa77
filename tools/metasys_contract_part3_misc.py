"""Part 3's remaining INTERNAL and PRIVATE operations (slice "misc"): object trees and user views,
the public view of an object, bulk creation, system capabilities and settings (also at the
``/api/private-api/v4`` paths the reference notes), historical time series, user accounts, audit
counts and alarm annotations.

Run inside tools/metasys_contract.py (it shares that module's names: paths, schemas, ok, q, STD,
NF, MEDIA, HOST, SANDBOX_SHAPE, PAGE ...); not a module of its own.
"""

# ruff: noqa: E501, F821
# mypy: ignore-errors

ISO_TIME = {"type": "string", "format": "date-time"}
URI = {"type": "string", "format": "uri"}
NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
OFFLINE_503 = {"503": {"$ref": "#/components/responses/Offline"}}
ADMIN_403 = {
    "403": {
        "description": "Not an administrator (the operation requires admin privileges), or too "
        "many requests (with Retry-After).",
        "headers": {
            "Retry-After": {
                "schema": {"type": "string"},
                "description": "Seconds until the next request is admitted (too many requests only).",
            }
        },
        "content": {
            MEDIA: {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"Message": "This operation requires administrator privileges."},
            }
        },
    }
}


def path_id(name, description, example):
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    }


def flag(name, description, example=True):
    return q(name, {"type": "boolean", "default": False}, description, example)


INTRO += """
**Trees, settings, time series, users and counts** (part 3, the remaining INTERNAL and PRIVATE
operations). `GET /objects/trees` lists the "all items" tree (its id is the site object's) and
the fixture's user views; `GET /objects/{objectId}/publicView` reads what any user may;
`POST /objects/bulk` creates many objects, each answering on its own. The system operations are
served at `/api/v4/system/...` (the reference's samples) and at `/api/private-api/v4/system/...`
(where, the reference notes, v4 actually exposed them). Settings are kept per tenant and checked
against their schema. `GET /timeSeries` lists the repository's series, which outlive deleted
objects. `GET /users/{userId}` and `PATCH /users/{userId}` are for administrators only; an edit
shows in `GET /users` and `GET /userinfo`. `GET /audits/counts` counts the audits every write
leaves; `POST /alarms/{alarmId}/annotations` annotates an alarm as audits are annotated.
"""

# --- object trees ------------------------------------------------------------------------------

schemas["objectTreeSummary"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "itemReference", "treeType", "self"],
    "properties": {
        "id": {"type": "string", "description": "The tree's id (`treeId`)."},
        "name": {"type": "string"},
        "itemReference": {"type": "string"},
        "treeType": {
            "type": "string",
            "enum": ["allItems", "userView"],
            "description": "The all-items (network) tree, or a user defined tree (user view).",
        },
        "self": {**URI, "description": "The tree (`GET /objects/trees/{treeId}`)."},
    },
}
schemas["objectTreeList"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["self", "total", "items", "effectivePermissions"],
    "properties": {
        "self": URI,
        "total": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/objectTreeSummary"}},
        "effectivePermissions": {
            "type": "object",
            "additionalProperties": False,
            "required": ["canRead"],
            "properties": {
                "canRead": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The ids of the trees the user can read.",
                }
            },
        },
    },
}
schemas["objectTreeNode"] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "name",
        "itemReference",
        "objectType",
        "classification",
        "objectUrl",
        "items",
    ],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "itemReference": {"type": "string"},
        "objectType": {"type": "string"},
        "classification": {"type": "string"},
        "objectUrl": {
            **NULLABLE_URI,
            "description": "The object; null for a folder of a user view (not an object in the sandbox).",
        },
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/objectTreeNode"}},
    },
}
schemas["objectTree"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["self", "id", "name", "itemReference", "items"],
    "properties": {
        "self": URI,
        "id": {"type": "string"},
        "name": {"type": "string"},
        "itemReference": {"type": "string"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/objectTreeNode"}},
        "effectivePermissions": {
            "type": "object",
            "additionalProperties": False,
            "required": ["canDelete", "canView", "canModify"],
            "description": "With `includePermissions`: the ids of the tree's objects the user can "
            "delete, view and modify (as `GET /objects` lists them).",
            "properties": {
                name: {"type": "array", "items": {"type": "string"}}
                for name in ("canDelete", "canView", "canModify")
            },
        },
        "condition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["deleted"],
            "description": "With `includeConditions`.",
            "properties": {
                "deleted": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The ids of the objects the tree names that have been deleted.",
                }
            },
        },
    },
}
tree_node_example = {
    "id": "09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0",
    "name": "Zone Temperature",
    "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-T",
    "objectType": "objectTypeEnumSet.aiClass",
    "classification": "point",
    "objectUrl": f"{HOST}/objects/09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0",
    "items": [],
}
paths["/api/v4/objects/trees"] = {
    "get": {
        "tags": ["objects"],
        "operationId": "listObjectTrees",
        "summary": "List object trees (INTERNAL)",
        "x-visibility": "internal",
        "description": 'Returns a list of all the navigation trees for objects: the "all items" '
        "tree and the user defined trees (user views). Every tree is listed; "
        "`effectivePermissions.canRead` lists only those the user can read."
        + SANDBOX_SHAPE
        + " The all-items tree's id is the site object's id; the user views are the fixture's "
        "(`userViews`), some readable by administrators only. They are not objects in the "
        "sandbox (`GET /objects/{treeId}` is 404 for them).",
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/objectTreeList"},
                {
                    "self": f"{HOST}/objects/trees",
                    "total": 2,
                    "items": [
                        {
                            "id": "37cbb37b-3a42-54e1-bf9b-ad3fb71b2ebb",
                            "name": "All Items",
                            "itemReference": "ADS1:ADS1/$site",
                            "treeType": "allItems",
                            "self": f"{HOST}/objects/trees/37cbb37b-3a42-54e1-bf9b-ad3fb71b2ebb",
                        },
                        {
                            "id": "71637905-0bf0-5287-8f49-8d90066070fa",
                            "name": "Zone Temperatures",
                            "itemReference": "ADS1:ADS1/$site.UserTrees.ZoneTemperatures",
                            "treeType": "userView",
                            "self": f"{HOST}/objects/trees/71637905-0bf0-5287-8f49-8d90066070fa",
                        },
                    ],
                    "effectivePermissions": {
                        "canRead": [
                            "37cbb37b-3a42-54e1-bf9b-ad3fb71b2ebb",
                            "71637905-0bf0-5287-8f49-8d90066070fa",
                        ]
                    },
                },
            ),
            **STD,
        },
    }
}
paths["/api/v4/objects/trees/{treeId}"] = {
    "get": {
        "tags": ["objects"],
        "operationId": "getObjectTree",
        "summary": "Get user view (INTERNAL)",
        "x-visibility": "internal",
        "description": "This operation fetches the specified tree. It differs from _Get an "
        "object_ in that it returns the tree itself."
        + SANDBOX_SHAPE
        + " Each node is a folder or an object, with its children in `items`. A user view keeps "
        "naming an object deleted since (from what it knew of it); `includeConditions` lists "
        "such objects in `condition.deleted`. A tree the user cannot read is 403; an unknown "
        "tree 404.",
        "parameters": [
            path_id(
                "treeId",
                "The unique object identifier of the tree to retrieve (see List object trees).",
                "71637905-0bf0-5287-8f49-8d90066070fa",
            ),
            flag(
                "includePermissions",
                "Include effective permissions of the current user with respect to the objects "
                "in this tree.",
            ),
            flag(
                "includeConditions",
                "Include a condition section in the payload that lists any objects that have "
                "been deleted.",
            ),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/objectTree"},
                {
                    "self": f"{HOST}/objects/trees/71637905-0bf0-5287-8f49-8d90066070fa?includePermissions=true&includeConditions=true",
                    "id": "71637905-0bf0-5287-8f49-8d90066070fa",
                    "name": "Zone Temperatures",
                    "itemReference": "ADS1:ADS1/$site.UserTrees.ZoneTemperatures",
                    "items": [
                        {
                            "id": "efc4f18a-1994-5253-a842-f7cb335caba1",
                            "name": "Floor 1",
                            "itemReference": "ADS1:ADS1/$site.UserTrees.ZoneTemperatures.Floor1",
                            "objectType": "objectTypeEnumSet.containerClass",
                            "classification": "folder",
                            "objectUrl": None,
                            "items": [tree_node_example],
                        }
                    ],
                    "effectivePermissions": {
                        "canDelete": [],
                        "canView": ["09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0"],
                        "canModify": ["09bf9933-4cbe-5f2a-acc4-eb2bbeb4b6e0"],
                    },
                    "condition": {"deleted": []},
                },
            ),
            **STD,
            **NF,
        },
    }
}

# --- public view -------------------------------------------------------------------------------

schemas["publicView"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["self", "objectType", "item", "effectivePermissions", "condition"],
    "properties": {
        "self": URI,
        "objectType": {"type": "string"},
        "item": {
            "type": "object",
            "required": ["id", "itemReference", "name"],
            "description": "The public attributes: `id`, `itemReference`, `name`, `description`, "
            "`objectCategory`, and for a point its `defaultAttribute` and that attribute "
            "(`presentValue`).",
            "properties": {
                "id": {"type": "string"},
                "itemReference": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": ["string", "null"]},
                "objectCategory": {"type": ["string", "null"]},
                "defaultAttribute": {"type": "string"},
            },
        },
        "schema": {"type": "object", "description": "With `includeSchema`: the item's schema."},
        "effectivePermissions": {
            "type": "object",
            "additionalProperties": False,
            "required": ["canDelete", "canModify"],
            "properties": {"canDelete": {"type": "boolean"}, "canModify": {"type": "boolean"}},
        },
        "condition": {"type": "object", "description": "As `GET /objects/{objectId}` has it."},
    },
}
paths["/api/v4/objects/{objectId}/publicView"] = {
    "get": {
        "tags": ["objects"],
        "operationId": "getObjectPublicView",
        "summary": "Get public view (INTERNAL)",
        "x-visibility": "internal",
        "description": "Returns a set of attributes for an object that are public information "
        "for any authenticated user. If the object has a default attribute (`defaultAttribute`), "
        "that attribute is included too (an AV's `presentValue`)."
        + SANDBOX_SHAPE
        + " The public attributes are `id`, `itemReference`, `name`, `description` and "
        "`objectCategory`; the value comes from the device, so an offline device is 503.",
        "parameters": [
            path_id(
                "objectId", "The identifier of the object.", "32cfddc0-411f-5b9e-9a6d-442cb62fecbb"
            ),
            q(
                "includeSchema",
                {"type": "boolean"},
                "Set this parameter to true to include the schema for this object in the response payload.",
                False,
            ),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/publicView"},
                {
                    "self": f"{HOST}/objects/32cfddc0-411f-5b9e-9a6d-442cb62fecbb/publicView",
                    "objectType": "objectTypeEnumSet.avClass",
                    "item": {
                        "id": "32cfddc0-411f-5b9e-9a6d-442cb62fecbb",
                        "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-SP",
                        "name": "Zone Setpoint",
                        "description": None,
                        "objectCategory": "objectCategoryEnumSet.hvacCategory",
                        "defaultAttribute": "attributeEnumSet.presentValue",
                        "presentValue": 72.0,
                    },
                    "effectivePermissions": {"canDelete": False, "canModify": True},
                    "condition": {
                        "presentValue": {
                            "reliability": "reliabilityEnumSet.reliable",
                            "priority": "writePriorityEnumSet.priorityNone",
                        }
                    },
                },
            ),
            **STD,
            **NF,
            **OFFLINE_503,
        },
    }
}

# --- bulk creation -----------------------------------------------------------------------------

schemas["bulkCreateResult"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "localUniqueIdentifier", "id", "self", "message"],
    "properties": {
        "status": {
            "type": "integer",
            "enum": [201, 400, 403, 404, 409, 503],
            "description": "201 when created, else the error _Create an object_ would answer.",
        },
        "localUniqueIdentifier": {"type": "string"},
        "id": {"type": ["string", "null"]},
        "self": NULLABLE_URI,
        "message": {"type": ["string", "null"], "description": "The error's `Message`."},
    },
}
paths["/api/v4/objects/bulk"] = {
    "post": {
        "tags": ["objects"],
        "operationId": "postObjectsBulk",
        "summary": "Create objects in bulk (PRIVATE)",
        "x-visibility": "private",
        "description": "A bulk operation that creates one or more objects (the reference's stub; "
        "it was made for mapper objects after a discovery, but creates any object)."
        + SANDBOX_SHAPE
        + " The reference gives no path: the sandbox serves `POST /objects/bulk`. Each item is "
        "a _Create an object_ body and is created (or refused) on its own, in order; the "
        "answer lists, in the same order, `status` 201 and the new object, or the status and "
        "`message` _Create an object_ would have answered. A body that is not an array of 1 to "
        "100 such bodies is refused whole (400), as is a user who may not create objects (403).",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 100,
                        "items": {"$ref": "#/components/schemas/post-objects-request"},
                    },
                    "example": [
                        {
                            "parentId": "2993aed9-5765-5641-889c-40ec968c8a82",
                            "localUniqueIdentifier": "ZN-4-SETPT",
                            "objectType": "objectTypeEnumSet.avClass",
                            "item": {"name": "Zone 4 Setpoint"},
                        },
                        {
                            "parentId": "2993aed9-5765-5641-889c-40ec968c8a82",
                            "localUniqueIdentifier": "ZN-5-SETPT",
                            "objectType": "objectTypeEnumSet.avClass",
                            "item": {"name": "Zone 5 Setpoint"},
                        },
                    ],
                }
            },
        },
        "responses": {
            "200": ok(
                {"type": "array", "items": {"$ref": "#/components/schemas/bulkCreateResult"}},
                [
                    {
                        "status": 201,
                        "localUniqueIdentifier": "ZN-4-SETPT",
                        "id": "5d5e2f4c-0b0b-5e8f-9e4a-2a3c1d4b5e6f",
                        "self": f"{HOST}/objects/5d5e2f4c-0b0b-5e8f-9e4a-2a3c1d4b5e6f",
                        "message": None,
                    },
                    {
                        "status": 409,
                        "localUniqueIdentifier": "ZN-5-SETPT",
                        "id": None,
                        "self": None,
                        "message": "An object with the reference ADS1:ADS1/Programming.ZN-5-SETPT already exists.",
                    },
                ],
            ),
            **STD,
        },
    }
}

# --- system ------------------------------------------------------------------------------------

schemas["systemCapabilities"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["items"],
    "properties": {
        "items": {
            "type": "object",
            "description": "Key/value pairs.",
            "additionalProperties": {"type": ["boolean", "string", "number"]},
        }
    },
}
schemas["systemSettings"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["item"],
    "properties": {
        "item": {
            "type": "object",
            "description": "Each setting's current value, by key.",
            "additionalProperties": {"type": ["boolean", "string", "integer"]},
        },
        "schema": {
            "type": "object",
            "description": "With `includeSchema`: a JSON schema whose `properties` give each "
            "setting's `title`, `type`, `default` and allowed values.",
            "required": ["type", "properties"],
            "properties": {
                "type": {"const": "object"},
                "properties": {"type": "object", "additionalProperties": {"type": "object"}},
            },
        },
    },
}
SETTING_KEYS = [
    "graphics.behaviors.flash.simpleSymbolFlash",
    "graphics.behaviors.flash.flashType",
    "site.defaultLanguage",
    "site.unitsSystem",
    "ui.inactivityTimeoutMinutes",
]
capabilities_example = {
    "items": {
        "alarms.annotations": True,
        "audits.annotations": True,
        "audits.counts": True,
        "objects.userViews": True,
        "streaming": True,
        "timeSeries.repository": True,
        "certificates.bacnetSc": False,
        "metasysVersion": "12.0",
    }
}
settings_example = {
    "item": {
        "graphics.behaviors.flash.simpleSymbolFlash": True,
        "graphics.behaviors.flash.flashType": "blink",
        "site.defaultLanguage": "en-US",
        "site.unitsSystem": "imperial",
        "ui.inactivityTimeoutMinutes": 30,
    },
    "schema": {
        "type": "object",
        "properties": {
            "graphics.behaviors.flash.simpleSymbolFlash": {
                "title": "Simple Symbol Flash",
                "type": "boolean",
                "default": True,
            },
            "graphics.behaviors.flash.flashType": {
                "title": "Flash Type",
                "type": "string",
                "enum": ["blink", "color"],
                "default": "blink",
            },
            "site.defaultLanguage": {
                "title": "Default Language",
                "type": "string",
                "enum": ["en-US", "de-DE", "es-ES", "fr-FR", "zh-CN"],
                "default": "en-US",
            },
            "site.unitsSystem": {
                "title": "Units System",
                "type": "string",
                "enum": ["imperial", "metric"],
                "default": "imperial",
            },
            "ui.inactivityTimeoutMinutes": {
                "title": "Inactivity Timeout (minutes)",
                "type": "integer",
                "minimum": 1,
                "maximum": 1440,
                "default": 30,
            },
        },
    },
}
PATH_NOTE = (
    "\n\n**Sandbox choice:** served at `/api/v4/system/...` (the reference's request sample) "
    "and at `/api/private-api/v4/system/...` (where, the reference notes, v4 actually exposed "
    "it); both are one operation on one state."
)
for root in ("/api/v4", "/api/private-api/v4"):
    suffix = "" if root == "/api/v4" else "PrivateApi"
    paths[f"{root}/system/capabilities"] = {
        "get": {
            "tags": ["system"],
            "operationId": f"getSystemCapabilities{suffix}",
            "summary": "Get system capabilities (PRIVATE)",
            "x-visibility": "private",
            "description": "Returns a collection of key/value pairs that describe the "
            "capabilities of a site.\n\nNote: At v4 this operation was only exposed at "
            "`https://{hostname}/api/private-api/v4/system/capabilities` rather than the "
            "expected path of `https://{hostname}/api/v4/system/capabilities`."
            + SANDBOX_SHAPE
            + " The keys say what the sandbox does (the reference lists none)."
            + PATH_NOTE,
            "responses": {
                "200": ok(
                    {"$ref": "#/components/schemas/systemCapabilities"}, capabilities_example
                ),
                **STD,
            },
        }
    }
    paths[f"{root}/system/settings"] = {
        "get": {
            "tags": ["system"],
            "operationId": f"getSystemSettings{suffix}",
            "summary": "Get system settings (PRIVATE)",
            "x-visibility": "private",
            "description": "Returns a set of key/value pairs that describe various system wide "
            "settings.\n\nNote: At v4 this operation was only exposed at "
            "`https://{hostname}/api/private-api/v4/system/settings` rather than the expected "
            "path of `https://{hostname}/api/v4/system/settings`."
            + SANDBOX_SHAPE
            + " The reference names the two flash settings; the other three are the sandbox's "
            "own. Values are kept per tenant until a reset." + PATH_NOTE,
            "parameters": [
                flag(
                    "includeSchema",
                    "Indicates whether the schema for the settings should be returned in the response.",
                )
            ],
            "responses": {
                "200": ok({"$ref": "#/components/schemas/systemSettings"}, settings_example),
                **STD,
            },
        }
    }
    paths[f"{root}/system/settings/{{settingId}}"] = {
        "patch": {
            "tags": ["system"],
            "operationId": f"patchSystemSetting{suffix}",
            "summary": "Edit system setting (PRIVATE)",
            "x-visibility": "private",
            "description": "Update an individual system setting.\n\nNote: At v4 this operation "
            "was only exposed at `https://{hostname}/api/private-api/v4/system/settings/{settingId}` "
            "rather than the expected path of `https://{hostname}/api/v4/system/settings/{settingId}`."
            "\n\n**Sandbox choice:** the value must fit the setting's schema (`GET /system/settings"
            "?includeSchema=true`: its type, and its `enum` or `minimum`/`maximum`), else 400; an "
            "unknown setting is 404; a user without write access 403. The answer is 204 and the "
            "new value shows in `GET /system/settings` at both paths." + PATH_NOTE,
            "parameters": [
                {
                    **path_id(
                        "settingId",
                        "One of the keys in the response payload returned by Get system settings.",
                        "graphics.behaviors.flash.simpleSymbolFlash",
                    ),
                    "schema": {"type": "string", "enum": SETTING_KEYS},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["item"],
                            "properties": {
                                "item": {
                                    "type": ["boolean", "string", "integer"],
                                    "description": "A value appropriate for the specific setting.",
                                }
                            },
                        },
                        "example": {"item": True},
                    }
                },
            },
            "responses": {"204": {"description": "Success"}, **STD, **NF},
        }
    }

# --- time series -------------------------------------------------------------------------------

schemas["timeSeries"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "itemReference", "attribute", "objectType", "objectUrl", "samplesUrl"],
    "properties": {
        "id": {"type": "string"},
        "itemReference": {"type": "string"},
        "attribute": {"type": "string"},
        "objectType": {"type": "string"},
        "objectUrl": {**NULLABLE_URI, "description": "Null once the object is deleted."},
        "samplesUrl": {**NULLABLE_URI, "description": "Null once the object is deleted."},
    },
}
schemas["timeSeriesList"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["total", "items", "next", "previous", "self"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/timeSeries"}},
        "next": NULLABLE_URI,
        "previous": NULLABLE_URI,
        "self": URI,
    },
}
paths["/api/v4/timeSeries"] = {
    "get": {
        "tags": ["samples"],
        "operationId": "listTimeSeries",
        "summary": "List historical time series (PRIVATE)",
        "x-visibility": "private",
        "description": "Retrieves a collection of resources for which historical time series "
        "data exists, from the time series repository: it may list series of objects that no "
        "longer exist."
        + SANDBOX_SHAPE
        + " One series per trended attribute of the fixture's site (the samples of part 1); a "
        "deleted object's series stay, with `objectUrl` and `samplesUrl` null. Sorted by item "
        "reference, then attribute.",
        "parameters": [
            q(
                "searchString",
                {"type": "string"},
                "Filter results by finding objects with an itemReference that contains the "
                "searchString as a substring (case sensitive).",
                "VAV",
            ),
            PAGE,
            q(
                "pageSize",
                {"type": "integer", "minimum": 1, "maximum": 2000, "default": 100},
                "The maximum number of items to return in the response.",
                100,
            ),
            q(
                "sort",
                {
                    "type": "string",
                    "enum": ["itemReference", "-itemReference"],
                    "default": "itemReference",
                },
                "The criteria to use when sorting results (see rules).",
                "itemReference",
            ),
        ],
        "responses": {
            "200": ok(
                {"$ref": "#/components/schemas/timeSeriesList"},
                {
                    "total": 1,
                    "items": [
                        {
                            "id": "1f0c2a4e-6b8d-5c3e-9a1b-2c3d4e5f6a7b",
                            "itemReference": "ADS1:NAE-1/FC-1.VAV-101.ZN-T",
                            "attribute": "attributeEnumSet.presentValue",
                            "objectType": "objectTypeEnumSet.aiClass",
                            "objectUrl": f"{HOST}/objects/a5885077-9dba-5923-a6d8-ae4aabdc6f0a",
                            "samplesUrl": f"{HOST}/objects/a5885077-9dba-5923-a6d8-ae4aabdc6f0a/trendedAttributes/attributeEnumSet.presentValue/samples",
                        }
                    ],
                    "next": None,
                    "previous": None,
                    "self": f"{HOST}/timeSeries?searchString=VAV-101.ZN-T",
                },
            ),
            **STD,
        },
    }
}

# --- users -------------------------------------------------------------------------------------

PROFILE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "fullName": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "\\S"},
        "primaryEmail": {
            "type": "string",
            "maxLength": 256,
            "pattern": "^$|^[^@\\s]+@[^@\\s]+$",
        },
        "accessType": {"type": "string", "enum": ["API", "Standard"]},
        "sessionTimeoutMinutes": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1440,
            "description": "The lifetime of the user's tokens (the reference: the access "
            "token's expiry comes from the user's profile).",
        },
    },
}
USER_VIEWS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["total", "items"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name", "self"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "self": URI},
            },
        },
    },
}
PERMISSIONS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["isAdministrator", "canUseApi"],
    "properties": {"isAdministrator": {"type": "boolean"}, "canUseApi": {"type": "boolean"}},
}
schemas["userAccount"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "self", "userName", "profile", "permissions", "roles", "userViews"],
    "properties": {
        "id": {"type": "string"},
        "self": URI,
        "userName": {"type": "string"},
        "profile": {**PROFILE, "required": list(PROFILE["properties"])},
        "permissions": PERMISSIONS,
        "roles": {
            "type": "null",
            "description": "Roles are not modelled (null, as the reference's example).",
        },
        "userViews": {**USER_VIEWS, "description": "The user views (trees) the user can read."},
    },
}
user_account_example = {
    "id": "6a6034e3-891f-5097-b0b9-469e07c12249",
    "self": f"{HOST}/users/6a6034e3-891f-5097-b0b9-469e07c12249",
    "userName": "api-admin",
    "profile": {
        "fullName": "Sandbox API Administrator",
        "primaryEmail": "api-admin@standin.example",
        "accessType": "API",
        "sessionTimeoutMinutes": 30,
    },
    "permissions": {"isAdministrator": True, "canUseApi": True},
    "roles": None,
    "userViews": {
        "total": 1,
        "items": [
            {
                "id": "71637905-0bf0-5287-8f49-8d90066070fa",
                "name": "Zone Temperatures",
                "self": f"{HOST}/objects/trees/71637905-0bf0-5287-8f49-8d90066070fa",
            }
        ],
    },
}
USER_ID = path_id(
    "userId",
    "The identifier of the user (the `id` that `GET /users` lists).",
    "6a6034e3-891f-5097-b0b9-469e07c12249",
)
USER_NOTE = (
    " The body has the reference's top-level properties (`userName`, `profile`, `permissions`, "
    "`roles` null, `userViews`) and the user's `id` and `self`; `profile` holds what `GET /users` "
    "shows flat. A user who is not an administrator is 403 (the validation table's _Record not "
    "authorized_); an unknown user 404."
)
paths["/api/v4/users/{userId}"] = {
    "get": {
        "tags": ["users"],
        "operationId": "getUser",
        "summary": "Get user (PRIVATE)",
        "x-visibility": "private",
        "description": "Retrieves a specific user account. This operation requires admin "
        "privileges." + SANDBOX_SHAPE + USER_NOTE,
        "parameters": [USER_ID],
        "responses": {
            "200": ok({"$ref": "#/components/schemas/userAccount"}, user_account_example),
            **STD,
            **ADMIN_403,
            **NF,
        },
    },
    "patch": {
        "tags": ["users"],
        "operationId": "patchUser",
        "summary": "Edit user (PRIVATE)",
        "x-visibility": "private",
        "description": "Edit a user. The reference warns that the request body is an exact "
        "duplicate of the response body of `GET /users/{userId}`, with properties repeated, and "
        "that it is not clear which properties are required or what changing one of them does."
        "\n\n**Sandbox choice:** the body is that read body, whole or in part (send back what "
        "you read, changed). `profile.fullName`, `profile.primaryEmail` and "
        "`profile.sessionTimeoutMinutes` (the lifetime of the user's next tokens) change; any "
        "other property sent must be as the read body has it, else 400 (`<name> cannot be "
        "changed.`), as is a property the read body lacks. Administrators only (403). The "
        "answer is 200 and the user as `GET /users/{userId}` now reads it; `GET /users` and "
        "`GET /userinfo` show the change.",
        "parameters": [USER_ID],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "id": {"type": "string"},
                            "self": {"type": "string"},
                            "userName": {"type": "string"},
                            "profile": PROFILE,
                            "permissions": PERMISSIONS,
                            "roles": {"type": "null"},
                            "userViews": USER_VIEWS,
                        },
                    },
                    "example": {
                        "userName": "api-admin",
                        "profile": {
                            "fullName": "Sandbox API Administrator (night shift)",
                            "primaryEmail": "night-shift@standin.example",
                            "sessionTimeoutMinutes": 60,
                        },
                    },
                }
            },
        },
        "responses": {
            "200": ok({"$ref": "#/components/schemas/userAccount"}, user_account_example),
            **STD,
            **ADMIN_403,
            **NF,
        },
    },
}

# --- audit counts ------------------------------------------------------------------------------

schemas["auditCount"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["auditStringId", "startTime", "endTime", "count"],
    "properties": {
        "auditStringId": {
            "type": "integer",
            "description": "The auditTrailStringsEnumSet member (its integer id).",
        },
        "startTime": ISO_TIME,
        "endTime": ISO_TIME,
        "count": {"type": "integer", "minimum": 1},
    },
}
paths["/api/v4/audits/counts"] = {
    "get": {
        "tags": ["audits"],
        "operationId": "getAuditCounts",
        "summary": "Get audit counts (PRIVATE)",
        "x-visibility": "private",
        "description": "Gets counts of audits in specified time intervals for a given time period "
        "grouped by audit string ids (optionally grouped by specified time interval)."
        + SANDBOX_SHAPE
        + " One entry per audit string id and interval that holds any audit, ordered by "
        "interval then id; intervals are UTC calendar hours, days, weeks (from Monday) and "
        "months, clipped to `startTime`..`endTime` (with `None`, the whole period is one "
        "interval). The sandbox audits four kinds of write, each with its audit string id: a "
        "command 41, an attribute write 42, a creation 107, a deletion 150 (the ids of the "
        "reference's request sample, in its order). An `endTime` before `startTime` is an "
        "empty array.",
        "parameters": [
            {
                "name": "auditActions",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                },
                "description": "Filter by audit strings (auditTrailStringsEnumSet). This "
                "parameter does not follow the standard convention of using symbolic names: give "
                "the integer identifiers of the members.",
                "example": [41, 42, 107, 150],
            },
            {
                "name": "startTime",
                "in": "query",
                "required": True,
                "schema": ISO_TIME,
                "description": "Only include results generated on or after this date-time.",
                "example": "2022-07-21T10:00:00-05:00",
            },
            {
                "name": "endTime",
                "in": "query",
                "required": True,
                "schema": ISO_TIME,
                "description": "Only include results generated on or before this date-time.",
                "example": "2022-07-22T09:08:59-05:00",
            },
            q(
                "timeInterval",
                {
                    "type": "string",
                    "enum": ["None", "Hour", "Day", "Week", "Month"],
                    "default": "None",
                },
                "A time interval in which audit counts will be grouped by.",
                "Hour",
            ),
        ],
        "responses": {
            "200": ok(
                {"type": "array", "items": {"$ref": "#/components/schemas/auditCount"}},
                [
                    {
                        "auditStringId": 41,
                        "startTime": "2022-07-21T15:00:00.000Z",
                        "endTime": "2022-07-21T16:00:00.000Z",
                        "count": 3,
                    },
                    {
                        "auditStringId": 42,
                        "startTime": "2022-07-21T15:00:00.000Z",
                        "endTime": "2022-07-21T16:00:00.000Z",
                        "count": 1,
                    },
                ],
            ),
            **STD,
        },
    }
}

# --- alarm annotations -------------------------------------------------------------------------

annotate_alarm = copy.deepcopy(paths["/api/v4/audits/{auditId}/annotations"]["post"])
annotate_alarm.update(
    {
        "tags": ["alarms"],
        "operationId": "postAlarmAnnotation",
        "summary": "Add alarm annotation (INTERNAL)",
        "x-visibility": "internal",
        "description": "Adds an annotation to an alarm.\n\n**Sandbox choice:** as an audit "
        "annotation: the text (1 to 255 characters, not only whitespace) is trimmed; the answer "
        "is 201 without a body; a user without write access is 403. The annotation shows in "
        "`GET /alarms/{alarmId}/annotations` and on the stream (`activity.alarm.annotate`).",
        "parameters": [
            path_id(
                "alarmId", "The identifier of the alarm.", "4d0598d4-2836-4efd-84b8-6f39754b1fc5"
            )
        ],
    }
)
annotate_alarm["responses"]["400"] = {"$ref": "#/components/responses/BadRequest"}
paths["/api/v4/alarms/{alarmId}/annotations"]["post"] = annotate_alarm

# --- the fixture's user views --------------------------------------------------------------------

VIEW_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "object": {"type": "string"},
        "items": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/SandboxFixtureViewItem"},
        },
    },
    "oneOf": [{"required": ["object"]}, {"required": ["name"]}],
}
schemas["SandboxFixtureViewItem"] = VIEW_ITEM
schemas["SandboxFixture"]["properties"]["userViews"] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "items"],
        "properties": {
            "name": {"type": "string"},
            "administratorsOnly": {"type": "boolean"},
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/SandboxFixtureViewItem"},
            },
        },
    },
}
