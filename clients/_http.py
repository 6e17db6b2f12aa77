"""What every vendor client shares: injectable time, the base error, the httpx client,
Retry-After and the reading of JSON answers."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiError",
    "Clock",
    "HttpClientOwner",
    "RateLimitedError",
    "Sleeper",
    "build_http_client",
    "json_object",
    "json_string",
    "parse_json",
    "response_body",
    "retry_after_delay",
    "retry_after_seconds",
    "retry_while_429",
    "system_sleep",
    "utc_now",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds for connect, read, write and pool waits alike."""


class Clock(Protocol):
    """Now, as an aware UTC datetime. Tests pass the sandbox clock so waits can be computed."""

    def __call__(self) -> datetime: ...


class Sleeper(Protocol):
    """Blocks for ``seconds``. Tests pass a fake that moves the sandbox clock instead."""

    def __call__(self, seconds: float, /) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def system_sleep(seconds: float, /) -> None:
    time.sleep(seconds)


class ApiError(Exception):
    """An error answer from a vendor API: HTTP status, decoded body and response headers."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or f"HTTP {status}: {body!r}")
        self.status = status
        self.body = body
        # httpx.Headers, so lookups ignore case as HTTP does.
        self.headers = httpx.Headers(dict(headers or {}))


class RateLimitedError(ApiError):
    """429, still, after a client's retries; ``retry_after`` says how long to wait."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        message: str | None = None,
        *,
        retry_after: float,
    ) -> None:
        super().__init__(status, body, headers, message)
        self.retry_after = retry_after


def response_body(response: httpx.Response) -> Any:
    """The body as JSON when it parses as JSON, else as text (for errors and odd answers)."""
    try:
        return response.json()
    except ValueError:
        return response.text


def build_http_client(
    base_url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=timeout, headers=dict(headers or {}))


class HttpClientOwner:
    """Closes the httpx client when the vendor client made it, and is a context manager."""

    _http: httpx.Client
    _owns_http: bool

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- Retry-After -------------------------------------------------------------------------------


def retry_after_delay(value: str | None) -> float | None:
    """Retry-After as a delay in seconds; ``None`` when missing, not a number, negative, NaN or
    infinite (so a caller falls back rather than waiting forever)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_after_seconds(response: httpx.Response, now: datetime) -> float | None:
    """Seconds to wait from Retry-After, a delay or an HTTP date (0 once that date has passed);
    ``None`` when the header is missing or unusable, so the client applies its vendor's
    fallback."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    try:
        float(header.strip())
    except ValueError:
        pass
    else:
        return retry_after_delay(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def retry_while_429(
    send: Callable[[], httpx.Response],
    *,
    max_retries: int,
    sleep: Sleeper,
    wait: Callable[[httpx.Response], float],
    rate_limited: Callable[[httpx.Response, float], Exception],
) -> httpx.Response:
    """``send`` until the answer is not a 429, sleeping ``wait(response)`` seconds between
    tries; after ``max_retries`` retries the last 429 raises ``rate_limited(response, wait)``."""
    retries = 0
    while True:
        response = send()
        if response.status_code != 429:
            return response
        seconds = wait(response)
        if retries >= max_retries:
            raise rate_limited(response, seconds)
        retries += 1
        sleep(seconds)


# --- JSON answers ------------------------------------------------------------------------------


def parse_json(
    response: httpx.Response,
    parse: Callable[[Any], T],
    contract_error: Callable[[httpx.Response, str], Exception],
) -> T:
    """``parse`` applied to the JSON body; a body that is not JSON, or that ``parse`` refuses
    (ValueError, KeyError, TypeError), raises the client's own ``contract_error``."""
    try:
        body = response.json()
    except ValueError:
        raise contract_error(response, "not JSON") from None
    try:
        return parse(body)
    except (ValueError, KeyError, TypeError) as err:
        raise contract_error(response, str(err)) from None


def json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def json_string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return value
