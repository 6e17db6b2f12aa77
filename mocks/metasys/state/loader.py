"""Building a tenant's site from the fixture: object tree, spaces, equipment and users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from standin.metasys.state.model import (
    Equipment,
    EquipmentPoint,
    MetasysObject,
    SeriesSpec,
    Space,
    User,
)
from standin.metasys.state.objects import object_id
from standin.metasys.types import FLOAT_LIMIT, OBJECT_TYPES, ObjectType

if TYPE_CHECKING:
    from standin.metasys.state.site import MetasysState

ENGINE_LOAD = {
    "memoryUsage": SeriesSpec(mean=46.0, amplitude=4.0, noise=2.0, peak_hour=14.0),
    "cpuUsage": SeriesSpec(mean=22.0, amplitude=8.0, noise=5.0, peak_hour=13.0),
}
"""An engine's memory and CPU load (percent), trended like any point."""


def default_attributes(kind: ObjectType, label: str) -> dict[str, Any]:
    """What a new object of ``kind`` starts with before its fixture or request says otherwise."""
    attributes: dict[str, Any] = {
        "name": label,
        "description": None,
        "objectCategory": "objectCategoryEnumSet.hvacCategory"
        if kind.is_point
        else "objectCategoryEnumSet.systemCategory"
        if kind.is_network_device
        else "objectCategoryEnumSet.generalCategory",
    }
    if kind.is_point:
        attributes.update({"outOfService": False, "alarmsEnabled": True})
    if kind.value_kind == "analog":
        attributes.update(
            {
                "minPresValue": -FLOAT_LIMIT,
                "maxPresValue": FLOAT_LIMIT,
                "units": "unitEnumSet.noUnits",
                "displayPrecision": "displayPrecisionEnumSet.displayPrecisionPt1",
                "covIncrement": 0.01,
            }
        )
        if kind.attribute("relinquishDefault") is not None:
            attributes["relinquishDefault"] = 0.0
    elif kind.value_kind == "binary":
        attributes.update(
            {"relinquishDefault": "binarypvEnumSet.bacbinInactive", "statesText": "Off/On"}
        )
    elif kind.value_kind == "multistate":
        attributes.update(
            {
                "relinquishDefault": "statesEnumSet.state0",
                "statesText": "State 0/State 1/State 2/State 3",
            }
        )
    if kind.is_network_device and kind.classification != "integration":
        attributes.update({"ipAddress": "", "firmwareVersion": ""})
    return attributes


def load(state: MetasysState, fixture: dict[str, Any]) -> None:
    site = fixture["site"]
    tree = state.tree
    root_reference = f"{site}:{site}/$site"
    root = MetasysObject(
        id=tree.new_id(root_reference),
        item_reference=root_reference,
        label=site,
        type=OBJECT_TYPES["siteClass"],
        parent_id=None,
        attributes={
            "name": "Site",
            "description": None,
            "objectCategory": "objectCategoryEnumSet.systemCategory",
        },
    )
    tree.add(root)
    for device in fixture["devices"]:
        _add(state, device, root, f"{site}:{device['name']}")
    state.site_director_id = tree.new_id(f"{site}:{fixture['devices'][0]['name']}")
    for space in fixture["spaces"]:
        _add_space(state, space, None, f"{site}:{site}/Spaces")
    for raw in fixture["equipment"]:
        _add_equipment(state, raw, site)
    for raw in fixture["users"]:
        user = User(
            id=object_id(tree.salt, f"user:{raw['username']}"),
            username=raw["username"],
            password=raw["password"],
            access_type=raw["accessType"],
            token_minutes=int(raw.get("tokenMinutes", 30)),
            full_name=raw.get("fullName", raw["username"]),
            email=raw.get("email", ""),
            can_write=bool(raw.get("canWrite", True)),
        )
        state.users.put(user.username, user)


