"""Part 2's additions to contracts/metasys.yaml: streaming (and its event payloads).

Run inside tools/metasys_contract.py (it shares that module's names: paths, schemas, ok, STD,
MEDIA, HOST, SANDBOX_SHAPE ...); not a module of its own.
"""

# ruff: noqa: E501, F821
# mypy: ignore-errors

INTRO += """
**Streaming** (part 2). `GET /stream` opens a Server-Sent Events stream (the token in the
`Authorization` header, or as the `access_token` query parameter for EventSource clients). Its
first event is `hello`, whose data is the quoted stream id; event ids are `<streamId>:<n>`, n
counting from 1. `heartbeat` events carry the sandbox's UTC time. Subscriptions are made with a
`METASYS-SUBSCRIBE: <streamId>` header on the operations that take it; the events they cause are
described by the `*Event` schemas below. A stream ends when the token it was opened with expires,
unless `GET /refreshToken` (or `GET /stream/keepalive`) moved that expiry on. A reconnect with
`Last-Event-Id` replays every event after that id; an id no longer buffered (or of an ended
stream) answers 204.

**Sandbox choice:** stream timing. Heartbeat periods are 30 seconds of sandbox time by default
(changeable through `POST /_sandbox/metasys/streaming` with `heartbeatSeconds`,
`objectHeartbeatSeconds`, `activityHeartbeatSeconds`); events stay resumable for 30 seconds of
sandbox time (plus the one before them) and at most 2000 are buffered per stream; a connection
that falls 2000 events behind is closed (it may resume or start over).
"""

SSE = "text/event-stream"
EVENT_STREAM_EXAMPLE = (
    "id: b6d184ee-e137-44aa-b9b1-14bc704cd25d:1\n"
    "event: hello\n"
    'data: "b6d184ee-e137-44aa-b9b1-14bc704cd25d"\n\n'
    "id: b6d184ee-e137-44aa-b9b1-14bc704cd25d:2\n"
    "event: heartbeat\n"
    'data: "2021-02-16T16:21:10.230Z"\n\n'
)

stream = paths["/api/v4/stream"]["get"]
stream["responses"]["200"]["content"] = {
    SSE: {
        "schema": {"type": "string", "contentMediaType": SSE},
        "example": EVENT_STREAM_EXAMPLE,
    }
}
stream["description"] += (
    "\n\n**Sandbox choice:** the data of `hello` is the stream id as a JSON string (quoted), as the "
    "guide's event list shows; a token that is missing, invalid or expired is 401."
)
paths["/api/v4/stream/keepalive"] = {
    "get": {
        "tags": ["streaming"],
        "operationId": "keepAliveStreams",
        "summary": "Stream keep alive (PRIVATE)",
        "description": "Keeps all streams of the user open until the presented token expires."
        "\n\n**Sandbox choice:** the reference gives no response; the sandbox answers 204.",
        "responses": {"204": {"description": "The user's streams were extended."}, **STD},
    }
}

subscribe_doc = (
    "\n\n**Sandbox choice:** a subscription on a stream that is not open (or is another user's) "
    "gets its location and sends nothing, as the published document says (no error for an "
    "invalid `METASYS-SUBSCRIBE`). The current value is sent first as `object.values.update`, "
    "then each change of it; for a struct attribute (`overrideExpirationTime`) both are sent as "
    "`object.values.notification`, without the value. While a stream has object subscriptions "
    "it also gets `object.values.heartbeat`."
)
attribute = paths["/api/v4/objects/{objectId}/attributes/{attributeId}"]["get"]
attribute["description"] += subscribe_doc

unsubscribe = paths["/api/v4/objects/streams/{streamId}/subscriptions/{subscriptionId}"]["delete"]
unsubscribe["description"] = (
    unsubscribe.get("description", "Ends a subscription: no further events for it.")
    + "\n\n**Sandbox choice:** a subscription that is not one of the caller's open streams' "
    "(unknown, already deleted, or its stream ended) is 404."
)

# --- event payloads (the data of each event, by event name) ---

