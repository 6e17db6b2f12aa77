"""What a replica raises when a request is not its to answer here and now.

These derive from :class:`BaseException`, not :class:`Exception`: no vendor's 500 handler, no
``except Exception`` in a handler, no journal takes them for a failure of the request. They
travel up to the :class:`~standin._core.cluster.gateway.Gateway`, which hands the request to the
replica serving its tenant, or answers 503 when the shared storage cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    """Who holds a tenant's lease: a replica, the URL it answers on, and the lease's fence."""

    replica: str
    url: str
    fence: int
    value: str
    """The lease exactly as kept in Redis (what a compare-and-set compares)."""

    @classmethod
    def parse(cls, value: str) -> Holder:
        replica, url, fence = value.rsplit("|", 2) if value.count("|") >= 2 else ("", "", "0")
        return cls(replica, url, int(fence) if fence.isdigit() else 0, value)


class HandedOver(BaseException):
    """The request is answered elsewhere than by this process's app."""


class TenantElsewhere(HandedOver):
    """The tenant is served by another live replica: hand the request to it."""

    def __init__(self, tenant_id: str, holder: Holder) -> None:
        super().__init__(f"tenant {tenant_id} is served by {holder.url}")
        self.tenant_id = tenant_id
        self.holder = holder


class StorageUnavailable(HandedOver):
    """The shared storage (Redis) cannot be reached: the request answers 503 and may be retried."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class WriteRefused(StorageUnavailable):
    """A write was not kept: this replica no longer holds the tenant's lease (another replica
    took it over). Not acknowledged, so answered 503; the client's retry reaches the new holder."""
