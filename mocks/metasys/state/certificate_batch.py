"""``POST /networkDevices/batch`` (PRIVATE): one method over many engines' signing requests or
certificates. Each request answers what the operation alone would; a signing request's PEM comes
back base64-encoded, as the reference notes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from standin._core.errors import VendorError
from standin.metasys import errors
from standin.metasys.state.certificates import bacnet_device, certificate_items, pem_base64
from standin.metasys.state.model import User

if TYPE_CHECKING:
    from standin.metasys.state.site import MetasysState

MAX_REQUESTS = 1000
METHODS = ("GET", "POST", "PUT", "DELETE")
RESOURCES = {
    "signingRequests/bacnet": ("GET", "POST", "PUT", "DELETE"),
    "certificates/bacnet": ("GET", "PUT", "DELETE"),
}
RELATIVE_URL = re.compile(r"^/?(?P<device>[^/?#]+)/(?P<resource>[A-Za-z]+/bacnet)/?$")
NOT_PERMITTED = "The user does not have the Manage Devices & Sites privilege."


def run_batch(state: MetasysState, user: User, body: Any) -> list[dict[str, Any]]:
    """The answers of a batch body (400 for the body as a whole: its shape, duplicate ids,
    mixed methods or resource types, more than 1000 requests)."""
    if not isinstance(body, Mapping):
        raise errors.bad_request("The request body must be a JSON object.")
    shared = body.get("body")
    if "body" in body and not isinstance(shared, dict | str):
        raise errors.bad_request("The shared body must be an object or a string.")
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise errors.bad_request("The requests field must be a non-empty array.")
    if len(requests) > MAX_REQUESTS:
        raise errors.bad_request(f"A batch takes at most {MAX_REQUESTS} requests.")
    parsed = [_request(entry) for entry in requests]
    ids = [entry["id"] for entry in parsed]
    if len(set(ids)) != len(ids):
        raise errors.bad_request("The request ids must be unique.")
    if len({entry["method"] for entry in parsed}) > 1:
        raise errors.bad_request("All requests of a batch must use the same method.")
    kinds = {
        m["resource"]
        for entry in parsed
        if (m := RELATIVE_URL.match(entry["relativeUrl"])) and m["resource"] in RESOURCES
    }
    if len(kinds) > 1:
        raise errors.bad_request("All requests of a batch must be for the same resource type.")
    answers = []
    for entry in parsed:
        own = entry.get("body", shared)
        status, content = _answer(state, user, entry["method"], entry["relativeUrl"], own)
        answer: dict[str, Any] = {"id": entry["id"], "status": status}
        if content is not None:
            answer["body"] = content
        answers.append(answer)
    return answers


def _request(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise errors.bad_request("Each request must be a JSON object.")
    for name in ("id", "method", "relativeUrl"):
        if not isinstance(entry.get(name), str):
            raise errors.bad_request(f"Each request needs a string {name}.")
    if entry["method"] not in METHODS:
        raise errors.bad_request(f"The method must be one of {', '.join(METHODS)}.")
    if "body" in entry and not isinstance(entry["body"], dict | str):
        raise errors.bad_request("A request's body must be an object or a string.")
    return dict(entry)


def _answer(
    state: MetasysState, user: User, method: str, relative_url: str, body: Any
) -> tuple[int, Any]:
    matched = RELATIVE_URL.match(relative_url)
    if matched is None or matched["resource"] not in RESOURCES:
        return 404, {"Message": f"No resource matches the relative URL '{relative_url}'."}
    resource = matched["resource"]
    if method not in RESOURCES[resource]:
        return 405, {"Message": f"The requested resource does not support http method '{method}'."}
    try:
        device = bacnet_device(state, matched["device"])
        if method != "GET" and not user.can_write:
            raise errors.forbidden(NOT_PERMITTED)
        book = state.certificates
        if resource == "signingRequests/bacnet":
            if method == "GET":
                return 200, pem_base64(book.signing_request(device).pem)
            if method == "POST":
                return 201, pem_base64(book.create_request(device, body).pem)
            if method == "PUT":
                return 200, pem_base64(book.replace_request(device, body, None).pem)
            book.delete_request(device, None)
            return 204, None
        if method == "GET":
            return 200, {"items": certificate_items(book.certificates(device), True)}
        if method == "PUT":
            if not isinstance(body, str):
                raise errors.bad_request("A certificate is written as a PEM string body.")
            book.write(device, body.encode("utf-8", "surrogatepass"))
            return 204, None
        book.delete_certificates(device)
        return 204, None
    except VendorError as refused:
        return refused.status, refused.body