ISO = {"type": "string", "format": "date-time"}
condition_entry = {
    "type": "object",
    "properties": {
        "reliability": {"type": "string"},
        "priority": {"type": "string"},
    },
}
schemas["HelloEvent"] = {
    "description": "`hello`: the stream id (as a JSON string).",
    "type": "string",
    "format": "uuid",
    "example": "b6d184ee-e137-44aa-b9b1-14bc704cd25d",
}
schemas["HeartbeatEvent"] = {
    "description": "`heartbeat`, `object.values.heartbeat`, `activity.heartbeat`: the UTC time.",
    **ISO,
    "example": "2021-02-16T16:21:10.230Z",
}
schemas["ObjectValuesUpdateEvent"] = {
    "description": "`object.values.update`: the attribute's value, as _Get attribute value_ "
    "answers it plus `id` and `itemReference` in `item`.",
    "type": "object",
    "required": ["item", "condition"],
    "properties": {
        "item": {
            "type": "object",
            "required": ["id", "itemReference"],
            "properties": {"id": {"type": "string"}, "itemReference": {"type": "string"}},
            "minProperties": 3,
        },
        "condition": {"type": "object", "additionalProperties": condition_entry},
    },
    "example": {
        "item": {
            "presentValue": 76.5,
            "id": "960534d2-7df5-5ed8-884c-164e7a2f280a",
            "itemReference": "{hostname}:{deviceHostname}/AV1",
        },
        "condition": {
            "presentValue": {
                "reliability": "reliabilityEnumSet.reliable",
                "priority": "writePriorityEnumSet.priorityDefault",
            }
        },
    },
}

# --- alarms ---

ALARM_TYPES = [f"alarmValueEnumSet.{m}" for m, _ in ENUM_SETS["alarmValueEnumSet"].members]
CATEGORIES = [f"objectCategoryEnumSet.{m}" for m, _ in ENUM_SETS["objectCategoryEnumSet"].members]
BYTE = "0*([0-9]{1,2}|1[0-9][0-9]|2[0-4][0-9]|25[0-5])"
ALARM_PATHS = [
    ("get", "/api/v4/alarms"),
    ("get", "/api/v4/objects/{objectId}/alarms"),
    ("get", "/api/v4/networkDevices/{networkDeviceId}/alarms"),
    ("get", "/api/v4/alarms/{alarmId}/annotations"),
]
TIME_NOTE = {
    "startTime": "Only include results generated on or after this date-time.",
    "endTime": "Only include results generated on or before this date-time.",
}


def fix_list_parameters(operation):
    for prm in operation.get("parameters", []):
        name = prm["name"]
        if name in TIME_NOTE:
            prm["description"] = TIME_NOTE[name]
        elif name == "type" and prm["schema"].get("type") == "array":
            prm["schema"] = {
                "type": "array",
                "maxItems": 100,
                "items": {"type": "string", "enum": ALARM_TYPES},
            }
            prm["example"] = ["alarmValueEnumSet.avHiAlarm"]
            prm["description"] += ENUM_NOTE
        elif name == "category":
            prm["schema"] = {"type": "array", "items": {"type": "string", "enum": CATEGORIES}}
            prm["example"] = ["objectCategoryEnumSet.hvacCategory"]
            prm["description"] += ENUM_NOTE
        elif name == "priorityRange":
            prm["schema"] = {"type": "string", "pattern": f"^{BYTE},{BYTE}$"}
            prm["description"] += (
                "\n\n**Sandbox choice:** the published pattern allows any digits; the sandbox's "
                "pattern says the 0 to 255 bound the description gives (ASCII digits only). A "
                "range whose low end is above its high end matches nothing."
            )
        elif name in ("equipment", "object", "space") and prm["schema"].get("type") == "array":
            prm["example"] = ["32cfddc0-411f-5b9e-9a6d-442cb62fecbb"]


for method, path in ALARM_PATHS:
    fix_list_parameters(paths[path][method])

patch_alarm = paths["/api/v4/alarms/{alarmId}"]["patch"]
patch_alarm["description"] = patch_alarm.get("description", "") + (
    "\n\n**Sandbox choice:** acknowledging an alarm that is not pending or does not require "
    "acknowledgement, and discarding a discarded alarm, are 400 (the published document's only "
    "error for this operation); a user without write access is 403. An `annotationText` "
    "becomes an annotation of the alarm whose `action` is the new status."
)
paths["/api/v4/alarms"]["get"]["description"] = (
    paths["/api/v4/alarms"]["get"].get("description", "")
    + "\n\n**Sandbox choice:** alarms happen when a point's value crosses its limits "
    "(`maxPresValue`/`minPresValue`): a high or low alarm (priority 70, acknowledgement "
    "required) and, back within them, a return to normal (`avNormal`, priority 200, no "
    "acknowledgement); `POST /_sandbox/metasys/objects/{objectId}/alarms` raises any type. "
    "`triggerValue.item` is the value as text (one decimal for analog values), with the "
    "object's units. Equal sort keys keep creation order."
)

