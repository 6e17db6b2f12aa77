"""The words every vendor's refusal of a write past a per-tenant quota shares.

Data an integrator wrote is never dropped once acknowledged: past a quota the write is refused
(each vendor's own error for a bad request, or the control plane's), and nothing of it is kept.
"""

from __future__ import annotations


def over_quota(what: str, limit: int, way_out: str) -> str:
    """``Sandbox quota: this tenant already holds 1,000 buildings ...``: why a write was refused,
    and what frees room (``way_out``)."""
    return (
        f"Sandbox quota: this tenant already holds {limit:,} {what}, the most it may hold; "
        f"{way_out}."
    )


__all__ = ["over_quota"]
