"""Object trees and user views (INTERNAL), the public view of an object (INTERNAL) and bulk
object creation (PRIVATE)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.deps import Deps
from standin.metasys.http import json_body, respond
from standin.metasys.state.model import MetasysObject, User
from standin.metasys.state.site import LOCAL_IDENTIFIER, MAX_LOCAL_IDENTIFIER, MetasysState
from standin.metasys.state.trees import UserView, ViewEntry, find_view, network_tree
from standin.metasys.types import object_type

PUBLIC_ATTRIBUTES = ("name", "description", "objectCategory")
"""**Sandbox choice:** what any authenticated user may read of an object, beside its default
attribute and that attribute's value."""
MAX_BULK = 100
CREATE_FIELDS = {"parentId", "localUniqueIdentifier", "objectType", "item"}


def tree_summary(base: str, tree_id: str, name: str, reference: str, kind: str) -> dict[str, Any]:
    return {
        "id": tree_id,
        "name": name,
        "itemReference": reference,
        "treeType": kind,
        "self": f"{base}/objects/trees/{tree_id}",
    }


def node_json(base: str, entry: ViewEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "itemReference": entry.item_reference,
        "objectType": entry.object_type,
        "classification": entry.classification,
        "objectUrl": None if entry.object_id is None else f"{base}/objects/{entry.object_id}",
        "items": [node_json(base, child) for child in entry.children],
    }


def walk(entries: tuple[ViewEntry, ...]) -> list[ViewEntry]:
    found: list[ViewEntry] = []
    for entry in entries:
        found.append(entry)
        found.extend(walk(entry.children))
    return found


class TreeHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def trees(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """Every tree is listed; ``effectivePermissions.canRead`` names those the user may read."""
        user = self.deps.user(caller)
        base = self.deps.base(request)
        state = caller.state
        root = state.tree.root
        items = [tree_summary(base, root.id, "All Items", root.item_reference, "allItems")]
        items += [
            tree_summary(base, view.id, view.name, view.item_reference, "userView")
            for view in state.user_views
        ]
        readable = [root.id] + [v.id for v in state.user_views if v.can_read(user)]
        return respond(
            {
                "self": str(request.url),
                "total": len(items),
                "items": items,
                "effectivePermissions": {"canRead": readable},
            }
        )

    async def tree(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        params = request.query_params
        with_permissions = query.boolean(params, "includePermissions")
        with_conditions = query.boolean(params, "includeConditions")
        state = caller.state
        base = self.deps.base(request)
        tree_id = request.path_params["treeId"]
        view: UserView | None = None
        if tree_id.lower() == state.tree.root_id:
            entries: tuple[ViewEntry, ...] = (network_tree(state.tree),)
            name, reference = "All Items", state.tree.root.item_reference
        else:
            view = find_view(state.user_views, tree_id)
            if not view.can_read(user):
                raise errors.forbidden("The user is not authorized to read this tree.")
            entries, name, reference = view.entries, view.name, view.item_reference
        body: dict[str, Any] = {
            "self": str(request.url),
            "id": state.tree.root_id if view is None else view.id,
            "name": name,
            "itemReference": reference,
            "items": [node_json(base, entry) for entry in entries],
        }
        named = [e.object_id for e in walk(entries) if e.object_id is not None]
        present = [state.tree[i] for i in named if state.tree.get(i) is not None]
        if with_permissions:
            body["effectivePermissions"] = {
                "canDelete": [o.id for o in present if state.can_delete(o, user)],
                "canView": [o.id for o in present],
                "canModify": [o.id for o in present if state.can_modify(o, user)],
            }
        if with_conditions:
            body["condition"] = {"deleted": [i for i in named if state.tree.get(i) is None]}
        return respond(body)

    async def public_view(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        include_schema = query.boolean(request.query_params, "includeSchema")
        obj = caller.state.object(request.path_params["objectId"])
        caller.state.require_online(obj)
        names = ["id", "itemReference", *PUBLIC_ATTRIBUTES]
        if obj.type.is_point:
            names += ["defaultAttribute", "presentValue"]
        names = [n for n in names if obj.type.attribute(n) is not None or n == "id"]
        item = caller.state.item(obj, names)
        body: dict[str, Any] = {
            "self": str(request.url),
            "objectType": obj.type.enum_id,
            "item": item,
            "effectivePermissions": {
                "canDelete": caller.state.can_delete(obj, user),
                "canModify": caller.state.can_modify(obj, user),
            },
            "condition": caller.state.condition(obj),
        }
        if include_schema:
            schema = obj.type.schema(base)
            schema["properties"] = {k: v for k, v in schema["properties"].items() if k in item}
            schema.pop("required", None)
            body["schema"] = schema
        return respond(body)

    async def bulk(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """Each creation answers on its own (``status`` and the new object, or its error): a
        body that is not an array of creation bodies is refused whole (400)."""
        user = self.deps.user(caller)
        body = await json_body(request)
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_BULK:
            raise errors.bad_request(f"The request body must be an array of 1 to {MAX_BULK}.")
        for entry in body:
            check_shape(entry)
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to create objects.")
        return respond(
            [create_one(caller.state, user, self.deps.base(request), entry) for entry in body]
        )


def check_shape(entry: Any) -> None:
    """What the contract's schema says of one creation body (400 for the whole request)."""
    if not isinstance(entry, dict):
        raise errors.bad_request("Each item of the body must be a JSON object.")
    unknown = sorted(set(entry) - CREATE_FIELDS)
    if unknown:
        raise errors.bad_request(f"Unknown property: {unknown[0]}.")
    for name in ("parentId", "localUniqueIdentifier", "objectType"):
        if not isinstance(entry.get(name), str):
            raise errors.bad_request(f"{name} is required and must be a string.")
    label = entry["localUniqueIdentifier"]
    if len(label) > MAX_LOCAL_IDENTIFIER or not LOCAL_IDENTIFIER.match(label):
        raise errors.bad_request("localUniqueIdentifier is not in the correct format.")
    full = entry["objectType"].startswith("objectTypeEnumSet.")
    kind = object_type(entry["objectType"]) if full else None
    if kind is None or not kind.createable:
        raise errors.bad_request("objectType is not a member of objectTypeEnumSet.")
    if "item" in entry and not isinstance(entry["item"], dict):
        raise errors.bad_request("item must be an object.")


def create_one(state: MetasysState, user: User, base: str, entry: dict[str, Any]) -> dict[str, Any]:
    try:
        created: MetasysObject = state.create(entry, user)
    except errors.VendorError as refused:
        return {
            "status": refused.status,
            "localUniqueIdentifier": entry["localUniqueIdentifier"],
            "id": None,
            "self": None,
            "message": refused.body["Message"] if isinstance(refused.body, dict) else "",
        }
    return {
        "status": 201,
        "localUniqueIdentifier": entry["localUniqueIdentifier"],
        "id": created.id,
        "self": f"{base}/objects/{created.id}",
        "message": None,
    }
