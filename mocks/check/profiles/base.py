"""What a target profile tells the harness about one API: the seam a new API fills in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import requests
    import schemathesis

    Case = schemathesis.Case[Any]

Credentials = dict[str, Any]
"""In the shape of ``GET /_sandbox/credentials`` for one API."""


@dataclass
class Target:
    """The live service a check runs against."""

    api: str
    base_url: str
    """Where the contract's paths start, e.g. ``http://127.0.0.1:8000/atrius``."""
    credentials: Credentials
    session: requests.Session
    """Paced: every request through it counts against the rate limit."""
    clock: Callable[[], float] = field(default=lambda: 0.0)
    """Monotonic seconds, for token lifetimes."""

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


class CredentialsRefused(Exception):
    """The target refused the credentials before any operation ran."""


class Connection(Protocol):
    """One run's authentication and case preparation against one target.

    A connection may also define ``operation_base_url(path: str) -> str | None``: where the
    operation at the contract's ``path`` starts when it lives on another host than the API's
    (BuildingMinds' Azure AD at login.microsoftonline.com); None for the target's base URL.
    And ``finish() -> None``: called once after the last operation, to remove what the run
    made on the target (best effort: it reports nothing).
    """

    def authenticate(self) -> None:
        """Fail early, with :class:`CredentialsRefused`, when the credentials do not work."""
        ...

    def credential(self, case: Case) -> str | None:
        """What authenticates ``case`` (an API key, a bearer token), or None to send none."""
        ...

    def apply(self, case: Case, credential: str) -> None:
        """Put ``credential`` where the API expects it."""
        ...

    def prepare(self, case: Case) -> None:
        """Make a positive case obey the rules its schema cannot say (they relate parameters,
        or name what exists); leave negative cases alone, they must be refused."""
        ...


class TargetProfile(Protocol):
    api: str
    requests_per_minute: int
    """The limit the check paces itself under."""
    rate_limit: str
    """Whose limit that is, for the progress lines: a sentence with ``{limit}`` for the figure
    ("Atrius allows {limit} requests per client id in any 60 s")."""
    token_operations: frozenset[str]
    """Labels (``POST /o/token/``) of the operations that issue tokens: run without
    --allow-writes, though they are POSTs."""
    unsupported: Mapping[str, str]
    """Labels of operations the check cannot run live (an endpoint that never ends, say),
    each with the reason the summary shows.

    A profile may also set ``throttle_status`` (an int) when its vendor refuses too many
    requests with another status than 429 (Metasys: 403 with Retry-After)."""

    def connect(self, target: Target) -> Connection: ...


def is_positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive
