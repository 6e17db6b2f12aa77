"""Who each recently presented ``Authorization`` header names, so that a token's next request
is not worked out from the header again.

A Metasys client sends the same bearer header with every request for the half hour its token
lives. The first request with a header is identified the long way (the header parsed, the token
validated, its tenant and user looked up, the :class:`~standin._core.seam.Identity` made); what
it found is remembered under the header's exact bytes. A later request with the same bytes
re-checks only what can have changed since (the token revoked, forgotten or expired on its
tenant's clock, the tenant removed, the user deleted: see ``MetasysApi.identify``), and is
identified the long way again, with the long way's answer, as soon as any check fails.

Only headers that proved a token are remembered (a refused header never is), at most
:data:`SESSIONS_KEPT` of them: a full memory is emptied rather than evicted entry by entry (the
next requests fill it again), as :class:`~standin._core.memo.BoundedMemo` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from standin._core.seam import Identity

SESSIONS_KEPT = 1024
"""Headers remembered at once (a token is about 700 bytes: under a megabyte in all)."""


class Sessions:
    """Identities by the ``Authorization`` header bytes that proved them."""

    __slots__ = ("_capacity", "_known")

    def __init__(self, capacity: int = SESSIONS_KEPT) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._known: dict[bytes, Identity] = {}

    def get(self, header: bytes) -> Identity | None:
        """What ``header`` was last found to name (to be re-checked before it is used)."""
        return self._known.get(header)

    def keep(self, header: bytes, identity: Identity) -> None:
        known = self._known
        if len(known) >= self._capacity and header not in known:
            known.clear()
        known[header] = identity

    def forget(self, header: bytes) -> None:
        self._known.pop(header, None)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop every header naming ``tenant_id`` (a removed tenant's tokens and identities are
        not kept alive by this memory)."""
        for header in _naming(self._known.items(), tenant_id):
            del self._known[header]

    def __len__(self) -> int:
        return len(self._known)


def _naming(entries: Iterable[tuple[bytes, Identity]], tenant_id: str) -> list[bytes]:
    return [header for header, identity in entries if identity.tenant_id == tenant_id]


__all__ = ["SESSIONS_KEPT", "Sessions"]
