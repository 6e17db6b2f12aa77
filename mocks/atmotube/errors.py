"""Atmotube's error answers.

The guide documents no error body. **Sandbox choice** (stated in the contract): every error is
JSON ``{"status": <HTTP status>, "message": "..."}``, mirroring the success envelope whose
``status`` is 0; clients in the wild test ``status != 0``.
"""

from __future__ import annotations

from standin._core.errors import VendorError


def atmotube_error(status: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, {"status": status, "message": message}, headers)


def bad_parameter(message: str) -> VendorError:
    return atmotube_error(400, message)


def invalid_api_key() -> VendorError:
    return atmotube_error(401, "Invalid API key")


def device_not_found(mac: str) -> VendorError:
    return atmotube_error(404, f"Device {mac} is not registered to this API key")


def rate_limited(limit: int, retry_after: str) -> VendorError:
    return atmotube_error(
        429,
        f"Rate limit exceeded: {limit} requests per minute. Retry after {retry_after} s.",
        {"Retry-After": retry_after},
    )
