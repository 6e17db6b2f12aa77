"""The Metasys client's calls (the mixins' methods are found through the client class)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from hypothesis import strategies as st

from standin.clients._http import Clock, Sleeper
from standin.clients.metasys import (
    Command,
    Equipment,
    EquipmentPoint,
    MetasysAuthError,
    MetasysClient,
    MetasysConflict,
    MetasysDeviceOffline,
    MetasysError,
    MetasysForbidden,
    MetasysNotFound,
    MetasysObject,
    MetasysTooManyRequests,
    MetasysValidationError,
    NetworkDevice,
    ObjectSummary,
    Sample,
    Space,
    Token,
    TrendedAttribute,
    UserInfo,
    Value,
)
from tools.conformance.runner import PAGES
from tools.conformance.table import ClientTable, Row

V4 = "/api/v4"
LOGIN = f"POST {V4}/login"
MEDIA = "application/vnd.metasysapi.v4+json"
NO_SUBSCRIPTION = "202 answers only a request with METASYS-SUBSCRIBE, which the client never sends"


def connect(http: httpx.Client, clock: Clock, sleep: Sleeper) -> MetasysClient:
    return MetasysClient("any-user", "any-password", http=http, clock=clock, sleep=sleep)


def login_answer() -> httpx.Response:
    body = {"accessToken": "t", "expires": "2099-01-01T00:00:00Z"}
    return httpx.Response(200, json=body, headers={"Content-Type": MEDIA})


def param(operation: str, name: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.parameter(operation, name))


def body_of(operation: str) -> st.SearchStrategy[Any]:
    return st.deferred(lambda: TABLE.request_body(operation))


def next_pages(body: Any, request: httpx.Request, page: int) -> Any:
    """``next`` back at the host: a continuation token for activities, a cursor for the
    well-known queries, a page otherwise."""
    if not isinstance(body, dict) or "next" not in body:
        return body
    if page + 1 >= PAGES:
        return {**body, "next": None}
    scheme, host, path, query, _ = urlsplit(str(request.url))
    name = "page"
    if path.endswith("/activities"):
        name = "continuationToken"
    elif "/wellKnownQuery/" in path:
        name = "cursor"
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != name]
    link = urlunsplit((scheme, host, path, urlencode([*pairs, (name, str(page + 2))]), ""))
    return {**body, "next": link}


def batch_answers(request: httpx.Request) -> st.SearchStrategy[Any]:
    """Batch answers with one response per request, under the request's id: the contract says
    each id "is used to match the response to the correct operation in the request", not
    that every id is answered, but a server answers each."""
    ids = [item["id"] for item in json.loads(request.content)["requests"]]
    response = TABLE.reader.operation(f"POST {V4}/objects/batch").responses()["200"]
    drawn = TABLE.values.valid(response["content"][MEDIA]["schema"])
    item = st.deferred(lambda: drawn.map(lambda body: body["responses"])).filter(bool)

    def answer(parts: tuple[dict[str, Any], list[list[dict[str, Any]]]]) -> dict[str, Any]:
        body, lists = parts
        return {
            **body,
            "responses": [{**found[0], "id": i} for i, found in zip(ids, lists, strict=True)],
        }

    return st.tuples(drawn, st.lists(item, min_size=len(ids), max_size=len(ids))).map(answer)


def field(attribute: str, key: str) -> Callable[[Any, list[Any]], None]:
    """A row check: the result's ``attribute`` is the body's ``key``."""

    def check(result: Any, bodies: list[Any]) -> None:
        assert getattr(result, attribute) == bodies[-1][key], (result, bodies[-1])

    return check


def each(key: str, attribute: str | None = None) -> Callable[[Any, list[Any]], None]:
    """A row check: the items of every page served, in order, by ``key`` (the result's
    ``attribute``, or the item's own ``key``)."""

    def check(result: Any, bodies: list[Any]) -> None:
        items = [item for body in bodies for item in body.get("items", [])]
        found = [item[key] if attribute is None else getattr(item, attribute) for item in result]
        assert found == [item[key] for item in items], (found, items)

    return check


def assert_equal(found: Any, expected: Any) -> None:
    assert found == expected, (found, expected)


def by_id(
    method: str, operation: str, name: str, *, label: str = "", **expected: Any
) -> Row[MetasysClient]:
    """A call taking one id (a path parameter of ``operation``)."""
    return Row(
        method,
        f"{operation.split()[0]} {V4}{operation.split()[1]}",
        lambda c, a: getattr(c, method)(a["id"]),
        arguments={"id": param(f"{operation.split()[0]} {V4}{operation.split()[1]}", name)},
        label=label,
        **expected,
    )


def plain(method: str, operation: str, call: Any, **expected: Any) -> Row[MetasysClient]:
    verb, path = operation.split()
    return Row(method, f"{verb} {V4}{path}", call, **expected)


OBJECT = f"GET {V4}/objects/{{objectId}}"
COMMAND = f"PUT {V4}/objects/{{objectId}}/commands/{{commandId}}"
SAMPLES = f"GET {V4}/objects/{{objectId}}/trendedAttributes/{{attributeId}}/samples"
DEVICE_SAMPLES = f"GET {V4}/networkDevices/{{id}}/trendedAttributes/{{attributeId}}/samples"
ATTRIBUTE = f"GET {V4}/objects/{{objectId}}/attributes/{{attributeId}}"
object_ids = param(OBJECT, "objectId")
priorities = st.none() | st.integers(1, 16)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**31), 2**31)
    | st.text(max_size=8)
    | (st.floats(allow_nan=False, allow_infinity=False))
)


