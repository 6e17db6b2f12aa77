"""Alerts: they open at their start and close at their end as the sandbox clock passes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

ALERT_TYPES = (
    "Device Fault",
    "Performance Index",
    "Strings Performance",
    "System Disconnect",
    "Zero Generation",
)
PRIORITIES = ("High", "Medium", "Low")
PRIORITY_FILTERS = ("high", "medium", "low")
STATUSES = ("open", "closed")
MAX_ALERTS = 1_000
"""**Sandbox choice:** a tenant holds at most 1,000 alerts (the fixture's included); raising one
more (``POST /_sandbox/locus/alerts``) is refused with 400 and raises nothing. The reference
gives no bound."""
DESCRIPTION_LENGTHS = {"descriptionShort": 255, "descriptionLong": 2_000}
"""The longest description, in characters, an alert raised through the control plane takes
(the control plane's bound, so an alert costs at most a few KiB)."""


@dataclass(frozen=True)
class Alert:
    id: int
    component_id: int
    alert_type: str
    priority: str
    start: float
    end: float | None = None
    description_short: str | None = None
    description_long: str | None = None

    def raised(self, now: float) -> bool:
        return self.start <= now

    def is_open(self, now: float) -> bool:
        return self.end is None or self.end > now

    def updated(self, now: float) -> float:
        """An alert changes when it opens and when it closes."""
        return self.start if self.is_open(now) else self.end  # type: ignore[return-value]

    def open_during(self, low: float, high: float, now: float) -> bool:
        """Open at any moment of [low, high]."""
        closes = self.end if self.end is not None and self.end <= now else None
        return self.start <= high and (closes is None or closes >= low)

    def as_json(
        self, component_name: str, site_id: int, site_name: str, zone: ZoneInfo, now: float
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "componentId": self.component_id,
            "componentName": component_name,
            "siteId": site_id,
            "siteName": site_name,
            "alertType": self.alert_type,
            "priority": self.priority,
            "start": render_alert_time(self.start, zone),
        }
        if not self.is_open(now):
            assert self.end is not None
            body["end"] = render_alert_time(self.end, zone)
        body["updated"] = render_alert_time(self.updated(now), zone)
        if self.alert_type == "Device Fault":
            if self.description_short is not None:
                body["descriptionShort"] = self.description_short
            if self.description_long is not None:
                body["descriptionLong"] = self.description_long
        return body


def render_alert_time(moment: float, zone: ZoneInfo) -> str:
    """ISO 8601 in ``zone``; a zero offset reads ``-00:00``, as every alert in the reference."""
    local = datetime.fromtimestamp(int(moment), tz=UTC).astimezone(zone)
    text = local.isoformat()
    if text.endswith("+00:00"):
        return text[: -len("+00:00")] + "-00:00"
    return text
