"""Query parameters of data and alert requests, checked as the reference describes them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from standin.locus.errors import bad_request
from standin.locus.series import GRANULARITIES, Granularity

TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$")
ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")
FIRST_YEAR = 1970
LAST_YEAR = 2100
"""**Sandbox choice:** timestamps outside these years are refused (400)."""
PERIOD_LIMITS: dict[str, timedelta] = {
    "1min": timedelta(days=5),
    "5min": timedelta(days=31),
    "15min": timedelta(days=31),
    "hourly": timedelta(days=31),
}
"""The longest ``end - start`` allowed per granularity, exclusive (daily: < 1 year)."""


@dataclass(frozen=True)
class DataQuery:
    fields: tuple[str, ...]
    gran: Granularity
    zone: ZoneInfo
    start: datetime | None
    end: datetime | None
    parameters: dict[str, str]


def zone(params: Mapping[str, str]) -> ZoneInfo:
    raw = params.get("tz")
    if not raw:
        raise bad_request("tz is required")
    if len(raw) > 64 or not ZONE_NAME.match(raw):
        raise bad_request(f"Invalid tz: {raw}")
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise bad_request(f"Invalid tz: {raw}") from None


def timestamp(params: Mapping[str, str], name: str, required: bool = True) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise bad_request(f"{name} is required")
        return None
    if not TIMESTAMP.match(raw):
        raise bad_request(f"{name} must be formatted YYYY-MM-DDThh:mm:ss")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be formatted YYYY-MM-DDThh:mm:ss") from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise bad_request(f"{name} must be between {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def data_query(params: Mapping[str, str], *, allow_latest: bool) -> DataQuery:
    raw_fields = params.get("fields")
    if not raw_fields:
        raise bad_request("fields is required")
    fields = tuple(part for part in raw_fields.split(","))
    if any(not part for part in fields):
        raise bad_request(f"Invalid fields: {raw_fields}")
    gran = params.get("gran")
    if not gran:
        raise bad_request("gran is required")
    if gran not in GRANULARITIES or (gran == "latest" and not allow_latest):
        raise bad_request(f"Invalid gran: {gran}")
    tz = zone(params)
    start = end = None
    if gran != "latest":
        start = timestamp(params, "start")
        end = timestamp(params, "end")
        assert start is not None
        assert end is not None
        if end <= start:
            raise bad_request("end must be after start")
        limit = PERIOD_LIMITS.get(gran)
        if limit is not None and end - start >= limit:
            raise bad_request(
                f"Time period for {gran} granularity must be less than {limit.days} days"
            )
        if gran == "daily" and end >= one_year_after(start):
            raise bad_request("Time period for daily granularity must be less than 1 year")
    parameters = {
        name: params[name]
        for name in ("modelType", "irradianceSource", "inverterClipping")
        if name in params
    }
    return DataQuery(fields, gran, tz, start, end, parameters)


def csv_filter(
    params: Mapping[str, str], name: str, allowed: tuple[str, ...]
) -> frozenset[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    values = frozenset(part.strip() for part in raw.split(","))
    unknown = sorted(value for value in values if value not in allowed)
    if unknown:
        raise bad_request(
            f"Invalid {name}: {', '.join(unknown)}. Valid values: {', '.join(allowed)}"
        )
    return values
