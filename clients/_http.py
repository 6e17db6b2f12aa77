"""What every vendor client shares: injectable time, the base error and the httpx client."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiError",
    "Clock",
    "RateLimitedError",
    "Sleeper",
    "build_http_client",
    "response_body",
    "system_sleep",
    "utc_now",
]

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
