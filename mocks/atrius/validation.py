"""Request bodies checked the way Django REST Framework serializers check them.

Errors are ``{field: [message, ...]}`` with DRF's own wording, so clients that parse DRF
validation errors work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from standin.atrius.models import READING_TYPES, SCOPES, STATUSES, TIMESCALES
from standin.atrius.units import RESOURCE_TYPES, check_units

FieldErrors = dict[str, list[str]]

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
MAX_LENGTH = 255


def not_a_dictionary(body: Any) -> FieldErrors:
    kind = {list: "list", str: "str", int: "int", float: "float", bool: "bool"}.get(
        type(body), type(body).__name__
    )
    return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}


def text(value: Any, *, max_length: int = MAX_LENGTH, allow_blank: bool = False) -> str:
    """A DRF CharField: numbers are coerced, other types refused."""
    if value is None:
        raise FieldInvalid(NULL)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldInvalid("Not a valid string.")
    result = str(value).strip()
    if not result and not allow_blank:
        raise FieldInvalid(BLANK)
    if len(result) > max_length:
        raise FieldInvalid(f"Ensure this field has no more than {max_length} characters.")
    return result


def choice(value: Any, choices: tuple[str, ...]) -> str:
    if value is None:
        raise FieldInvalid(NULL)
    if not isinstance(value, str) or value not in choices:
        shown = value if isinstance(value, str) else _repr(value)
        raise FieldInvalid(f'"{shown}" is not a valid choice.')
    return value


def primary_key(value: Any, exists: Callable[[str], bool], url_segment: str) -> str:
    """A related object by id (number or numeric string) or by its absolute URL."""
    if value is None:
        raise FieldInvalid(NULL)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldInvalid(f"Incorrect type. Expected pk value, received {type(value).__name__}.")
    key = str(value).strip().rstrip("/")
    if "/" in key:
        prefix, _, last = key.rpartition("/")
        if not prefix.endswith(f"/{url_segment}"):
            raise FieldInvalid(f'Invalid pk "{value}" - object does not exist.')
        key = last
    if not key.isdigit() or not key.isascii() or not exists(key):
        raise FieldInvalid(f'Invalid pk "{value}" - object does not exist.')
    return key


class FieldInvalid(ValueError):
    """One field's value is refused; the message is DRF's."""


def _repr(value: Any) -> str:
    return str(value).replace('"', '\\"')


Parser = Callable[[Any], Any]


def validate(
    body: Mapping[str, Any], parsers: Mapping[str, Parser], required: set[str], partial: bool
) -> tuple[dict[str, Any], FieldErrors]:
    """Run each field's parser; collect every error (DRF reports all fields at once)."""
    values: dict[str, Any] = {}
    errors: FieldErrors = {}
    for name, parse in parsers.items():
        if name not in body:
            if name in required and not partial:
                errors[name] = [REQUIRED]
            continue
        try:
            values[name] = parse(body[name])
        except FieldInvalid as problem:
            errors[name] = [str(problem)]
    return values, errors


def building_parsers(organization_exists: Callable[[str], bool]) -> dict[str, Parser]:
    return {
        "organization": lambda v: primary_key(v, organization_exists, "organizations"),
        "name": text,
        "postalCode": lambda v: text(v, max_length=20),
        "timeZone": _time_zone,
    }


BUILDING_REQUIRED = {"organization", "name", "postalCode"}


def _time_zone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = text(value, max_length=64)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldInvalid(f'"{name}" is not a valid choice.') from None
    return name


def meter_parsers(
    building_exists: Callable[[str], bool], gateway_exists: Callable[[str], bool]
) -> dict[str, Parser]:
    return {
        "building": lambda v: primary_key(v, building_exists, "buildings"),
        "gateway": lambda v: primary_key(v, gateway_exists, "gateways"),
        "displayName": text,
        "resourceType": lambda v: choice(v, RESOURCE_TYPES),
        "readingType": lambda v: choice(v, READING_TYPES),
        "storageUnit": lambda v: text(v, max_length=32),
        "displayUnit": lambda v: text(v, max_length=32),
        "sourceUnit": lambda v: text(v, max_length=32),
        "scope": lambda v: choice(v, SCOPES),
        "status": lambda v: choice(v, STATUSES),
        "vendorMeterId": lambda v: text(v, allow_blank=True),
        "defaultTimescale": lambda v: choice(v, TIMESCALES),
    }


METER_REQUIRED = {
    "building",
    "gateway",
    "displayName",
    "resourceType",
    "readingType",
    "storageUnit",
    "displayUnit",
    "sourceUnit",
    "scope",
}


def meter_unit_errors(merged: Mapping[str, Any], errors: FieldErrors) -> FieldErrors:
    """Unit codes checked against the unit reference for the meter's resource type."""
    resource_type = merged.get("resourceType")
    names = ("storageUnit", "displayUnit", "sourceUnit")
    if resource_type is None or "resourceType" in errors or any(n in errors for n in names):
        return {}
    codes = {name: str(merged[name]).lower() for name in names if name in merged}
    return check_units(resource_type, **codes)
