"""What a demo workflow is: named steps run in order with one vendor's reference client, and
the traffic they cause."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx

from standin.demo.control import SandboxControl


@dataclass
class Traffic:
    """Counted by an httpx response hook on the client's connection."""

    token_path: str | tuple[str, ...] | None = None
    """Answers to a request for this path (its end), or any of these, are token grants."""
    throttle_status: int = 429
    """The status a vendor throttles with; any status but 429 counts only with Retry-After
    (Metasys answers 403 to too many requests, and to a forbidden record without one)."""
    requests: int = 0
    throttled: int = 0
    token_grants: int = 0

    def __call__(self, response: httpx.Response) -> None:
        self.requests += 1
        status = response.status_code
        if status == 429 or (status == self.throttle_status and "retry-after" in response.headers):
            self.throttled += 1
        path = response.request.url.path
        if self.token_path and path.endswith(self.token_path) and status == 200:
            self.token_grants += 1

    @property
    def tokens_refreshed(self) -> int:
        """Tokens granted after the first one."""
        return max(0, self.token_grants - 1)


@dataclass
class DemoContext:
    """What a workflow gets: the sandbox, an httpx client whose traffic is counted, the base
    URL of the running server's API (``None`` in-process: use the vendor's real one, which
    in-process mode routes to the fake), and a clock and sleep that follow the sandbox's
    time."""

    api: str
    control: SandboxControl
    http: httpx.Client
    base_url: str | None
    traffic: Traffic = field(default_factory=Traffic)

    def now(self) -> datetime:
        return self.control.now()

    def sleep(self, seconds: float, /) -> None:
        self.control.advance(seconds)


Step = tuple[str, Callable[[], str]]
"""A step's title, and the step: it returns what it found, for the progress display, and
raises when the workflow cannot go on or the fake's answer is not what the vendor documents."""


class Workflow(Protocol):
    """One API's documented workflow. ``token_path``: the token endpoint's path (or paths), so
    that token grants are counted (``None`` for an API without tokens). A workflow that sets
    ``throttle_status`` (Metasys: 403) has those answers, when they carry Retry-After, counted
    as throttled requests beside 429s. A workflow class that sets
    ``needs_server = True`` (event streams need a socket) gets, in-process, the base URL of
    the in-process sandbox served on a loopback port instead of ``None``."""

    title: str

    @property
    def token_path(self) -> str | tuple[str, ...] | None: ...

    def steps(self) -> Sequence[Step]: ...

    def close(self) -> None: ...


class WorkflowFactory(Protocol):
    def __call__(self, demo: DemoContext) -> Workflow: ...


class DemoFailure(AssertionError):
    """A workflow saw something the vendor's documentation says it would not."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailure(message)
