"""The parameters of ``GET /api/v1/data``, parsed and checked as the guide describes them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from standin.atmotube.errors import bad_parameter

MAX_LIMIT = 1440
"""The daily data point cap of an Atmotube PRO: one reading a minute.

**Sandbox choice:** the cap is per day of the request. The guide sets the maximum of ``limit``
at 1440, yet its own example asks ``limit=2000`` over ``start_date=2022-06-13`` to
``end_date=2022-06-17`` and says a range fetches "more than 1440 data points". Read as 1440 per
day, every example works: without a range, or with ``date``, ``limit`` goes to 1440; with
``start_date`` and ``end_date`` to 1440 times the days of the range (10080 for 7 days).
"""
DEFAULT_LIMIT = 100
MAX_RANGE_DAYS = 7
SEPARATORS = (",", ";", "|", "\t")
DEFAULT_SEPARATOR = ";"
"""Clients of the real service read its CSV semicolon-delimited unless they ask otherwise."""
MAX_INT32 = 2**31 - 1

MAC_PATTERN = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_UINT = re.compile(r"^[0-9]+$")

Order = Literal["asc", "desc"]
OutputFormat = Literal["json", "csv"]


@dataclass(frozen=True)
class DataQuery:
    mac: str
    order: Order = "asc"
    offset: int = 0
    limit: int | None = DEFAULT_LIMIT
    """``None``: no limit (only with a date range)."""
    first_day: date | None = None
    last_day: date | None = None
    """Inclusive; both set or both ``None``."""
    output: OutputFormat = "json"
    separator: str = DEFAULT_SEPARATOR


def parse_data_query(params: Mapping[str, str]) -> DataQuery:
    mac = params.get("mac")
    if not mac:
        raise bad_parameter("mac is required")
    if not MAC_PATTERN.match(mac):
        raise bad_parameter("mac must be a MAC address in the format AA:BB:CC:DD:EE:FF")

    order = params.get("order") or "asc"
    if order not in ("asc", "desc"):
        raise bad_parameter("order must be asc or desc")
    output = params.get("format") or "json"
    if output not in ("json", "csv"):
        raise bad_parameter("format must be json or csv")
    separator = params.get("separator") or DEFAULT_SEPARATOR
    if separator not in SEPARATORS:
        raise bad_parameter("separator must be one of ; , | or a tab")

    offset = _integer(params, "offset", 0, MAX_INT32) or 0

    first_day, last_day = _date_range(params)
    days = 1 if first_day is None or last_day is None else (last_day - first_day).days + 1
    limit = _integer(params, "limit", 1, MAX_LIMIT * days)
    if limit is None and first_day is None:
        limit = DEFAULT_LIMIT

    return DataQuery(
        mac=mac.upper(),
        order=order,  # type: ignore[arg-type]
        offset=offset,
        limit=limit,
        first_day=first_day,
        last_day=last_day,
        output=output,  # type: ignore[arg-type]
        separator=separator,
    )


def _integer(params: Mapping[str, str], name: str, minimum: int, maximum: int) -> int | None:
    """The integer parameter ``name``; absent or empty is ``None``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    # Leading zeros are dropped and more than 10 digits are beyond MAX_INT32 whatever they
    # are, before int(): it refuses strings of more than 4,300 digits (a ValueError, a 500).
    significant = raw.lstrip("0") or "0"
    if not _UINT.match(raw) or len(significant) > 10 or not minimum <= int(significant) <= maximum:
        raise bad_parameter(f"{name} must be an integer between {minimum} and {maximum}")
    return int(significant)


def _day(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _DAY.match(raw):
        raise bad_parameter(f"{name} must be a date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_parameter(f"{name} must be a date in the format YYYY-MM-DD") from None


def _date_range(params: Mapping[str, str]) -> tuple[date | None, date | None]:
    single = _day(params, "date")
    start = _day(params, "start_date")
    end = _day(params, "end_date")
    if single is not None:
        if start is not None or end is not None:
            raise bad_parameter("use either date or start_date and end_date, not both")
        return single, single
    if (start is None) != (end is None):
        raise bad_parameter("start_date and end_date must be given together")
    if start is None or end is None:
        return None, None
    if end < start:
        raise bad_parameter("end_date must not be before start_date")
    if end - start >= timedelta(days=MAX_RANGE_DAYS):
        raise bad_parameter(f"the date range must not exceed {MAX_RANGE_DAYS} days")
    return start, end
