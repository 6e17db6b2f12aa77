"""Atmotube Cloud: an API key in the query, 60 requests a minute."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from standin.check.profiles.base import Target, is_positive

if TYPE_CHECKING:
    from standin.check.profiles.base import Case


class AtmotubeConnection:
    def __init__(self, target: Target) -> None:
        self.api_key = str(target.credentials["api_key"])
        self.macs = [str(mac) for mac in target.credentials.get("macs", [])]

    def authenticate(self) -> None:
        """Nothing to do: only a request for a device's data tells whether a key works."""

    def credential(self, case: Case) -> str | None:
        return self.api_key

    def apply(self, case: Case, credential: str) -> None:
        case.query = {**(case.query or {}), "api_key": credential}

    def prepare(self, case: Case) -> None:
        """``date`` excludes the range, the range comes in pairs of at most 7 days, ``limit`` is
        at most 1440 per day of the request; and a generated MAC is mostly one of the key's
        devices, so that 200s are seen, not only 404s."""
        if not is_positive(case):
            return
        query = dict(case.query or {})
        if "date" in query:
            query.pop("start_date", None)
            query.pop("end_date", None)
        elif "start_date" in query or "end_date" in query:
            try:
                start = date.fromisoformat(str(query.get("start_date") or query["end_date"]))
                end = date.fromisoformat(str(query.get("end_date") or query["start_date"]))
            except ValueError:
                return
            start, end = min(start, end), max(start, end)
            end = min(end, start + timedelta(days=6))
            query["start_date"], query["end_date"] = start.isoformat(), end.isoformat()
        days = 1
        if "start_date" in query:
            span = date.fromisoformat(query["end_date"]) - date.fromisoformat(query["start_date"])
            days += span.days
        limit = query.get("limit")
        if isinstance(limit, int) and not isinstance(limit, bool):
            query["limit"] = min(limit, 1440 * days)
        mac = query.get("mac")
        if isinstance(mac, str) and self.macs and zlib.crc32(mac.encode()) % 4 != 0:
            query["mac"] = self.macs[zlib.crc32(mac.encode()) % len(self.macs)]
        case.query = query


class AtmotubeProfile:
    api = "atmotube"
    requests_per_minute = 60
    rate_limit = "Atmotube allows {limit} requests per API key per clock minute"
    token_operations: frozenset[str] = frozenset()

    unsupported: Mapping[str, str] = MappingProxyType({})

    def connect(self, target: Target) -> AtmotubeConnection:
        return AtmotubeConnection(target)
