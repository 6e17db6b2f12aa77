"""What every OAuth 2.0 token endpoint of the fakes reads and answers alike (RFC 6749)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

from standin._core.bodies import read_capped
from standin._core.errors import VendorError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""RFC 6749 section 5.1: token answers must not be cached."""

FORM = "application/x-www-form-urlencoded"
MAX_TOKEN_REQUEST = 64 * 1024
"""The largest token request body read (RFC 6749 requests are a few hundred bytes); a larger
one is answered 413 before it is read."""


def token_request_too_large(limit: int) -> VendorError:
    """RFC 6749's error shape, for a body no token endpoint would read."""
    return VendorError(
        413,
        {
            "error": "invalid_request",
            "error_description": f"The request body is larger than {limit} bytes.",
        },
        NO_STORE,
    )


@dataclass(frozen=True)
class ClientAuth:
    client_id: str
    client_secret: str


def client_from_basic(header: str | None) -> ClientAuth | None:
    """HTTP Basic client authentication (RFC 6749 2.3.1: both parts form-urlencoded)."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error and UnicodeDecodeError are ValueErrors, as is what b64decode raises
        # for a header byte beyond ASCII (headers read as latin-1): all a malformed header.
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return ClientAuth(unquote_plus(client_id), unquote_plus(secret))


async def token_form(
    request: Request, too_large: Callable[[int], VendorError] = token_request_too_large
) -> dict[str, str]:
    """The parameters of a token request: form-encoded only (any other body carries none),
    read under :data:`MAX_TOKEN_REQUEST` bytes whatever the content type."""
    raw_body = await read_capped(request, MAX_TOKEN_REQUEST, too_large)
    if not request.headers.get("content-type", "").startswith(FORM):
        return {}
    raw = raw_body.decode("utf-8", errors="replace")
    return dict(parse_qsl(raw, keep_blank_values=True))
