"""Staying under a vendor's rate limit, and waiting out a 429 instead of failing on it.

The clock and the sleep are injected, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests


class StillThrottled(Exception):
    """The target answered 429 to every retry of one request."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"still answered 429 Too Many Requests after {attempts} attempts")
        self.attempts = attempts


class Pacer:
    """At most ``limit`` requests in any ``window`` seconds, and Retry-After on a 429.

    A rolling window on our side keeps us under a vendor's fixed (clock-minute) window too:
    no clock minute can hold more requests than the 60 s that end at its last request.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_retries: int = 5,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        reason: str | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1 request per window")
        self.limit = limit
        self.window = window
        self.reason = reason or f"at most {limit} requests in any {window:g} s"
        """Why a pacing wait waits: whose limit it keeps to."""
        self.on_wait = on_wait
        """Told of every wait before it starts: its seconds and why (a progress display)."""
        self.on_resume: Callable[[], None] | None = None
        """Told when a wait is over."""
        self.max_retries = max_retries
        self.clock = clock
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.sent: deque[float] = deque()
        self.throttled = 0
        """429 answers absorbed by waiting."""
        self.waited = 0.0
        """Seconds spent waiting, for pacing and for Retry-After."""

    def before_request(self) -> None:
        """Wait, if need be, until one more request stays within the limit; then count it."""
        now = self.clock()
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            self._wait(self.sent[0] + self.window - now, self.reason)
            now = self.clock()
            while self.sent and self.sent[0] <= now - self.window:
                self.sent.popleft()
        self.sent.append(now)

    def after_throttled(self, headers: Mapping[str, str], status: int = 429) -> None:
        """A 429 arrived: wait as long as it says (a whole window when it does not say)."""
        self.throttled += 1
        value = headers.get("retry-after")
        said = "without Retry-After" if value is None else f"with Retry-After: {value.strip()}"
        self._wait(self.retry_after(value), f"the target answered {status} {said}")

    def retry_after(self, value: str | None) -> float:
        """Seconds to wait for a Retry-After header: delta-seconds or an HTTP date."""
        if value is None or not value.strip():
            return self.window
        text = value.strip()
        if text.isdigit():
            return float(text)
        try:
            when = parsedate_to_datetime(text).timestamp()
        except (TypeError, ValueError):
            return self.window
        return max(0.0, when - self.wall_clock())

    def _wait(self, seconds: float, reason: str) -> None:
        if seconds > 0:
            if self.on_wait is not None:
                self.on_wait(seconds, reason)
            self.waited += seconds
            self.sleep(seconds)
            if self.on_resume is not None:
                self.on_resume()


class PacedSession(requests.Session):
    """A requests session whose every request (schemathesis' own probes included) is paced.

    ``throttle_status``: the status the vendor refuses too many requests with, when not 429
    (Metasys: 403); such an answer is waited out only when it carries Retry-After, since the
    vendor gives the same status to a forbidden request without one.
    """

    def __init__(self, pacer: Pacer, *, throttle_status: int = 429) -> None:
        super().__init__()
        self.pacer = pacer
        self.throttle_status = throttle_status

    def _throttled(self, response: requests.Response) -> bool:
        status = response.status_code
        return status == 429 or (
            status == self.throttle_status and "retry-after" in response.headers
        )

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        attempts = 0
        while True:
            self.pacer.before_request()
            attempts += 1
            response = super().request(method, url, *args, **kwargs)
            if not self._throttled(response):
                return response
            response.close()
            if attempts > self.pacer.max_retries:
                raise StillThrottled(attempts)
            self.pacer.after_throttled(response.headers, response.status_code)
