"""System capabilities and settings, historical time series, user accounts, audit counts and
alarm annotations: the reference's remaining PRIVATE and INTERNAL operations."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.deps import Deps
from standin.metasys.handlers.audits import annotation_text
from standin.metasys.http import json_body, paged, respond
from standin.metasys.state import audit_counts, users
from standin.metasys.state.audits import MAX_ANNOTATION
from standin.metasys.state.model import User
from standin.metasys.state.repository import SeriesRecord, search
from standin.metasys.state.settings import CAPABILITIES
from standin.metasys.state.site import MetasysState
from standin.metasys.views import timestamp

MAX_SERIES_PAGE = 2000
MAX_AUDIT_ACTION = 2**31 - 1


def user_account(state: MetasysState, base: str, user: User) -> dict[str, Any]:
    """A user as ``GET /users/{userId}`` answers (the reference's top-level properties)."""
    readable = [view for view in state.user_views if view.can_read(user)]
    return {
        "id": user.id,
        "self": f"{base}/users/{user.id}",
        "userName": user.username,
        "profile": users.profile(user),
        "permissions": users.permissions(user),
        "roles": None,
        "userViews": {
            "total": len(readable),
            "items": [
                {"id": v.id, "name": v.name, "self": f"{base}/objects/trees/{v.id}"}
                for v in readable
            ],
        },
    }


def series_json(state: MetasysState, base: str, record: SeriesRecord) -> dict[str, Any]:
    exists = state.tree.get(record.object_id) is not None
    object_url = f"{base}/objects/{record.object_id}"
    return {
        "id": record.id,
        "itemReference": record.item_reference,
        "attribute": record.attribute,
        "objectType": record.object_type,
        "objectUrl": object_url if exists else None,
        "samplesUrl": (
            f"{object_url}/trendedAttributes/{record.attribute}/samples" if exists else None
        ),
    }


def audit_actions(values: list[str]) -> set[int] | None:
    """``41,42`` or ``auditActions=41&auditActions=42``: integers only (400 otherwise)."""
    if not values:
        return None
    wanted = set()
    for value in values:
        for part in value.split(","):
            text = part.strip()
            # The length first: int() refuses strings of 4,300 digits and more.
            too_long = len(text) > len(str(MAX_AUDIT_ACTION))
            if not text.isascii() or not text.isdigit() or too_long or int(text) > MAX_AUDIT_ACTION:
                raise errors.bad_request("The parameter auditActions must list integers.")
            wanted.add(int(text))
    return wanted


class AdminHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- system ---------------------------------------------------------------------------

    async def capabilities(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return respond({"items": dict(CAPABILITIES)})

    async def settings(self, request: Request, caller: Caller[MetasysState]) -> Response:
        include_schema = query.boolean(request.query_params, "includeSchema")
        body: dict[str, Any] = {"item": dict(caller.state.settings.values)}
        if include_schema:
            body["schema"] = caller.state.settings.schema()
        return respond(body)

    async def edit_setting(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        body = await json_body(request)
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to change system settings.")
        caller.state.settings.update(request.path_params["settingId"], body)
        return Response(status_code=204)

    # --- time series ----------------------------------------------------------------------

    async def time_series(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        params = request.query_params
        paging = query.paging(params, ("itemReference",), "itemReference", 100, MAX_SERIES_PAGE)
        found = search(caller.state.repository, params.get("searchString"))
        return respond(
            paged(
                request,
                found,
                paging,
                lambda record: series_json(caller.state, base, record),
                lambda record: (record.item_reference, record.attribute),
            )
        )

    # --- users ----------------------------------------------------------------------------

    def _user(self, request: Request, caller: Caller[MetasysState]) -> User:
        if not self.deps.user(caller).can_write:
            raise errors.forbidden("This operation requires administrator privileges.")
        wanted = request.path_params["userId"].lower()
        for user in caller.state.users.values():
            if user.id == wanted:
                return user
        raise errors.not_found(f"User {request.path_params['userId']} was not found.")

    async def user(self, request: Request, caller: Caller[MetasysState]) -> Response:
        target = self._user(request, caller)
        return respond(user_account(caller.state, self.deps.base(request), target))

    async def edit_user(self, request: Request, caller: Caller[MetasysState]) -> Response:
        target = self._user(request, caller)
        body = await json_body(request)
        base = self.deps.base(request)
        users.edit(target, body, user_account(caller.state, base, target))
        return respond(user_account(caller.state, base, target))

    # --- audits and alarms ----------------------------------------------------------------

    async def audit_counts(self, request: Request, caller: Caller[MetasysState]) -> Response:
        params = request.query_params
        wanted = audit_actions(params.getlist("auditActions"))
        start = query.moment(params, "startTime")
        end = query.moment(params, "endTime")
        if start is None or end is None:
            raise errors.bad_request("The parameters startTime and endTime are required.")
        interval = params.get("timeInterval", "None")
        if interval not in audit_counts.INTERVALS:
            raise errors.bad_request("timeInterval must be None, Hour, Day, Week or Month.")
        found = audit_counts.count(
            caller.state.audit_book.action_times, start, end, interval, wanted
        )
        return respond(
            [
                {
                    "auditStringId": c.audit_string_id,
                    "startTime": timestamp(c.start),
                    "endTime": timestamp(c.end),
                    "count": c.count,
                }
                for c in found
            ]
        )

    async def annotate_alarm(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """As an audit's: 1 to 255 characters, not only whitespace, trimmed (the reference)."""
        user = self.deps.user(caller)
        alarm = caller.state.alarms.get(request.path_params["alarmId"])
        text = annotation_text(await json_body(request), "text")
        if text is None:
            raise errors.bad_request("text is required.")
        if len(text) > MAX_ANNOTATION or not text.strip():
            raise errors.bad_request("text must hold 1 to 255 characters, not only whitespace.")
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to annotate this alarm.")
        caller.state.alarms.annotate(alarm, text.strip(), user.username)
        return Response(status_code=201)
