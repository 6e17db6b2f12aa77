"""Login and refresh, schemas and enumerations, and the users of the site."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response

from standin._core.oauth import MAX_TOKEN_REQUEST
from standin._core.seam import Caller, Seam, attribute_named
from standin.metasys import auth, errors, query
from standin.metasys.deps import Deps
from standin.metasys.enums import ENUM_SETS, EnumSet, as_json_schema
from standin.metasys.handlers.streams import owner_of
from standin.metasys.http import json_body, paged, respond, sort_text
from standin.metasys.state.model import User
from standin.metasys.state.site import MetasysState
from standin.metasys.types import object_type

ENUM_TYPES = ("all", "twoState", "multiState", "custom")
USER_SORTS = ("fullName", "lastLogin", "primaryEmail", "userName")


def enumeration(found: EnumSet, base: str) -> dict[str, Any]:
    return {
        "id": found.id,
        "title": found.title,
        "setId": found.set_id,
        "enumType": found.kind,
        "numberOfStates": len(found.members),
        "self": f"{base}/enumerations/{found.id}",
    }


def enumeration_item(found: EnumSet, base: str) -> dict[str, Any]:
    item = enumeration(found, base)
    item["members"] = [
        {"id": found.member(short), "memberId": index, "title": title}
        for index, (short, title) in enumerate(found.members)
    ]
    return item


def user_json(user: User, base: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "userName": user.username,
        "fullName": user.full_name,
        "primaryEmail": user.email,
        "accessType": "API" if user.is_api_user else "Standard",
        "isAdministrator": user.can_write,
        "self": f"{base}/users/{user.id}",
    }


USER_COLUMNS = ["id", "userName", "fullName", "primaryEmail", "accessType", "isAdministrator"]


def users_csv(items: list[dict[str, Any]]) -> Response:
    """``GET /users?format=csv``: the page's accounts, one a row under a header row."""
    text = io.StringIO()
    writer = csv.DictWriter(text, USER_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(items)
    return Response(text.getvalue(), media_type="text/csv; charset=utf-8")


class SystemHandlers:
    def __init__(self, deps: Deps, seam: Seam[MetasysState]) -> None:
        self.deps = deps
        # Login is the one operation that finds its tenant from the body, not from a token.
        self.seam = seam

    async def login(self, request: Request) -> Response:
        # Read before any credential, so bounded as every token request is.
        body = await json_body(request, MAX_TOKEN_REQUEST)
        username = body.get("username") if isinstance(body, dict) else None
        tenant = (
            self.seam.sandbox.tenants.resolve(self.seam.api, username)
            if isinstance(username, str)
            else None
        )
        if tenant is not None:
            # Journaled in the tenant's view, whatever the password proves (refused: among its
            # unproven entries, and not a use of it).
            attribute_named(request.scope, tenant.id)
        state = None if tenant is None else self.seam.state(tenant)
        token = auth.login(body, None if tenant is None else tenant.id, state, self.deps.issuer)
        return respond(auth.token_body(token))

    async def refresh(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        token = auth.issue(self.deps.issuer, caller.tenant.id, user)
        # The guide: refreshing a token also moves the user's stream expirations to the new one.
        self.deps.streams.extend(owner_of(caller), token.expires_at)
        return respond(auth.token_body(token))

    async def enum_schema(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        found = caller.state.enumerations.require(request.path_params["enumId"])
        return respond(as_json_schema(found, base))

    async def object_type_schema(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        parent_id = request.query_params.get("parentId")
        if parent_id is None:
            raise errors.bad_request("The parameter parentId is required.")
        extended = request.query_params.get("extendedProperty")
        if (
            extended is not None
            and ENUM_SETS["attributeEnumSet"].member(extended.removeprefix("attributeEnumSet."))
            not in ENUM_SETS["attributeEnumSet"]
        ):
            raise errors.bad_request(f"{extended} is not a member of attributeEnumSet.")
        raw = request.path_params["objectType"]
        kind = object_type(raw)
        if kind is None:
            raise errors.not_found(f"The object type {raw} was not found.")
        caller.state.object(parent_id)
        schema = kind.schema(base)
        schema["$id"] = f"{base}/schemas/objectTypes/{kind.short}"
        schema["properties"] = {
            name: body
            for name, body in schema["properties"].items()
            if not body.get("readOnly") and name != "presentValue"
        }
        return respond({"schema": schema, "views": kind.views()})

    async def identification(self, request: Request, caller: Caller[MetasysState]) -> Response:
        parent_id = request.query_params.get("parentObjectId")
        if parent_id is None:
            raise errors.bad_request("The parameter parentObjectId is required.")
        raw = request.path_params["objectType"]
        kind = object_type(raw)
        if kind is None:
            raise errors.not_found(f"The object type {raw} was not found.")
        parent = caller.state.object(parent_id)
        taken = {child.label for child in caller.state.tree.children(parent)}
        stem = kind.title.replace(" ", "")
        suggestion = next(f"{stem}{n}" for n in itertools.count(1) if f"{stem}{n}" not in taken)
        return respond(
            {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "default": suggestion},
                        "localUniqueIdentifier": {"type": "string", "default": suggestion},
                    },
                }
            }
        )

    @staticmethod
    def may_write(caller: Caller[MetasysState]) -> bool:
        """Whether the caller's user may write; an anonymous reader (no user) may not."""
        user = caller.state.user(caller.principal) if caller.principal else None
        return user is not None and user.can_write

    async def enumerations(self, request: Request, caller: Caller[MetasysState]) -> Response:
        can_write = self.may_write(caller)
        base = self.deps.base(request)
        params = request.query_params
        kind = params.get("enumType", "all")
        if kind not in ENUM_TYPES:
            raise errors.bad_request("enumType must be all, twoState, multiState or custom.")
        minimum = query.integer(params, "minNumberOfStates", 0, minimum=0)
        with_permissions = query.boolean(params, "includePermissions")
        found = [
            e
            for e in caller.state.enumerations.all()
            if kind == "all"
            or (kind == e.kind and (kind == "twoState" or len(e.members) >= minimum))
        ]
        body: dict[str, Any] = {
            "total": len(found),
            "items": [enumeration(e, base) for e in found],
            "self": str(request.url),
        }
        if with_permissions:
            body["effectivePermissions"] = {"canCreate": can_write}
        return respond(body)

    async def enumeration(self, request: Request, caller: Caller[MetasysState]) -> Response:
        can_write = self.may_write(caller)
        base = self.deps.base(request)
        params = request.query_params
        include_schema = query.boolean(params, "includeSchema")
        with_permissions = query.boolean(params, "includePermissions")
        found = caller.state.enumerations.require(request.path_params["id"])
        body: dict[str, Any] = {"item": enumeration_item(found, base)}
        if include_schema:
            schema = as_json_schema(found, base)
            # The reference: the schema tells which members (if any) are editable.
            [choices] = cast(list[dict[str, list[dict[str, Any]]]], schema["allOf"])
            for member in choices["oneOf"]:
                member["readOnly"] = not found.custom
            body["schema"] = schema
        if with_permissions:
            allowed = can_write and found.custom
            body["effectivePermissions"] = {"canModify": allowed, "canDelete": allowed}
        return respond(body)

    async def userinfo(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        return respond(user_json(user, base))

    async def users(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        params = request.query_params
        paging = query.paging(params, USER_SORTS, "userName")
        text = params.get("q", "").lower()
        found = [
            u
            for u in caller.state.users.values()
            if text in u.username.lower() or text in u.full_name.lower()
        ]
        kind = params.get("format")
        if kind not in (None, "csv"):
            raise errors.bad_request("The parameter format must be csv.")
        # Sandbox choice: no login history is kept, so lastLogin sorts as userName.
        field = {"fullName": "full_name", "primaryEmail": "email"}.get(paging.sort, "username")
        body = paged(
            request,
            found,
            paging,
            lambda u: user_json(u, base),
            lambda u: (sort_text(getattr(u, field)), u.id),
        )
        if kind == "csv":
            return users_csv(body["items"])
        return respond(body)
