"""Audits: the lists (site, object), one audit, discard, annotations, the audited users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from standin._core.seam import Caller
from standin.metasys import errors, query
from standin.metasys.activity_filters import audit_filter, times, within
from standin.metasys.audit_views import audit_json, audit_permission, note_json
from standin.metasys.deps import Deps
from standin.metasys.http import json_body, paged, paged_window, respond
from standin.metasys.state.audits import MAX_ANNOTATION
from standin.metasys.state.model import AuditEntry
from standin.metasys.state.site import MetasysState

MAX_PAGE_SIZE = 10000


def annotation_text(body: object, name: str) -> str | None:
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    text = body.get(name)
    if text is None:
        return None
    if not isinstance(text, str):
        raise errors.bad_request(f"{name} must be a string.")
    return text


class AuditHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _list(
        self,
        request: Request,
        caller: Caller[MetasysState],
        scope: Callable[[AuditEntry], bool] | None,
        *,
        objects: bool,
        extra: dict[str, str] | None = None,
    ) -> Response:
        state, user, base = caller.state, self.deps.user(caller), self.deps.base(request)
        params = request.query_params
        wanted = audit_filter(params, objects=objects)
        paging = query.paging(params, ("creationTime",), "creationTime", max_size=MAX_PAGE_SIZE)
        book = state.audit_book

        def render(entry: AuditEntry) -> dict[str, Any]:
            return audit_json(state, entry, book.tracks.get(entry.id), base)

        if scope is None and wanted.selects_all:
            # The trail is kept in time order: page 1 costs its own items, however many exist.
            body = paged_window(request, len(book.entries), paging, book.entries.window, render)
        else:
            found = [
                e
                for e in book.entries
                if (scope is None or scope(e)) and wanted.matches(state, e, book.tracks.get(e.id))
            ]
            body = paged(request, found, paging, render, lambda e: e.time)
        body["effectivePermissions"] = [
            audit_permission(book.by_id[i["id"]], book.tracks.get(i["id"]), user.can_write)
            for i in body["items"]
        ]
        return respond({**body, **(extra or {})})

    async def audits(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return self._list(request, caller, None, objects=True)

    async def object_audits(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        obj = caller.state.object(request.path_params["objectId"])
        return self._list(
            request,
            caller,
            lambda entry: entry.object_id == obj.id,
            objects=False,
            extra={"objectUrl": f"{base}/objects/{obj.id}"},
        )

    async def audit(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        book = caller.state.audit_book
        entry = book.get(request.path_params["auditId"])
        return respond(audit_json(caller.state, entry, book.tracks.get(entry.id), base))

    async def patch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        book = caller.state.audit_book
        entry = book.get(request.path_params["auditId"])
        body = await json_body(request)
        text = annotation_text(body, "annotationText")
        assert isinstance(body, dict)
        if body.get("activityManagementStatus") != "discarded":
            raise errors.bad_request("activityManagementStatus must be discarded.")
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to change this audit.")
        book.discard(entry, user.username, text)
        return Response(status_code=204)

    async def annotations(self, request: Request, caller: Caller[MetasysState]) -> Response:
        base = self.deps.base(request)
        book = caller.state.audit_book
        entry = book.get(request.path_params["auditId"])
        params = request.query_params
        start, end = times(params)
        paging = query.paging(params, ("creationTime",), "creationTime", max_size=MAX_PAGE_SIZE)
        track = book.tracks.get(entry.id)
        notes = [] if track is None else [n for n in track.notes if within(n.time, start, end)]
        return respond(
            paged(
                request,
                notes,
                paging,
                lambda note: note_json(entry, note, base),
                lambda note: (note.time, note.id),
            )
        )

    async def annotate(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """The text must not be empty or only whitespace, and is trimmed (the reference)."""
        user = self.deps.user(caller)
        book = caller.state.audit_book
        entry = book.get(request.path_params["auditId"])
        body = await json_body(request)
        text = annotation_text(body, "text")
        if text is None:
            raise errors.bad_request("text is required.")
        if len(text) > MAX_ANNOTATION or not text.strip():
            raise errors.bad_request("text must hold 1 to 255 characters, not only whitespace.")
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to annotate this audit.")
        book.annotate(entry, text.strip(), user.username)
        return Response(status_code=201)

    async def users(self, request: Request, caller: Caller[MetasysState]) -> Response:
        names = sorted(caller.state.audit_book.users)
        return respond({"total": len(names), "items": names, "self": str(request.url)})