def _add(state: MetasysState, raw: dict[str, Any], parent: MetasysObject, reference: str) -> None:
    kind = OBJECT_TYPES[raw["type"]]
    attributes = default_attributes(kind, raw.get("label", raw["name"]))
    for name in ("description", "ipAddress", "firmwareVersion", "minPresValue", "maxPresValue"):
        if name in raw:
            attributes[name] = raw[name]
    for name, set_id in (
        ("units", "unitEnumSet"),
        ("displayPrecision", "displayPrecisionEnumSet"),
        ("relinquishDefault", kind.value_enum()),
    ):
        if name in raw:
            value = raw[name]
            attributes[name] = f"{set_id}.{value}" if isinstance(value, str) and set_id else value
    series: dict[str, SeriesSpec] = {}
    trended: tuple[str, ...] = ()
    if "series" in raw:
        spec = raw["series"]
        series["presentValue"] = SeriesSpec(
            float(spec["mean"]),
            float(spec.get("amplitude", 0.0)),
            float(spec.get("noise", 0.0)),
            float(spec.get("peakHour", 15.0)),
        )
    if raw.get("trend") is True:
        trended = ("presentValue",)
    elif isinstance(raw.get("trend"), list):
        trended = tuple(raw["trend"])
        series.update({name: ENGINE_LOAD[name] for name in trended})
    obj = MetasysObject(
        id=state.tree.new_id(reference),
        item_reference=reference,
        label=raw["name"],
        type=kind,
        parent_id=parent.id,
        attributes=attributes,
        can_delete=bool(raw.get("deletable", False)),
        series=series,
        trended=trended,
    )
    state.tree.add(obj)
    if kind.is_point and trended:
        extension = f"{reference}.Trend1"
        state.tree.add(
            MetasysObject(
                id=state.tree.new_id(extension),
                item_reference=extension,
                label="Trend1",
                type=OBJECT_TYPES["trendClass"],
                parent_id=obj.id,
                attributes={
                    "name": "Trend1",
                    "description": None,
                    "objectCategory": "objectCategoryEnumSet.generalCategory",
                },
            )
        )
    for child in raw.get("children", []):
        _add(state, child, obj, state.tree.child_reference(obj, child["name"]))


def _add_space(state: MetasysState, raw: dict[str, Any], parent: Space | None, prefix: str) -> None:
    reference = f"{prefix}.{raw['ref']}"
    space = Space(
        id=object_id(state.tree.salt, reference),
        item_reference=reference,
        name=raw["name"],
        type=f"spaceTypesEnumSet.{raw['type']}",
        parent_id=None if parent is None else parent.id,
    )
    state.spaces.put(space.id, space)
    if parent is not None:
        parent.children.append(space.id)
    for child in raw.get("children", []):
        _add_space(state, child, space, reference)


def _add_equipment(state: MetasysState, raw: dict[str, Any], site: str) -> None:
    device = state.tree.find(f"{site}:{raw['device']}")
    assert device is not None, raw["device"]
    reference = f"{site}:{raw['device']}/equipment.{raw['name']}"
    spaces = {space.item_reference.rsplit(".", 1)[1]: space.id for space in state.spaces.values()}
    points = []
    for point in raw.get("points", []):
        target = state.tree.find(f"{site}:{point['object']}")
        assert target is not None, point["object"]
        points.append(
            EquipmentPoint(
                short_name=point["shortName"],
                label=point["label"],
                object_id=target.id,
                attribute="attributeEnumSet.presentValue",
                is_display_data=bool(point.get("isDisplayData", True)),
            )
        )
    equipment = Equipment(
        id=object_id(state.tree.salt, reference),
        item_reference=reference,
        name=raw["name"],
        type=raw["type"],
        device_id=device.id,
        serves_spaces=[spaces[ref] for ref in raw.get("serves", [])],
        serves_equipment=[
            object_id(state.tree.salt, f"{site}:{raw['device']}/equipment.{name}")
            for name in raw.get("servesEquipment", [])
        ],
        points=points,
    )
    state.equipment.put(equipment.id, equipment)
