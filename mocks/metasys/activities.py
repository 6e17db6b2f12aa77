"""Activities: alarms and audits as one collection, filtered by one query (used by
``GET /activities`` and by the activity subscriptions of a stream)."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from standin.metasys import errors
from standin.metasys.activity_filters import AlarmFilter, AuditFilter, alarm_filter, audit_filter
from standin.metasys.alarm_views import alarm_activity, permission
from standin.metasys.audit_views import audit_activity, audit_permission
from standin.metasys.state.alarms import Alarm
from standin.metasys.state.model import AuditEntry, User
from standin.metasys.state.site import MetasysState

ACTIVITY_TYPES = ("alarm", "audit")
SORTS = ("creationTime", "priority")
NO_PRIORITY = 256
"""**Sandbox choice:** audits have no priority; sorted by priority they follow every alarm."""

IMPLIED_TYPE = {
    "includeAcknowledgementRequired": "alarm",
    "includeAcknowledgementNotRequired": "alarm",
    "includeAcknowledged": "alarm",
    "priorityRange": "alarm",
    "type": "alarm",
    "category": "alarm",
    "originApplication": "audit",
    "classLevel": "audit",
    "actionType": "audit",
    "user": "audit",
}
"""The parameters that filter on what only one kind of activity carries, and that kind. The
guide says so in words of the two acknowledgement-required ones ("implies a filter of
activityType=alarm"); the others follow the same rule, as filters "limit the results to
activities for which the filters apply" and only that kind has the property (an audit has no
priority, alarm type, category or acknowledgement; an alarm no origin application, class
level, action type or user). Using one implies its kind, whatever its value; filters implying
both kinds select nothing."""

Activity = Alarm | AuditEntry


@dataclass(frozen=True)
class ActivityQuery:
    types: frozenset[str]
    alarms: AlarmFilter
    audits: AuditFilter

    def accepts_alarm(self, state: MetasysState, alarm: Alarm, *, change: bool = False) -> bool:
        """``change``: a management-status change, which the reference sends whatever the
        acknowledged/discarded filters say (so a client can keep its list right)."""
        if "alarm" not in self.types:
            return False
        wanted = self.alarms
        if change:
            wanted = dataclasses.replace(wanted, acknowledged=None, discarded=None)
        return wanted.matches(state, alarm)

    def accepts_audit(
        self, state: MetasysState, entry: AuditEntry, *, change: bool = False
    ) -> bool:
        if "audit" not in self.types:
            return False
        wanted = self.audits
        if change:
            wanted = dataclasses.replace(wanted, discarded=None)
        return wanted.matches(state, entry, state.audit_book.tracks.get(entry.id))

    def window(
        self, state: MetasysState, sort: str, descending: bool, start: int, size: int
    ) -> tuple[list[Activity], int]:
        """``size`` activities from position ``start`` in the sort's order, and how many there
        are in all. Without filters, sorted by time, it merges the heads of the alarm and audit
        logs (each kept in time order): the page costs its own items, however many exist."""
        if (
            sort == "creationTime"
            and self.types == frozenset(ACTIVITY_TYPES)
            and self.alarms.selects_all
            and self.audits.selects_all
        ):
            wanted = start + size
            alarms = state.alarms.history
            audits = state.audit_book.entries
            newest_alarms: list[Activity] = list(alarms.window(0, wanted, descending))
            newest_audits: list[Activity] = list(audits.window(0, wanted, descending))
            merged = heapq.merge(
                newest_alarms,
                newest_audits,
                key=lambda activity: -_moment(activity) if descending else _moment(activity),
            )
            return list(itertools.islice(merged, start, wanted)), len(alarms) + len(audits)
        found = self.collect(state, sort, descending)
        return found[start : start + size], len(found)

    def collect(self, state: MetasysState, sort: str, descending: bool) -> list[Activity]:
        found: list[Activity] = [a for a in state.alarms.history if self.accepts_alarm(state, a)]
        found.extend(e for e in state.audit_book.entries if self.accepts_audit(state, e))

        def key(activity: Activity) -> tuple[float, float]:
            moment = _moment(activity)
            if sort == "priority":
                level = activity.priority if isinstance(activity, Alarm) else NO_PRIORITY
                return (level, moment)
            return (moment, 0)

        return sorted(found, key=key, reverse=descending)


def _moment(activity: Activity) -> float:
    return activity.creation_time if isinstance(activity, Alarm) else activity.time


def activity_query(params: QueryParams) -> ActivityQuery:
    types = params.getlist("activityType")
    if len(types) > len(ACTIVITY_TYPES) or any(t not in ACTIVITY_TYPES for t in types):
        raise errors.bad_request("The parameter activityType must be alarm or audit.")
    wanted = frozenset(types or ACTIVITY_TYPES)
    for name, kind in IMPLIED_TYPE.items():
        if name in params:
            wanted &= {kind}
    return ActivityQuery(
        types=wanted,
        alarms=alarm_filter(params, related=True),
        audits=audit_filter(params, objects=True),
    )


def render(state: MetasysState, activity: Activity, base: str) -> dict[str, Any]:
    if isinstance(activity, Alarm):
        return alarm_activity(state, activity, base)
    return audit_activity(state, activity, state.audit_book.tracks.get(activity.id), base)


def effective_permission(state: MetasysState, activity: Activity, user: User) -> dict[str, Any]:
    if isinstance(activity, Alarm):
        return permission(activity, user, state.alarms.can_acknowledge(activity))
    track = state.audit_book.tracks.get(activity.id)
    return audit_permission(activity, track, user.can_write)
