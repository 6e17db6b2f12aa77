"""What the journal tests read of a journal through its public listing."""

from __future__ import annotations

from standin._core.journal import Journal, entry_size


def kept_bytes(journal: Journal, tenant: str | None) -> int:
    """What ``tenant``'s kept entries (None: those that reached no tenant) count for against
    its byte budget, summed over the entries the journal lists."""
    return sum(entry_size(e) for e in journal.entries() if e.tenant == tenant)
