"""Objects: the tree, one object, its views, attributes, commands, child types, points, edits and
batch reads and writes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors, object_lists, query, views
from standin.metasys.deps import Deps
from standin.metasys.enums import ENUM_SETS, resolve
from standin.metasys.handlers.streams import owner_of
from standin.metasys.http import URI_REFERENCE, json_body, paged, respond, sort_text
from standin.metasys.state import commands
from standin.metasys.state.model import MetasysObject, User
from standin.metasys.state.site import MetasysState
from standin.metasys.types import OBJECT_TYPES

ATTRIBUTE_NAMES = frozenset(short for short, _ in ENUM_SETS["attributeEnumSet"].members)


class ObjectHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- the tree --------------------------------------------------------------------------

    async def list_root(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user, base = self.deps.user(caller), self.deps.base(request)
        depth = query.integer(request.query_params, "depth", 1, minimum=0, maximum=1)
        root = caller.state.tree.root
        return await object_lists.answer(
            request, caller.state, user, base, root, depth, allow_filters=False
        )

    async def list_children(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user, base = self.deps.user(caller), self.deps.base(request)
        depth = query.integer(request.query_params, "depth", 1, minimum=-1)
        root = caller.state.object(request.path_params["objectId"])
        return await object_lists.answer(
            request, caller.state, user, base, root, depth, allow_filters=True
        )

    async def identifier(self, request: Request, caller: Caller[MetasysState]) -> Response:
        fqr = request.query_params.get("fqr")
        if fqr is None:
            raise errors.bad_request("The parameter fqr is required.")
        if ":" not in fqr:
            raise errors.bad_request("The parameter fqr is not a fully qualified reference.")
        found = caller.state.tree.find(fqr)
        if found is None:
            raise errors.not_found(f"No object has the reference {fqr}.")
        return respond(found.id)

    # --- one object ------------------------------------------------------------------------

    async def get(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        params = request.query_params
        view = params.get("viewId")
        if view is not None:
            full = resolve("viewNameEnumSet", view)
            if full is None:
                raise errors.bad_request("The parameter viewId is not a member of viewNameEnumSet.")
            if full != "viewNameEnumSet.focusView":
                raise errors.not_found(f"The object has no view {full}.")
        include_schema = query.boolean(params, "includeSchema")
        caller.state.require_online(obj)
        body: dict[str, Any] = {
            **views.object_links(obj, caller.state, base),
            "self": str(request.url),
            "objectType": obj.type.enum_id,
            "item": caller.state.item(obj),
            "effectivePermissions": permissions(caller.state, self.deps.user(caller), obj),
            "views": obj.type.views(),
            "condition": caller.state.condition(obj),
        }
        if include_schema:
            body["schema"] = obj.type.schema(base)
        return respond(body)

    async def patch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        obj = caller.state.object(request.path_params["objectId"])
        caller.state.patch(obj, await json_body(request), user)
        return Response(status_code=200)

    async def delete(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        obj = caller.state.object(request.path_params["objectId"])
        caller.state.delete(obj, user)
        return Response(status_code=204)

    async def create(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        created = caller.state.create(await json_body(request), user)
        return Response(status_code=200, headers={"Location": f"{base}/objects/{created.id}"})

    async def views(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        query.boolean(request.query_params, "includeSchema")
        items = [
            {
                "id": view["id"],
                "viewUrl": f"{base}/objects/{obj.id}?viewId={view['id']}",
            }
            for view in obj.type.views()
        ]
        return respond({"items": items, "self": str(request.url)})

    async def attributes(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        body: dict[str, Any] = {}
        if obj.type.is_point:
            body["item"] = {"defaultAttribute": "attributeEnumSet.presentValue"}
        schema = obj.type.schema(base)
        schema.pop("required", None)
        body["schema"] = schema
        return respond(body)

    async def attribute(self, request: Request, caller: Caller[MetasysState]) -> Response:
        params = request.path_params
        obj = caller.state.object(params["objectId"])
        name = params["attributeId"]
        include_schema = query.boolean(request.query_params, "includeSchema")
        body = read_attribute(caller.state, obj, name, include_schema)
        stream_id = request.headers.get("metasys-subscribe")
        if stream_id is None:
            return respond(body)
        base = self.deps.base(request)
        current = {
            "item": {**body["item"], "id": obj.id, "itemReference": obj.item_reference},
            "condition": body["condition"],
        }
        owner = owner_of(caller)
        subscription_id = self.deps.streams.subscribe_object(
            caller.state, stream_id, owner, [(obj.id, name, current)]
        )
        location = (
            f"{base}/objects/streams/{quote(stream_id, safe='')}/subscriptions/{subscription_id}"
        )
        return Response(status_code=202, headers={"METASYS-SUBSCRIPTION-LOCATION": location})

    # --- commands --------------------------------------------------------------------------

    async def commands(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        items = commands.entries(obj, base)
        can = caller.state.can_modify(obj, user)
        invocable = [f"commandIdEnumSet.{name}" for name in commands.specs(obj)] if can else []
        return respond(
            {
                "self": str(request.url),
                "items": items,
                "effectivePermissions": {"canInvoke": invocable},
            }
        )

    async def command(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        obj = caller.state.object(request.path_params["objectId"])
        command_id = request.path_params["commandId"]
        if resolve("commandIdEnumSet", command_id) is None:
            raise errors.bad_request("The commandId is not a member of commandIdEnumSet.")
        body = await json_body(request)
        caller.state.command(obj, command_id, body, user)
        return respond("Success")

    async def child_types(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        obj = caller.state.object(request.path_params["objectId"])
        found = []
        for short in obj.type.child_types:
            kind = OBJECT_TYPES[short]
            found.append(
                {
                    "objectType": short,
                    "description": kind.title,
                    "version": kind.version,
                    "classification": kind.classification,
                    "isAuthorized": user.can_write and kind.createable,
                }
            )
        return respond(found)

    async def points(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        paging = query.paging(request.query_params, query.POINT_SORTS, "shortName")
        mapped = caller.state.object_points(obj)
        return respond(
            paged(
                request,
                mapped,
                paging,
                lambda pair: views.point(pair[0], pair[1], base),
                lambda pair: point_key(pair[0].name, pair[1], paging.sort),
            )
        )

    async def batch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        body = await json_body(request)
        stream_id = request.headers.get("metasys-subscribe")
        answers = batch(caller.state, user, base, body)
        if stream_id is None or body.get("method") != "GET":
            return respond({"responses": answers})
        # Subscribed (the published document): each readable attribute is accepted, 202 and no
        # body, its values going to the stream instead; the others answer their own error.
        reads = []
        accepted = []
        for entry, answer in zip(body["requests"], answers, strict=True):
            if answer["status"] != 200:
                accepted.append(answer)
                continue
            item = answer["body"]["item"]
            object_id = entry["relativeUrl"].strip("/").removeprefix("objects/").split("/")[0]
            obj = caller.state.object(object_id)
            current = {
                "item": {**item, "id": obj.id, "itemReference": obj.item_reference},
                "condition": answer["body"]["condition"],
            }
            reads.append((obj.id, next(iter(item)), current))
            accepted.append({"id": entry["id"], "status": 202, "body": None})
        headers = {}
        if reads:
            owner = owner_of(caller)
            subscription_id = self.deps.streams.subscribe_object(
                caller.state, stream_id, owner, reads
            )
            headers["METASYS-SUBSCRIPTION-LOCATION"] = (
                f"{base}/objects/streams/{quote(stream_id, safe='')}"
                f"/subscriptions/{subscription_id}"
            )
        return respond({"responses": accepted}, headers=headers)


def point_key(equipment_name: str, mapped: Any, sort: str) -> Any:
    values = {
        "category": mapped.category,
        "equipmentName": equipment_name,
        "isDisplayData": str(mapped.is_display_data),
        "shortName": mapped.short_name,
    }
    return (sort_text(values[sort]), mapped.object_id, equipment_name)


def permissions(state: MetasysState, user: User, obj: MetasysObject) -> dict[str, bool]:
    return {
        "canDelete": state.can_delete(obj, user),
        "canModify": state.can_modify(obj, user),
    }


def read_attribute(
    state: MetasysState, obj: MetasysObject, name: str, include_schema: bool
) -> dict[str, Any]:
    """``GET /objects/{id}/attributes/{attr}``: short attribute names only, as the guide says."""
    if name not in ATTRIBUTE_NAMES:
        raise errors.bad_request(f"{name} is not a member of attributeEnumSet.")
    attribute = obj.type.attribute(name)
    if attribute is None:
        raise errors.not_found(f"The object has no attribute {name}.")
    state.require_online(obj)
    effective = state.effective(obj)
    body: dict[str, Any] = {
        "item": state.item(obj, [name], effective),
        "condition": state.attribute_condition(obj, name, effective),
    }
    if include_schema:
        body["schema"] = {
            "type": "object",
            "$schema": "http://json-schema.org/draft-07/schema#",
            "language": "en-US",
            "title": f"JCI {obj.type.title}",
            "version": obj.type.version,
            "properties": {name: attribute.schema()},
        }
    return body


def batch(state: MetasysState, user: User, base: str, body: Any) -> list[dict[str, Any]]:
    """Per-request answers for a batch of attribute reads (``GET``) or writes (``PATCH``)."""
    # The published schema closes neither the body nor its requests: other members are ignored.
    if not isinstance(body, dict):
        raise errors.bad_request("The batch body must be {method, requests}.")
    method = body.get("method")
    requests = body.get("requests")
    if method not in ("GET", "PATCH"):
        raise errors.bad_request("method must be GET or PATCH.")
    if not isinstance(requests, list) or not requests:
        raise errors.bad_request("requests must be a non-empty array.")
    seen: set[str] = set()
    for entry in requests:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not isinstance(entry.get("relativeUrl"), str)
        ):
            raise errors.bad_request("Every request needs a string id and relativeUrl.")
        if not URI_REFERENCE.match(entry["relativeUrl"]):
            raise errors.bad_request("Each relativeUrl must be a URI reference.")
        if entry["id"] in seen:
            raise errors.bad_request(f"The request id {entry['id']} is used twice.")
        seen.add(entry["id"])
        written = entry.get("body")
        shaped = (
            isinstance(written, dict) and isinstance(written.get("item"), dict) and written["item"]
        )
        # The sandbox's own member: a read may carry one (ignored), but only in its shape.
        if (method == "PATCH" or written is not None) and not shaped:
            raise errors.bad_request('A request body is {"item": {...}}, needed by PATCH.')
    return [_batch_one(state, user, base, method, entry) for entry in requests]


def _batch_one(
    state: MetasysState, user: User, base: str, method: str, entry: dict[str, Any]
) -> dict[str, Any]:
    parts = entry["relativeUrl"].strip("/").removeprefix("objects/").split("/")
    try:
        obj = state.object(parts[0])
        if method == "GET":
            if len(parts) != 3 or parts[1] != "attributes":
                raise errors.bad_request("relativeUrl must be {objectId}/attributes/{attribute}.")
            if parts[2] not in ATTRIBUTE_NAMES:
                # The published batch example: a name outside the set is 404, not 400.
                raise errors.not_found(f"The attribute {parts[2]} is not in attributeEnumSet.")
            answer = read_attribute(state, obj, parts[2], False)
        else:
            if len(parts) != 1:
                raise errors.bad_request("relativeUrl must be {objectId}.")
            state.patch(obj, entry["body"], user)
            written = list(entry["body"]["item"])
            condition = state.condition(obj)
            answer = {
                "item": state.item(obj, written),
                "condition": {k: v for k, v in condition.items() if k in written},
            }
        return {"id": entry["id"], "status": 200, "body": answer}
    except errors.VendorError as problem:
        return {"id": entry["id"], "status": problem.status, "body": batch_error(problem)}


def batch_error(problem: errors.VendorError) -> dict[str, Any]:
    names = {
        404: "statusEnumSet.objectNotFound",
        403: "statusEnumSet.notAuthorized",
        503: "statusEnumSet.deviceOffline",
    }
    message = problem.body.get("Message", "") if isinstance(problem.body, dict) else ""
    if "attribute" in message and problem.status == 404:
        names[404] = "statusEnumSet.attributeNotFound"
    return {
        "error": {
            "statusName": names.get(problem.status, "statusEnumSet.invalidValue"),
            "message": message,
        }
    }
