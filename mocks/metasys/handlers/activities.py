"""``GET /activities`` (paged by continuation token, or a stream subscription),
``POST /activities/batch``, and ending activity subscriptions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from standin._core.errors import VendorError
from standin._core.paging import ContinuationRejected
from standin._core.seam import Caller
from standin.metasys import errors
from standin.metasys.activities import SORTS, activity_query, effective_permission, render
from standin.metasys.deps import Deps
from standin.metasys.handlers.streams import end_subscription, owner_of
from standin.metasys.http import URI_REFERENCE, json_body, respond
from standin.metasys.state.audits import MAX_ANNOTATION
from standin.metasys.state.model import User
from standin.metasys.state.site import MetasysState

PAGE_SIZE = 100
"""**Sandbox choice:** the reference has no page size for activities; a page holds 100."""
MAX_BATCH = 100


class ActivityHandlers:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def activities(self, request: Request, caller: Caller[MetasysState]) -> Response:
        user = self.deps.user(caller)
        base = self.deps.base(request)
        params = request.query_params
        wanted = activity_query(params)
        sort = params.get("sort", "creationTime")
        if sort.removeprefix("-") not in SORTS:
            raise errors.bad_request("The parameter sort must be creationTime or priority.")
        headers: dict[str, str] = {}
        stream_id = request.headers.get("metasys-subscribe")
        if stream_id is not None:
            subscription_id = self.deps.streams.subscribe_activities(
                caller.state,
                stream_id,
                owner_of(caller),
                wanted,
                base,
                user,
            )
            headers["METASYS-SUBSCRIPTION-LOCATION"] = (
                f"{base}/activities/streams/{quote(stream_id, safe='')}"
                f"/subscriptions/{subscription_id}"
            )
        bound = {k: params.getlist(k) for k in params if k != "continuationToken"}
        start = 0
        token = params.get("continuationToken")
        if token is not None and stream_id is None:
            try:
                start = self.deps.continuations.decode(token, bound)
            except ContinuationRejected:
                raise errors.bad_request(
                    "The continuation token is not valid for this query."
                ) from None
        page, total = wanted.window(
            caller.state, sort.removeprefix("-"), sort.startswith("-"), start, PAGE_SIZE
        )
        next_url = None
        if start + PAGE_SIZE < total:
            following = self.deps.continuations.encode(bound, start + PAGE_SIZE)
            pairs = [(k, v) for k, values in bound.items() for v in values]
            pairs.append(("continuationToken", following))
            next_url = f"{base}/activities?{urlencode(pairs)}"
        body = {
            "total": total,
            "items": [render(caller.state, a, base) for a in page],
            "effectivePermissions": [effective_permission(caller.state, a, user) for a in page],
            "next": next_url,
            "self": str(request.url),
        }
        return respond(body, headers=headers)

    async def delete_subscription(self, request: Request, caller: Caller[MetasysState]) -> Response:
        return end_subscription(request, caller, self.deps.streams.unsubscribe_activities)

    async def batch(self, request: Request, caller: Caller[MetasysState]) -> Response:
        """Each request acknowledges, discards or annotates one alarm or audit; each answers
        the status (and error body) that operation would have answered alone."""
        user = self.deps.user(caller)
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
                **self._one(caller.state, user, body["method"], entry["requestUrl"], entry["body"]),
            }
            for entry in requests
        ]
        return respond({"responses": responses})

    def _one(
        self, state: MetasysState, user: User, method: str, url: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        parts = [p for p in urlsplit(url).path.split("/") if p]
        try:
            if len(parts) >= 2 and parts[-2] in ("alarms", "audits") and method == "PATCH":
                self._change(state, user, parts[-2], parts[-1], body)
                return {"status": 204}
            if len(parts) >= 3 and parts[-1] == "annotations" and method == "POST":
                self._annotate(state, user, parts[-3], parts[-2], body)
                return {"status": 201}
            raise errors.not_found("The requestUrl is not an alarm or audit operation.")
        except VendorError as problem:
            return {"status": problem.status, "body": problem.body}

    def _change(
        self, state: MetasysState, user: User, kind: str, item_id: str, body: dict[str, Any]
    ) -> None:
        status = body.get("activityManagementStatus")
        text = body.get("annotationText")
        if text is not None and not isinstance(text, str):
            raise errors.bad_request("annotationText must be a string or null.")
        if kind == "alarms":
            alarm = state.alarms.get(item_id)
            if status not in ("acknowledged", "discarded"):
                raise errors.bad_request(
                    "activityManagementStatus must be acknowledged or discarded."
                )
            self._may_write(user)
            state.alarms.change(alarm, str(status), user.username, text)
            return
        entry = state.audit_book.get(item_id)
        if status != "discarded":
            raise errors.bad_request("activityManagementStatus must be discarded.")
        self._may_write(user)
        state.audit_book.discard(entry, user.username, text)

    def _annotate(
        self, state: MetasysState, user: User, kind: str, item_id: str, body: dict[str, Any]
    ) -> None:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANNOTATION:
            raise errors.bad_request("text must hold 1 to 255 characters, not only whitespace.")
        if kind == "alarms":
            alarm = state.alarms.get(item_id)
            self._may_write(user)
            state.alarms.annotate(alarm, text.strip(), user.username)
        elif kind == "audits":
            entry = state.audit_book.get(item_id)
            self._may_write(user)
            state.audit_book.annotate(entry, text.strip(), user.username)
        else:
            raise errors.not_found("The requestUrl is not an alarm or audit operation.")

    @staticmethod
    def _may_write(user: User) -> None:
        if not user.can_write:
            raise errors.forbidden("The user is not authorized to change activities.")
