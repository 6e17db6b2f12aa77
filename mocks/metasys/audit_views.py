"""Audit bodies: as ``GET /audits/{id}`` answers them, and as activities."""

from __future__ import annotations

from typing import Any

from standin.metasys.alarm_views import related_to
from standin.metasys.state.audits import CLASS_LEVEL, ORIGIN, AuditNote, AuditTrack
from standin.metasys.state.model import AuditEntry
from standin.metasys.state.site import MetasysState
from standin.metasys.views import timestamp


def data_json(value: Any) -> dict[str, Any] | None:
    """A value with the schema of its data type (the published examples' ``{item, schema}``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        schema = {"type": "boolean", "metasysType": "bool"}
    elif isinstance(value, int | float):
        schema = {"type": "number", "metasysType": "float"}
    elif isinstance(value, str):
        kind = "enum" if "EnumSet." in value else "string"
        schema = {"type": "string", "metasysType": kind}
    elif isinstance(value, dict):
        schema = {"type": "object", "metasysType": "struct"}
    else:
        schema = {"type": "array", "metasysType": "list"}
    return {"item": value, "schema": schema}


def audit_json(
    state: MetasysState, entry: AuditEntry, track: AuditTrack | None, base: str
) -> dict[str, Any]:
    here = f"{base}/audits/{entry.id}"
    discarded = None if track is None else track.discarded_time
    notes = [] if track is None else track.notes
    parameters = [data_json(p) for p in entry.parameters]
    return {
        "self": here,
        "id": entry.id,
        "creationTime": timestamp(entry.time),
        "actionType": entry.action_type,
        "activityManagementStatus": "pending" if discarded is None else "discarded",
        "discardedTime": None if discarded is None else timestamp(discarded),
        "status": "statusEnumSet.ok",
        "preData": data_json(entry.pre_data),
        "postData": data_json(entry.post_data),
        "parameters": [p for p in parameters if p is not None],
        "errorString": None,
        "user": entry.user,
        "objectUrl": f"{base}/objects/{entry.object_id}",
        "itemReference": entry.item_reference,
        "objectName": entry.object_name,
        "classLevel": CLASS_LEVEL,
        "originApplication": ORIGIN,
        "description": entry.description,
        "annotationsUrl": f"{here}/annotations" if notes else None,
    } | related_to(state, entry.object_id, base)


def audit_permission(
    entry: AuditEntry, track: AuditTrack | None, can_write: bool
) -> dict[str, Any]:
    discarded = track is not None and track.discarded_time is not None
    return {"id": entry.id, "canDiscard": can_write and not discarded, "canAnnotate": can_write}


def note_json(entry: AuditEntry, note: AuditNote, base: str) -> dict[str, Any]:
    return {
        "id": note.id,
        "text": note.text,
        "user": note.user,
        "creationTime": timestamp(note.time),
        "signature": None,
        "action": note.action,
        "auditUrl": f"{base}/audits/{entry.id}",
    }


def audit_activity(
    state: MetasysState, entry: AuditEntry, track: AuditTrack | None, base: str
) -> dict[str, Any]:
    """An audit as an activity (the ``activity.audit.*`` payloads' ``activity``)."""
    full = audit_json(state, entry, track, base)
    inner = {
        key: full[key]
        for key in (
            "actionType",
            "status",
            "preData",
            "postData",
            "parameters",
            "errorString",
            "user",
            "classLevel",
            "originApplication",
            "description",
            "annotationsUrl",
            "self",
        )
    }
    inner["signature"] = None
    return {
        "id": entry.id,
        "itemReference": entry.item_reference,
        "objectName": entry.object_name,
        "activityManagementStatus": full["activityManagementStatus"],
        "creationTime": full["creationTime"],
        "spaces": full["spaces"],
        "equipment": full["equipment"],
        "objectUrl": full["objectUrl"],
        "objectId": entry.object_id,
        "audit": inner,
    }
