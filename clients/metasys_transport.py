"""What the parts of the Metasys client share: the request helpers each part calls.

``MetasysClient`` (clients/metasys.py) implements them; the parts (alarms and audits,
certificates, enumerations, ...) are mixins on this base, one module per concept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx


def seg(value: str) -> str:
    """``value`` quoted as one path segment."""
    return quote(value, safe="")


class MetasysTransport:
    """The request helpers of the Metasys client, as its mixins see them."""

    def _request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """The decoded body of a request (None when empty), after the client's error checks."""
        raise NotImplementedError

    def _respond(self, method: str, path_or_url: str, **kwargs: Any) -> httpx.Response:
        """The answer itself, unchecked, after the login and throttling rules."""
        raise NotImplementedError

    def _pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, fetched a page at a time as the caller iterates."""
        raise NotImplementedError

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response itself (for its headers or non-JSON body), after the error checks."""
        raise NotImplementedError
