"""Atrius's error answers: Django REST Framework bodies for the API, RFC 6749 for the token.

The service is DRF with django-oauth-toolkit (trailing slashes, ``/o/token/``), so errors take
DRF's shapes: ``{"detail": "..."}`` or field -> messages for validation.
"""

from __future__ import annotations

from typing import Any

from standin._core.errors import VendorError
from standin._core.oauth import NO_STORE

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, {"detail": message}, headers)


def not_found() -> VendorError:
    return detail(404, "Not found.")


def invalid_page() -> VendorError:
    return detail(404, "Invalid page.")


def not_authenticated() -> VendorError:
    return detail(401, "Authentication credentials were not provided.", BEARER_CHALLENGE)


def method_not_allowed(method: str) -> VendorError:
    return detail(405, f'Method "{method}" not allowed.')


def unsupported_media_type(content_type: str) -> VendorError:
    return detail(415, f'Unsupported media type "{content_type}" in request.')


def parse_error(message: str) -> VendorError:
    return detail(400, f"JSON parse error - {message}")


def too_large(message: str) -> VendorError:
    return detail(413, message)


def throttled(wait: str) -> VendorError:
    return detail(
        429,
        f"Request was throttled. Expected available in {wait} seconds.",
        {"Retry-After": wait},
    )


def validation(errors: dict[str, Any]) -> VendorError:
    return VendorError(400, errors)


def oauth(status: int, error: str, description: str | None = None) -> VendorError:
    body = {"error": error}
    if description:
        body["error_description"] = description
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="api"'
    return VendorError(status, body, headers)
