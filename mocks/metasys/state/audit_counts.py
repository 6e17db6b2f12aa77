"""Audit counts (PRIVATE ``GET /audits/counts``): the audits of a period counted per audit string
id, optionally per hour, day, week or month (UTC calendar intervals)."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standin.metasys.state.model import AuditEntry

AUDIT_STRINGS = {
    "auditActionTypeEnumSet.commandAuditActionType": 41,
    "auditActionTypeEnumSet.writeAuditActionType": 42,
    "auditActionTypeEnumSet.createAuditActionType": 107,
    "auditActionTypeEnumSet.deleteAuditActionType": 150,
}
"""**Sandbox choice:** the audit string id (a member of auditTrailStringsEnumSet) of each kind
of audit the sandbox writes: the four ids of the reference's request sample, in its order."""
INTERVALS = ("None", "Hour", "Day", "Week", "Month")


@dataclass(frozen=True)
class AuditCount:
    audit_string_id: int
    start: float
    end: float
    count: int


def interval_start(moment: float, interval: str) -> float:
    at = datetime.fromtimestamp(moment, tz=UTC)
    if interval == "Hour":
        at = at.replace(minute=0, second=0, microsecond=0)
    else:
        at = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if interval == "Week":
            at -= timedelta(days=at.weekday())
        elif interval == "Month":
            at = at.replace(day=1)
    return at.timestamp()


def interval_end(start: float, interval: str) -> float:
    at = datetime.fromtimestamp(start, tz=UTC)
    if interval == "Hour":
        return start + 3600
    if interval == "Day":
        return start + 86400
    if interval == "Week":
        return start + 7 * 86400
    following = (
        at.replace(year=at.year + 1, month=1) if at.month == 12 else at.replace(month=at.month + 1)
    )
    return following.timestamp()


class ActionTimes:
    """The times of the kept audits, sorted, one list per audit string id: a period's count is
    two bisections, so ``GET /audits/counts`` costs the intervals it answers, not the trail.
    Kept by :class:`~standin.metasys.state.audits.AuditBook` beside its trail (built again from
    it at load)."""

    def __init__(self, entries: Iterable[AuditEntry] = ()) -> None:
        self.times: dict[int, list[float]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: AuditEntry) -> None:
        string_id = AUDIT_STRINGS.get(entry.action_type)
        if string_id is None:
            return
        times = self.times.setdefault(string_id, [])
        if not times or times[-1] <= entry.time:
            times.append(entry.time)
        else:
            bisect.insort(times, entry.time)

    def remove(self, entry: AuditEntry) -> None:
        """Forget one audit of ``entry``'s action and time (the trail dropped it)."""
        times = self.times.get(AUDIT_STRINGS.get(entry.action_type, -1))
        if times is None:
            return
        at = bisect.bisect_left(times, entry.time)
        if at < len(times) and times[at] == entry.time:
            del times[at]


def count(
    index: ActionTimes,
    start: float,
    end: float,
    interval: str,
    wanted: Collection[int] | None,
) -> list[AuditCount]:
    """Counts of the audits in [start, end] (none when ``end`` is before ``start``): one per
    audit string id and interval that holds any, intervals clipped to the period, ordered by
    interval then id. Each interval that holds audits costs two bisections: the answer's size,
    not the period's number of audits."""
    found: list[AuditCount] = []
    if end < start:
        return found
    for string_id, times in index.times.items():
        if wanted is not None and string_id not in wanted:
            continue
        position = bisect.bisect_left(times, start)
        stop = bisect.bisect_right(times, end)
        while position < stop:
            if interval == "None":
                bucket, last, following = start, end, stop
            else:
                opened = interval_start(times[position], interval)
                closed = interval_end(opened, interval)
                bucket, last = max(start, opened), min(end, closed)
                # At least one audit further, whatever a time's rounding to microseconds did.
                following = bisect.bisect_left(times, closed, position)
                following = min(stop, max(position + 1, following))
            found.append(AuditCount(string_id, bucket, last, following - position))
            position = following
    found.sort(key=lambda c: (c.start, c.audit_string_id))
    return found
