"""Who each recently presented ``Authorization`` header names, so that a token's next request
is not worked out from the header again.

A Metasys client sends the same bearer header with every request for the half hour its token
lives. The first request with a header is identified the long way (the header parsed, the token
validated, its tenant and user looked up, the :class:`~standin._core.seam.Identity` made); what
it found is remembered under the header's exact bytes. A later request with the same bytes
re-checks only what can have changed since (the token revoked, forgotten or expired on its
tenant's clock, the tenant removed, the user deleted: see ``MetasysApi.identify``), and is
identified the long way again, with the long way's answer, as soon as any check fails.

Only a header that proved a token and is written as the token's own ``Bearer <token>`` is
remembered (a refused header never is; a spelling with more spaces is identified the long way
each time, so one token cannot fill the memory), at most
:data:`SESSIONS_KEPT` of them: a full memory is emptied rather than evicted entry by entry (the
next requests fill it again), as :class:`~standin._core.memo.BoundedMemo` does.
"""

from __future__ import annotations

from standin._core.memo import BoundedMemo
from standin._core.seam import Identity

SESSIONS_KEPT = 1024
"""Headers remembered at once (a token is about 700 bytes: under a megabyte in all)."""


class Sessions(BoundedMemo[bytes, Identity]):
    """Identities by the ``Authorization`` header bytes that proved them."""

    __slots__ = ()

    def __init__(self, capacity: int = SESSIONS_KEPT) -> None:
        super().__init__(capacity)

    def keep(self, header: bytes, identity: Identity) -> None:
        self.put(header, identity)

    def forget_tenant(self, tenant_id: str) -> None:
        """Drop every header naming ``tenant_id`` (a removed tenant's tokens and identities are
        not kept alive by this memory)."""
        self.forget_where(lambda identity: identity.tenant_id == tenant_id)


__all__ = ["SESSIONS_KEPT", "Sessions"]