def on_object(method: str, call: Any, **arguments: st.SearchStrategy[Any]) -> Row[MetasysClient]:
    """A command (``PUT .../commands/{commandId}``) on an object."""
    return Row(method, COMMAND, call, arguments={"id": object_ids, **arguments})


TABLE: ClientTable[MetasysClient] = ClientTable(
    api="metasys",
    client_class=MetasysClient,
    connect=connect,
    origins=("https://metasys.standin.example",),
    errors={
        400: MetasysValidationError,
        401: MetasysAuthError,
        403: MetasysForbidden,
        404: MetasysNotFound,
        409: MetasysConflict,
        503: MetasysDeviceOffline,
    },
    base_error=MetasysError,
    rate_limited=MetasysTooManyRequests,
    renews_on_401=True,
    max_retries=3,
    tokens={LOGIN: login_answer},
    throttled=lambda status, headers: status == 403 and "retry-after" in headers,
    pages=next_pages,
    not_http={
        "check": "checks a response the caller already has",
        "stream": "opens no stream until entered (tests/metasys/test_client_stream.py)",
        "pause": "waits with the injected sleep",
    },
    rows=(
        plain("login", "POST /login", lambda c, a: c.login(), returns=Token),
        plain("refresh", "GET /refreshToken", lambda c, a: c.refresh(), returns=Token),
        plain("bearer", "POST /login", lambda c, a: c.bearer(), returns=str),
        plain(
            "request", "GET /userinfo", lambda c, a: c.request("GET", "/userinfo"), returns=object
        ),
        plain(
            "raw",
            "GET /userinfo",
            lambda c, a: c.raw("GET", "/userinfo"),
            returns=httpx.Response,
        ),
        plain(
            "object_id",
            "GET /objectIdentifiers",
            lambda c, a: c.object_id(a["fqr"]),
            returns=str,
            arguments={"fqr": param(f"GET {V4}/objectIdentifiers", "fqr")},
        ),
        plain(
            "tree",
            "GET /objects",
            lambda c, a: c.tree(depth=a["depth"]),
            items=ObjectSummary,
            arguments={"depth": param(f"GET {V4}/objects", "depth")},
            label="site",
        ),
        plain(
            "tree",
            "GET /objects/{objectId}/objects",
            lambda c, a: c.tree(a["id"], depth=a["depth"]),
            items=ObjectSummary,
            arguments={"id": object_ids, "depth": param(f"GET {V4}/objects", "depth")},
            label="object",
        ),
        plain(
            "get_object",
            "GET /objects/{objectId}",
            lambda c, a: c.get_object(a["id"], include_schema=a["schema"]),
            returns=MetasysObject,
            arguments={"id": object_ids, "schema": st.booleans()},
        ),
        plain(
            "read",
            "GET /objects/{objectId}/attributes/{attributeId}",
            lambda c, a: c.read(a["id"], a["attribute"]),
            returns=Value,
            arguments={"id": object_ids, "attribute": param(ATTRIBUTE, "attributeId")},
            statuses=(200, 400, 401, 403, 404, 503),
            note=NO_SUBSCRIPTION,
        ),
        plain(
            "read_many",
            "POST /objects/batch",
            lambda c, a: c.read_many(a["reads"]),
            items=(Value, MetasysError),
            arguments={
                "reads": st.lists(
                    st.tuples(object_ids, param(ATTRIBUTE, "attributeId")),
                    min_size=1,
                    max_size=3,
                )
            },
            body=batch_answers,
            note="at least one read: read_many([]) sends an empty batch, which the contract "
            "refuses (reported)",
        ),
        by_id("commands", "GET /objects/{objectId}/commands", "objectId", items=Command),
        on_object(
            "command",
            lambda c, a: c.command(
                a["id"],
                a["command"],
                a["parameters"],
                priority=a["priority"],
                annotation=a["annotation"],
            ),
            command=param(COMMAND, "commandId"),
            parameters=st.none() | st.lists(scalars, max_size=3),
            priority=priorities,
            annotation=st.none() | st.text(max_size=20),
        ),
        on_object(
            "adjust",
            lambda c, a: c.adjust(a["id"], a["value"], priority=a["priority"]),
            value=st.floats(allow_nan=False, allow_infinity=False),
            priority=priorities,
        ),
        on_object("override", lambda c, a: c.override(a["id"], a["value"]), value=scalars),
        on_object(
            "release", lambda c, a: c.release(a["id"], a["priority"]), priority=st.integers(1, 16)
        ),
        on_object("release_all", lambda c, a: c.release_all(a["id"])),
        plain(
            "write",
            "PATCH /objects/{objectId}",
            lambda c, a: c.write(a["id"], **a["attributes"]),
            arguments={
                "id": object_ids,
                "attributes": st.dictionaries(st.text("abcdefghij", min_size=1), scalars),
            },
        ),
        plain(
            "create_object",
            "POST /objects",
            lambda c, a: c.create_object(
                a["body"]["parentId"],
                a["body"]["localUniqueIdentifier"],
                a["body"]["objectType"],
                **a["body"].get("item", {}),
            ),
            returns=(str, type(None)),
            arguments={"body": body_of(f"POST {V4}/objects")},
        ),
        by_id("delete_object", "DELETE /objects/{objectId}", "objectId"),
        by_id(
            "trended_attributes",
            "GET /objects/{objectId}/trendedAttributes",
            "objectId",
            items=TrendedAttribute,
            label="object",
        ),
        plain(
            "trended_attributes",
            "GET /networkDevices/{id}/trendedAttributes",
            lambda c, a: c.trended_attributes(a["id"], network_device=True),
            items=TrendedAttribute,
            arguments={"id": object_ids},
            label="networkDevice",
        ),
        plain(
            "samples",
            "GET /objects/{objectId}/trendedAttributes/{attributeId}/samples",
            lambda c, a: c.samples(a["id"], a["attribute"], newest_first=a["newest"]),
            items=Sample,
            arguments={
                "id": object_ids,
                "attribute": param(SAMPLES, "attributeId"),
                "newest": st.booleans(),
            },
            label="object",
        ),
        plain(
            "samples",
            "GET /networkDevices/{id}/trendedAttributes/{attributeId}/samples",
            lambda c, a: c.samples(a["id"], a["attribute"], network_device=True),
            items=Sample,
            arguments={"id": object_ids, "attribute": param(DEVICE_SAMPLES, "attributeId")},
            label="networkDevice",
        ),
        plain(
            "network_devices",
            "GET /networkDevices",
            lambda c, a: c.network_devices(),
            items=NetworkDevice,
            label="site",
        ),
        by_id(
            "network_devices",
            "GET /networkDevices/{networkDeviceId}/networkDevices",
            "networkDeviceId",
            items=NetworkDevice,
            label="children",
        ),
        plain("spaces", "GET /spaces", lambda c, a: c.spaces(), items=Space, label="site"),
        by_id("spaces", "GET /spaces/{spaceId}/spaces", "spaceId", items=Space, label="children"),
        plain(
            "equipment", "GET /equipment", lambda c, a: c.equipment(), items=Equipment, label="site"
        ),
        plain(
            "equipment",
            "GET /spaces/{spaceId}/equipment",
            lambda c, a: c.equipment(serving_space=a["id"]),
            items=Equipment,
            arguments={"id": object_ids},
            label="serving_space",
        ),
        plain(
            "equipment",
            "GET /equipment/{equipmentId}/equipment",
            lambda c, a: c.equipment(served_by=a["id"]),
            items=Equipment,
            arguments={"id": object_ids},
            label="served_by",
        ),
        by_id(
            "equipment_points",
            "GET /equipment/{equipmentId}/points",
            "equipmentId",
            items=EquipmentPoint,
        ),
        by_id("object_points", "GET /objects/{objectId}/points", "objectId", items=EquipmentPoint),
        by_id(
            "upstream_equipment",
            "GET /equipment/{equipmentId}/upstreamEquipment",
            "equipmentId",
            items=Equipment,
        ),
        by_id(
            "equipment_spaces", "GET /equipment/{equipmentId}/spaces", "equipmentId", items=Space
        ),
        by_id(
            "equipment_devices",
            "GET /equipment/{equipmentId}/networkDevices",
            "equipmentId",
            items=NetworkDevice,
        ),
        by_id(
            "space_devices", "GET /spaces/{spaceId}/networkDevices", "spaceId", items=NetworkDevice
        ),
        by_id(
            "device_equipment",
            "GET /networkDevices/{networkDeviceId}/equipment",
            "networkDeviceId",
            items=Equipment,
        ),
        by_id(
            "device_spaces",
            "GET /networkDevices/{networkDeviceId}/spaces",
            "networkDeviceId",
            items=Space,
        ),
        by_id(
            "network_device",
            "GET /networkDevices/{networkDeviceId}",
            "networkDeviceId",
            returns=NetworkDevice,
        ),
        by_id("space", "GET /spaces/{spaceId}", "spaceId", returns=Space),
        by_id(
            "equipment_instance", "GET /equipment/{equipmentId}", "equipmentId", returns=Equipment
        ),
        by_id("views", "GET /objects/{objectId}/views", "objectId", returns=list),
        by_id(
            "supported_child_types",
            "GET /objects/{objectId}/supportedChildTypes",
            "objectId",
            returns=list,
        ),
        by_id("enumeration", "GET /enumerations/{id}", "id", returns=dict),
        plain("user_info", "GET /userinfo", lambda c, a: c.user_info(), returns=UserInfo),
        plain("pages", "GET /users", lambda c, a: c.pages("/users"), items=object),
        by_id(
            "delete_network_device", "DELETE /networkDevices/{networkDeviceId}", "networkDeviceId"
        ),
        plain("alarms", "GET /alarms", lambda c, a: c.alarms(), items=dict, label="site"),
        by_id("alarms", "GET /objects/{objectId}/alarms", "objectId", items=dict, label="object"),
        by_id("alarm", "GET /alarms/{alarmId}", "alarmId", returns=dict),
        plain(
            "acknowledge_alarm",
            "PATCH /alarms/{alarmId}",
            lambda c, a: c.acknowledge_alarm(a["id"], a["annotation"]),
            arguments={"id": object_ids, "annotation": st.none() | st.text(max_size=20)},
        ),
        plain(
            "discard_alarm",
            "PATCH /alarms/{alarmId}",
            lambda c, a: c.discard_alarm(a["id"], a["annotation"]),
            arguments={"id": object_ids, "annotation": st.none() | st.text(max_size=20)},
        ),
        plain("audits", "GET /audits", lambda c, a: c.audits(), items=dict, label="site"),
        by_id("audits", "GET /objects/{objectId}/audits", "objectId", items=dict, label="object"),
        plain(
            "discard_audit",
            "PATCH /audits/{auditId}",
            lambda c, a: c.discard_audit(a["id"], a["annotation"]),
            arguments={"id": object_ids, "annotation": st.none() | st.text(max_size=20)},
        ),
        plain(
            "annotate_audit",
            "POST /audits/{auditId}/annotations",
            lambda c, a: c.annotate_audit(a["id"], a["body"]["text"]),
            arguments={
                "id": object_ids,
                "body": body_of(f"POST {V4}/audits/{{auditId}}/annotations"),
            },
        ),
        *(
            plain(
                "annotations",
                f"GET /{kind}/{{{name}}}/annotations",
                lambda c, a, kind=kind: c.annotations(kind, a["id"]),
                items=dict,
                arguments={"id": object_ids},
                label=kind,
            )
            for kind, name in (("alarms", "alarmId"), ("audits", "auditId"))
        ),
        plain("activities", "GET /activities", lambda c, a: c.activities(), items=dict),
        plain(
            "batch_activities",
            "POST /activities/batch",
            lambda c, a: c.batch_activities(a["body"]["method"], a["body"]["requests"]),
            items=dict,
            arguments={"body": body_of(f"POST {V4}/activities/batch")},
        ),
    ),
)

