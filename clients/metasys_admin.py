"""The Metasys client's administration calls (a part of ``MetasysClient``): system capabilities
and settings, user accounts, historical time series, object trees and user views, public views,
bulk creation, audit counts and alarm annotations (the reference's INTERNAL and PRIVATE
operations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standin.clients.metasys_transport import MetasysTransport
from standin.clients.metasys_transport import seg as _seg

PRIVATE_API = "/api/private-api/v4"
"""Where v4 served the system operations (the reference's notes): beside ``/api/v4``."""
INTERVALS = ("None", "Hour", "Day", "Week", "Month")


def _time(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SystemSettings:
    values: dict[str, Any]
    schema: dict[str, Any] | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> SystemSettings:
        return cls(dict(raw["item"]), raw.get("schema"))


@dataclass(frozen=True)
class UserAccount:
    id: str
    user_name: str
    full_name: str | None
    email: str | None
    access_type: str | None
    session_timeout_minutes: int | None
    is_administrator: bool
    user_views: tuple[str, ...]
    """The ids of the user views (trees) the user can read."""
    raw: dict[str, Any]
    """The body as read: what ``PATCH /users/{userId}`` takes back."""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> UserAccount:
        profile = raw.get("profile") or {}
        permissions = raw.get("permissions") or {}
        views = (raw.get("userViews") or {}).get("items") or []
        return cls(
            raw["id"],
            raw["userName"],
            profile.get("fullName"),
            profile.get("primaryEmail"),
            profile.get("accessType"),
            profile.get("sessionTimeoutMinutes"),
            bool(permissions.get("isAdministrator", False)),
            tuple(view["id"] for view in views),
            dict(raw),
        )


@dataclass(frozen=True)
class TimeSeries:
    id: str
    item_reference: str
    attribute: str
    object_id: str | None
    """None once the object is deleted (the repository keeps its series)."""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> TimeSeries:
        url = raw.get("objectUrl")
        return cls(
            raw["id"],
            raw["itemReference"],
            raw["attribute"],
            None if not url else str(url).rstrip("/").rsplit("/", 1)[1],
        )


@dataclass(frozen=True)
class ObjectTreeInfo:
    id: str
    name: str
    tree_type: str
    can_read: bool

    @classmethod
    def of(cls, raw: Mapping[str, Any], readable: Sequence[str]) -> ObjectTreeInfo:
        return cls(raw["id"], raw["name"], raw["treeType"], raw["id"] in readable)


@dataclass(frozen=True)
class TreeNode:
    id: str
    name: str
    item_reference: str
    object_type: str
    is_object: bool
    """False for a folder of a user view."""
    children: tuple[TreeNode, ...]

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> TreeNode:
        return cls(
            raw["id"],
            raw["name"],
            raw["itemReference"],
            raw["objectType"],
            raw.get("objectUrl") is not None,
            tuple(cls.of(child) for child in raw.get("items") or []),
        )

    def walk(self) -> Iterator[TreeNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class ObjectTree:
    id: str
    name: str
    nodes: tuple[TreeNode, ...]
    deleted: tuple[str, ...]
    """With conditions: the ids of the objects the tree names that were deleted."""
    permissions: dict[str, list[str]] | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> ObjectTree:
        condition = raw.get("condition") or {}
        return cls(
            raw["id"],
            raw["name"],
            tuple(TreeNode.of(node) for node in raw["items"]),
            tuple(condition.get("deleted") or ()),
            raw.get("effectivePermissions"),
        )


@dataclass(frozen=True)
class BulkResult:
    status: int
    local_unique_identifier: str
    id: str | None
    message: str | None

    @property
    def created(self) -> bool:
        return self.status == 201

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> BulkResult:
        return cls(raw["status"], raw["localUniqueIdentifier"], raw.get("id"), raw.get("message"))


@dataclass(frozen=True)
class AuditCount:
    audit_string_id: int
    start: dt.datetime
    end: dt.datetime
    count: int

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> AuditCount:
        return cls(
            raw["auditStringId"], _time(raw["startTime"]), _time(raw["endTime"]), raw["count"]
        )


class AdminMixin(MetasysTransport):
    base_url: str

    def _private(self, path: str) -> str:
        """The URL of ``path`` under ``/api/private-api/v4`` beside the client's ``/api/v4``."""
        return f"{self.base_url.removesuffix('/api/v4')}{PRIVATE_API}{path}"

    # --- system ---------------------------------------------------------------------------

    def system_capabilities(self) -> dict[str, Any]:
        body = self._request("GET", self._private("/system/capabilities"))
        found: dict[str, Any] = body["items"]
        return found

    def system_settings(self, *, include_schema: bool = False) -> SystemSettings:
        params = {"includeSchema": "true"} if include_schema else {}
        return SystemSettings.of(
            self._request("GET", self._private("/system/settings"), params=params)
        )

    def update_system_setting(self, setting_id: str, value: Any) -> None:
        self._request(
            "PATCH", self._private(f"/system/settings/{_seg(setting_id)}"), json={"item": value}
        )

    # --- users ----------------------------------------------------------------------------

    def user_account(self, user_id: str) -> UserAccount:
        """One user's account (administrators only: MetasysForbidden otherwise)."""
        return UserAccount.of(self._request("GET", f"/users/{_seg(user_id)}"))

    def edit_user(
        self,
        user_id: str,
        *,
        full_name: str | None = None,
        email: str | None = None,
        session_timeout_minutes: int | None = None,
    ) -> UserAccount:
        profile: dict[str, Any] = {}
        if full_name is not None:
            profile["fullName"] = full_name
        if email is not None:
            profile["primaryEmail"] = email
        if session_timeout_minutes is not None:
            profile["sessionTimeoutMinutes"] = session_timeout_minutes
        body = self._request("PATCH", f"/users/{_seg(user_id)}", json={"profile": profile})
        return UserAccount.of(body)

    # --- time series, trees, objects ------------------------------------------------------

    def time_series(self, search: str | None = None, **params: Any) -> Iterator[TimeSeries]:
        """The repository's series (item references containing ``search``), page by page."""
        if search is not None:
            params["searchString"] = search
        return (TimeSeries.of(raw) for raw in self._pages("/timeSeries", params))

    def object_trees(self) -> list[ObjectTreeInfo]:
        body = self._request("GET", "/objects/trees")
        readable = body.get("effectivePermissions", {}).get("canRead", [])
        return [ObjectTreeInfo.of(raw, readable) for raw in body["items"]]

    def object_tree(
        self, tree_id: str, *, permissions: bool = False, conditions: bool = False
    ) -> ObjectTree:
        params = {
            "includePermissions": str(permissions).lower(),
            "includeConditions": str(conditions).lower(),
        }
        return ObjectTree.of(self._request("GET", f"/objects/trees/{_seg(tree_id)}", params=params))

    def public_view(self, object_id: str) -> dict[str, Any]:
        """The attributes any user may read (with the default attribute's value)."""
        body = self._request("GET", f"/objects/{_seg(object_id)}/publicView")
        found: dict[str, Any] = body["item"]
        return found

    def create_objects(self, creations: Sequence[Mapping[str, Any]]) -> list[BulkResult]:
        """Many creations at once (each a ``create_object`` body); each answers on its own."""
        body = self._request("POST", "/objects/bulk", json=[dict(c) for c in creations])
        return [BulkResult.of(raw) for raw in body]

    # --- audits and alarms ----------------------------------------------------------------

    def audit_counts(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        interval: str = "None",
        audit_actions: Sequence[int] | None = None,
    ) -> list[AuditCount]:
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
        params: dict[str, Any] = {
            "startTime": _iso(start),
            "endTime": _iso(end),
            "timeInterval": interval,
        }
        if audit_actions:
            params["auditActions"] = ",".join(str(a) for a in audit_actions)
        return [AuditCount.of(raw) for raw in self._request("GET", "/audits/counts", params=params)]

    def annotate_alarm(self, alarm_id: str, text: str) -> None:
        self._request("POST", f"/alarms/{_seg(alarm_id)}/annotations", json={"text": text})
