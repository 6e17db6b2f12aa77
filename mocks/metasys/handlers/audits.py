"""Audits: the lists (site, object), one audit, discard, annotations, the audited users."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from standin.metasys import errors, query
from standin.metasys.activity_filters import audit_filter, times, within
from standin.metasys.audit_views import audit_json, audit_permission, note_json
from standin.metasys.http import Caller, caller, json_body, paged, respond
from standin.metasys.state.audits import MAX_ANNOTATION
from standin.metasys.state.model import AuditEntry

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

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
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    def _list(
        self,
        request: Request,
        who: Caller,
        scope: Callable[[AuditEntry], bool],
        *,
        objects: bool,
        extra: dict[str, str] | None = None,
    ) -> Response:
        params = request.query_params
        wanted = audit_filter(params, objects=objects)
        paging = query.paging(params, ("creationTime",), "creationTime", max_size=MAX_PAGE_SIZE)
        book = who.state.audit_book
        found = [
            e
            for e in book.entries
            if scope(e) and wanted.matches(who.state, e, book.tracks.get(e.id))
        ]
        body = paged(
            request,
            found,
            paging,
            lambda e: audit_json(who.state, e, book.tracks.get(e.id), who.base),
            lambda e: e.time,
        )
        by_id = {e.id: e for e in found}
        body["effectivePermissions"] = [
            audit_permission(by_id[i["id"]], book.tracks.get(i["id"]), who.user.can_write)
            for i in body["items"]
        ]
        return respond({**body, **(extra or {})})

    async def audits(self, request: Request) -> Response:
        who = caller(self.api, request)
        return self._list(request, who, lambda entry: True, objects=True)

    async def object_audits(self, request: Request) -> Response:
        who = caller(self.api, request)
        obj = who.state.object(request.path_params["objectId"])
        return self._list(
            request,
            who,
            lambda entry: entry.object_id == obj.id,
            objects=False,
            extra={"objectUrl": f"{who.base}/objects/{obj.id}"},
        )

    async def audit(self, request: Request) -> Response:
        who = caller(self.api, request)
        book = who.state.audit_book
        entry = book.get(request.path_params["auditId"])
        return respond(audit_json(who.state, entry, book.tracks.get(entry.id), who.base))

    async def patch(self, request: Request) -> Response:
        who = caller(self.api, request)
        book = who.state.audit_book
        entry = book.get(request.path_params["auditId"])
        body = await json_body(request)
        text = annotation_text(body, "annotationText")
        assert isinstance(body, dict)
        if body.get("activityManagementStatus") != "discarded":
            raise errors.bad_request("activityManagementStatus must be discarded.")
        if not who.user.can_write:
            raise errors.forbidden("The user is not authorized to change this audit.")
        book.discard(entry, who.user.username, text)
        return Response(status_code=204)

    async def annotations(self, request: Request) -> Response:
        who = caller(self.api, request)
        book = who.state.audit_book
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
                lambda note: note_json(entry, note, who.base),
                lambda note: (note.time, note.id),
            )
        )

    async def annotate(self, request: Request) -> Response:
        """The text must not be empty or only whitespace, and is trimmed (the reference)."""
        who = caller(self.api, request)
        book = who.state.audit_book
        entry = book.get(request.path_params["auditId"])
        body = await json_body(request)
        text = annotation_text(body, "text")
        if text is None:
            raise errors.bad_request("text is required.")
        if len(text) > MAX_ANNOTATION or not text.strip():
            raise errors.bad_request("text must hold 1 to 255 characters, not only whitespace.")
        if not who.user.can_write:
            raise errors.forbidden("The user is not authorized to annotate this audit.")
        book.annotate(entry, text.strip(), who.user.username)
        return Response(status_code=201)

    async def users(self, request: Request) -> Response:
        who = caller(self.api, request)
        names = sorted({e.user for e in who.state.audit_book.entries})
        return respond({"total": len(names), "items": names, "self": str(request.url)})
