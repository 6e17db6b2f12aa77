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


def timestamp(moment: float) -> str:
    """ISO 8601 UTC with milliseconds; years before 1000 keep four digits."""
    at = datetime.fromtimestamp(moment, tz=UTC)
    return f"{at.year:04d}" + isoformat(at)[len(str(at.year)) :]


def object_links(obj: MetasysObject, state: MetasysState, base: str) -> dict[str, Any]:
    here = f"{base}/objects/{obj.id}"
    device = state.tree.host_device(obj)
    return {
        "self": here,
        "parentUrl": None if obj.parent_id is None else f"{base}/objects/{obj.parent_id}",
        "networkDeviceUrl": None if device is None else f"{base}/networkDevices/{device.id}",
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
    return {
        **object_links(obj, state, base),
        "itemReference": obj.item_reference,
        "hasChildrenMatchingQuery": has_children,
        "name": obj.name,
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


def sample(obj: MetasysObject, attribute: str, found: Sample) -> dict[str, Any]:
    value: dict[str, Any]
    if isinstance(found.value, bool):
        value = {"value": found.value}
    elif isinstance(found.value, int | float):
        units = (
            obj.attributes.get("units", "unitEnumSet.noUnits")
            if attribute == "presentValue"
            else "unitEnumSet.percent"
        )
        value = {"value": round(float(found.value), precision_digits(obj)), "units": units}
    else:
        value = {"value": str(found.value)}
    return {"value": value, "timestamp": timestamp(found.time), "isReliable": found.is_reliable}