CHECKS: dict[str, Callable[[Any, list[Any]], None]] = {
    "get_object": lambda found, bodies: assert_equal(
        (found.object_type, found.item), (bodies[-1]["objectType"], bodies[-1]["item"])
    ),
    "commands": lambda found, bodies: assert_equal(
        [c.id for c in found], [c["id"] for c in bodies[-1]["items"]]
    ),
    "samples[object]": lambda found, bodies: assert_equal(
        [s.value for s in found],
        [item["value"]["value"] for body in bodies for item in body.get("items", [])],
    ),
    "network_devices[site]": each("id", "id"),
    "spaces[site]": each("id", "id"),
    "equipment[site]": each("id", "id"),
    "equipment_points": each("shortName", "short_name"),
    "network_device": field("id", "id"),
    "space": field("name", "name"),
    "equipment_instance": field("item_reference", "itemReference"),
    "views": lambda found, bodies: assert_equal(
        found, [str(view["id"]) for view in bodies[-1]["items"]]
    ),
    "enumeration": lambda found, bodies: assert_equal(
        set(found), {m["id"] for m in bodies[-1]["item"]["members"]}
    ),
    "user_info": field("user_name", "userName"),
    "alarms[site]": each("id"),
    "audits[site]": each("id"),
}
"""What a success must parse into, field by field, for the calls whose results say more than
their type."""
TABLE = replace(TABLE, rows=tuple(replace(row, check=CHECKS.get(row.id)) for row in TABLE.rows))

from tools.conformance.tables.metasys_part3 import ROWS  # noqa: E402 (it uses this module)

TABLE = replace(TABLE, rows=TABLE.rows + ROWS)