# --- audits ---

AUDIT_ENUMS = {
    "originApplication": "auditOriginAppEnumSet",
    "classLevel": "auditClassesEnumSet",
    "actionType": "auditActionTypeEnumSet",
}
for method, path in [
    ("get", "/api/v4/activities"),
    ("get", "/api/v4/audits"),
    ("get", "/api/v4/objects/{objectId}/audits"),
    ("get", "/api/v4/audits/{auditId}/annotations"),
]:
    operation = paths[path][method]
    fix_list_parameters(operation)
    for prm in operation.get("parameters", []):
        set_id = AUDIT_ENUMS.get(prm["name"])
        if set_id is not None:
            members = [f"{set_id}.{m}" for m, _ in ENUM_SETS[set_id].members]
            prm["schema"] = {"type": "array", "items": {"type": "string", "enum": members}}
            prm["example"] = [members[0]]
            prm["description"] += ENUM_NOTE
paths["/api/v4/audits"]["get"]["description"] = (
    paths["/api/v4/audits"]["get"].get("description", "")
    + "\n\n**Sandbox choice:** every command, edit, creation and deletion made through the API "
    "is an audit of its user, with `originApplication` "
    "`auditOriginAppEnumSet.deviceManagerAuditOriginApp`, `classLevel` "
    "`auditClassesEnumSet.userActionAuditClass` and `status` `statusEnumSet.ok`; `preData`, "
    "`postData` and `parameters` carry the values with a minimal schema (`type`, `metasysType`)."
)
annotate_audit = paths["/api/v4/audits/{auditId}/annotations"]["post"]
annotate_audit["description"] = annotate_audit.get("description", "") + (
    "\n\n**Sandbox choice:** the reference gives the 201 no body; the sandbox answers none. A "
    "user without write access is 403."
)

# --- activities ---

activities_op = paths["/api/v4/activities"]["get"]
fix_list_parameters(activities_op)
for prm in activities_op["parameters"]:
    if prm["name"] == "activityType":
        prm["schema"] = {
            "type": "array",
            "maxItems": 2,
            "items": {"type": "string", "enum": ["alarm", "audit"]},
        }
        prm["example"] = ["alarm"]
    elif prm["name"] == "continuationToken":
        prm["description"] += (
            "\n\n**Sandbox choice:** a token is opaque and bound to the query it continues: a "
            "token from another query (or not issued by the sandbox) is 400."
        )
activities_op["description"] = activities_op.get("description", "") + (
    "\n\n**Sandbox choice:** a page holds 100 activities; `next` is the same query with a "
    "`continuationToken`, or null on the last page. Alarm filters (`priorityRange`, `type`, "
    "`includeAcknowledged`, `includeAcknowledgement*`, `category`) limit alarms only and audit "
    "filters (`originApplication`, `classLevel`, `actionType`, `user`) audits only. Sorted by "
    "priority, audits (which have none) follow every alarm. With `METASYS-SUBSCRIBE` the answer "
    "is the same page plus the subscription's location; the subscription then sends "
    "`activity.alarm.*` / `activity.audit.*` for the activities the filters select (a "
    "management-status change is sent whatever `includeAcknowledged` / `includeDiscarded` say) "
    "and `activity.heartbeat` every 120 seconds."
)
batch_op = paths["/api/v4/activities/batch"]["post"]
batch_op["requestBody"]["content"]["application/json"]["schema"]["properties"]["requests"][
    "maxItems"
] = 100
batch_op["description"] = batch_op.get("description", "") + (
    "\n\n**Sandbox choice:** each request answers the status its operation would answer "
    "alone (204 for a change, 201 for an annotation, 400/403/404/405 with the error body); "
    "request ids must be unique and at most 100 requests are taken (400 otherwise)."
)
for name in ("ActivityAlarmEvent", "ActivityAuditEvent"):
    kind = "alarm" if name == "ActivityAlarmEvent" else "audit"
    events = "new|ack|discard|annotate" if kind == "alarm" else "new|annotate|discard"
    schemas[name] = {
        "description": f"`activity.{kind}.{events}`: the {kind} as an activity, the ids of the "
        "stream's subscriptions it matches, and the caller's permissions on it.",
        "type": "object",
        "required": ["subscriptionIds", "activity", "effectivePermission"],
        "properties": {
            "subscriptionIds": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "activity": {
                "type": "object",
                "required": [
                    "id",
                    "itemReference",
                    "objectName",
                    "activityManagementStatus",
                    "creationTime",
                    "objectUrl",
                    "objectId",
                    kind,
                ],
            },
            "effectivePermission": {"$ref": "#/components/schemas/effectivePermission"}
            if kind == "alarm"
            else {
                "type": "object",
                "required": ["id", "canDiscard"],
                "properties": {"id": {"type": "string"}, "canDiscard": {"type": "boolean"}},
            },
        },
    }
