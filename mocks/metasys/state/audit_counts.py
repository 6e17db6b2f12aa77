"""Audit counts (PRIVATE ``GET /audits/counts``): the audits of a period counted per audit string
id, optionally per hour, day, week or month (UTC calendar intervals)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standin._core.history import CappedLog
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


def count(
    entries: CappedLog[AuditEntry],
    start: float,
    end: float,
    interval: str,
    wanted: Collection[int] | None,
) -> list[AuditCount]:
    """Counts of the audits in [start, end] (none when ``end`` is before ``start``): one per
    audit string id and interval that holds any, intervals clipped to the period, ordered by
    interval then id. Only the audits of the period are visited (the trail is in time order)."""
    tally: Counter[tuple[float, int]] = Counter()
    for entry in entries.between(start, end) if start <= end else []:
        string_id = AUDIT_STRINGS.get(entry.action_type)
        if string_id is None or not start <= entry.time <= end:
            continue
        if wanted is not None and string_id not in wanted:
            continue
        bucket = start if interval == "None" else max(start, interval_start(entry.time, interval))
        tally[(bucket, string_id)] += 1
    found = []
    for (bucket, string_id), number in sorted(tally.items()):
        last = (
            end
            if interval == "None"
            else min(end, interval_end(interval_start(bucket, interval), interval))
        )
        found.append(AuditCount(string_id, bucket, last, number))
    return found
