"""What every OAuth 2.0 token endpoint of the fakes reads and answers alike (RFC 6749)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""RFC 6749 section 5.1: token answers must not be cached."""

FORM = "application/x-www-form-urlencoded"


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
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return ClientAuth(unquote_plus(client_id), unquote_plus(secret))


async def token_form(request: Request) -> dict[str, str]:
    """The parameters of a token request: form-encoded only (any other body carries none)."""
    if not request.headers.get("content-type", "").startswith(FORM):
        return {}
    raw = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(raw, keep_blank_values=True))
