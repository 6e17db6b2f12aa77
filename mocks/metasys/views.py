"""The JSON bodies of the Metasys v4 API, shaped as the vendor's published document shapes them.

``base`` is the API root the client used (``https://{hostname}/api/v4``), so every link points
back at the sandbox that served it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from standin._core.clock import isoformat
from standin.metasys.state.model import Equipment, EquipmentPoint, MetasysObject, Space
from standin.metasys.state.samples import Sample
from standin.metasys.state.site import MetasysState
from standin.metasys.state.values import precision_digits

FIRST_SECOND = -62135596800
"""0001-01-01T00:00:00Z."""
LAST_SECOND = 253402300799
"""9999-12-31T23:59:59Z."""


def timestamp(moment: float) -> str:
    """ISO 8601 UTC with milliseconds; years before 1000 keep four digits."""
    whole = int(moment)
    if whole == moment and FIRST_SECOND <= whole <= LAST_SECOND:
        # A whole second (every sample on the trend grid): worked out without a datetime.
        days, seconds = divmod(whole, 86400)
        year, month, day = civil_date(days)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{year:04d}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.000Z"
    at = datetime.fromtimestamp(moment, tz=UTC)
    return f"{at.year:04d}" + isoformat(at)[len(str(at.year)) :]


def civil_date(days: int) -> tuple[int, int, int]:
    """(year, month, day) of ``days`` after 1970-01-01 in the proleptic Gregorian calendar
    (Howard Hinnant's ``civil_from_days``)."""
    shifted = days + 719468
    era = shifted // 146097
    day_of_era = shifted - era * 146097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def object_links(obj: MetasysObject, state: MetasysState, base: str) -> dict[str, Any]:
    device = state.tree.host_device(obj)
    return links(obj, None if device is None else device.id, base)


def links(obj: MetasysObject, device: str | None, base: str) -> dict[str, Any]:
    """:func:`object_links` with the id of the network device hosting ``obj`` given."""
    here = f"{base}/objects/{obj.id}"
    return {
        "self": here,
        "parentUrl": None if obj.parent_id is None else f"{base}/objects/{obj.parent_id}",
        "networkDeviceUrl": None if device is None else f"{base}/networkDevices/{device}",
        "pointsUrl": f"{here}/points",
        "objectsUrl": f"{here}/objects",
        "alarmsUrl": f"{here}/alarms",
        "auditsUrl": f"{here}/audits",
        "trendedAttributesUrl": f"{here}/trendedAttributes",
    }


def object_summary(
    obj: MetasysObject, state: MetasysState, base: str, has_children: bool
) -> dict[str, Any]:
    """An object in ``GET /objects`` (list form; the tree form adds ``items``)."""
    device = state.tree.host_device(obj)
    return summary(obj, obj.name, None if device is None else device.id, has_children, base)


def summary(
    obj: MetasysObject, name: str, device: str | None, has_children: bool, base: str
) -> dict[str, Any]:
    """:func:`object_summary` with the object's name and the id of its network device given
    (the object lists build it from a copy, on a worker thread)."""
    return {
        **links(obj, device, base),
        "itemReference": obj.item_reference,
        "hasChildrenMatchingQuery": has_children,
        "name": name,
        "label": obj.label,
        "id": obj.id,
        "objectType": obj.type.enum_id,
        "classification": obj.type.classification,
    }


def network_device(device: MetasysObject, state: MetasysState, base: str) -> dict[str, Any]:
    here = f"{base}/networkDevices/{device.id}"
    parent = state.network_parent(device)
    attributes = device.attributes
    return {
        "id": device.id,
        "itemReference": device.item_reference,
        "name": device.name,
        "objectType": device.type.enum_id,
        "description": attributes.get("description") or "",
        "firmwareVersion": attributes.get("firmwareVersion", ""),
        "objectCategory": attributes.get("objectCategory"),
        "timeZone": state.time_zone if device.type.classification != "integration" else None,
        "self": here,
        "parentUrl": None if parent is None else f"{base}/networkDevices/{parent.id}",
        "networkDevicesUrl": f"{here}/networkDevices",
        "equipmentUrl": f"{here}/equipment",
        "spacesUrl": f"{here}/spaces",
        "objectsUrl": f"{here}/objects",
        "trendedAttributesUrl": f"{here}/trendedAttributes",
        "alarmsUrl": f"{here}/alarms",
        "ipAddress": attributes.get("ipAddress") or None,
        "certificateExpirationDate": certificate_expiry(device),
        "pairing": {"supported": False, "paired": False},
    }


def certificate_expiry(device: MetasysObject) -> str | None:
    """Engines and servers have an HTTPS certificate; controllers and trunks do not.

    **Sandbox choice:** every certificate expires at the end of 2030."""
    if device.type.classification in ("server", "device"):
        return "2030-12-31T23:59:59.000Z"
    return None


def space(found: Space, base: str) -> dict[str, Any]:
    here = f"{base}/spaces/{found.id}"
    return {
        "id": found.id,
        "itemReference": found.item_reference,
        "name": found.name,
        "type": found.type,
        "self": here,
        "parentUrl": None if found.parent_id is None else f"{base}/spaces/{found.parent_id}",
        "spacesUrl": f"{here}/spaces",
        "equipmentUrl": f"{here}/equipment",
        "networkDevicesUrl": f"{here}/networkDevices",
    }


def equipment(found: Equipment, base: str) -> dict[str, Any]:
    here = f"{base}/equipment/{found.id}"
    return {
        "id": found.id,
        "itemReference": found.item_reference,
        "name": found.name,
        "type": found.type,
        "self": here,
        "spacesUrl": f"{here}/spaces",
        "equipmentUrl": f"{here}/equipment",
        "upstreamEquipmentUrl": f"{here}/upstreamEquipment",
        "networkDevicesUrl": f"{here}/networkDevices",
        "pointsUrl": f"{here}/points",
    }


def point(owner: Equipment, mapped: EquipmentPoint, base: str) -> dict[str, Any]:
    return {
        "id": owner.id,
        "itemReference": owner.item_reference,
        "equipmentName": owner.name,
        "shortName": mapped.short_name,
        "label": mapped.label,
        "category": mapped.category,
        "isDisplayData": mapped.is_display_data,
        "equipmentUrl": f"{base}/equipment/{owner.id}",
        "objectUrl": f"{base}/objects/{mapped.object_id}",
        "attribute": mapped.attribute,
    }


def samples(obj: MetasysObject, attribute: str, found: list[Sample]) -> list[dict[str, Any]]:
    """A page of samples as the ``items`` of a samples answer."""
    units = (
        obj.attributes.get("units", "unitEnumSet.noUnits")
        if attribute == "presentValue"
        else "unitEnumSet.percent"
    )
    digits = precision_digits(obj)
    return [_sample(one, units, digits) for one in found]


def sample(obj: MetasysObject, attribute: str, found: Sample) -> dict[str, Any]:
    return samples(obj, attribute, [found])[0]


def _sample(found: Sample, units: Any, digits: int) -> dict[str, Any]:
    value: dict[str, Any]
    if isinstance(found.value, bool):
        value = {"value": found.value}
    elif isinstance(found.value, int | float):
        value = {"value": round(float(found.value), digits), "units": units}
    else:
        value = {"value": str(found.value)}
    return {"value": value, "timestamp": timestamp(found.time), "isReliable": found.is_reliable}
