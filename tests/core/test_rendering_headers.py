"""``JSONBody`` builds its usual headers (a JSON body with none of its own) inline, and leaves
every other case to Starlette: either way its head is Starlette's, byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response

from standin._core.rendering import JSONBody, dumps

HEADERS: list[dict[str, str] | None] = [
    None,
    {},
    {"X-Request-Id": "7"},
    {"Content-Type": "application/problem+json"},
    {"content-length": "99"},
]
MEDIA_TYPES = [None, "application/json", "application/vnd.api+json", "text/plain"]
STATUSES = [101, 200, 201, 204, 304, 404, 503]


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("media_type", MEDIA_TYPES)
@pytest.mark.parametrize("status", STATUSES)
def test_a_json_body_has_starlettes_head_and_body(
    headers: dict[str, str] | None, media_type: str | None, status: int
) -> None:
    content = {"items": [1, "two", None], "n": 3}
    ours = JSONBody(content, status, headers, media_type)
    theirs = Response(dumps(content), status, headers, media_type or "application/json")
    assert (ours.status_code, ours.body, ours.raw_headers) == (
        theirs.status_code,
        theirs.body,
        theirs.raw_headers,
    )


class Rendered(JSONBody):
    """A subclass with its own rendering: Starlette's way throughout."""

    def render(self, content: Any) -> bytes:
        return b"[" + dumps(content) + b"]"


def test_a_subclass_that_renders_its_own_way_gets_its_body_and_starlettes_head() -> None:
    ours = Rendered({"a": 1}, 201, {"X-Request-Id": "7"})
    assert ours.body == b'[{"a":1}]'
    assert ours.raw_headers == [
        (b"x-request-id", b"7"),
        (b"content-length", b"9"),
        (b"content-type", b"application/json"),
    ]
    assert Rendered({"a": 1}).raw_headers == [
        (b"content-length", b"9"),
        (b"content-type", b"application/json"),
    ]
