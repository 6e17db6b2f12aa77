"""Reading query parameters the way the validation table says: wrong type, out of range, not in
set or wrong format are all 400; page, pageSize and sort per operation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from standin.metasys import errors

MAX_DIGITS = 4000
"""Python refuses to read longer integers; a page that far is past any end anyway."""
DEVICE_SORTS = ("categoryId", "firmwareVersion", "itemReference", "name", "typeId")
SPACE_SORTS = ("itemReference", "name", "typeId")
EQUIPMENT_SORTS = ("itemReference", "name", "type")
POINT_SORTS = ("category", "equipmentName", "isDisplayData", "shortName")


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int
    sort: str
    descending: bool


def boolean(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise errors.bad_request(f"The parameter {name} must be true or false.")
    return lowered == "true"


def integer(
    params: Mapping[str, str],
    name: str,
    default: int,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    text = raw.strip()
    digits = text.removeprefix("-").removeprefix("+")
    if not text or not digits.isascii() or not digits.isdigit():
        raise errors.bad_request(f"The parameter {name} must be an integer.")
    if len(digits) > MAX_DIGITS:
        raise errors.bad_request(f"The parameter {name} is out of range.")
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise errors.bad_request(f"The parameter {name} is out of range.")
    return value


def paging(
    params: Mapping[str, str],
    sorts: Sequence[str],
    default_sort: str,
    default_size: int = 100,
    max_size: int = 1000,
) -> Paging:
    page = integer(params, "page", 1, minimum=1)
    size = integer(params, "pageSize", default_size, minimum=1, maximum=max_size)
    sort = params.get("sort", default_sort)
    key = sort.removeprefix("-")
    if key not in sorts:
        raise errors.bad_request(f"The parameter sort must be one of {', '.join(sorts)}.")
    return Paging(page, size, key, sort.startswith("-"))


def moment(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    text = raw.strip().replace("t", "T").replace("z", "Z").replace("Z", "+00:00")
    # RFC 3339 allows a leap second; Python's datetime does not.
    text = text[:17] + "59" + text[19:] if text[17:19] == "60" else text
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    except (ValueError, OverflowError):
        raise errors.bad_request(f"The parameter {name} is not a valid date-time.") from None


def repeated(values: Sequence[str], allowed: Sequence[str], name: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise errors.bad_request(f"The parameter {name} is not in its set.")
    return list(values)
