"""A site's alarms: raised when a point's reliability leaves or returns to ``reliable`` (its value
crossed its limits) or by the control plane; acknowledged, discarded and annotated by users."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from standin._core.clock import Clock
from standin._core.history import CappedLog
from standin._core.persistence import Listeners
from standin.metasys import errors
from standin.metasys.state.annotation_log import AnnotationLog
from standin.metasys.state.objects import ID_NAMESPACE

AlarmAction = Literal["new", "ack", "discard", "annotate"]
Status = Literal["pending", "acknowledged", "discarded"]

RELIABILITY_ALARMS = {
    "reliabilityEnumSet.unreliableHigh": ("avHiAlarm", 70, True, "High Alarm"),
    "reliabilityEnumSet.unreliableLow": ("avLoAlarm", 70, True, "Low Alarm"),
    "reliabilityEnumSet.reliable": ("avNormal", 200, False, "Normal"),
}
"""**Sandbox choice:** a point's alarm limits are its ``maxPresValue``/``minPresValue``; crossing
one raises a high or low alarm (priority 70, to be acknowledged), returning within them a
return-to-normal (priority 200, no acknowledgement)."""
ALARM_LIMIT = 10_000
"""**Sandbox choice:** a tenant keeps its newest 10,000 alarms (by creation time); older ones
are dropped first, acknowledged or not, and lists and counts say only what is kept. A real
site's event repository is bounded by its configured size; the guide gives no figure."""


@dataclass
class Annotation:
    id: int
    text: str
    user: str
    time: float
    action: str


@dataclass
class Alarm:
    id: str
    object_id: str
    item_reference: str
    name: str
    description: str
    message: str
    type: str
    priority: int
    is_ack_required: bool
    category: str
    creation_time: float
    trigger_value: Any
    units: str
    status: Status = "pending"
    acknowledged_time: float | None = None
    discarded_time: float | None = None
    annotations: list[Annotation] = field(default_factory=list)
    noted: int = 0
    """Annotations ever written on it (ids go on from here when the oldest were dropped)."""

    @property
    def notes(self) -> list[Annotation]:
        """``annotations``, by the name every annotated record gives them (``AnnotatedRecord``)."""
        return self.annotations


AlarmListener = Callable[[AlarmAction, Alarm], None]


class AlarmBook:
    def __init__(self, clock: Clock, salt: str) -> None:
        self.clock = clock
        self.salt = salt
        self.items: dict[str, Alarm] = {}
        """Every kept alarm by id."""
        self.history: CappedLog[Alarm] = CappedLog(ALARM_LIMIT)
        """The same alarms in creation-time order (oldest dropped first when full)."""
        self.annotation_log: AnnotationLog[Annotation] = AnnotationLog()
        """Every kept annotation of every alarm (the oldest dropped first when full)."""
        self.listeners: Listeners[AlarmListener] = Listeners()

    def __getstate__(self) -> dict[str, Any]:
        """``items`` indexes ``history``: a snapshot holds the history (kept a record at a time
        where its log is kept) and the index is built again at load."""
        return {k: v for k, v in self.__dict__.items() if k != "items"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.items = {alarm.id: alarm for alarm in self.history}

    def raise_alarm(
        self,
        *,
        object_id: str,
        item_reference: str,
        name: str,
        description: str,
        alarm_type: str,
        priority: int,
        is_ack_required: bool,
        category: str,
        trigger_value: Any,
        units: str,
        message: str = "",
        moment: float | None = None,
    ) -> Alarm:
        alarm = Alarm(
            id=str(uuid.uuid5(ID_NAMESPACE, f"{self.salt}alarm:{self.history.appended}")),
            object_id=object_id,
            item_reference=item_reference,
            name=name,
            description=description,
            message=message,
            type=f"alarmValueEnumSet.{alarm_type}",
            priority=priority,
            is_ack_required=is_ack_required,
            category=category,
            creation_time=self.clock.time() if moment is None else moment,
            trigger_value=trigger_value,
            units=units,
        )
        self.items[alarm.id] = alarm
        for gone in self.history.append(alarm.creation_time, alarm):
            del self.items[gone.id]
        self._tell("new", alarm)
        return alarm

    def get(self, alarm_id: str) -> Alarm:
        found = self.items.get(alarm_id.lower())
        if found is None:
            raise errors.not_found(f"Alarm {alarm_id} was not found.")
        return found

    def can_acknowledge(self, alarm: Alarm) -> bool:
        return alarm.status == "pending" and alarm.is_ack_required

    def change(self, alarm: Alarm, status: str, user: str, text: str | None) -> None:
        """Acknowledge or discard (the reference's rules: only a pending alarm that requires it
        may be acknowledged; a discarded alarm never changes again): 400 otherwise."""
        now = self.clock.time()
        if status == "acknowledged":
            if not self.can_acknowledge(alarm):
                raise errors.bad_request(
                    "The alarm cannot be acknowledged: it is not pending or does not require "
                    "acknowledgement."
                )
            alarm.status = "acknowledged"
            alarm.acknowledged_time = now
            action: AlarmAction = "ack"
        elif status == "discarded":
            if alarm.status == "discarded":
                raise errors.bad_request("The alarm is already discarded.")
            alarm.status = "discarded"
            alarm.discarded_time = now
            action = "discard"
        else:
            raise errors.bad_request("activityManagementStatus must be acknowledged or discarded.")
        if text:
            self._note(alarm, text, user, now, status)
        self._tell(action, alarm)

    def annotate(self, alarm: Alarm, text: str, user: str) -> Annotation:
        note = self._note(alarm, text, user, self.clock.time(), "none")
        self._tell("annotate", alarm)
        return note

    def _note(self, alarm: Alarm, text: str, user: str, now: float, action: str) -> Annotation:
        return self.annotation_log.write(
            self.items, alarm.id, alarm, now, lambda n: Annotation(n, text, user, now, action)
        )

    def _tell(self, action: AlarmAction, alarm: Alarm) -> None:
        # Acknowledged, discarded or annotated in place: kept again where the log is kept.
        self.history.touch(alarm.creation_time, alarm)
        for listener in list(self.listeners):
            listener(action, alarm)
