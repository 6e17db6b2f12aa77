"""Alarms: the lists (site, object, network device), one alarm, acknowledge/discard, annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.activity_filters import alarm_filter, times, within
from standin.metasys.alarm_views import alarm_json, annotation_json, permission
from standin.metasys.deps import Deps
from standin.metasys.http import json_body, paged, paged_window, respond
from standin.metasys.state.alarms import Alarm
from standin.metasys.state.site import MetasysState

ALARM_SORTS = ("creationTime", "priority")
MAX_PAGE_SIZE = 10000
STATUSES = ("acknowledged", "discarded")


def alarm_key(paging: query.Paging) -> Callable[[Alarm], Any]:
    if paging.sort == "priority":
        return lambda alarm: (alarm.priority, alarm.creation_time)
    return lambda alarm: alarm.creation_time


class AlarmHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _list(
        self,
        request: Request,
        caller: Caller[MetasysState],
        scope: Callable[[Alarm], bool] | None,
        *,
        related: bool,
        extra: dict[str, str] | None = None,
    ) -> Response:
        state, user, base = caller.state, self.deps.user(caller), self.deps.base(request)
        params = request.query_params
        wanted = alarm_filter(params, related=related)
        paging = query.paging(params, ALARM_SORTS, "creationTime", max_size=MAX_PAGE_SIZE)
        book = state.alarms

        def render(alarm: Alarm) -> dict[str, Any]:
            return alarm_json(state, alarm, base)

        if scope is None and wanted.selects_all and paging.sort == "creationTime":
            # Alarms are kept in creation order: page 1 costs its own items, however many exist.
            body = paged_window(request, len(book.history), paging, book.history.window, render)
        else:
            found = [
                a for a in book.history if (scope is None or scope(a)) and wanted.matches(state, a)
            ]
            body = paged(request, found, paging, render, alarm_key(paging))
        body["effectivePermissions"] = [
            permission(book.items[item["id"]], user, book.can_acknowledge(book.items[item["id"]]))
            for item in body["items"]
        ]
        return respond({**body, **(extra or {})})

    async def alarms(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return self._list(request, caller, None, related=True)

    async def object_alarms(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        return self._list(
            request,
            caller,
            lambda alarm: alarm.object_id == obj.id,
            related=False,
            extra={"objectUrl": f"{base}/objects/{obj.id}"},
        )

    async def device_alarms(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        device = caller.state.network_device(request.path_params["networkDeviceId"])
        tree = caller.state.tree

        def hosted(alarm: Alarm) -> bool:
            obj = tree.get(alarm.object_id)
            return obj is not None and any(d.id == device.id for d in tree.hosting_devices(obj))

        return self._list(
            request,
            caller,
            hosted,
            related=True,
            extra={"networkDeviceUrl": f"{base}/networkDevices/{device.id}"},
        )

    async def alarm(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        alarm = caller.state.alarms.get(request.path_params["alarmId"])
        return respond(alarm_json(caller.state, alarm, base))

    async def patch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        alarm = caller.state.alarms.get(request.path_params["alarmId"])
        body = await json_body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        status = body.get("activityManagementStatus")
        if status not in STATUSES:
            raise errors.bad_request("activityManagementStatus must be acknowledged or discarded.")
        text = body.get("annotationText")
        if text is not None and not isinstance(text, str):
            raise errors.bad_request("annotationText must be a string or null.")
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to change this alarm.")
        caller.state.alarms.change(alarm, status, user.username, text)
        return Response(status_code=204)

    async def annotations(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        alarm = caller.state.alarms.get(request.path_params["alarmId"])
        params = request.query_params
        start, end = times(params)
        paging = query.paging(
            params, ("creationTime", "user"), "creationTime", max_size=MAX_PAGE_SIZE
        )
        notes = [n for n in alarm.annotations if within(n.time, start, end)]
        return respond(
            paged(
                request,
                notes,
                paging,
                lambda note: annotation_json(alarm, note, base),
                (lambda note: (note.user, note.time, note.id))
                if paging.sort == "user"
                else (lambda note: (note.time, note.id)),
            )
        )
