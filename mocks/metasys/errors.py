"""Metasys error answers. The service is ASP.NET Web API: errors carry ``{"Message": "..."}``
(the 401 body is the service's own words), all in the v4 media type."""

from __future__ import annotations

from standin._core.errors import VendorError as VendorError

MEDIA_TYPE = "application/vnd.metasysapi.v4+json"
DENIED = "Authorization has been denied for this request."


def message(status: int, text: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, {"Message": text}, headers, MEDIA_TYPE)


def unauthorized() -> VendorError:
    return message(401, DENIED, {"WWW-Authenticate": "Bearer"})


def bad_request(text: str) -> VendorError:
    return message(400, text)


def forbidden(text: str) -> VendorError:
    return message(403, text)


def not_found(text: str = "The requested resource was not found.") -> VendorError:
    return message(404, text)


def conflict(text: str) -> VendorError:
    return message(409, text)


def offline(name: str) -> VendorError:
    return message(503, f"The device is offline: {name}.")


def too_many_requests(retry_after: str) -> VendorError:
    return message(403, "Too many requests.", {"Retry-After": retry_after})


def method_not_allowed() -> VendorError:
    return message(405, "The requested resource does not support this http method.")
