"""The well-known object queries (INTERNAL): which objects below a supervisory device are in
alarm, disabled, offline, overridden, out of service or in trouble, read from the live state."""

from __future__ import annotations

from collections.abc import Callable

from standin.metasys import errors
from standin.metasys.state.commands import OPERATOR_OVERRIDE
from standin.metasys.state.model import MetasysObject
from standin.metasys.state.site import MetasysState

SUPERVISORY = ("server", "device")
"""Engines (NAE, SNE...) and servers: what the reference calls a supervisory device."""

Predicate = Callable[[MetasysState, MetasysObject], bool]


def _in_alarm(state: MetasysState, obj: MetasysObject) -> bool:
    return any(
        alarm.object_id == obj.id and alarm.status != "discarded"
        for alarm in state.alarms.items.values()
    )


def _disabled(state: MetasysState, obj: MetasysObject) -> bool:
    return obj.attributes.get("alarmsEnabled") is False


def _operator_override(state: MetasysState, obj: MetasysObject) -> bool:
    return obj.type.is_point and state.effective(obj).level == OPERATOR_OVERRIDE


def _out_of_service(state: MetasysState, obj: MetasysObject) -> bool:
    return obj.attributes.get("outOfService") is True


def _supervisory_override(state: MetasysState, obj: MetasysObject) -> bool:
    # Supervisory override is an N2 device's; the sandbox models no N2 devices.
    return False


def _trouble(state: MetasysState, obj: MetasysObject) -> bool:
    return obj.type.is_point and not state.effective(obj).is_reliable


QUERIES: dict[str, Predicate] = {
    "alarm": _in_alarm,
    "disabled": _disabled,
    "offline": lambda state, obj: state.is_offline(obj),
    "operatorOverride": _operator_override,
    "outOfService": _out_of_service,
    "supervisoryOverride": _supervisory_override,
    "trouble": _trouble,
}


def matching(state: MetasysState, device: MetasysObject, name: str) -> list[MetasysObject]:
    """The objects below ``device`` (in tree order) that the query ``name`` selects."""
    if device.type.classification not in SUPERVISORY:
        raise errors.bad_request("The object id needs to be a supervisory device.")
    state.require_online(device)
    wanted = QUERIES[name]
    # Extensions (trends, alarm extensions) are left out, as the object tree leaves them out.
    return [
        obj
        for obj in state.tree.descendants(device)
        if obj.type.classification != "extension" and wanted(state, obj)
    ]
