"""The sandbox clock: every time-based behaviour of every fake reads it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

ClockMode = Literal["real", "frozen", "offset"]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""The control plane moves a sandbox clock within [EARLIEST, LATEST): every date the fakes
write (token expiries, JWT claims, ISO timestamps) must stay inside what ``datetime`` holds, and
generated series (counted from a device's or meter's first hour) must stay a bounded walk."""


def within_range(seconds: float) -> bool:
    """Whether a clock may show ``seconds`` since the epoch (see :data:`EARLIEST`)."""
    return EARLIEST.timestamp() <= seconds < LATEST.timestamp()


class Clock:
    """Wall-clock time that tests can freeze, set and advance instead of sleeping.

    ``real`` follows the machine clock; ``offset`` follows it shifted by a fixed amount (after
    ``set`` or ``advance`` on a running clock); ``frozen`` stands still until moved.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._frozen_at: float | None = None

    @property
    def mode(self) -> ClockMode:
        if self._frozen_at is not None:
            return "frozen"
        return "offset" if self._offset else "real"

    def time(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        if self._frozen_at is not None:
            return self._frozen_at
        return self._source() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def freeze(self, at: datetime | None = None) -> None:
        self._frozen_at = self.time() if at is None else _timestamp(at)

    def set(self, at: datetime) -> None:
        """Jump to ``at``; a frozen clock stays frozen there, a running one runs on from it."""
        target = _timestamp(at)
        if self._frozen_at is not None:
            self._frozen_at = target
        else:
            self._offset = target - self._source()

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def real(self) -> None:
        self._frozen_at = None
        self._offset = 0.0

    def settings(self) -> dict[str, float | None]:
        """How this clock is moved from the time source, to keep it elsewhere (several
        replicas serving one sandbox keep each tenant's clock in Redis)."""
        return {"offset": self._offset, "frozen_at": self._frozen_at}

    def apply(self, settings: dict[str, float | None]) -> None:
        """Move this clock as ``settings`` (from :meth:`settings`) say."""
        offset = settings.get("offset")
        frozen_at = settings.get("frozen_at")
        self._offset = float(offset) if offset is not None else 0.0
        self._frozen_at = None if frozen_at is None else float(frozen_at)

    def fresh(self) -> Clock:
        """A new clock on the same time source, in real mode: a new tenant's, so that no
        tenant starts where another has moved its clock to."""
        return Clock(self._source)


TenantClocks = Callable[[str], Clock]
"""The clock of a tenant, by its id (``Sandbox.clock_for``)."""


def _timestamp(at: datetime) -> float:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix and millisecond precision."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
