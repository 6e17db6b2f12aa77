"""What a Metasys stream keeps beside it in a shared stream store (``SseHub.annotate``), so a
replica that takes the stream over re-creates its subscriptions: JSON text under a key per
subscription, written as subscriptions come and go.

Keys: ``tenant`` (the stream's tenant id), ``object:<subscription id>`` (the object
subscription's ``[object id, attribute]`` pairs), ``activity:<subscription id>`` (the activity
query, the base URL its activities link to, and the subscribing user's name) and
``diagram:<subscription id>`` (the control whose diagram it follows).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from standin.metasys.activities import ActivityQuery
from standin.metasys.activity_filters import AlarmFilter, AuditFilter

TENANT = "tenant"
OBJECT = "object:"
ACTIVITY = "activity:"
DIAGRAM = "diagram:"


def object_note(targets: frozenset[tuple[str, str]]) -> str:
    return json.dumps(sorted(targets))


def object_targets(note: str) -> frozenset[tuple[str, str]]:
    return frozenset((str(o), str(a)) for o, a in json.loads(note))


@dataclass(frozen=True)
class ActivityNote:
    query: ActivityQuery
    base: str
    username: str


def activity_note(query: ActivityQuery, base: str, username: str) -> str:
    return json.dumps(
        {
            "types": sorted(query.types),
            "alarms": dataclasses.asdict(query.alarms),
            "audits": dataclasses.asdict(query.audits),
            "base": base,
            "user": username,
        }
    )


def activity_from(note: str) -> ActivityNote:
    kept: dict[str, Any] = json.loads(note)
    alarms = dict(kept["alarms"])
    if alarms["priorities"] is not None:
        low, high = alarms["priorities"]
        alarms["priorities"] = (int(low), int(high))
    query = ActivityQuery(
        types=frozenset(kept["types"]),
        alarms=AlarmFilter(**alarms),
        audits=AuditFilter(**kept["audits"]),
    )
    return ActivityNote(query, str(kept["base"]), str(kept["user"]))


def diagram_note(control_id: str) -> str:
    return json.dumps({"control": control_id})


def diagram_control(note: str) -> str:
    return str(json.loads(note)["control"])


__all__ = [
    "ACTIVITY",
    "DIAGRAM",
    "OBJECT",
    "TENANT",
    "ActivityNote",
    "activity_from",
    "activity_note",
    "diagram_control",
    "diagram_note",
    "object_note",
    "object_targets",
]
