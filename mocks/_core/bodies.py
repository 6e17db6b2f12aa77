"""Reading request bodies under a bound, so that no request costs more memory than that bound,
whoever sends it (checked while the body streams in, not after it has all arrived)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from standin._core.errors import VendorError


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
