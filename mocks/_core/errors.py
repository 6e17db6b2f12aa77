"""Vendor errors as exceptions. State raises them; one handler renders them (see ``handlers``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class VendorError(Exception):
    """An error answer: status, body (JSON-able, or ``str``/``bytes`` sent as is) and headers."""

    def __init__(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        media_type: str = "application/json",
    ) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.media_type = media_type
