"""``GET /activities`` (paged by continuation token, or a stream subscription),
``POST /activities/batch``, and ending activity subscriptions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from standin._core.errors import VendorError
from standin._core.paging import ContinuationRejected
from standin.metasys import errors
from standin.metasys.activities import SORTS, activity_query, effective_permission, render
from standin.metasys.handlers.streams import end_subscription, owner_of
from standin.metasys.http import Caller, caller, json_body, respond
from standin.metasys.state.audits import MAX_ANNOTATION

if TYPE_CHECKING:
    from standin.metasys.api import MetasysApi

PAGE_SIZE = 100
"""**Sandbox choice:** the reference has no page size for activities; a page holds 100."""
MAX_BATCH = 100
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


class ActivityHandlers:
    def __init__(self, api: MetasysApi) -> None:
        self.api = api

    async def activities(self, request: Request) -> Response:
        who = caller(self.api, request)
        params = request.query_params
        wanted = activity_query(params)
        sort = params.get("sort", "creationTime")
        if sort.removeprefix("-") not in SORTS:
            raise errors.bad_request("The parameter sort must be creationTime or priority.")
        headers: dict[str, str] = {}
        stream_id = request.headers.get("metasys-subscribe")
        if stream_id is not None:
            subscription_id = self.api.streams.subscribe_activities(
                who.state,
                stream_id,
                owner_of(who.tenant_id, who.user.username),
                wanted,
                who.base,
                who.user,
            )
            headers["METASYS-SUBSCRIPTION-LOCATION"] = (
                f"{who.base}/activities/streams/{quote(stream_id, safe='')}"
                f"/subscriptions/{subscription_id}"
            )
        bound = {k: params.getlist(k) for k in params if k != "continuationToken"}
        start = 0
        token = params.get("continuationToken")
        if token is not None and stream_id is None:
            try:
                start = self.api.continuations.decode(token, bound)
            except ContinuationRejected:
                raise errors.bad_request(
                    "The continuation token is not valid for this query."
                ) from None
        found = wanted.collect(who.state, sort.removeprefix("-"), sort.startswith("-"))
        page = found[start : start + PAGE_SIZE]
        next_url = None
        if start + PAGE_SIZE < len(found):
            following = self.api.continuations.encode(bound, start + PAGE_SIZE)
            pairs = [(k, v) for k, values in bound.items() for v in values]
            pairs.append(("continuationToken", following))
            next_url = f"{who.base}/activities?{urlencode(pairs)}"
        body = {
            "total": len(found),
            "items": [render(who.state, a, who.base) for a in page],
            "effectivePermissions": [effective_permission(who.state, a, who.user) for a in page],
            "next": next_url,
            "self": str(request.url),
        }
        return respond(body, headers=headers)

    async def delete_subscription(self, request: Request) -> Response:
        return end_subscription(self.api, request, self.api.streams.unsubscribe_activities)

    async def batch(self, request: Request) -> Response:
        """Each request acknowledges, discards or annotates one alarm or audit; each answers
        the status (and error body) that operation would have answered alone."""
        who = caller(self.api, request)
        body = await json_body(request)
        if not isinstance(body, dict) or body.get("method") not in ("PATCH", "POST"):
            raise errors.bad_request("method must be PATCH or POST.")
        requests = body.get("requests")
        if not isinstance(requests, list) or len(requests) > MAX_BATCH:
            raise errors.bad_request(f"requests must be a list of at most {MAX_BATCH} items.")
        seen: set[str] = set()
        for entry in requests:
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("id"), str)
                or not isinstance(entry.get("requestUrl"), str)
                or not isinstance(entry.get("body"), dict)
            ):
                raise errors.bad_request("Each request needs an id, a requestUrl and a body.")
            if not URI_REFERENCE.match(entry["requestUrl"]):
                raise errors.bad_request("Each requestUrl must be a URI reference.")
            if entry["id"] in seen:
                raise errors.bad_request("Request ids must be unique.")
            seen.add(entry["id"])
        responses = [
            {
                "responseId": entry["id"],
                **self._one(who, body["method"], entry["requestUrl"], entry["body"]),
            }
            for entry in requests
        ]
        return respond({"responses": responses})

    def _one(self, who: Caller, method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        parts = [p for p in urlsplit(url).path.split("/") if p]
        try:
            if len(parts) >= 2 and parts[-2] in ("alarms", "audits") and method == "PATCH":
                self._change(who, parts[-2], parts[-1], body)
                return {"status": 204}
            if len(parts) >= 3 and parts[-1] == "annotations" and method == "POST":
                self._annotate(who, parts[-3], parts[-2], body)
                return {"status": 201}
            raise errors.not_found("The requestUrl is not an alarm or audit operation.")
        except VendorError as problem:
            return {"status": problem.status, "body": problem.body}

    def _change(self, who: Caller, kind: str, item_id: str, body: dict[str, Any]) -> None:
        status = body.get("activityManagementStatus")
        text = body.get("annotationText")
        if text is not None and not isinstance(text, str):
            raise errors.bad_request("annotationText must be a string or null.")
        state = who.state
        if kind == "alarms":
            alarm = state.alarms.get(item_id)
            if status not in ("acknowledged", "discarded"):
                raise errors.bad_request(
                    "activityManagementStatus must be acknowledged or discarded."
                )
            self._may_write(who)
            state.alarms.change(alarm, str(status), who.user.username, text)
            return
        entry = state.audit_book.get(item_id)
        if status != "discarded":
            raise errors.bad_request("activityManagementStatus must be discarded.")
        self._may_write(who)
        state.audit_book.discard(entry, who.user.username, text)

    def _annotate(self, who: Caller, kind: str, item_id: str, body: dict[str, Any]) -> None:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANNOTATION:
            raise errors.bad_request("text must hold 1 to 255 characters, not only whitespace.")
        state = who.state
        if kind == "alarms":
            alarm = state.alarms.get(item_id)
            self._may_write(who)
            state.alarms.annotate(alarm, text.strip(), who.user.username)
        elif kind == "audits":
            entry = state.audit_book.get(item_id)
            self._may_write(who)
            state.audit_book.annotate(entry, text.strip(), who.user.username)
        else:
            raise errors.not_found("The requestUrl is not an alarm or audit operation.")

    @staticmethod
    def _may_write(who: Caller) -> None:
        if not who.user.can_write:
            raise errors.forbidden("The user is not authorized to change activities.")
