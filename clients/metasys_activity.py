"""The Metasys client's alarms, audits and activities (a part of ``MetasysClient``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg


class ActivityMixin(MetasysTransport):
    def alarms(self, object_id: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """The site's alarms (or an object's), with the reference's filters as keywords."""
        path = "/alarms" if object_id is None else f"/objects/{_seg(object_id)}/alarms"
        return self._pages(path, filters)

    def alarm(self, alarm_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._request("GET", f"/alarms/{_seg(alarm_id)}")
        return found

    def acknowledge_alarm(self, alarm_id: str, annotation: str | None = None) -> None:
        self._manage("alarms", alarm_id, "acknowledged", annotation)

    def discard_alarm(self, alarm_id: str, annotation: str | None = None) -> None:
        self._manage("alarms", alarm_id, "discarded", annotation)

    def audits(self, object_id: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        path = "/audits" if object_id is None else f"/objects/{_seg(object_id)}/audits"
        return self._pages(path, filters)

    def discard_audit(self, audit_id: str, annotation: str | None = None) -> None:
        self._manage("audits", audit_id, "discarded", annotation)

    def annotate_audit(self, audit_id: str, text: str) -> None:
        self._request("POST", f"/audits/{_seg(audit_id)}/annotations", json={"text": text})

    def annotations(self, kind: str, item_id: str) -> Iterator[dict[str, Any]]:
        """An alarm's or audit's annotations (``kind``: ``alarms`` or ``audits``)."""
        return self._pages(f"/{kind}/{_seg(item_id)}/annotations")

    def activities(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Alarms and audits together, following ``next`` (its continuation token)."""
        return self._pages("/activities", filters)

    def batch_activities(
        self, method: str, requests: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Many changes or annotations at once; each answer has its own ``status``."""
        body = self._request(
            "POST", "/activities/batch", json={"method": method, "requests": list(requests)}
        )
        responses: list[dict[str, Any]] = body["responses"]
        return responses

    def _manage(self, kind: str, item_id: str, status: str, annotation: str | None) -> None:
        body: dict[str, Any] = {"activityManagementStatus": status}
        if annotation is not None:
            body["annotationText"] = annotation
        self._request("PATCH", f"/{kind}/{_seg(item_id)}", json=body)

    def network_device_alarms(
        self, network_device_id: str, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """The alarms of a network device and of the objects it hosts, with the reference's
        filters as keywords."""
        return self._pages(f"/networkDevices/{_seg(network_device_id)}/alarms", filters)

    def audit(self, audit_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._request("GET", f"/audits/{_seg(audit_id)}")
        return found

    def audit_users(self) -> list[str]:
        """The user names that appear in the audits."""
        return [str(user) for user in self._pages("/audits/users")]

    def unsubscribe_activities(self, stream_id: str, subscription_id: str) -> None:
        """End an activities subscription (from ``METASYS-SUBSCRIBE`` on ``GET /activities``);
        the stream stays open."""
        path = f"/activities/streams/{_seg(stream_id)}/subscriptions/{_seg(subscription_id)}"
        self._request("DELETE", path)
