"""The audit trail: the entries every command and edit writes (``MetasysState.audits``, the
newest ``AUDIT_LIMIT``), and what happens to them after: discards and annotations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from standin._core.clock import Clock
from standin._core.history import CappedLog
from standin._core.persistence import Listeners
from standin.metasys import errors
from standin.metasys.state.annotation_log import AnnotationLog
from standin.metasys.state.audit_counts import ActionTimes
from standin.metasys.state.model import AuditEntry

AuditAction = Literal["new", "discard", "annotate"]
ORIGIN = "auditOriginAppEnumSet.deviceManagerAuditOriginApp"
CLASS_LEVEL = "auditClassesEnumSet.userActionAuditClass"
"""**Sandbox choice:** every API command and edit is audited as a user action of the device
manager (the reference's examples' most common pair)."""
MAX_ANNOTATION = 255
AUDIT_LIMIT = 10_000
"""**Sandbox choice:** a tenant's audit trail keeps its newest 10,000 entries; older ones are
dropped first (with their annotations), and lists and counts say only what is kept. A real
site's Audit Repository is bounded too (by its configured size and age); the guide gives no
figure for the API."""


@dataclass
class AuditNote:
    id: int
    text: str | None
    user: str
    time: float
    action: Literal["none", "discarded"]


@dataclass
class AuditTrack:
    discarded_time: float | None = None
    notes: list[AuditNote] = field(default_factory=list)
    noted: int = 0
    """Annotations ever written on the audit (ids go on from here when the oldest were
    dropped)."""


INDEXES = ("by_id", "users", "action_times")

AuditChangeListener = Callable[[AuditAction, AuditEntry], None]


class AuditBook:
    def __init__(self, clock: Clock, entries: CappedLog[AuditEntry]) -> None:
        self.clock = clock
        self.entries = entries
        self.by_id: dict[str, AuditEntry] = {entry.id: entry for entry in entries}
        self.tracks: dict[str, AuditTrack] = {}
        self.users: Counter[str] = Counter(entry.user for entry in entries)
        """How many kept entries each user has (``GET /audits/users`` without a scan)."""
        self.action_times = ActionTimes(entries)
        """The kept entries' times by audit string id (``GET /audits/counts`` without a scan)."""
        self.annotation_log: AnnotationLog[AuditNote] = AnnotationLog()
        """Every kept annotation of every audit (the oldest dropped first when full)."""
        self.listeners: Listeners[AuditChangeListener] = Listeners()

    def __getstate__(self) -> dict[str, Any]:
        """``by_id``, ``users`` and ``action_times`` are the trail's indexes: a snapshot holds the
        trail (kept a record at a time where its log is kept) and the indexes are built again
        at load."""
        return {k: v for k, v in self.__dict__.items() if k not in INDEXES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.by_id = {entry.id: entry for entry in self.entries}
        self.users = Counter(entry.user for entry in self.entries)
        self.action_times = ActionTimes(self.entries)

    def add(self, entry: AuditEntry) -> None:
        """Keep a new entry; the oldest goes when the trail is full, with its annotations."""
        self.by_id[entry.id] = entry
        self.users[entry.user] += 1
        self.action_times.add(entry)
        for gone in self.entries.append(entry.time, entry):
            del self.by_id[gone.id]
            self.action_times.remove(gone)
            self.tracks.pop(gone.id, None)
            self.users[gone.user] -= 1
            if not self.users[gone.user]:
                del self.users[gone.user]

    def get(self, audit_id: str) -> AuditEntry:
        found = self.by_id.get(audit_id.lower())
        if found is None:
            raise errors.not_found(f"Audit {audit_id} was not found.")
        return found

    def track(self, entry: AuditEntry) -> AuditTrack:
        return self.tracks.setdefault(entry.id, AuditTrack())

    def discard(self, entry: AuditEntry, user: str, text: str | None) -> None:
        """Once discarded an audit never changes state again: 405, as the published document
        says."""
        track = self.track(entry)
        if track.discarded_time is not None:
            raise errors.message(405, "The audit is already discarded.")
        now = self.clock.time()
        track.discarded_time = now
        if text:
            self._note(entry, track, text, user, now, "discarded")
        self._tell("discard", entry)

    def annotate(self, entry: AuditEntry, text: str, user: str) -> AuditNote:
        note = self._note(entry, self.track(entry), text, user, self.clock.time(), "none")
        self._tell("annotate", entry)
        return note

    def _note(
        self,
        entry: AuditEntry,
        track: AuditTrack,
        text: str,
        user: str,
        now: float,
        action: Literal["none", "discarded"],
    ) -> AuditNote:
        return self.annotation_log.write(
            self.tracks, entry.id, track, now, lambda n: AuditNote(n, text, user, now, action)
        )

    def _tell(self, action: AuditAction, entry: AuditEntry) -> None:
        for listener in list(self.listeners):
            listener(action, entry)