schemas["ActivityHeartbeatEvent"] = {
    "description": "`activity.heartbeat`: the UTC time and the stream's activity subscriptions.",
    "type": "object",
    "required": ["currentTime", "subscriptionIds"],
    "properties": {
        "currentTime": ISO,
        "subscriptionIds": {"type": "array", "items": {"type": "string"}},
    },
    "example": {
        "currentTime": "2021-02-16T16:21:10.230Z",
        "subscriptionIds": ["c569a157-7315-4f32-bc8f-11607f075660"],
    },
}

schemas["ObjectValuesUpdateArrayEvent"] = {
    "description": "`object.values.update` in the array form live systems send to third-party "
    "clients (FACTS), chosen per tenant with `POST /_sandbox/metasys/streaming` "
    '`{"arrayUpdates": true}`.',
    "type": "array",
    "items": {
        "type": "object",
        "required": ["item", "condition", "subscriptionId"],
        "properties": {
            "item": schemas["ObjectValuesUpdateEvent"]["properties"]["item"],
            "condition": schemas["ObjectValuesUpdateEvent"]["properties"]["condition"],
            "subscriptionId": {"type": "string"},
        },
    },
}
schemas["ObjectValuesErrorEvent"] = {
    "description": "`object.values.error`: a subscribed object's device went offline. Sent when "
    'the tenant chose it (`POST /_sandbox/metasys/streaming` `{"offlineErrors": true}`).',
    "type": "object",
    "required": ["item", "condition", "subscriptionId"],
    "properties": {
        "item": {
            "type": "object",
            "required": ["id", "itemReference"],
            "properties": {"id": {"type": "string"}, "itemReference": {"type": "string"}},
        },
        "condition": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
        },
        "subscriptionId": {"type": "string"},
    },
}
schemas["ObjectValuesNotificationEvent"] = {
    "description": "`object.values.notification`: a non-scalar attribute changed (reread it); "
    "the payload names the object and the attribute but carries no value (the reference's "
    "example). **Sandbox choice:** the struct attribute the sandbox streams is "
    "`overrideExpirationTime` of prioritized points (AV, BV, BO, MV), which a "
    "`temporaryOverrideCommand`, an `overrideCommand`, an `overrideReleaseCommand`, a release "
    "of priority 8 or the override's end changes; its condition is the object's reliability "
    "with `writePriorityEnumSet.priorityNone`. The subscription's first event, the current "
    "value, is a notification too. It is never sent in the array form.",
    "type": "object",
    "required": ["item", "condition", "attribute"],
    "additionalProperties": False,
    "properties": {
        "item": {
            **schemas["ObjectValuesErrorEvent"]["properties"]["item"],
            "additionalProperties": False,
        },
        "condition": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["reliability", "priority"],
                "properties": {
                    "reliability": {"type": "string", "pattern": "^reliabilityEnumSet\\."},
                    "priority": {"type": "string", "pattern": "^writePriorityEnumSet\\."},
                },
            },
        },
        "attribute": {"type": "string", "pattern": "^attributeEnumSet\\."},
    },
    "example": {
        "item": {
            "id": "960534d2-7df5-5ed8-884c-164e7a2f280a",
            "itemReference": "{hostname}:{deviceHostname}/AV1",
        },
        "condition": {
            "overrideExpirationTime": {
                "reliability": "reliabilityEnumSet.reliable",
                "priority": "writePriorityEnumSet.priorityNone",
            }
        },
        "attribute": "attributeEnumSet.overrideExpirationTime",
    },
}

batch_read = paths["/api/v4/objects/batch"]["post"]
batch_read["responses"]["202"] = copy.deepcopy(attribute["responses"]["202"])
batch_read["responses"] = dict(sorted(batch_read["responses"].items()))
batch_read["description"] += (
    "\n\n**Sandbox choice:** with `METASYS-SUBSCRIBE`, a `GET` batch answers 202 with one "
    "subscription's location (the published document lists 200 only, but says the values go "
    "to the stream instead of the answer): the current value of each readable attribute, then "
    "each change, is sent as `object.values.update` (`object.values.notification` for a struct "
    "attribute); requests that could not be read are left "
    "out. A `PATCH` batch ignores the header."
)
