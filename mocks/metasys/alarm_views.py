"""Alarm bodies: as ``GET /alarms/{id}`` answers them, and as activities (``GET /activities``
and the ``activity.alarm.*`` events)."""

from __future__ import annotations

from typing import Any

from standin.metasys.enums import title_of
from standin.metasys.state.alarms import Alarm, Annotation
from standin.metasys.state.model import User
from standin.metasys.state.site import MetasysState
from standin.metasys.views import timestamp


def trigger_value(alarm: Alarm) -> dict[str, Any]:
    """The reference's examples carry the value as text, with its units."""
    value = alarm.trigger_value
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return {
        "item": text,
        "schema": {
            "type": "string",
            "metasysType": "string",
            "units": {"id": alarm.units, "title": title_of(alarm.units)},
        },
    }


def related_to(state: MetasysState, object_id: str, base: str) -> dict[str, Any]:
    """The spaces and equipment of an activity's object (the equipment mapping it as a point,
    and the spaces they serve)."""
    obj = state.tree.get(object_id)
    points = [] if obj is None else state.object_points(obj)
    equipment = [
        {
            "id": e.id,
            "itemReference": e.item_reference,
            "equipmentName": e.name,
            "shortName": point.short_name,
            "equipmentUrl": f"{base}/equipment/{e.id}",
        }
        for e, point in points
    ]
    spaces: dict[str, dict[str, Any]] = {}
    for e, _ in points:
        for space_id in e.serves_spaces:
            space = state.spaces.get(space_id)
            if space is not None:
                spaces.setdefault(
                    space.id,
                    {
                        "id": space.id,
                        "itemReference": space.item_reference,
                        "name": space.name,
                        "spaceUrl": f"{base}/spaces/{space.id}",
                    },
                )
    return {"spaces": list(spaces.values()), "equipment": equipment}


def alarm_json(state: MetasysState, alarm: Alarm, base: str) -> dict[str, Any]:
    here = f"{base}/alarms/{alarm.id}"
    body: dict[str, Any] = {
        "self": here,
        "id": alarm.id,
        "itemReference": alarm.item_reference,
        "name": alarm.name,
        "description": alarm.description,
        "message": alarm.message,
        "isAckRequired": alarm.is_ack_required,
        "type": alarm.type,
        "priority": alarm.priority,
        "triggerValue": trigger_value(alarm),
        "creationTime": timestamp(alarm.creation_time),
        "activityManagementStatus": alarm.status,
        "category": alarm.category,
        "objectUrl": f"{base}/objects/{alarm.object_id}",
        "annotationsUrl": f"{here}/annotations" if alarm.annotations else None,
    }
    if alarm.acknowledged_time is not None:
        body["acknowledgedTime"] = timestamp(alarm.acknowledged_time)
    if alarm.discarded_time is not None:
        body["discardedTime"] = timestamp(alarm.discarded_time)
    return body | related_to(state, alarm.object_id, base)


def permission(alarm: Alarm, user: User, can_acknowledge: bool) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "canAcknowledge": user.can_write and can_acknowledge,
        "canDiscard": user.can_write and alarm.status != "discarded",
        "canAnnotate": user.can_write,
    }


def annotation_json(alarm: Alarm, note: Annotation, base: str) -> dict[str, Any]:
    return {
        "id": note.id,
        "text": note.text,
        "user": note.user,
        "creationTime": timestamp(note.time),
        "action": note.action,
        "alarmUrl": f"{base}/alarms/{alarm.id}",
    }


def alarm_activity(state: MetasysState, alarm: Alarm, base: str) -> dict[str, Any]:
    """An alarm as an activity (the ``activity.alarm.*`` payloads' ``activity``)."""
    full = alarm_json(state, alarm, base)
    inner = {
        key: full[key]
        for key in (
            "message",
            "isAckRequired",
            "type",
            "priority",
            "category",
            "annotationsUrl",
            "self",
            "triggerValue",
            "description",
        )
    }
    for key in ("acknowledgedTime", "discardedTime"):
        if key in full:
            inner[key] = full[key]
    return {
        "id": alarm.id,
        "itemReference": alarm.item_reference,
        "objectName": alarm.name,
        "activityManagementStatus": alarm.status,
        "creationTime": full["creationTime"],
        "spaces": full["spaces"],
        "equipment": full["equipment"],
        "objectUrl": full["objectUrl"],
        "objectId": alarm.object_id,
        "alarm": inner,
    }
