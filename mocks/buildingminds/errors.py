"""BuildingMinds' error answers: Azure AD's for the token endpoint, the API's own for requests.

The token endpoint answers as Azure AD does: ``error``, an ``error_description`` that starts
with the AADSTS code and ends with trace id, correlation id and timestamp, ``error_codes``,
``timestamp``, ``trace_id``, ``correlation_id`` and ``error_uri``.

The API answers bad queries and bodies ``{"error": "Request validation failed"}`` (as documented)
and refused records in ``failedMessages``. What the gateway in front of it decides (token,
rate limit, unknown path, wrong method) comes as ``{"statusCode": N, "message": "..."}``:
**sandbox choice**, the shape Azure API Management gives these answers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from standin._core.errors import VendorError

NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def aad(
    status: int,
    error: str,
    code: int,
    description: str,
    now: float,
    trace_id: uuid.UUID,
    correlation_id: uuid.UUID,
) -> VendorError:
    stamp = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": str(trace_id),
        "correlation_id": str(correlation_id),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return VendorError(status, body, {**NO_STORE, "x-ms-request-id": str(trace_id)})


def request_validation_failed() -> VendorError:
    return VendorError(400, {"error": "Request validation failed"})


def batch_not_found() -> VendorError:
    return VendorError(404, {"error": "Batch not found"})


def records_refused(batch_id: str | None, failures: list[tuple[Any, str]]) -> VendorError:
    body = {
        "message": f"{len(failures)} record(s) failed validation",
        "batchId": batch_id,
        "failedMessages": [
            {"originalMessage": record, "validationMessage": reason} for record, reason in failures
        ],
    }
    return VendorError(400, body)


def gateway(status: int, message: str, headers: dict[str, str] | None = None) -> VendorError:
    return VendorError(status, {"statusCode": status, "message": message}, headers)


def unauthorized() -> VendorError:
    return gateway(
        401,
        "Unauthorized. Access token is missing or invalid.",
        {"WWW-Authenticate": 'Bearer realm="api.onbuildingminds.com", error="invalid_token"'},
    )


def forbidden() -> VendorError:
    return gateway(403, "The authenticated user has no access to this resource.")


def rate_limited(retry_after: str) -> VendorError:
    return gateway(
        429,
        f"Rate limit is exceeded. Try again in {retry_after} seconds.",
        {"Retry-After": retry_after},
    )


def not_found() -> VendorError:
    return gateway(404, "Resource not found")


def method_not_allowed() -> VendorError:
    return gateway(405, "Method not allowed")


def too_large(limit: int) -> VendorError:
    return gateway(413, f"Request body exceeds {limit} bytes")
