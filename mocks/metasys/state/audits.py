"""What happens to audits after they are written: discards and annotations (the entries
themselves are ``MetasysState.audits``, written by every command and edit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from standin._core.clock import Clock
from standin._core.persistence import Listeners
from standin.metasys import errors
from standin.metasys.state.model import AuditEntry

AuditAction = Literal["new", "discard", "annotate"]
ORIGIN = "auditOriginAppEnumSet.deviceManagerAuditOriginApp"
CLASS_LEVEL = "auditClassesEnumSet.userActionAuditClass"
"""**Sandbox choice:** every API command and edit is audited as a user action of the device
manager (the reference's examples' most common pair)."""
MAX_ANNOTATION = 255


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


AuditChangeListener = Callable[[AuditAction, AuditEntry], None]


class AuditBook:
    def __init__(self, clock: Clock, entries: list[AuditEntry]) -> None:
        self.clock = clock
        self.entries = entries
        self.tracks: dict[str, AuditTrack] = {}
        self.listeners: Listeners[AuditChangeListener] = Listeners()

    def get(self, audit_id: str) -> AuditEntry:
        wanted = audit_id.lower()
        for entry in self.entries:
            if entry.id == wanted:
                return entry
        raise errors.not_found(f"Audit {audit_id} was not found.")

    def track(self, entry: AuditEntry) -> AuditTrack:
        return self.tracks.setdefault(entry.id, AuditTrack())

    def discard(self, entry: AuditEntry, user: str, text: str | None) -> None:
        """Once discarded an audit never changes state again: 405, as the published document
        says."""
        track = self.track(entry)
        if track.discarded_time is not None:
            raise errors.message(405, "The audit is already discarded.")
        track.discarded_time = self.clock.time()
        if text:
            track.notes.append(
                AuditNote(len(track.notes) + 1, text, user, track.discarded_time, "discarded")
            )
        self._tell("discard", entry)

    def annotate(self, entry: AuditEntry, text: str, user: str) -> AuditNote:
        track = self.track(entry)
        note = AuditNote(len(track.notes) + 1, text, user, self.clock.time(), "none")
        track.notes.append(note)
        self._tell("annotate", entry)
        return note

    def _tell(self, action: AuditAction, entry: AuditEntry) -> None:
        for listener in list(self.listeners):
            listener(action, entry)
