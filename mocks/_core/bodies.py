"""Reading request bodies under a bound, so that no request costs more memory than that bound,
whoever sends it (checked while the body streams in, not after it has all arrived), and reading
JSON only into values the encoder can answer back, so that no write breaks a later read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request

from standin._core.errors import VendorError

MAX_JSON_DEPTH = 64
"""Arrays and objects nested deeper than this are refused. It is the default maximum depth of
.NET's JSON reader (what Metasys and BuildingMinds run on), and far enough below the encoder's
own limit (254 levels) that a stored value still encodes inside any response that embeds it."""


async def read_capped(
    request: Request, limit: int, too_large: Callable[[int], VendorError]
) -> bytes:
    """A request body read as it streams in, refused (``too_large(limit)``) past ``limit``
    bytes: whoever sends it, it never costs more than that much memory."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def parse_json(
    raw: bytes,
    malformed: Callable[[str], VendorError],
    max_depth: int | None = MAX_JSON_DEPTH,
) -> Any:
    """``raw`` as JSON, or ``malformed(reason)``.

    Read by the same library that encodes every answer, so whatever it accepts can be sent
    back: text that is not UTF-8, a lone surrogate escape (``"\\ud800"``), ``NaN``,
    ``Infinity`` and numbers beyond a double's range are refused, as is nesting deeper than
    ``max_depth`` (``None``: the reader's own bound, 1024 levels, for a vendor whose parser
    has none and which keeps no nested value of a body). Integers beyond 64 bits read as
    doubles (as .NET's reader does for a ``double`` field); a schema that wants an integer
    then refuses them.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as problem:
        raise malformed(str(problem)) from None
    if max_depth is not None and _deeper_than(value, max_depth):
        raise malformed(f"nesting is deeper than {max_depth} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    # A walk with its own stack: orjson reads 1024 levels, more than Python's recursion limit.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth >= limit:
            return True
        pending.extend((child, depth + 1) for child in item)
    return False


async def read_json(
    request: Request,
    limit: int,
    too_large: Callable[[int], VendorError],
    malformed: Callable[[str], VendorError],
) -> Any:
    """A JSON body read under ``limit`` bytes (see :func:`read_capped`, :func:`parse_json`)."""
    return parse_json(await read_capped(request, limit, too_large), malformed)
