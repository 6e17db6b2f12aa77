"""Locus error answers.

The reference documents one error body, the rate limit's ``{"message": "Too many requests",
"statusCode": 429}``. **Sandbox choice** (stated in the contract): every API error takes that
shape, ``{"message": "...", "statusCode": <status>}``; the token endpoint answers as RFC 6749
says OAuth 2 servers do, ``{"error": "...", "error_description": "..."}``.
"""

from __future__ import annotations

from standin._core.errors import VendorError
from standin._core.oauth import NO_STORE


def locus_error(status: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, {"message": message, "statusCode": status}, headers)


def bad_request(message: str) -> VendorError:
    return locus_error(400, message)


def unauthorized(message: str = "Unauthorized") -> VendorError:
    return locus_error(401, message, {"WWW-Authenticate": 'Bearer realm="locusenergy"'})


def forbidden(kind: str, entity_id: int) -> VendorError:
    return locus_error(403, f"You do not have permission to access {kind} {entity_id}")


def not_found(kind: str, entity_id: int | str) -> VendorError:
    return locus_error(404, f"{kind.capitalize()} {entity_id} not found")


def too_many_requests() -> VendorError:
    return VendorError(429, {"message": "Too many requests", "statusCode": 429})


def oauth(status: int, error: str, description: str, challenge: str | None = None) -> VendorError:
    """An RFC 6749 5.2 error; ``challenge`` is the ``WWW-Authenticate`` of a refused Basic login."""
    headers = NO_STORE if challenge is None else {**NO_STORE, "WWW-Authenticate": challenge}
    return VendorError(status, {"error": error, "error_description": description}, headers)
